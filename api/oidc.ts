/**
 * Sign-in through the city's unified identity provider by OpenID Connect.
 *
 * - API clients send the provider's access token (a JWT for OIDC_AUDIENCE) as a bearer token; it is
 *   checked against the provider's JWKS (jose), with `iss`, `aud`, `exp`, `iat`, `jti` and `sub`
 *   required, an allowed algorithm (OIDC_ALGORITHMS) and at most AUTH_MAX_TOKEN_LIFETIME from issue.
 * - Browsers sign in with the authorization code flow with PKCE (openid-client), see
 *   api/routes/auth.ts; the ID token is checked by openid-client (signature, iss, aud, exp, nonce).
 *
 * Either way the token's claims map onto the user table (`principalFor`, README "Sign-in"):
 * `sub` identifies the user, OIDC_LOGIN_CLAIM gives the login, OIDC_DEPARTMENT_CLAIM the
 * department code, OIDC_ROLES_CLAIM the roles, `name` and `email` the display name and mail address.
 * The row is created on first sign-in and updated when a claim changed, so a repeated request
 * writes nothing.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, JWTPayload } from 'jose';
import { BaseClient, errors as oidcErrors, generators, Issuer } from 'openid-client';
import type { IncomingMessage } from 'node:http';
import type { ErrorText } from '../domain/error-codes';
import { Prisma, Role } from '../generated/prisma/client';
import type { AppConfig } from '../lib/config';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { checkLifetime, CLOCK_TOLERANCE_SECONDS, loadPrincipal, Principal, TokenRejected } from './auth';
import { AppError } from './errors';

/** Roles the identity provider may grant. PUBLIC_APPLICANT is not one: public accounts register themselves. */
const MAPPABLE_ROLES = new Set<string>(Object.values(Role).filter((r) => r !== Role.PUBLIC_APPLICANT));

export interface MappedIdentity {
  subject: string;
  login: string;
  displayName: string;
  email: string;
  departmentId: string;
  roles: Role[];
  /** Role values of the claim that are not roles of this system (ignored). */
  ignoredRoles: string[];
}

/** What the browser keeps between GET /api/auth/login and the callback (sealed in a cookie). */
export interface LoginState {
  state: string;
  nonce: string;
  codeVerifier: string;
}

function refused(message: ErrorText): AppError {
  return new AppError('SIGN_IN_REFUSED', { zh: `登录被拒绝：${message.zh}`, en: `Sign-in refused: ${message.en}` });
}

/** The library's reason stays in the English text (and so in the log); the Chinese says what it means. */
function unavailable(err: unknown): AppError {
  const reason = err instanceof Error ? err.message : String(err);
  return new AppError('IDENTITY_PROVIDER_UNAVAILABLE', {
    zh: /timed? ?out|timeout/i.test(reason) ? '身份认证服务响应超时，请稍后重试' : '身份认证服务暂不可用，请稍后重试',
    en: `The identity provider did not answer: ${reason}`,
  });
}

/** Chinese for the OAuth 2.0 / OpenID Connect error codes a provider answers (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6). */
const OP_ERROR_ZH: Record<string, string> = {
  access_denied: '用户拒绝了授权',
  invalid_grant: '授权码无效、已使用或已过期',
  invalid_request: '登录请求有误',
  invalid_client: '本系统的客户端凭据未被接受',
  unauthorized_client: '本系统无权使用该登录方式',
  invalid_scope: '请求的授权范围无效',
  server_error: '身份认证服务内部错误',
  temporarily_unavailable: '身份认证服务暂时不可用',
  login_required: '需要重新登录',
  consent_required: '需要用户同意授权',
  interaction_required: '需要用户操作',
  account_selection_required: '需要选择账号',
};

/** Role claim values: an array of strings, or one string of values separated by spaces or commas. */
function claimValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The user a set of verified claims describes. Refused (SIGN_IN_REFUSED) when the login,
 * department or email claim is missing; unknown role values are ignored (and reported).
 */
