import type { WorkingCalendar } from '../domain/calendar';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/** What activities need from the outside; the worker passes real ones, tests what they need. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  /** The working-day calendar as stored now (cached; rebuilt when an operator reloads a year). */
  calendar?: () => Promise<WorkingCalendar>;
  now?: () => Date;
}
