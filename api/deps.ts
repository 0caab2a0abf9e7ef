import type { Client, Connection } from '@temporalio/client';
import type { AppConfig } from '../lib/config';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { TokenService } from './auth';
import type { OidcService } from './oidc';

/** Everything the API needs from the outside, passed in so tests can build the app freely. */
export interface ApiDeps {
  config: AppConfig;
  db: Db;
  logger: Logger;
  tokens: TokenService;
  /** Sign-in by OpenID Connect; null when OIDC_ISSUER is not set. */
  oidc: OidcService | null;
  temporal: () => Promise<{ client: Client; connection: Connection }>;
}
