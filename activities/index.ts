import { ApplicationFailure } from '@temporalio/activity';
import { applicationActivities } from './applications';
import { auditActivities } from './audit';
import { calendarActivities } from './calendar';
import { CARRIED_WRITE_FAILED, type CarriedCall } from '../workflows/kit/carried';
import { type ActivityDeps, NOT_FOUND_FAILURE, withFinalNotFound } from './deps';
import { grantActivities } from './grants';
import { inboxActivities } from './inbox';
import { incidentActivities } from './security-incident';
import { notificationActivities } from './notifications';
import { tenderActivities } from './tender';
import { objectionActivities } from './objection';
import { openDataActivities } from './conditional-open';
import { evaluationActivities } from './evaluation';
import { catalogActivities } from './catalog';

/**
 * All activities, built from their dependencies. Workflows type their proxies from this. A "not
 * found" from any of them is final (non-retryable), see `withFinalNotFound`.
 */
export function createActivities(deps: ActivityDeps) {
  const activities = withFinalNotFound({
    ...auditActivities(deps),
    ...notificationActivities(deps),
    ...grantActivities(deps),
    ...inboxActivities(deps),
    ...applicationActivities(deps),
    ...tenderActivities(deps),
    ...objectionActivities(deps),
    ...incidentActivities(deps),
    ...openDataActivities(deps),
    ...evaluationActivities(deps),
    ...catalogActivities(deps),
    ...calendarActivities(deps),
  });
  return { ...activities, applyWrites: carriedWrites(activities) };
}

/**
 * The writes a procedure asked for and the call that carries them, in that order, as one local
 * activity. Each is idempotent, so a retry of the whole batch runs the ones done again harmlessly.
 */
export function carriedWrites(activities: Record<string, (...args: never[]) => Promise<unknown>>) {
  const run = (c: CarriedCall) => {
    const activity = Object.hasOwn(activities, c.name) ? activities[c.name] : undefined;
    if (!activity) throw ApplicationFailure.nonRetryable(`No activity ${c.name} to carry`, 'UNKNOWN_ACTIVITY');
    return activity(...(c.args as never[]));
  };
  return async (input: { writes: CarriedCall[]; then?: CarriedCall }): Promise<unknown> => {
    for (const write of input.writes) {
      try {
        await run(write);
      } catch (err) {
        // Marked, so the workflow tells a lost write (its procedure fails) from the carrier's own failure.
        const final = err instanceof ApplicationFailure && (err.nonRetryable || err.type === NOT_FOUND_FAILURE);
        throw ApplicationFailure.create({
          type: CARRIED_WRITE_FAILED,
          message: `${write.name}: ${(err as Error).message}`,
          nonRetryable: final,
          cause: err as Error,
        });
      }
    }
    return input.then ? run(input.then) : undefined;
  };
}

export type Activities = ReturnType<typeof createActivities>;
