/**
 * The web application (web/): static pages, CSS and small ES modules served by the API process
 * itself, so an offline intranet needs nothing from elsewhere (no CDN). The pages call the same
 * JSON API; `/web/config.json` tells them how people sign in here (the development login picker
 * or the identity provider).
 */
import path from 'node:path';
import express, { Router } from 'express';
import helmet from 'helmet';
import type { ApiDeps } from './deps';

export const WEB_DIR = path.join(__dirname, '..', 'web');

/** Only this site's own scripts, styles and images; no inline script, no framing, forms post here. */
const WEB_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function webRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/', (_req, res) => res.redirect(302, '/web/'));
  router.use('/web', helmet.contentSecurityPolicy({ useDefaults: false, directives: WEB_CSP }));
  router.get('/web/config.json', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const devLogins = deps.config.devTokensEnabled
      ? (
          await deps.db.user.findMany({
            where: { active: true },
            orderBy: { login: 'asc' },
            select: { login: true, displayName: true, department: { select: { name: true } } },
          })
        ).map((u) => ({ login: u.login, displayName: u.displayName, department: u.department?.name ?? null }))
      : null;
    res.json({ devLogins, oidc: deps.oidc !== null });
  });
  router.use('/web', express.static(WEB_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));
  return router;
}
