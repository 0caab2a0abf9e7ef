/**
 * Sending commands to running procedures: bounded waits on Updates and one mapping from
 * workflow rejections to API errors.
 */
import { Client, WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isErrorCode } from '../../domain/error-codes';
import { AppError } from '../errors';
import { isCallTimeout } from '../../lib/temporal';
import { unavailable } from './temporal';

/** Runs an Update with a deadline and maps the workflow's typed rejections to API errors. */
export async function executeBounded<T>(
  client: Client,
  timeoutMs: number,
  run: (client: Client) => Promise<T>,
): Promise<T> {
  try {
    return await client.withAbortSignal(AbortSignal.timeout(timeoutMs), () => run(client));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
        const details = cause.details?.[0];
        const en = (cause.details?.[1] as { messageEn?: unknown } | undefined)?.messageEn;
        throw new AppError(
          cause.type,
          { zh: cause.message, en: typeof en === 'string' ? en : cause.message },
          details && typeof details === 'object' ? (details as Record<string, unknown>) : undefined,
        );
      }
      // Not a typed rejection: a defect, answered as 500 and logged with its cause.
      throw new Error(`The procedure failed the request: ${cause?.message ?? err.message}`, { cause: err });
    }
    if (err instanceof WorkflowNotFoundError)
      throw new AppError('CONFLICT', { zh: '该办理程序已经结束', en: 'The procedure has already ended' });
    if (isCallTimeout(err)) {
      throw new AppError('WORKFLOW_TIMEOUT', {
        zh: `办理程序未在 ${timeoutMs} 毫秒内响应；重试同一请求是安全的`,
        en: `The procedure did not answer within ${timeoutMs} ms; retrying the same request is safe`,
      });
    }
    throw unavailable(err);
  }
}
