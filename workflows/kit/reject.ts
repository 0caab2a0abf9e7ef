/** A workflow's typed refusal of a command: the code is one the API maps to an HTTP status. */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ErrorCode } from '../../domain/error-codes';

export function reject(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({
    type: code,
    message,
    nonRetryable: true,
    details: details ? [details] : undefined,
  });
}
