/**
 * Security headers, caching and rate limits of the API boundary (wired in api/app.ts).
 *
 * The counters are kept in the memory of each API process (express-rate-limit's MemoryStore):
 * behind N replicas a client gets up to N times the limit. That bounds brute force and a runaway
 * client per process; it is not a quota.
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { AppConfig } from '../../lib/config';
import { AppError } from '../errors';

/**
 * The API answers JSON (and CSV or attachment downloads), never a page: nothing in an answer may
 * load, run or be framed.
 */
const API_CSP = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

/**
 * Swagger UI: its scripts and stylesheet come from /docs itself (no inline script is served:
 * swagger-ui-express puts the setup in swagger-ui-init.js), but its page has an inline <style>
 * and the UI sets style attributes, so styles need 'unsafe-inline'; icons are data: URIs; "Try it
 * out" calls the API on the same origin. No upgrade-insecure-requests: the development server is
 * plain http and the UI's own files would be asked for over https.
 */
const DOCS_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
};

/** helmet's headers (HSTS, nosniff, no framing, no referrer, …) with the API's CSP, on every answer. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    frameguard: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** Replaces the API's CSP under /docs with one that lets Swagger UI run. */
export function docsSecurityHeaders(): RequestHandler {
  return helmet.contentSecurityPolicy({ useDefaults: false, directives: DOCS_CSP });
}

/**
 * An answer to a request that carries credentials holds personal or case data, and a token
 * answer is a credential: no cache (browser, proxy) may keep either. Set before the handlers, so
 * error answers get it too.
 */
export function noStoreForCredentials(tokenPaths: readonly string[]): RequestHandler {
  const paths = new Set(tokenPaths);
  return (req, res, next) => {
    if (req.headers.authorization !== undefined || req.headers.cookie !== undefined || paths.has(req.path))
      res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

const WINDOW_MS = 60_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function clientIp(req: Request): string {
  // ipKeyGenerator groups an IPv6 address by its /56, so one host cannot rotate addresses past the limit.
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

const LIMITED_ZH: Record<string, string> = { 'token requests': '令牌申请', 'write requests': '写入请求' };

function limiter(limit: number, what: string, key: (req: Request) => string, skip: (req: Request) => boolean) {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    // draft-8 RateLimit/RateLimit-Policy headers and, once over the limit, Retry-After in seconds.
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: key,
    skip,
    // The answer goes through the one error handler, so it has the standard error body.
    handler: (req, _res, next) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfterSeconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
      next(
        new AppError(
          'RATE_LIMITED',
          {
            zh: `${LIMITED_ZH[what] ?? what}过于频繁：每分钟最多 ${limit} 次，请 ${retryAfterSeconds} 秒后重试`,
            en: `Too many ${what}: at most ${limit} a minute; retry in ${retryAfterSeconds} s`,
          },
          {
            limit,
            windowSeconds: WINDOW_MS / 1000,
            retryAfterSeconds,
          },
        ),
      );
    },
  });
}

const pass: RequestHandler = (_req, _res, next) => next();

/**
 * Token issuance (development tokens, the browser sign-in's redirect and callback), counted per
 * client IP (before sign-in there is nothing else to count by). 0 = off.
 */
export function tokenRateLimit(
  config: Pick<AppConfig, 'RATE_LIMIT_TOKENS_PER_MINUTE'>,
  tokenPaths: readonly string[],
): RequestHandler {
  const limit = config.RATE_LIMIT_TOKENS_PER_MINUTE;
  if (limit === 0) return pass;
  const paths = new Set(tokenPaths);
  return limiter(limit, 'token requests', clientIp, (req) => !paths.has(req.path));
}

/** Writes (POST/PUT/PATCH/DELETE), counted per signed-in user, otherwise per IP. Runs after authenticate. 0 = off. */
export function writeRateLimit(config: Pick<AppConfig, 'RATE_LIMIT_WRITES_PER_MINUTE'>): RequestHandler {
  const limit = config.RATE_LIMIT_WRITES_PER_MINUTE;
  if (limit === 0) return pass;
  return limiter(
    limit,
    'write requests',
    (req) => (req.principal ? `user:${req.principal.userId}` : `ip:${clientIp(req)}`),
    (req) => !WRITE_METHODS.has(req.method),
  );
}
