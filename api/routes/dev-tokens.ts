import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { AppError, parse } from '../errors';
import { documented } from '../openapi';

const body = z.object({ login: z.string().min(1).max(100) }).strict();
const issuedSchema = z.object({
  token: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.string().describe('The lifetime, as configured (AUTH_TOKEN_TTL, e.g. 12h)'),
  user: z.object({
    login: z.string(),
    displayName: z.string(),
    roles: z.array(z.string()),
    departmentId: z.string().nullable(),
  }),
});

/** Development only: a token for a seeded login, so the demo and curl examples need no IdP. */
export function devTokensRouter(deps: ApiDeps): Router {
  documented({
    method: 'post',
    path: '/api/dev/tokens',
    summary: 'Development only: issue a token for a seeded login',
    tags: ['auth'],
    auth: 'none',
    body,
    errors: ['DEV_TOKENS_DISABLED', 'UNKNOWN_LOGIN'],
    response: issuedSchema,
    responses: { 201: 'Token issued', 403: 'Disabled in production', 404: 'Unknown login' },
  });
  const router = Router();
  router.post('/api/dev/tokens', async (req, res) => {
    if (!deps.config.devTokensEnabled)
      throw new AppError('DEV_TOKENS_DISABLED', {
        zh: '生产模式下已停用开发令牌',
        en: 'Development tokens are disabled in production mode',
      });
    const { login } = parse(body, req.body, 'body');
    const user = await deps.db.user.findUnique({ where: { login } });
    if (!user || !user.active)
      throw new AppError('UNKNOWN_LOGIN', {
        zh: `不存在登录名为 "${login}" 的有效用户`,
        en: `No active user with login "${login}"`,
      });
    const token = await deps.tokens.issue(user.id);
    res.status(201).json({
      token,
      tokenType: 'Bearer',
      expiresIn: deps.config.AUTH_TOKEN_TTL,
      user: { login: user.login, displayName: user.displayName, roles: user.roles, departmentId: user.departmentId },
    });
  });
  return router;
}
