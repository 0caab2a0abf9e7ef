/**
 * The one activity proxy of every procedure, with one timeout and retry policy. It counts the
 * activities in flight, so an Update handler can tell when the procedure has carried a command
 * as far as it goes and waits again (see `settle`).
 *
 * The short activities every step makes (open or decide a task, record a stage, queue a mail in
 * the outbox, grants) run as local activities: inside the workflow task that asked for them, one
 * marker event each instead of three activity events plus a workflow task, and without a round
 * trip through the task queue per activity — a decision is answered after one workflow task
 * instead of one per activity. They only touch Postgres (mail goes through the outbox), so they
 * finish in milliseconds; an Update that arrives meanwhile waits for that workflow task. Cases
 * started before keep their activities (`patched(LOCAL_ACTIVITIES_PATCH)`): the recorded history
 * decides during replay, new commands go local.
 */
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { WORKFLOW_NOW_FIELD } from '../workflow-clock';

export const LOCAL_ACTIVITIES_PATCH = 'kit-local-activities';

/**
 * Bounded retries: 1,500 tries with the backoff below span about a day, long enough to ride out
 * a Postgres or SMTP outage over a night or a weekend's maintenance window without losing a case,
 * and then the failure reaches the workflow (visible as a failed procedure) instead of being
 * retried forever. A missing row (NOT_FOUND, see activities/deps.ts) is never retried.
 */
const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 1500,
  nonRetryableErrorTypes: ['NOT_FOUND'],
};

const proxied = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });

/**
 * A local activity's retries wait inside the workflow task up to `localRetryThreshold`, longer
 * backoffs as a timer, so a Postgres outage costs a few events per minute, not a held task.
 */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry,
});

/**
 * Database-only activities of the shared steps: what runs local once the patch is in. The policy
 * (every procedure's first activity) stays an activity, so the first workflow task ends before
 * anything is written and the procedure has its Update handlers from the second one on. This is
 * load-bearing: the SDK rejects an Update ("No registered handler") whose handler is not set by the
 * end of the activation that delivers it, and a decision held while the worker was down arrives with
 * the first activation of the retried workflow task; with the policy local, the handlers would only
 * be set in a later activation of that task (test/integration/fault-injection.test.ts, step 5).
 * Where the API sends the policy with the input (the share, non-government access and open-data
 * procedures), there is no policy activity: the handlers are set in the first activation.
 */
const LOCAL_ACTIVITIES: ReadonlySet<string> = new Set<keyof Activities>([
  'setApplicationStatus',
  'openTask',
  'recordTaskDecision',
  'pauseTask',
  'resumeTask',
  'recomputeTaskDeadline',
  'sendTaskWarning',
  'sendTaskOverdue',
  'nextWorkingDayStart',
  'cancelOpenTasks',
  'notifyParties',
  'createShareGrants',
  'confirmAgreement',
  'activateGrants',
  'expiryReminderAt',
  'endGrants',
]);

// Module state is per workflow execution: the SDK gives every workflow its own module cache.
let inFlight = 0;

export function activitiesInFlight(): number {
  return inFlight;
}

type Proxied = typeof proxied;
type Run = (...args: unknown[]) => Promise<unknown>;

export const acts: Proxied = new Proxy(proxied, {
  get(target, name: string | symbol) {
    const remote = target[name as keyof Proxied] as unknown as Run;
    if (typeof name !== 'string' || typeof remote !== 'function') return remote;
    return (...args: unknown[]) => {
      inFlight += 1;
      const done = () => {
        inFlight -= 1;
      };
      if (!LOCAL_ACTIVITIES.has(name) || !patched(LOCAL_ACTIVITIES_PATCH)) return remote(...args).finally(done);
      const [input, ...rest] = args;
      // The workflow's clock goes along: a local activity's own attempt times are the worker's.
      const clocked = input && typeof input === 'object' ? { ...input, [WORKFLOW_NOW_FIELD]: Date.now() } : input;
      return (local[name as keyof Proxied] as unknown as Run)(clocked, ...rest).finally(done);
    };
  },
});
