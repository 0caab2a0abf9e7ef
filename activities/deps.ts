import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/** What activities need from the outside; the worker passes real ones, tests what they need. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  now?: () => Date;
}
