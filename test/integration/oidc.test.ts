/**
 * Sign-in through a real OpenID Connect provider (the `oidc-provider` package in its own process):
 * the browser's authorization code flow with PKCE ends in a session whose user, department and
 * roles come from the claims; the provider's JWT access tokens are accepted as bearer tokens only
 * with the right issuer, audience, signature and lifetime; sign-out revokes; development tokens
 * carry exp and a bounded lifetime and are refused in production.
 */
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { generators, Issuer, type BaseClient } from 'openid-client';
import request from 'supertest';
import { freePort } from '../../scripts/lib/services';
import { ConfigError, loadConfig } from '../../lib/config';
import type { Db } from '../../lib/db';
import { Browser, startOidcProvider, type TestProvider } from '../support/oidc';
import { testApp, testDb, uniqueSuffix } from '../support/env';

const AUDIENCE = 'https://api.gov-data.test';
const OTHER_AUDIENCE = 'https://other-system.gov-data.test';
const WEB = { id: 'gov-data-web', secret: 'web-client-secret-for-tests-only' };
const CLI = {
  id: 'gov-data-cli',
  secret: 'cli-client-secret-for-tests-only',
  redirect: 'http://127.0.0.1:9/cli/callback',
};
const DEV_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

const suffix = uniqueSuffix();
/** Accounts of the provider (the login form takes the account id); claims as the city's provider sends them. */
const accounts = {
  [`reviewer-${suffix}`]: {
    preferred_username: `oidc.gaj.reviewer.${suffix}`,
    name: '市公安局审核员 王强',
    email: `wang.${suffix}@gaj.example`,
    department: 'gaj',
    roles: ['PROVIDER_REVIEWER', 'DEPT_STAFF', 'NOT_A_ROLE', 'PUBLIC_APPLICANT'],
  },
  [`staff-${suffix}`]: {
    preferred_username: `oidc.rsj.staff.${suffix}`,
    name: '市人社局 李梅',
    email: `li.${suffix}@rsj.example`,
    department: 'rsj',
    roles: 'DEPT_STAFF',
  },
  [`nodept-${suffix}`]: {
    preferred_username: `oidc.nodept.${suffix}`,
    name: '无部门',
    email: `nodept.${suffix}@example`,
    department: 'no-such-department',
    roles: ['DEPT_STAFF'],
  },
  [`link-${suffix}`]: {
    preferred_username: `link.${suffix}`,
    name: '已有用户 张三',
    email: `zhang.${suffix}@wjw.example`,
    department: 'wjw',
    roles: ['DEPT_HEAD'],
  },
};
const login = (account: string) => accounts[account].preferred_username;
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('sign-in by OpenID Connect against a real provider', () => {
  let db: Db;
  let provider: TestProvider;
  let server: Server;
  let appBase: string;
  let app: ReturnType<typeof testApp>['app'];
  let cli: BaseClient;
  let env: Record<string, string>;

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
        {
          client_id: CLI.id,
          client_secret: CLI.secret,
          redirect_uris: [CLI.redirect],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      accounts,
      resources: { [AUDIENCE]: 600, [OTHER_AUDIENCE]: 600 },
    });
    env = {
      OIDC_ISSUER: provider.issuer,
      OIDC_AUDIENCE: AUDIENCE,
      OIDC_CLIENT_ID: WEB.id,
      OIDC_CLIENT_SECRET: WEB.secret,
      OIDC_REDIRECT_URI: `${appBase}/api/auth/callback`,
    };
    app = testApp(db, env).app;
    await new Promise<void>((resolve) => {
      server = app.listen(appPort, '127.0.0.1', () => resolve());
    });
    const issuer = await Issuer.discover(provider.issuer);
    cli = new issuer.Client({
      client_id: CLI.id,
      client_secret: CLI.secret,
      redirect_uris: [CLI.redirect],
      response_types: ['code'],
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await provider?.stop();
    await db?.$disconnect();
  });

  /** An API client's access token: the code flow with PKCE for `resource`, as a command-line client does it. */
  async function accessToken(account: string, resource: string): Promise<string> {
    const codeVerifier = generators.codeVerifier();
    const checks = { state: generators.state(), nonce: generators.nonce(), code_verifier: codeVerifier };
    const url = cli.authorizationUrl({
      scope: 'openid profile email api',
      resource,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    const back = await new Browser().browse(url, account, CLI.redirect);
    const tokens = await cli.callback(CLI.redirect, cli.callbackParams(back.url), checks, {
      exchangeBody: { resource },
    });
    expect(tokens.access_token!.split('.')).toHaveLength(3); // a JWT, not an opaque token
    return tokens.access_token!;
  }

  /** A token signed with the provider's own key (so its JWKS verifies it) but with chosen claims. */
  function craft(claims: JWTPayload, key: KeyLike = provider.privateKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const full: JWTPayload = {
      iss: provider.issuer,
      aud: AUDIENCE,
      sub: `crafted-${randomUUID()}`,
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
      preferred_username: `crafted.${randomUUID().slice(0, 8)}`,
      email: 'crafted@example',
      department: 'gaj',
      roles: ['DEPT_STAFF'],
      ...claims,
    };
    for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
    return new SignJWT(full).setProtectedHeader({ alg: 'RS256', kid: provider.kid }).sign(key);
  }

  const session = (bearer: string) => request(app).get('/api/auth/session').auth(bearer, { type: 'bearer' });

  describe('browser: authorization code with PKCE', () => {
    it('signs in through the provider, maps department and roles from the claims, and signs out', async () => {
      const browser = new Browser();
      const start = await browser.request(`${appBase}/api/auth/login`);
      expect(start.status).toBe(302);
      const authorize = new URL(start.headers.get('location')!);
      expect(`${authorize.origin}`).toBe(provider.issuer);
      expect(authorize.searchParams.get('response_type')).toBe('code');
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(authorize.searchParams.get('state')).toBeTruthy();
      expect(authorize.searchParams.get('nonce')).toBeTruthy();
      expect(start.headers.get('cache-control')).toBe('no-store');
      const stateCookie = start.headers.getSetCookie().find((c) => c.startsWith('gd_oidc_login='))!;
      expect(stateCookie).toMatch(/HttpOnly/);
      expect(stateCookie).toMatch(/Path=\/api\/auth/);

      const account = `reviewer-${suffix}`;
      // The callback's 303 goes to OIDC_POST_LOGIN_REDIRECT (/), which sends the browser on to the web app.
      const end = await browser.browse(authorize.toString(), account, `${appBase}/web/`);
      expect(end.url).toBe(`${appBase}/web/`);
      const cookie = browser.cookie(appBase, 'gd_session');
      expect(cookie).toBeTruthy();
      expect(browser.cookie(appBase, 'gd_oidc_login')).toBeUndefined();

      const me = await browser.request(`${appBase}/api/auth/session`);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({
        user: {
          login: login(account),
          displayName: '市公安局审核员 王强',
          departmentId: 'gaj',
          roles: ['DEPT_STAFF', 'PROVIDER_REVIEWER'], // NOT_A_ROLE and PUBLIC_APPLICANT are not taken
        },
        credential: { source: 'app' },
      });
      const row = await db.user.findUniqueOrThrow({ where: { login: login(account) } });
      expect(row).toMatchObject({ oidcSubject: account, accountType: 'STAFF', email: accounts[account].email });

      // The session works on the API; a write by cookie needs the header no cross-site form can send.
      const inbox = await browser.request(`${appBase}/api/inbox`);
      expect(inbox.status).toBe(200);
      const forged = await browser.request(`${appBase}/api/auth/logout`, { method: 'POST' });
      expect(forged.status).toBe(403);
      expect((await errorOf(forged)).code).toBe('CSRF_HEADER_REQUIRED');

      // Signing in again changes nothing in the user table.
      const again = new Browser();
      await again.browse(`${appBase}/api/auth/login`, account, `${appBase}/web/`);
      expect(again.cookie(appBase, 'gd_session')).toBeTruthy();
      expect(await db.user.findUniqueOrThrow({ where: { login: login(account) } })).toEqual(row);

      const out = await browser.request(`${appBase}/api/auth/logout`, {
        method: 'POST',
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      expect(out.status).toBe(204);
      expect(browser.cookie(appBase, 'gd_session')).toBeUndefined();
      const replayed = await request(app).get('/api/auth/session').set('cookie', `gd_session=${cookie}`);
      expect(replayed.status).toBe(401);
      expect(replayed.body.error.code).toBe('INVALID_TOKEN');
      // The other browser's session is its own.
      expect((await again.request(`${appBase}/api/auth/session`)).status).toBe(200);
    });

    it('links a user who existed before by login, and takes the claims over', async () => {
      const account = `link-${suffix}`;
      const id = `u-${login(account)}`;
      await db.user.create({
        data: {
          id,
          login: login(account),
          displayName: '旧名',
          email: 'old@example',
          accountType: 'STAFF',
          roles: ['DEPT_STAFF'],
          departmentId: 'rsj',
        },
      });
      const browser = new Browser();
      await browser.browse(`${appBase}/api/auth/login`, account, `${appBase}/web/`);
      expect(await db.user.findUniqueOrThrow({ where: { id } })).toMatchObject({
        oidcSubject: account,
        displayName: '已有用户 张三',
        departmentId: 'wjw',
        roles: ['DEPT_HEAD'],
      });
    });

    it('refuses a callback without the sign-in state, or with another state', async () => {
      const none = await request(app).get('/api/auth/callback?code=abc&state=xyz');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('SIGN_IN_FAILED');

      const browser = new Browser();
      const start = await browser.request(`${appBase}/api/auth/login`);
      const back = await browser.browse(
        start.headers.get('location')!,
        `staff-${suffix}`,
        `${appBase}/api/auth/callback`,
      );
      const tampered = new URL(back.url);
      tampered.searchParams.set('state', 'not-the-state-we-sent');
      const res = await browser.request(tampered.toString());
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('SIGN_IN_FAILED');
      expect(browser.cookie(appBase, 'gd_session')).toBeUndefined();
      expect(await db.user.findUnique({ where: { login: login(`staff-${suffix}`) } })).toBeNull();
    });

    it('refuses claims naming an unknown department, and writes no user', async () => {
      const browser = new Browser();
      const end = await browser.browse(`${appBase}/api/auth/login`, `nodept-${suffix}`);
      expect(end.res!.status).toBe(403);
      expect((await errorOf(end.res!)).code).toBe('SIGN_IN_REFUSED');
      expect(browser.cookie(appBase, 'gd_session')).toBeUndefined();
      expect(await db.user.findUnique({ where: { login: login(`nodept-${suffix}`) } })).toBeNull();
    });
  });

  describe("API clients: the provider's JWT access tokens", () => {
    it('accepts an access token for the API audience, maps its claims, and refuses it after sign-out', async () => {
      const account = `staff-${suffix}`;
      const token = await accessToken(account, AUDIENCE);
      const me = await session(token).expect(200);
      expect(me.body).toMatchObject({
        user: { login: login(account), departmentId: 'rsj', roles: ['DEPT_STAFF'] },
        credential: { source: 'oidc' },
      });
      await request(app).get('/api/inbox').auth(token, { type: 'bearer' }).expect(200);

      await request(app).post('/api/auth/logout').auth(token, { type: 'bearer' }).expect(204);
      const after = await session(token).expect(401);
      expect(after.body.error).toMatchObject({
        code: 'INVALID_TOKEN',
        messageEn: expect.stringContaining('signed out'),
      });
      // Signing out twice is no error for the second: the token is simply refused.
      expect((await request(app).post('/api/auth/logout').auth(token, { type: 'bearer' })).status).toBe(401);
    });

    // The English reason (jose's words) and the Chinese one the people who use the system read.
    const refusals: Array<[string, () => Promise<string>, RegExp, string | RegExp]> = [
      [
        'another audience (a real token of the provider)',
        () => accessToken(`reviewer-${suffix}`, OTHER_AUDIENCE),
        /aud/,
        '令牌的受众（aud）未通过校验',
      ],
      ['another issuer', () => craft({ iss: 'https://idp.elsewhere.example' }), /iss/, /签发者（iss）/],
      ['no exp', () => craft({ exp: undefined }), /exp/, '令牌缺少过期时间（exp）'],
      ['no iat', () => craft({ iat: undefined }), /iat/, '令牌缺少签发时间（iat）'],
      ['no jti', () => craft({ jti: undefined }), /jti/, '令牌缺少令牌编号（jti）'],
      ['no aud', () => craft({ aud: undefined }), /aud/, '令牌缺少受众（aud）'],
      [
        'a lifetime over AUTH_MAX_TOKEN_LIFETIME',
        () => craft({ exp: Math.floor(Date.now() / 1000) + 13 * 3600 }),
        /AUTH_MAX_TOKEN_LIFETIME/,
        /^令牌有效期 \d+ 秒，超过 AUTH_MAX_TOKEN_LIFETIME（\d+ 秒）$/,
      ],
      [
        'a 100-year exp',
        () => craft({ exp: Math.floor(Date.now() / 1000) + 100 * 365 * 86400 }),
        /AUTH_MAX_TOKEN_LIFETIME/,
        /AUTH_MAX_TOKEN_LIFETIME/,
      ],
      [
        'expired',
        () => craft({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
        /exp/,
        '令牌已过期',
      ],
      [
        'a bad signature (another key under the same key id)',
        async () => craft({}, (await generateKeyPair('RS256')).privateKey),
        /signature/,
        '令牌签名校验失败',
      ],
      [
        'an algorithm not allowed (HS256)',
        () =>
          new SignJWT({ iss: provider.issuer, aud: AUDIENCE, sub: 'x', jti: 'x' })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(DEV_SECRET)),
        /alg/i,
        '令牌的签名算法不被接受',
      ],
    ];
    it.each(refusals)(
      'refuses a token with %s (401 INVALID_TOKEN), writing nothing',
      async (_name, make, reason, zh) => {
        const before = await db.user.count();
        const res = await session(await make());
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('INVALID_TOKEN');
        expect(res.body.error.messageEn).toMatch(reason);
        expect(res.body.error.message).toMatch(/^访问令牌无效或已过期：/);
        const zhReason = res.body.error.message.slice('访问令牌无效或已过期：'.length);
        if (typeof zh === 'string') expect(zhReason).toBe(zh);
        else expect(zhReason).toMatch(zh);
        expect(await db.user.count()).toBe(before);
      },
    );

    it('a valid crafted token passes, so the refusals above are for the named reason', async () => {
      const res = await session(await craft({}));
      expect(res.status).toBe(200);
      expect(res.body.credential.source).toBe('oidc');
    });

    it("refuses the provider's real 600 s token where AUTH_MAX_TOKEN_LIFETIME is 5 minutes", async () => {
      const strict = testApp(db, { ...env, AUTH_MAX_TOKEN_LIFETIME: '5m', AUTH_TOKEN_TTL: '5m' }).app;
      const token = await accessToken(`staff-${suffix}`, AUDIENCE);
      const res = await request(strict).get('/api/auth/session').auth(token, { type: 'bearer' });
      expect(res.status).toBe(401);
      expect(res.body.error.messageEn).toMatch(/AUTH_MAX_TOKEN_LIFETIME/);
      await session(token).expect(200);
    });

    it('answers 503 when the provider cannot be reached to fetch its keys', async () => {
      const gone = testApp(db, { OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_AUDIENCE: AUDIENCE }).app;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('http://127.0.0.1:9')
        .sign(provider.privateKey);
      const res = await request(gone).get('/api/auth/session').auth(token, { type: 'bearer' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    });
  });

  describe('development tokens', () => {
    const devKey = new TextEncoder().encode(DEV_SECRET);
    const devToken = (claims: JWTPayload, exp?: number) => {
      const jwt = new SignJWT({ jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('gov-data-approval')
        .setSubject('u-gaj.staff')
        .setIssuedAt();
      if (exp !== undefined) jwt.setExpirationTime(exp);
      return jwt.sign(devKey);
    };

    it('carry exp, iat and jti within the maximum lifetime, and sign out like any token', async () => {
      const res = await request(app).post('/api/dev/tokens').send({ login: 'gaj.staff' }).expect(201);
      const payload = JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString()) as JWTPayload;
      expect(payload).toMatchObject({ sub: 'u-gaj.staff', jti: expect.any(String), iat: expect.any(Number) });
      expect(payload.exp! - payload.iat!).toBe(12 * 3600);
      await session(res.body.token).expect(200);
      await request(app).post('/api/auth/logout').auth(res.body.token, { type: 'bearer' }).expect(204);
      await session(res.body.token).expect(401);
    });

    it.each<[string, () => Promise<string>]>([
      ['without exp', () => devToken({})],
      ['with a 100-year exp', () => devToken({}, Math.floor(Date.now() / 1000) + 100 * 365 * 86400)],
      [
        'living one second past AUTH_MAX_TOKEN_LIFETIME',
        () => devToken({}, Math.floor(Date.now() / 1000) + 12 * 3600 + 1),
      ],
      ['without jti', () => devToken({ jti: undefined }, Math.floor(Date.now() / 1000) + 60)],
    ])('signed with the key but %s are refused with 401 INVALID_TOKEN', async (_name, make) => {
      const res = await session(await make());
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_TOKEN');
    });

    it('are refused in production, where the provider signs in', async () => {
      const prod = testApp(db, { ...env, NODE_ENV: 'production' }).app;
      const res = await request(prod).post('/api/dev/tokens').send({ login: 'gaj.staff' }).expect(403);
      expect(res.body.error.code).toBe('DEV_TOKENS_DISABLED');
      const start = await request(prod).get('/api/auth/login').expect(302);
      expect(start.headers.location).toContain(`${provider.issuer}/auth?`);
    });
  });

  it('has no browser sign-in where OIDC is not configured', async () => {
    const plain = testApp(db).app;
    const res = await request(plain).get('/api/auth/login').expect(404);
    expect(res.body.error.code).toBe('OIDC_NOT_CONFIGURED');
  });
});

describe('sign-in configuration', () => {
  const base = { AUTH_TOKEN_SECRET: DEV_SECRET };
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a token TTL over the maximum lifetime',
      { AUTH_TOKEN_TTL: '13h' },
      /AUTH_TOKEN_TTL must not exceed AUTH_MAX_TOKEN_LIFETIME/,
    ],
    ['an issuer without an audience', { OIDC_ISSUER: 'https://idp.example' }, /OIDC_ISSUER and OIDC_AUDIENCE/],
    [
      'a browser client without its secret',
      {
        OIDC_ISSUER: 'https://idp.example',
        OIDC_AUDIENCE: 'api',
        OIDC_CLIENT_ID: 'web',
        OIDC_REDIRECT_URI: 'https://app.example/api/auth/callback',
      },
      /OIDC_CLIENT_SECRET/,
    ],
    [
      'a post-login redirect to another site',
      { OIDC_POST_LOGIN_REDIRECT: '//evil.example/' },
      /OIDC_POST_LOGIN_REDIRECT/,
    ],
    ['an algorithm list with HS256', { OIDC_ALGORITHMS: 'RS256,HS256' }, /OIDC_ALGORITHMS/],
  ])('refuses %s', (_name, env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});
