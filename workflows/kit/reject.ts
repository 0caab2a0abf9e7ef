/** A workflow's typed refusal of a command: the code is one the API maps to an HTTP status. */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ErrorCode, ErrorMessage } from '../../domain/error-codes';

/** The failure carries the Chinese text as its message and `{ messageEn }` as its second detail. */
export function reject(code: ErrorCode, message: ErrorMessage, details?: Record<string, unknown>): never {
  const text = typeof message === 'string' ? { zh: message, en: message } : message;
  throw ApplicationFailure.create({
    type: code,
    message: text.zh,
    nonRetryable: true,
    details: [details ?? null, { messageEn: text.en }],
  });
}
