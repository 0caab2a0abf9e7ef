/**
 * Stable error codes shared by the API, activities and workflows (ApplicationFailure types).
 * Clients rely on the code, never on the message; the HTTP status of each is fixed here.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_TEXT: 400,
  INVALID_PATH: 400,
  LEGAL_BASIS_REQUIRED: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  SIGN_IN_FAILED: 401,
  FORBIDDEN: 403,
  DEV_TOKENS_DISABLED: 403,
  SIGN_IN_REFUSED: 403,
  CSRF_HEADER_REQUIRED: 403,
  NOT_FOUND: 404,
  UNKNOWN_LOGIN: 404,
  OIDC_NOT_CONFIGURED: 404,
  CONFLICT: 409,
  TASK_NOT_OPEN: 409,
  TASK_CLAIMED_BY_OTHER: 409,
  TASK_ALREADY_DECIDED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  UNKNOWN_RESOURCE: 422,
  RESOURCE_NOT_SHAREABLE: 422,
  RESOURCE_CLASS_MISMATCH: 422,
  PROCEDURE_NOT_ALLOWED: 422,
  DECISION_NOT_ALLOWED: 422,
  REASONS_REQUIRED: 422,
  INVALID_CALENDAR: 422,
  RESOURCE_NOT_OPEN: 422,
  COMMERCIAL_USE_REQUIRES_TENDER: 422,
  RESEARCH_USE_NOT_ELIGIBLE: 422,
  OBJECTION_CLOSED: 409,
  INCIDENT_CLOSED: 409,
  UNKNOWN_GRANT: 422,
  BID_DEADLINE_PASSED: 409,
  BIDS_SEALED: 403,
  BIDDER_NOT_ELIGIBLE: 403,
  BID_WINDOW_TOO_SHORT: 422,
  BID_DEADLINE_TOO_EARLY: 422,
  COMMITTEE_INVALID: 422,
  DRILLS_DISABLED: 422,
  PUBLICITY_CLOSED: 409,
  CATALOG_DRAFT_OPEN: 409,
  CATALOG_NOT_PUBLISHED: 422,
  CATALOG_ENTRY_RETIRED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  IDENTITY_PROVIDER_UNAVAILABLE: 503,
  START_PENDING: 503,
  WORKFLOW_TIMEOUT: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}

/**
 * An error text for people: Chinese for the users of the system (`zh`, answered as `message`),
 * English beside it for operators and integrators (`en`, answered as `messageEn`). Clients still
 * rely on the code only.
 */
export interface ErrorText {
  zh: string;
  en: string;
}

/** A plain string is a text not yet translated: it is answered in both fields as it is. */
export type ErrorMessage = string | ErrorText;

export function errorText(message: ErrorMessage): ErrorText {
  return typeof message === 'string' ? { zh: message, en: message } : message;
}

/** Several problems in one text: the Chinese joined with '；', the English with '; '. */
export function joinTexts(texts: ReadonlyArray<ErrorText>): ErrorText {
  return { zh: texts.map((t) => t.zh).join('；'), en: texts.map((t) => t.en).join('; ') };
}
