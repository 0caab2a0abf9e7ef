import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { ERROR_STATUS, ErrorCode, ErrorMessage, errorText } from '../domain/error-codes';
import type { Db } from '../lib/db';
import { auditDenied } from './kit/audit';

export interface FieldProblem {
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  /** The English text beside the Chinese `message`. */
  readonly messageEn: string;

  constructor(
    readonly code: ErrorCode,
    message: ErrorMessage,
    readonly details?: FieldProblem[] | Record<string, unknown>,
  ) {
    const text = errorText(message);
    super(text.zh);
    this.messageEn = text.en;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

export function validationError(where: 'body' | 'query' | 'params', error: z.ZodError): AppError {
  const problems = error.issues.map((i) => ({ path: fieldPath(i.path) || where, message: i.message, code: i.code }));
  const first = problems[0];
  return new AppError('VALIDATION_FAILED', `Invalid ${where}: ${first.path}: ${first.message}`, problems);
}

/** Parses request input with a zod schema or throws a 400 naming the first bad field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** Prisma codes of an unreachable or timed-out database (P1001 reach, P1008 timeout, P1017 closed, P2024 pool). */
const DATABASE_DOWN_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Postgres SQLSTATEs: 57014 statement cancelled (statement_timeout), 57P01–57P03 shutdown, 08xxx connection. */
const DATABASE_DOWN_SQLSTATE = /^(57014|57P0[123]|08\w{3})$/;

/** Whether an error means the database is slow or gone, as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { code?: unknown; kind?: unknown } } };
  };
  if (typeof e.code === 'string' && DATABASE_DOWN_CODES.has(e.code)) return true;
  const cause = e.meta?.driverAdapterError?.cause;
  if (cause && typeof cause.code === 'string' && DATABASE_DOWN_SQLSTATE.test(cause.code)) return true;
  if (cause?.kind === 'DatabaseNotReachable' || cause?.kind === 'SocketTimeout') return true;
  // node-postgres's own words when its pool gives up (DB_CONNECT_TIMEOUT_MS) or a connection drops.
  return /^(Connection terminated due to connection timeout|timeout exceeded when trying to connect|Connection terminated unexpectedly)/.test(
    e.message,
  );
}

/**
 * The one place every refused request passes: with a database, a 401 or 403 is recorded in the
 * audit trail (actor if known, method, path, status, code) before it is answered. A record that
 * cannot be written is logged at error level and the refusal is answered all the same.
 */
export function errorHandler(db?: Db): ErrorRequestHandler {
  return async (err: unknown, req, res, _next) => {
    let appError: AppError;
    if (err instanceof AppError) {
      appError = err;
    } else if (err instanceof Error && (err as BodyParserError).type === 'entity.parse.failed') {
      appError = new AppError('INVALID_JSON', 'Request body is not valid JSON');
    } else if (err instanceof Error && (err as BodyParserError).type === 'entity.too.large') {
      appError = new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    } else if (err instanceof Error && (err as BodyParserError).type === 'charset.unsupported') {
      appError = new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset');
    } else if (err instanceof Error && (err as BodyParserError).type === 'encoding.unsupported') {
      appError = new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding');
    } else if (isDatabaseUnavailable(err)) {
      // statement_timeout (DB_STATEMENT_TIMEOUT_MS) or no connection: a retryable 503, not a defect.
      appError = new AppError('DATABASE_UNAVAILABLE', 'The database did not answer in time; retry the same request');
    } else if (err instanceof URIError) {
      // The router decodes path parameters itself and throws this on a malformed percent-escape;
      // api/kit/text-hygiene's pathHygiene refuses such paths first, this is the fallback.
      appError = new AppError('INVALID_PATH', 'The path has a malformed percent-encoding');
    } else {
      req.log?.error({ err }, 'unhandled error');
      appError = new AppError('INTERNAL', 'Internal error; the request id identifies it in the logs');
    }
    if (appError.status >= 500 && appError.code !== 'INTERNAL')
      req.log?.warn({ code: appError.code }, appError.messageEn);
    if (db && (appError.status === 401 || appError.status === 403)) {
      await auditDenied(db, req, appError.status, appError.code).catch((auditErr: unknown) =>
        req.log?.error({ err: auditErr }, 'could not record the refused request in the audit trail'),
      );
    }
    res.status(appError.status).json({
      error: {
        code: appError.code,
        message: appError.message,
        messageEn: appError.messageEn,
        details: appError.details,
        requestId: req.id,
      },
    });
  };
}