export function mapClaims(
  claims: JWTPayload,
  config: AppConfig,
): Omit<MappedIdentity, 'departmentId'> & {
  departmentCode: string;
} {
  const subject = stringClaim(claims, 'sub');
  if (!subject) throw refused({ zh: '令牌缺少 "sub" 声明', en: 'the token has no "sub" claim' });
  const login = stringClaim(claims, config.OIDC_LOGIN_CLAIM);
  if (!login)
    throw refused({
      zh: `令牌缺少 "${config.OIDC_LOGIN_CLAIM}" 声明（OIDC_LOGIN_CLAIM）`,
      en: `the token has no "${config.OIDC_LOGIN_CLAIM}" claim (OIDC_LOGIN_CLAIM)`,
    });
  if (login.length > 100)
    throw refused({
      zh: `"${config.OIDC_LOGIN_CLAIM}" 声明超过 100 个字符`,
      en: `the "${config.OIDC_LOGIN_CLAIM}" claim is longer than 100 characters`,
    });
  const departmentCode = stringClaim(claims, config.OIDC_DEPARTMENT_CLAIM);
  if (!departmentCode)
    throw refused({
      zh: `令牌缺少 "${config.OIDC_DEPARTMENT_CLAIM}" 声明（OIDC_DEPARTMENT_CLAIM）`,
      en: `the token has no "${config.OIDC_DEPARTMENT_CLAIM}" claim (OIDC_DEPARTMENT_CLAIM)`,
    });
  const email = stringClaim(claims, 'email');
  if (!email) throw refused({ zh: '令牌缺少 "email" 声明', en: 'the token has no "email" claim' });
  const values = claimValues(claims[config.OIDC_ROLES_CLAIM]);
  const roles = [...new Set(values.filter((v) => MAPPABLE_ROLES.has(v)))].sort() as Role[];
  const ignoredRoles = values.filter((v) => !MAPPABLE_ROLES.has(v));
  return {
    subject,
    login,
    displayName: stringClaim(claims, 'name') ?? login,
    email,
    departmentCode,
    roles,
    ignoredRoles,
  };
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((r, i) => r === [...b].sort()[i]);
}

