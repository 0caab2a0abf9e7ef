/**
 * Request bodies are JSON. A body sent with another Content-Type (curl's `-d` sends
 * application/x-www-form-urlencoded unless told otherwise, a client may send text/plain) is
 * not parsed, so without this check it reached the handlers as no body at all and was refused
 * for its first missing field, naming a problem the client did not have. It is refused here with
 * 415 UNSUPPORTED_MEDIA_TYPE naming the type sent, before anything reads or stores it. Routes
 * that take a raw body of their own (the objection's evidence upload) are listed by the caller.
 */
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A body with bytes in it: an empty one (Content-Length: 0, as fetch sends for `body: ''`) is no body. */
function hasContent(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0;
}

export function jsonBodies(rawBodyPaths: readonly RegExp[]): RequestHandler {
  return (req, _res, next) => {
    if (!WITH_BODY.has(req.method) || !hasContent(req) || req.is('application/json')) return next();
    if (rawBodyPaths.some((p) => p.test(req.path))) return next();
    const sent = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    next(
      new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        {
          zh: `请求体须为 JSON，并带有请求头 "Content-Type: application/json"；收到的是 ${sent || '未标明类型的请求体'}`,
          en: `The request body must be JSON, sent with "Content-Type: application/json"; got ${sent || 'a body without a Content-Type'}`,
        },
        { contentType: sent || null },
      ),
    );
  };
}
