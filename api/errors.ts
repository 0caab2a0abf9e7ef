import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { ERROR_STATUS, ErrorCode } from '../domain/error-codes';

export interface FieldProblem {
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[] | Record<string, unknown>,
  ) {
    super(message);
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

export function errorHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
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
    } else if (err instanceof URIError) {
      // The router decodes path parameters itself and throws this on a malformed percent-escape;
      // api/kit/text-hygiene's pathHygiene refuses such paths first, this is the fallback.
      appError = new AppError('INVALID_PATH', 'The path has a malformed percent-encoding');
    } else {
      req.log?.error({ err }, 'unhandled error');
      appError = new AppError('INTERNAL', 'Internal error; the request id identifies it in the logs');
    }
    if (appError.status >= 500 && appError.code !== 'INTERNAL')
      req.log?.warn({ code: appError.code }, appError.message);
    res.status(appError.status).json({
      error: { code: appError.code, message: appError.message, details: appError.details, requestId: req.id },
    });
  };
}
