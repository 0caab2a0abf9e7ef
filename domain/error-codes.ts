/**
 * Stable error codes shared by the API, activities and workflows (ApplicationFailure types).
 * Clients rely on the code, never on the message; the HTTP status of each is fixed here.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  DEV_TOKENS_DISABLED: 403,
  NOT_FOUND: 404,
  UNKNOWN_LOGIN: 404,
  CONFLICT: 409,
  TASK_NOT_OPEN: 409,
  TASK_CLAIMED_BY_OTHER: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  RESOURCE_NOT_SHAREABLE: 422,
  RESOURCE_CLASS_MISMATCH: 422,
  PROCEDURE_NOT_ALLOWED: 422,
  DECISION_NOT_ALLOWED: 422,
  REASONS_REQUIRED: 422,
  INVALID_CALENDAR: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
  WORKFLOW_TIMEOUT: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}
