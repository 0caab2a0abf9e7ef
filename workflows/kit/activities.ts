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
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { WORKFLOW_NOW_FIELD } from '../workflow-clock';
import { CARRIED_WRITE_FAILED, type CarriedCall } from './carried';
import { afterOneDrain } from './drain';

export const LOCAL_ACTIVITIES_PATCH = 'kit-local-activities';

/**
 * Writes nobody reads the answer of (a decision recorded, a stage recorded) wait and go along
 * with the procedure's next local activity, as one `applyWrites` local activity that runs them in
 * order and then the call that carries them: a decision that records itself, enters the next
 * stage and opens the next task is one local activity and two workflow activations instead of
 * three and four. Cases started before keep one activity per write.
 */
export const CARRIED_WRITES_PATCH = 'kit-carried-writes';

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

/** The writes that wait for a carrier: they return nothing the procedure uses. */
const CARRIED_WRITES: ReadonlySet<string> = new Set<keyof Activities>(['recordTaskDecision', 'setApplicationStatus']);

// Module state is per workflow execution: the SDK gives every workflow its own module cache.
let inFlight = 0;
/** Writes asked for and not yet sent, in the order they were asked. */
let queued: CarriedCall[] = [];
/** The batch in flight that carries writes: every later call waits for it, to keep their order. */
let writing: Promise<unknown> | undefined;
/** A batch of writes that failed: the procedure fails with it at its next call or at its end. */
let failedWrites: { error: unknown } | undefined;
let flushWaiting = false;

export function activitiesInFlight(): number {
  return inFlight;
}

type Proxied = typeof proxied;
type Run = (...args: unknown[]) => Promise<unknown>;

/**
 * Sends the queued writes, with `then` after them if given. The batch itself is never cancelled:
 * a withdrawal must not lose a decision already answered; the caller's wait for `then` still is.
 */
function sendQueued(then?: CarriedCall): Promise<unknown> {
  const writes = queued;
  queued = [];
  // The carrier's own part counts until the batch is done, even once its caller stopped waiting.
  const carried = writes.length + (then ? 1 : 0);
  if (then) inFlight += 1;
  const batch = CancellationScope.nonCancellable(() => local.applyWrites({ writes, then }));
  const settled = batch.then(
    () => undefined,
    (error: unknown) => {
      if (!then || lostWrite(error)) failedWrites ??= { error };
    },
  );
  writing = settled;
  void settled.finally(() => {
    inFlight -= carried;
    if (writing === settled) writing = undefined;
  });
  if (!then) return settled;
  return Promise.race([batch, CancellationScope.current().cancelRequested]);
}

/** The batch failed in one of its writes, not in its carrier (whose caller gets its failure). */
function lostWrite(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  return cause instanceof ApplicationFailure && cause.type === CARRIED_WRITE_FAILED;
}

/**
 * Queued writes that no call carries go on their own once the procedure has run as far as it can
 * (two drains: the coroutines the same pass woke have had their turn to ask for something).
 */
function flushSoon(): void {
  if (flushWaiting) return;
  flushWaiting = true;
  void CancellationScope.nonCancellable(async () => {
    await condition(afterOneDrain(() => true));
    await condition(afterOneDrain(() => true));
    while (writing) await writing;
    flushWaiting = false;
    if (queued.length > 0) await sendQueued();
  });
}

/** The end of a procedure: every queued write is sent, and a failed one fails the procedure. */
export async function writesDone(): Promise<void> {
  for (;;) {
    if (writing) await writing;
    else if (queued.length > 0) await sendQueued();
    else break;
  }
  if (failedWrites) throw failedWrites.error;
}

/** A procedure whose queued writes are all sent before it ends (what the worker registers). */
export function sendingWrites<A extends unknown[], R>(
  workflow: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const wrapped = async (...args: A): Promise<R> => {
    try {
      return await workflow(...args);
    } finally {
      await writesDone();
    }
  };
  Object.defineProperty(wrapped, 'name', { value: workflow.name });
  return wrapped;
}

async function call(name: string, args: unknown[]): Promise<unknown> {
  while (writing) await writing;
  if (failedWrites) throw failedWrites.error;
  const remote = proxied[name as keyof Proxied] as unknown as Run;
  if (!LOCAL_ACTIVITIES.has(name) || !patched(LOCAL_ACTIVITIES_PATCH)) {
    if (queued.length > 0) await writesDone();
    return remote(...args);
  }
  const [input, ...rest] = args;
  // The workflow's clock goes along: a local activity's own attempt times are the worker's.
  const clocked = input && typeof input === 'object' ? { ...input, [WORKFLOW_NOW_FIELD]: Date.now() } : input;
  if (CARRIED_WRITES.has(name) && patched(CARRIED_WRITES_PATCH)) {
    queued.push({ name, args: [clocked, ...rest] });
    inFlight += 1;
    flushSoon();
    return undefined;
  }
  if (queued.length > 0) {
    // A cancelled caller's call never starts; the writes before it still go.
    if (!CancellationScope.current().consideredCancelled) return sendQueued({ name, args: [clocked, ...rest] });
    void sendQueued();
  }
  return (local[name as keyof Proxied] as unknown as Run)(clocked, ...rest);
}

export const acts: Proxied = new Proxy(proxied, {
  get(target, name: string | symbol) {
    const remote = target[name as keyof Proxied] as unknown as Run;
    if (typeof name !== 'string' || typeof remote !== 'function') return remote;
    return (...args: unknown[]) => {
      inFlight += 1;
      return call(name, args).finally(() => {
        inFlight -= 1;
      });
    };
  },
});
