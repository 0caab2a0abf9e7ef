/**
 * Procedures reduced to the kit's carried writes (workflows/kit/activities.ts), for
 * test/workflows/carried-writes.test.ts. Each is registered the way workflows/index.ts registers
 * the real ones, so its queued writes are sent before it ends.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { acts, sendingWrites } from '../../../workflows/kit/activities';

type Status = Parameters<typeof acts.setApplicationStatus>[0];
const status = (applicationId: string): Status => ({
  applicationId,
  status: 'AUTHORITY_REVIEW',
  eventKey: `stage:${applicationId}`,
  message: applicationId,
});
const decision = (taskId: string): Parameters<typeof acts.recordTaskDecision>[0] => ({
  taskId,
  decision: 'AGREE',
  actorUserId: 'u',
});
const next = (label: string) => acts.nextWorkingDayStart({ afterMs: 0, workingDays: label.length });

/** Two writes and the call that carries them. */
export const carried = sendingWrites(async function carried(): Promise<number> {
  await acts.recordTaskDecision(decision('t1'));
  await acts.setApplicationStatus(status('a1'));
  return next('carrier');
});

/** A write nothing carries, then a long wait: the write goes before the wait. */
export const alone = sendingWrites(async function alone(): Promise<void> {
  await acts.setApplicationStatus(status('a2'));
  await sleep('1 day');
});

/** A write as the last thing the procedure does. */
export const last = sendingWrites(async function last(): Promise<void> {
  await next('first');
  await acts.setApplicationStatus(status('a3'));
});

/** A write that fails: the procedure fails with it at its next call. */
export const failing = sendingWrites(async function failing(): Promise<string> {
  await acts.setApplicationStatus(status('fail'));
  await sleep('1 minute');
  await next('after');
  return 'not reached';
});

/** A remote activity after a write: the write goes first, on its own. */
export const beforeRemote = sendingWrites(async function beforeRemote(): Promise<void> {
  await acts.setApplicationStatus(status('a4'));
  await acts.loadPolicy({ atMs: 0 });
});

/** A carrier whose scope is cancelled before it is asked: the write goes, the carrier does not. */
export const cancelledCarrier = sendingWrites(async function cancelledCarrier(): Promise<string> {
  await acts.setApplicationStatus(status('a5'));
  const scope = new CancellationScope();
  scope.cancel();
  try {
    await scope.run(() => next('cancelled'));
    return 'ran';
  } catch (err) {
    return isCancellation(err) ? 'cancelled' : 'failed';
  }
});

/** A carrier that fails on its own: its caller gets the failure, and later calls go on. */
export const carrierFails = sendingWrites(async function carrierFails(): Promise<string> {
  await acts.setApplicationStatus(status('a6'));
  const failed = await acts.nextWorkingDayStart({ afterMs: 0, workingDays: -1 }).then(
    () => false,
    () => true,
  );
  await next('again');
  return failed ? 'carrier failed, then went on' : 'carrier did not fail';
});
