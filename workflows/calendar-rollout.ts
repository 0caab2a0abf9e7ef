/**
 * A calendar change carried to the running procedures (lib/calendar-rollout.ts starts it, one per
 * loaded version of a year). One activity tells every procedure with an open deadline in the year
 * (lib/calendar-store.ts, notifyCalendarChanged), paced by their answers; it reports how far it has
 * come in its heartbeats, and an attempt after a crash of its worker goes on from there. So a load
 * reaches every procedure it can move even if the API or the worker dies halfway, and the request
 * that loaded the year need not stay open for the minutes that ten thousand procedures take.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CalendarNotifyReport } from '../lib/calendar-store';

export interface CalendarRolloutInput {
  year: number;
  /** The loaded version (calendar_year.loaded_at, ISO): the procedures dedupe on it. */
  loadedAt: string;
  /** Procedures told at once (CALENDAR_NOTIFY_CONCURRENCY of the API that loaded the year). */
  concurrency: number;
  /** How long a procedure may take to answer before it gets the signal (UPDATE_TIMEOUT_MS). */
  answerTimeoutMs: number;
}

/**
 * A day at most, beating at least every two minutes (each procedure answers in answerTimeoutMs
 * or is signalled); retried as the kit's activities are, for about a day.
 */
const { tellCalendarChange } = proxyActivities<Pick<Activities, 'tellCalendarChange'>>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 1500 },
});

export async function calendarRolloutWorkflow(input: CalendarRolloutInput): Promise<CalendarNotifyReport> {
  return tellCalendarChange(input);
}
