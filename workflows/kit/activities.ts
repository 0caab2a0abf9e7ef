/**
 * The one activity proxy of every procedure, with one timeout and retry policy. It counts the
 * activities in flight, so an Update handler can tell when the procedure has carried a command
 * as far as it goes and waits again (see `settle`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

const proxied = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
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
