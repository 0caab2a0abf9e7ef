/**
 * Sending commands to running procedures: bounded waits on Updates and one mapping from
 * workflow rejections to API errors.
 */
import { Client, WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isErrorCode } from '../../domain/error-codes';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { unavailable } from './temporal';

/** Runs an Update with a deadline and maps the workflow's typed rejections to API errors. */
export async function executeBounded<T>(client: Client, timeoutMs: number, run: (client: Client) => Promise<T>): Promise<T> {
  try {
    return await client.withAbortSignal(AbortSignal.timeout(timeoutMs), () => run(client));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) throw new AppError(cause.type, cause.message);
      throw new AppError('CONFLICT', `The procedure rejected the request: ${cause?.message ?? err.message}`);
    }
    if (err instanceof WorkflowNotFoundError) throw new AppError('CONFLICT', 'The procedure has already ended');
    if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError' || /abort|deadline/i.test((err as Error).message)) {
      throw new AppError('WORKFLOW_TIMEOUT', `The procedure did not answer within ${timeoutMs} ms; retrying the same request is safe`);
    }
    throw unavailable(err);
  }
}

/** How long after a task row is written a TASK_NOT_OPEN answer may still mean "not taken in yet". */
const FRESH_TASK_MS = 60_000;

/**
 * Sends a decision on an inbox task. The inbox lists a task as soon as the `openTask` activity
 * has written its row, a moment before the workflow has taken the activity's result in; a
 * decision sent in that moment is rejected as TASK_NOT_OPEN and leaves no trace. So while the
 * row is fresh and still open, the same decision is sent again, within the update timeout.
 */
export async function completeTaskBounded<T>(
  deps: Pick<ApiDeps, 'db'>, client: Client, timeoutMs: number, taskId: string, run: (client: Client) => Promise<T>,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await executeBounded(client, Math.max(1, until - Date.now()), run);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'TASK_NOT_OPEN' || Date.now() >= until) throw err;
      const row = await deps.db.task.findUnique({ where: { id: taskId }, select: { status: true, pausedAt: true, createdAt: true } });
      const takingIn = row && (row.status === 'OPEN' || row.status === 'CLAIMED') && !row.pausedAt && Date.now() - row.createdAt.getTime() < FRESH_TASK_MS;
      if (!takingIn) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Waits (bounded) until a workflow has no workflow task or activity in flight, i.e. it has
 * carried a just-accepted decision as far as it goes and waits again; so the API can answer
 * with the application's state after the decision rather than before it.
 */
export async function waitUntilSettled(client: Client, workflowId: string, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const handle = client.workflow.getHandle(workflowId);
  while (Date.now() < until) {
    const d = await handle.describe().catch(() => undefined);
    if (!d || d.status.name !== 'RUNNING') return;
    if (!d.raw.pendingWorkflowTask && (d.raw.pendingActivities?.length ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
