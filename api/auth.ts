/**
 * Who is calling. A request carries one credential:
 * - `Authorization: Bearer <token>`: the API's own token (HS256, issuer `gov-data-approval`: a
 *   development token or a browser session's), or an access token of the city's identity provider
 *   (a JWT whose `iss` is OIDC_ISSUER, checked against the provider's JWKS in api/oidc.ts);
 * - or the browser session cookie set by the OpenID Connect sign-in (api/routes/auth.ts), which
 *   holds the API's own token.
 * Every token needs `sub`, `jti`, `iat` and `exp` and may live at most AUTH_MAX_TOKEN_LIFETIME;
 * a signed-out token (its `jti` in the revoked_token table) is refused until it expires. Roles and
 * department are read from the database on each request, so a revoked role takes effect at once.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decodeJwt, errors as joseErrors, jwtVerify, JWTPayload, SignJWT } from 'jose';
import type { ErrorText } from '../domain/error-codes';
import { durationSeconds } from '../lib/config';
import type { Db } from '../lib/db';
import type { Role } from '../generated/prisma/client';
import { AppError } from './errors';
import type { OidcService } from './oidc';

export interface Principal {
  userId: string;
  login: string;
  displayName: string;
  email: string;
  accountType: 'STAFF' | 'PUBLIC';
  roles: Role[];
  departmentId: string | null;
  departmentKind: string | null;
  publicApplicantId: string | null;
}

/** The token a request was accepted with: what sign-out revokes. */
export interface Credential {
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
  source: 'app' | 'oidc';
  via: 'header' | 'cookie';
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    credential?: Credential;
  }
}

const ISSUER = 'gov-data-approval';
/** The browser session cookie (api/routes/auth.ts sets it). */
export const SESSION_COOKIE = 'gd_session';
/** Writes authenticated by the cookie must carry this header, which no cross-site form can send. */
export const CSRF_HEADER = 'x-requested-with';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Clock difference tolerated between the identity provider and this server. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * A token refused for a reason that may be told to the caller (never the token itself): `zh` for
 * the people who use the system, the English (often jose's own words) as the error's message.
 */
export class TokenRejected extends Error {
  constructor(
    readonly zh: string,
    en: string,
  ) {
    super(en);
  }

  get text(): ErrorText {
    return { zh: this.zh, en: this.message };
  }
}

/** Chinese for the claims jose checks. */
const CLAIM_ZH: Record<string, string> = {
  iss: '签发者（iss）',
  aud: '受众（aud）',
  sub: '主体（sub）',
  exp: '过期时间（exp）',
  iat: '签发时间（iat）',
  nbf: '生效时间（nbf）',
  jti: '令牌编号（jti）',
};

/** jose's reason in Chinese, by its error code (and, for a claim, the claim and why). */
function joseReasonZh(err: InstanceType<typeof joseErrors.JOSEError>): string {
  if (err instanceof joseErrors.JWTExpired) return '令牌已过期';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = CLAIM_ZH[err.claim] ?? `声明 ${err.claim}`;
    if (err.reason === 'missing') return `令牌缺少${claim}`;
    if (err.claim === 'nbf') return '令牌尚未生效';
    return `令牌的${claim}未通过校验`;
  }
  switch (err.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return '令牌签名校验失败';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return '令牌的签名算法不被接受';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return '找不到与令牌对应的签名密钥';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return '令牌格式无效';
    default:
      return '令牌未通过校验';
  }
}

/**
 * The lifetime rules every accepted token follows, on top of jose's checks of `exp` (not past)
 * and `iat`: it may live at most `maxSeconds` from issue, and cannot be issued in the future.
 */
export function checkLifetime(payload: JWTPayload, maxSeconds: number, nowSeconds = Date.now() / 1000): void {
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number')
    throw new TokenRejected('令牌须带有 exp 和 iat', 'token must carry exp and iat');
  if (exp - iat > maxSeconds)
    throw new TokenRejected(
      `令牌有效期 ${exp - iat} 秒，超过 AUTH_MAX_TOKEN_LIFETIME（${maxSeconds} 秒）`,
      `token lives ${exp - iat} s, longer than AUTH_MAX_TOKEN_LIFETIME (${maxSeconds} s)`,
    );
  if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS)
    throw new TokenRejected('令牌的签发时间在未来', 'token is issued in the future');
}

/** jose's reason for a refusal (expired, bad signature, wrong audience, …); anything else is not a refusal. */
export function rejection(err: unknown): TokenRejected | null {
  if (err instanceof TokenRejected) return err;
  if (err instanceof joseErrors.JOSEError) return new TokenRejected(joseReasonZh(err), err.message);
  return null;
}