export class OidcService {
  readonly issuer: string;
  private discovered?: Promise<Issuer<BaseClient>>;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly algorithms: string[];

  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    if (!config.OIDC_ISSUER || !config.OIDC_AUDIENCE)
      throw new Error('OidcService needs OIDC_ISSUER and OIDC_AUDIENCE');
    this.issuer = config.OIDC_ISSUER;
    this.algorithms = config.OIDC_ALGORITHMS.split(',');
  }

  /** The provider's discovery document, fetched once (again after a failure). */
  private async provider(): Promise<Issuer<BaseClient>> {
    this.discovered ??= Issuer.discover(this.issuer);
    try {
      const issuer = await this.discovered;
      if (issuer.metadata.issuer !== this.issuer) {
        throw new Error(`its discovery document names the issuer ${issuer.metadata.issuer}, not OIDC_ISSUER`);
      }
      return issuer;
    } catch (err) {
      this.discovered = undefined;
      throw unavailable(err);
    }
  }

  /** Verifies an access token of the provider; throws TokenRejected (or a jose error) when it is not acceptable. */
  async verifyAccessToken(token: string): Promise<{ jti: string; exp: number; claims: JWTPayload }> {
    if (!this.jwks) {
      const uri = (await this.provider()).metadata.jwks_uri;
      if (!uri) throw unavailable(new Error('the discovery document has no jwks_uri'));
      this.jwks = createRemoteJWKSet(new URL(uri));
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.issuer,
        audience: this.config.OIDC_AUDIENCE,
        algorithms: this.algorithms,
        requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      // A JWKS that cannot be fetched is the provider's outage, not the caller's bad token.
      if (err instanceof joseErrors.JOSEError && !['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID'].includes(err.code))
        throw err;
      throw unavailable(err);
    }
    checkLifetime(payload, this.config.maxTokenLifetimeSeconds);
    return { jti: payload.jti!, exp: payload.exp!, claims: payload };
  }

  /**
   * The principal of verified claims: the user row is found by `sub` (or, the first time, by
   * login, which links a user created before sign-in by OIDC existed), then created or brought up
   * to date with the claims. Null for an inactive user: deactivation here outlasts the claims.
   */
  async principalFor(claims: JWTPayload): Promise<Principal | null> {
    const mapped = mapClaims(claims, this.config);
    const department = await this.db.department.findUnique({ where: { id: mapped.departmentCode } });
    if (!department)
      throw refused({
        zh: `部门代码 "${mapped.departmentCode}"（${this.config.OIDC_DEPARTMENT_CLAIM}）不存在`,
        en: `the department code "${mapped.departmentCode}" (${this.config.OIDC_DEPARTMENT_CLAIM}) is unknown`,
      });
    if (mapped.ignoredRoles.length > 0)
      this.logger.info({ login: mapped.login, ignoredRoles: mapped.ignoredRoles }, 'OIDC role values ignored');

    const bySubject = await this.db.user.findUnique({ where: { oidcSubject: mapped.subject } });
    const user = bySubject ?? (await this.db.user.findUnique({ where: { login: mapped.login } }));
    if (user && user.oidcSubject !== null && user.oidcSubject !== mapped.subject)
      throw refused({
        zh: `登录名 "${mapped.login}" 已属于身份认证服务中的另一身份`,
        en: `the login "${mapped.login}" belongs to another identity of the provider`,
      });
    if (user && user.accountType !== 'STAFF')
      throw refused({
        zh: `登录名 "${mapped.login}" 是公众申请人账户`,
        en: `the login "${mapped.login}" is a public applicant account`,
      });
    if (user && !user.active) return null;

    const data = {
      login: mapped.login,
      displayName: mapped.displayName,
      email: mapped.email,
      departmentId: department.id,
      roles: mapped.roles,
      oidcSubject: mapped.subject,
    };
    try {
      if (!user) {
        // The id follows from the provider's subject, so two first requests at once create one row.
        const id = `oidc-${createHash('sha256').update(`${this.issuer}\n${mapped.subject}`).digest('hex').slice(0, 24)}`;
        await this.db.user.upsert({ where: { id }, create: { id, accountType: 'STAFF', ...data }, update: data });
        return await loadPrincipal(this.db, id);
      }
      const changed =
        user.login !== data.login ||
        user.displayName !== data.displayName ||
        user.email !== data.email ||
        user.departmentId !== data.departmentId ||
        user.oidcSubject !== data.oidcSubject ||
        !sameRoles(user.roles, data.roles);
      if (changed) await this.db.user.update({ where: { id: user.id }, data });
      return await loadPrincipal(this.db, user.id);
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')
        throw refused({
          zh: `登录名 "${mapped.login}" 已属于其他用户`,
          en: `the login "${mapped.login}" belongs to another user`,
        });
      throw err;
    }
  }

  // --- browser sign-in (authorization code with PKCE) -------------------------------------------

  private async client(): Promise<BaseClient> {
    const issuer = await this.provider();
    return new issuer.Client({
      client_id: this.config.OIDC_CLIENT_ID!,
      client_secret: this.config.OIDC_CLIENT_SECRET!,
      redirect_uris: [this.config.OIDC_REDIRECT_URI!],
      response_types: ['code'],
      id_token_signed_response_alg: this.algorithms[0],
    });
  }

  /** Where to send the browser, and what to keep for the callback. */
  async authorizationRequest(): Promise<{ url: string; state: LoginState }> {
    const client = await this.client();
    const state: LoginState = {
      state: generators.state(),
      nonce: generators.nonce(),
      codeVerifier: generators.codeVerifier(),
    };
    const url = client.authorizationUrl({
      scope: this.config.OIDC_SCOPES,
      state: state.state,
      nonce: state.nonce,
      code_challenge: generators.codeChallenge(state.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, state };
  }

  /**
   * Exchanges the code of the provider's redirect (with the PKCE verifier) and returns the ID
   * token's verified claims. SIGN_IN_FAILED for a refusal, a state mismatch or a bad ID token.
   */
  async completeSignIn(req: IncomingMessage, state: LoginState): Promise<JWTPayload> {
    const client = await this.client();
    const params = client.callbackParams(req);
    try {
      const tokenSet = await client.callback(this.config.OIDC_REDIRECT_URI!, params, {
        state: state.state,
        nonce: state.nonce,
        code_verifier: state.codeVerifier,
        response_type: 'code',
      });
      const claims = tokenSet.claims() as JWTPayload;
      if (typeof claims.iat === 'number' && typeof claims.exp === 'number') {
        checkLifetime(claims, this.config.maxTokenLifetimeSeconds);
      }
      return claims;
    } catch (err) {
      if (err instanceof oidcErrors.OPError) {
        throw new AppError('SIGN_IN_FAILED', {
          zh: `身份认证服务拒绝了此次登录：${(err.error && OP_ERROR_ZH[err.error]) || '未说明的原因'}（${err.error}）`,
          en: `The identity provider refused the sign-in: ${err.error}`,
        });
      }
      if (err instanceof oidcErrors.RPError || err instanceof TokenRejected) {
        if (/timed out/.test(err.message)) throw unavailable(err);
        throw new AppError('SIGN_IN_FAILED', {
          zh: `登录失败：${err instanceof TokenRejected ? err.zh : '身份认证服务的应答未通过校验'}`,
          en: `Sign-in failed: ${err.message}`,
        });
      }
      throw unavailable(err);
    }
  }
}
