/**
 * Sign-in and sign-out. Browsers sign in through the city's identity provider (OpenID Connect,
 * authorization code with PKCE, api/oidc.ts): GET /api/auth/login sends the browser to the
 * provider with state, nonce and an S256 code challenge, whose values travel in a signed,
 * httpOnly cookie scoped to /api/auth for ten minutes; GET /api/auth/callback exchanges the code,
 * verifies the ID token, maps its claims onto the user table and gives the browser a session: the
 * API's own token (AUTH_TOKEN_TTL) in an httpOnly, SameSite=Lax cookie scoped to /api. Writes
 * signed in by that cookie must send `X-Requested-With` (api/auth.ts). POST /api/auth/logout puts
 * the token's `jti` (session cookie, development token or the provider's access token) on the
 * deny list until it expires.
 */
import { Router, type CookieOptions, type Response } from 'express';
import { z } from 'zod';
import { durationSeconds } from '../../lib/config';
import { requestCookie, requirePrincipal, SESSION_COOKIE } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, noQuery, parse } from '../errors';
import { documented } from '../openapi';
import type { LoginState } from '../oidc';

const STATE_COOKIE = 'gd_oidc_login';
const STATE_PURPOSE = 'oidc-login';
const STATE_TTL_SECONDS = 600;

const callbackQuery = z.looseObject({
  code: z.string().max(2048).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});

/** The answer of GET /api/auth/session. */
const sessionSchema = z.object({
  user: z.object({
    login: z.string(),
    displayName: z.string(),
    departmentId: z.string().nullable(),
    roles: z.array(z.string()),
  }),
  credential: z.object({ source: z.enum(['app', 'oidc']), expiresAt: z.string() }),
});

export function authRouter(deps: ApiDeps): Router {
  documented({
    method: 'get',
    path: '/api/auth/login',
    summary: 'Browser sign-in: redirect to the identity provider (OpenID Connect, code flow with PKCE)',
    tags: ['auth'],
    auth: 'none',
    // Token issuance is rate limited per client IP (api/kit/limits.ts tokenRateLimit).
    errors: ['IDENTITY_PROVIDER_UNAVAILABLE', 'OIDC_NOT_CONFIGURED', 'RATE_LIMITED'],
    responses: { 302: 'Redirect to the identity provider', 404: 'Sign-in by OpenID Connect is not configured' },
  });
  documented({
    method: 'get',
    path: '/api/auth/callback',
    summary: "The identity provider's redirect back: signs the browser in (session cookie) and redirects",
    tags: ['auth'],
    auth: 'none',
    query: callbackQuery,
    errors: [
      'OIDC_NOT_CONFIGURED',
      'SIGN_IN_FAILED',
      'IDENTITY_PROVIDER_UNAVAILABLE',
      'SIGN_IN_REFUSED',
      'RATE_LIMITED',
    ],
    responses: {
      303: 'Signed in; redirect to OIDC_POST_LOGIN_REDIRECT',
      401: 'Sign-in failed (state, code or ID token)',
      403: 'The claims do not map onto a user',
      404: 'Not configured',
    },
  });
  documented({
    method: 'get',
    path: '/api/auth/session',
    summary: 'The signed-in user and when the credential expires',
    tags: ['auth'],
    auth: 'required',
    response: sessionSchema,
    responses: { 200: 'The principal', 401: 'Not signed in' },
  });
  documented({
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Sign out: the credential of this request is refused from now until it expires',
    tags: ['auth'],
    auth: 'required',
    responses: { 204: 'Signed out', 401: 'Not signed in' },
  });

  const secure = deps.config.OIDC_REDIRECT_URI?.startsWith('https:') ?? false;
  const stateCookie: CookieOptions = { httpOnly: true, secure, sameSite: 'lax', path: '/api/auth' };
  const sessionCookie: CookieOptions = { httpOnly: true, secure, sameSite: 'lax', path: '/api' };
  const oidc = () => {
    if (!deps.oidc || !deps.config.oidcBrowserEnabled)
      throw new AppError('OIDC_NOT_CONFIGURED', {
        zh: '未配置 OpenID Connect 登录（OIDC_* 设置）',
        en: 'Sign-in by OpenID Connect is not configured (OIDC_* settings)',
      });
    return deps.oidc;
  };
  const noStore = (res: Response) => res.setHeader('Cache-Control', 'no-store');

  const router = Router();
  router.get('/api/auth/login', async (req, res) => {
    noQuery(req.query);
    noStore(res);
    const { url, state } = await oidc().authorizationRequest();
    const sealed = await deps.tokens.seal(STATE_PURPOSE, { ...state }, `${STATE_TTL_SECONDS}s`);
    res.cookie(STATE_COOKIE, sealed, { ...stateCookie, maxAge: STATE_TTL_SECONDS * 1000 });
    res.redirect(302, url);
  });

  router.get('/api/auth/callback', async (req, res) => {
    noStore(res);
    const provider = oidc();
    const query = parse(callbackQuery, req.query, 'query');
    const sealed = requestCookie(req, STATE_COOKIE);
    const state = sealed ? await deps.tokens.unseal(STATE_PURPOSE, sealed) : null;
    // Used once: whatever the outcome, the browser starts again at /api/auth/login.
    res.clearCookie(STATE_COOKIE, stateCookie);
    if (!state)
      throw new AppError('SIGN_IN_FAILED', {
        zh: '没有进行中的登录（状态 Cookie 缺失或已过期）：请从 /api/auth/login 开始',
        en: 'No sign-in in progress (state cookie missing or expired): start at /api/auth/login',
      });
    if (query.error)
      throw new AppError('SIGN_IN_FAILED', {
        zh: `身份认证服务拒绝了此次登录：${query.error}`,
        en: `The identity provider refused the sign-in: ${query.error}`,
      });
    const claims = await provider.completeSignIn(req, state as unknown as LoginState);
    const principal = await provider.principalFor(claims);
    if (!principal)
      throw new AppError('SIGN_IN_REFUSED', {
        zh: '登录被拒绝：该用户已停用',
        en: 'Sign-in refused: the user is inactive',
      });
    const token = await deps.tokens.issue(principal.userId);
    res.cookie(SESSION_COOKIE, token, { ...sessionCookie, maxAge: durationSeconds(deps.config.AUTH_TOKEN_TTL) * 1000 });
    res.redirect(303, deps.config.OIDC_POST_LOGIN_REDIRECT);
  });

  router.get('/api/auth/session', (req, res) => {
    const p = requirePrincipal(req);
    noQuery(req.query);
    res.json({
      user: { login: p.login, displayName: p.displayName, departmentId: p.departmentId, roles: p.roles },
      credential: { source: req.credential!.source, expiresAt: new Date(req.credential!.exp * 1000).toISOString() },
    });
  });

  router.post('/api/auth/logout', async (req, res) => {
    const p = requirePrincipal(req);
    const { jti, exp } = req.credential!;
    await deps.db.$transaction([
      deps.db.revokedToken.createMany({
        data: [{ jti, expiresAt: new Date(exp * 1000), userId: p.userId }],
        skipDuplicates: true,
      }),
      deps.db.revokedToken.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - 60_000) } } }),
    ]);
    res.clearCookie(SESSION_COOKIE, sessionCookie);
    res.status(204).end();
  });
  return router;
}