/** The API's own tokens: development tokens and browser sessions. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttl: string,
    private readonly maxLifetimeSeconds = durationSeconds(ttl),
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  issue(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(this.ttl)
      .sign(this.key);
  }

  async verify(token: string): Promise<{ userId: string; jti: string; exp: number }> {
    const { payload } = await jwtVerify(token, this.key, {
      issuer: ISSUER,
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    });
    checkLifetime(payload, this.maxLifetimeSeconds);
    return { userId: payload.sub!, jti: payload.jti!, exp: payload.exp! };
  }

  /** A short-lived signed value for the browser (the sign-in state cookie); `purpose` keeps it apart from tokens. */
  seal(purpose: string, claims: Record<string, string>, ttl: string): Promise<string> {
    return new SignJWT({ ...claims, purpose })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(purpose)
      .setIssuedAt()
      .setExpirationTime(ttl)
      .sign(this.key);
  }

  /** The claims of a value sealed for `purpose`, or null when it is forged, expired or for another purpose. */
  async unseal(purpose: string, sealed: string): Promise<Record<string, unknown> | null> {
    try {
      const { payload } = await jwtVerify(sealed, this.key, {
        issuer: ISSUER,
        audience: purpose,
        algorithms: ['HS256'],
      });
      return payload.purpose === purpose ? payload : null;
    } catch {
      return null;
    }
  }
}

export async function loadPrincipal(db: Db, userId: string): Promise<Principal | null> {
  const user = await db.user.findUnique({ where: { id: userId }, include: { department: true } });
  if (!user || !user.active) return null;
  return {
    userId: user.id,
    login: user.login,
    displayName: user.displayName,
    email: user.email,
    accountType: user.accountType,
    roles: user.roles,
    departmentId: user.departmentId,
    departmentKind: user.department?.kind ?? null,
    publicApplicantId: user.publicApplicantId,
  };
}

/** One cookie of the request's Cookie header (no parser dependency for one cookie). */
export function requestCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

interface AuthDeps {
  db: Db;
  tokens: TokenService;
  oidc: OidcService | null;
}

function invalid(reason: ErrorText): AppError {
  return new AppError('INVALID_TOKEN', {
    zh: `访问令牌无效或已过期：${reason.zh}`,
    en: `Bearer token is invalid or expired: ${reason.en}`,
  });
}

/**
 * Attaches req.principal and req.credential when a valid credential is present; refuses a bad
 * one. Nothing is written for a refused request: the user row of an identity provider's token is
 * created or updated only after the token passed every check.
 */
export function authenticate({ db, tokens, oidc }: AuthDeps): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const header = req.headers.authorization;
      let token: string | undefined;
      let via: Credential['via'] = 'header';
      if (header !== undefined) {
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        if (!match)
          throw new AppError('INVALID_TOKEN', {
            zh: 'Authorization 请求头的格式应为 "Bearer <token>"',
            en: 'Authorization header must be "Bearer <token>"',
          });
        token = match[1];
      } else {
        token = requestCookie(req, SESSION_COOKIE);
        via = 'cookie';
      }
      if (!token) return next();
      if (via === 'cookie' && !SAFE_METHODS.has(req.method) && !req.headers[CSRF_HEADER]) {
        throw new AppError('CSRF_HEADER_REQUIRED', {
          zh: `以会话 Cookie 登录发出的 ${req.method} 请求须携带 "X-Requested-With" 请求头`,
          en: `A ${req.method} signed in by the session cookie must send the header "X-Requested-With"`,
        });
      }

      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw invalid({ zh: '不是 JWT', en: 'not a JWT' });
      }
      const fromProvider = via === 'header' && oidc !== null && issuer === oidc.issuer;
      if (!fromProvider && issuer !== ISSUER)
        throw invalid({
          zh: '签发者（iss）不是本接口接受的签发者',
          en: 'the issuer (iss) is not one this API accepts',
        });
      let verified: { jti: string; exp: number; userId?: string; claims?: JWTPayload };
      try {
        verified = fromProvider ? await oidc.verifyAccessToken(token) : await tokens.verify(token);
      } catch (err) {
        const refused = rejection(err);
        if (refused) throw invalid(refused.text);
        throw err;
      }
      const revoked = await db.revokedToken.findUnique({ where: { jti: verified.jti } });
      if (revoked) throw invalid({ zh: '令牌已注销', en: 'token has been signed out' });

      const principal = verified.claims
        ? await oidc!.principalFor(verified.claims)
        : await loadPrincipal(db, verified.userId!);
      if (!principal)
        throw new AppError('INVALID_TOKEN', {
          zh: '访问令牌对应的用户不存在或已停用',
          en: 'Bearer token names an unknown or inactive user',
        });
      req.principal = principal;
      req.credential = { jti: verified.jti, exp: verified.exp, source: fromProvider ? 'oidc' : 'app', via };
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function requirePrincipal(req: Request): Principal {
  if (!req.principal)
    throw new AppError('UNAUTHENTICATED', {
      zh: '请先登录：请发送 "Authorization: Bearer <token>" 请求头',
      en: 'Sign in first: send "Authorization: Bearer <token>"',
    });
  return req.principal;
}

export function requireRole(req: Request, ...roles: Role[]): Principal {
  const p = requirePrincipal(req);
  if (!roles.some((r) => p.roles.includes(r))) {
    throw new AppError('FORBIDDEN', {
      zh: `此操作需要以下角色之一：${roles.join(', ')}`,
      en: `This action needs one of the roles: ${roles.join(', ')}`,
    });
  }
  return p;
}
