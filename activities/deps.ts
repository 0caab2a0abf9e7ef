import { Context } from '@temporalio/activity';
import type { WorkingCalendar } from '../domain/calendar';

export interface CalendarPolicyInput {
  countMakeupWorkdays?: boolean;
}
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/** What activities need from the outside; the worker passes real ones, tests what they need. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  /**
   * The working-day calendar as stored now (cached; rebuilt when an operator reloads a year),
   * under the procedure's calendar policy (e.g. whether 调休 makeup days count).
   */
  calendar?: (policy?: CalendarPolicyInput) => Promise<WorkingCalendar>;
  now?: () => Date;
}

/**
 * "Now" for an activity is when the server scheduled its current attempt: the same clock the
 * workflow's timers run on (which the time-skipping test server moves), and in production a
 * moment before the wall clock. Outside an activity it is the wall clock.
 */
export function activityNow(): Date {
  try {
    return new Date(Context.current().info.currentAttemptScheduledTimestampMs);
  } catch {
    return new Date();
  }
}
