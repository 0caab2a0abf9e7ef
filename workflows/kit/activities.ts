/**
 * The one activity proxy of every procedure, with one timeout and retry policy. It counts the
 * activities in flight, so an Update handler can tell when the procedure has carried a command
 * as far as it goes and waits again (see `settle`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

/**
 * Bounded retries: 1,500 tries with the backoff below span about a day, long enough to ride out
 * a Postgres or SMTP outage over a night or a weekend's maintenance window without losing a case,
 * and then the failure reaches the workflow (visible as a failed procedure) instead of being
 * retried forever. A missing row (NOT_FOUND, see activities/deps.ts) is never retried.
 */
const proxied = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 1500,
    nonRetryableErrorTypes: ['NOT_FOUND'],
  },
});

// Module state is per workflow execution: the SDK gives every workflow its own module cache.
let inFlight = 0;

export function activitiesInFlight(): number {
  return inFlight;
}

type Proxied = typeof proxied;

export const acts: Proxied = new Proxy(proxied, {
  get(target, name: string | symbol) {
    const run = target[name as keyof Proxied] as unknown as (...args: unknown[]) => Promise<unknown>;
    if (typeof name !== 'string' || typeof run !== 'function') return run;
    return (...args: unknown[]) => {
      inFlight += 1;
      return run(...args).finally(() => {
        inFlight -= 1;
      });
    };
  },
});
