/**
 * Bare workflows the benchmarks compare the procedures with: what Temporal on this machine does
 * with no application code around it.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';

const { noop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '1 minute' });

export const poke = defineUpdate<number, [number]>('poke');
export const stop = defineUpdate<void>('stop');

/** Started, one activity, done: the bare counterpart of a procedure start that opens a task. */
export async function oneActivity(id: string): Promise<void> {
  await noop(id);
}

/** Waits for Updates; each runs one activity: the bare counterpart of a decision. */
export async function updatable(): Promise<void> {
  let stopped = false;
  setHandler(poke, async (n) => {
    await noop(String(n));
    return n;
  });
  setHandler(stop, () => {
    stopped = true;
  });
  await condition(() => stopped);
}

export const ping = defineSignal('ping');

/** Waits for one signal, then runs one activity: the bare counterpart of a calendar re-time. */
export async function signalled(id: string): Promise<void> {
  let pinged = false;
  setHandler(ping, () => {
    pinged = true;
  });
  await condition(() => pinged);
  await noop(id);
}
