/**
 * The production sign-in in a real browser: the login page links to GET /api/auth/login, the
 * identity provider (a real oidc-provider process) signs the user in, the session is the httpOnly
 * cookie, and sign-out is a cookie-authenticated write (it must carry X-Requested-With).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../../scripts/lib/services';
import type { Db } from '../../lib/db';
import { startOidcProvider, type TestProvider } from '../support/oidc';
import { testApp, testDb, uniqueSuffix } from '../support/env';
import { ARTIFACTS, CHROMIUM_PATH } from './harness';

const WEB = { id: 'gov-data-web-browser', secret: 'web-browser-client-secret-for-tests-only' };
const AUDIENCE = 'https://api.gov-data.test';
const suffix = uniqueSuffix();
const account = `reviewer-${suffix}`;

describe('web app: sign-in through the identity provider in Chromium', () => {
  let db: Db;
  let provider: TestProvider;
  let server: Server;
  let browser: Browser;
  let appBase: string;

  beforeAll(async () => {
    db = testDb();
    const [providerPort, appPort] = await Promise.all([freePort(), freePort()]);
    appBase = `http://127.0.0.1:${appPort}`;
    provider = await startOidcProvider({
      port: providerPort,
      clients: [
        {
          client_id: WEB.id,
          client_secret: WEB.secret,
          redirect_uris: [`${appBase}/api/auth/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      accounts: {
        [account]: {
          preferred_username: `oidc.web.${suffix}`,
          name: '市公安局审核员 赵敏',
          email: `zhao.${suffix}@gaj.example`,
          department: 'gaj',
          roles: ['PROVIDER_REVIEWER'],
        },
      },
      resources: { [AUDIENCE]: 600 },
    });
    const { app } = testApp(db, {
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: AUDIENCE,
      OIDC_CLIENT_ID: WEB.id,
      OIDC_CLIENT_SECRET: WEB.secret,
      OIDC_REDIRECT_URI: `${appBase}/api/auth/callback`,
    });
    server = app.listen(appPort, '127.0.0.1');
    await once(server, 'listening');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await provider?.stop();
    await db?.$disconnect();
  });

  it('signs in with the provider, keeps the session in the httpOnly cookie, and signs out', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    await page.goto(`${appBase}/`);
    await page.getByRole('link', { name: '统一身份认证登录' }).click();
    // The provider's development login and consent forms.
    await page.locator('input[name="login"]').fill(account);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();

    // Back at the app (OIDC_POST_LOGIN_REDIRECT / → /web/), signed in by the cookie alone.
    await page.locator('#who').getByText(`（oidc.web.${suffix}）`).waitFor();
    await page.getByRole('heading', { name: '待办任务' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    const session = (await context.cookies(`${appBase}/api/`)).find((c) => c.name === 'gd_session');
    expect(session).toMatchObject({ httpOnly: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-01-signed-in.png'), fullPage: true });

    // Sign-out is a POST signed in by the cookie: accepted only with X-Requested-With.
    const user = await db.user.findUniqueOrThrow({ where: { login: `oidc.web.${suffix}` } });
    const revokedBefore = await db.revokedToken.count({ where: { userId: user.id } });
    await page.getByRole('button', { name: '退出' }).click();
    await page.getByRole('heading', { name: '登录', exact: true }).waitFor();
    expect(await db.revokedToken.count({ where: { userId: user.id } })).toBe(revokedBefore + 1);
    expect((await context.cookies(`${appBase}/api/`)).find((c) => c.name === 'gd_session')).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });
});
