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
 * The activity beats after each procedure, and one procedure takes at most answerTimeoutMs (then
 * it is signalled): a worker that died mid-rollout is noticed after three of those (at least 30 s),
 * and the next attempt goes on from the last beat. A day at most; retried as the kit's activities
 * are, for about a day.
 */
export function heartbeatTimeoutMs(input: Pick<CalendarRolloutInput, 'answerTimeoutMs'>): number {
  return Math.max(30_000, 3 * input.answerTimeoutMs);
}

export async function calendarRolloutWorkflow(input: CalendarRolloutInput): Promise<CalendarNotifyReport> {
  const { tellCalendarChange } = proxyActivities<Pick<Activities, 'tellCalendarChange'>>({
    startToCloseTimeout: '1 day',
    heartbeatTimeout: heartbeatTimeoutMs(input),
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 1500 },
  });
  return tellCalendarChange(input);
}
