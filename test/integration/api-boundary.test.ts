/**
 * The API boundary: security headers, no caching of credentialed answers, rate limits, /docs
 * switched by API_DOCS, and the one text check (INVALID_TEXT / INVALID_PATH) with the cases that
 * answered 500 before it (real Postgres; nothing here reaches Temporal).
 */
import request from 'supertest';
import type { Db } from '../../lib/db';
import { shareSubmission } from '../support/applications';
import { testApp, testDb, uniqueSuffix } from '../support/env';

const PROD = { NODE_ENV: 'production' };

describe('API boundary (real Postgres)', () => {
  let db: Db;
  let app: ReturnType<typeof testApp>['app'];
  const tokens: Record<string, string> = {};
  const token = async (login: string) =>
    (tokens[login] ??= (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);

  const application = shareSubmission;

  beforeAll(() => {
    db = testDb();
    ({ app } = testApp(db));
  });
  afterAll(() => db.$disconnect());

  describe('security headers', () => {
    it.each([
      ['a JSON answer', '/healthz'],
      ['an error answer', '/api/nothing-here'],
    ])('are on %s', async (_what, url) => {
      const res = await request(app).get(url);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
      );
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('Cache-Control: no-store', () => {
    it('on every answer to a request with credentials, errors included, and on token issuance', async () => {
      const t = await token('gaj.staff');
      const answers = [
        await request(app).get('/api/catalog').auth(t, { type: 'bearer' }).expect(200),
        await request(app).get('/api/applications/NO-SUCH').auth(t, { type: 'bearer' }),
        await request(app).get('/api/catalog?colour=red').auth(t, { type: 'bearer' }).expect(400),
        await request(app).get('/api/catalog').set('authorization', 'Bearer abc.def.ghi').expect(401),
        await request(app).post('/api/dev/tokens').send({ login: 'gaj.staff' }).expect(201),
        await request(app).post('/api/dev/tokens').send({ login: 'nobody' }).expect(404),
      ];
      for (const res of answers) expect(res.headers['cache-control']).toBe('no-store');
    });

    it('not forced on anonymous public answers', async () => {
      const res = await request(app).get('/api/open/catalog').expect(200);
      expect(res.headers['cache-control']).toBeUndefined();
    });
  });

  describe('rate limits (429 RATE_LIMITED with Retry-After)', () => {
    it('limits token issuance per IP, and nothing else', async () => {
      const { app: limited } = testApp(db, { RATE_LIMIT_TOKENS_PER_MINUTE: '2' });
      for (const login of ['gaj.staff', 'rsj.staff'])
        await request(limited).post('/api/dev/tokens').send({ login }).expect(201);
      const res = await request(limited).post('/api/dev/tokens').send({ login: 'wjw.staff' }).expect(429);
      expect(res.body.error).toMatchObject({ code: 'RATE_LIMITED', requestId: expect.any(String) });
      expect(res.body.error.messageEn).toMatch(/at most 2 a minute/);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(res.body.error.details).toMatchObject({ limit: 2, windowSeconds: 60 });
      expect(res.headers['cache-control']).toBe('no-store');
      // A refused token request is not an invalid one: even a bad body is counted first.
      await request(limited).post('/api/dev/tokens').send({}).expect(429);
      await request(limited).get('/healthz').expect(200);
    });

    it('limits writes per signed-in user (then per IP), not reads', async () => {
      const { app: limited } = testApp(db, { RATE_LIMIT_WRITES_PER_MINUTE: '2' });
      const rsj = await token('rsj.staff');
      const gaj = await token('gaj.staff');
      // Invalid bodies: counted like any write, and they write nothing.
      for (let i = 0; i < 2; i++)
        await request(limited).post('/api/applications').auth(rsj, { type: 'bearer' }).send({}).expect(400);
      const res = await request(limited).post('/api/applications').auth(rsj, { type: 'bearer' }).send({}).expect(429);
      expect(res.body.error.code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      await request(limited).put('/api/tenders/X/bid').auth(rsj, { type: 'bearer' }).send({}).expect(429);
      // Reads stay open, and another user has a budget of their own.
      await request(limited).get('/api/catalog').auth(rsj, { type: 'bearer' }).expect(200);
      await request(limited).post('/api/applications').auth(gaj, { type: 'bearer' }).send({}).expect(400);
      // Anonymous writes are counted per IP.
      for (let i = 0; i < 2; i++) await request(limited).post('/api/public/accounts').send({}).expect(400);
      await request(limited).post('/api/public/accounts').send({}).expect(429);
    });

    it('defaults apply outside tests, and 0 switches a limit off', async () => {
      const { config } = testApp(db, { RATE_LIMIT_TOKENS_PER_MINUTE: '', RATE_LIMIT_WRITES_PER_MINUTE: '' });
      expect(config.RATE_LIMIT_TOKENS_PER_MINUTE).toBe(20);
      expect(config.RATE_LIMIT_WRITES_PER_MINUTE).toBe(120);
      const { app: off } = testApp(db, { RATE_LIMIT_TOKENS_PER_MINUTE: '0' });
      for (let i = 0; i < 30; i++) await request(off).post('/api/dev/tokens').send({ login: 'nobody' }).expect(404);
    });
  });

  describe('/docs and /openapi.json (API_DOCS)', () => {
    it('serves Swagger UI under a CSP that lets it run: scripts from /docs only, no inline script', async () => {
      const res = await request(app).get('/docs/').expect(200).expect('content-type', /html/);
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-eval');
      // Every script of the page is a file the CSP allows, and each is served.
      const scripts = [...res.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const attrs of scripts) {
        const src = /src=["']\.\/([^"']+)["']/.exec(attrs);
        expect(src).not.toBeNull();
        await request(app)
          .get(`/docs/${src![1]}`)
          .expect(200)
          .expect('content-type', /javascript/);
      }
      await request(app).get('/openapi.json').expect(200);
    });

    it.each([
      ['production, API_DOCS unset', PROD, 404],
      ['production, API_DOCS=true', { ...PROD, API_DOCS: 'true' }, 200],
      ['development, API_DOCS=false', { NODE_ENV: 'development', API_DOCS: 'false' }, 404],
      ['development, API_DOCS unset', { NODE_ENV: 'development', API_DOCS: '' }, 200],
    ])('%s: %s', async (_name, overrides, status) => {
      const { app: a } = testApp(db, overrides);
      const docs = await request(a).get('/docs/');
      expect(docs.status).toBe(status);
      expect((await request(a).get('/openapi.json')).status).toBe(status);
      if (status === 404) expect(docs.body.error.code).toBe('NOT_FOUND');
    });

    it('refuses a value of API_DOCS other than true or false', () => {
      expect(() => testApp(db, { API_DOCS: 'yes' })).toThrow(/API_DOCS/);
    });
  });

  describe('bad paths: 400 INVALID_PATH on every route', () => {
    it.each([
      '/api/applications/%FF%FE',
      '/api/tasks/%E4%B8/complete',
      '/api/objections/%ZZ',
      '/api/admin/calendar/years/%C0%AF',
      '/api/nothing-here/%FF',
    ])('GET %s', async (url) => {
      const t = await token('dsj.admin');
      const res = await request(app).get(url).auth(t, { type: 'bearer' }).expect(400);
      expect(res.body.error.code).toBe('INVALID_PATH');
      expect(res.body.error.details[0].path).toMatch(/^path\[\d+\]$/);
    });

    it('every documented path parameter, signed in or not', async () => {
      const doc = (await request(app).get('/openapi.json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const withParams = Object.entries(doc.paths).filter(([p]) => p.includes('{'));
      expect(withParams.length).toBeGreaterThan(10);
      const t = await token('dsj.admin');
      for (const [path, ops] of withParams) {
        for (const method of Object.keys(ops) as Array<'get' | 'post' | 'put' | 'delete'>) {
          const url = path.replace(/\{\w+\}/g, '%FF%FE');
          for (const auth of [true, false]) {
            const req = request(app)[method](url);
            const res = await (auth ? req.auth(t, { type: 'bearer' }) : req).send({});
            expect({ method, url, status: res.status, code: res.body.error?.code }).toEqual({
              method,
              url,
              status: 400,
              code: 'INVALID_PATH',
            });
          }
        }
      }
    });
  });

  describe('bad text: 400 INVALID_TEXT naming the field, nothing written', () => {
    it('a NUL in a query parameter', async () => {
      const res = await request(app)
        .get('/api/catalog?provider=%00')
        .auth(await token('gaj.staff'), { type: 'bearer' })
        .expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_TEXT', details: [{ path: 'query.provider' }] });
      expect(res.body.error.messageEn).toBe('query.provider contains a NUL character (U+0000) at position 0');
    });

    it('a malformed escape in a query parameter (it would be stored as U+FFFD)', async () => {
      const res = await request(app).get('/api/open/catalog?q=%FF').expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_TEXT', details: [{ path: 'query.q' }] });
    });

    it('a NUL in a path parameter', async () => {
      const res = await request(app)
        .get('/api/applications/%00')
        .auth(await token('gaj.staff'), { type: 'bearer' })
        .expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_TEXT', details: [{ path: 'path[2]' }] });
    });

    it.each([
      ['a NUL in free text', { purpose: 'a\u0000b' }, 'body.purpose'],
      ['a lone surrogate in a string array', { fieldsRequested: ['姓名', '\ud800'] }, 'body.fieldsRequested[1]'],
      ['an ANSI escape in free text', { legalDuty: '\u001b[2J\u001b[31m已批准' }, 'body.legalDuty'],
      ['a bidi override in free text', { purpose: '核验\u202e态状籍户' }, 'body.purpose'],
      ['a C1 control in free text', { purpose: '核验\u0085' }, 'body.purpose'],
      ['a lone carriage return', { purpose: '第一行\r第二行' }, 'body.purpose'],
    ])('%s', async (_name, over, field) => {
      const key = `boundary-${uniqueSuffix()}`;
      const before = await db.application.count();
      const res = await request(app)
        .post('/api/applications')
        .auth(await token('rsj.staff'), { type: 'bearer' })
        .send(application(key, over))
        .expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_TEXT', details: [{ path: field }] });
      expect(await db.application.count()).toBe(before);
      expect(await db.application.count({ where: { idempotencyKey: key } })).toBe(0);
    });

    it('a lone surrogate in a JSON value, and in a property name', async () => {
      const t = await token('dsj.admin');
      const res = await request(app)
        .put('/api/admin/calendar/years/2031')
        .auth(t, { type: 'bearer' })
        .send({ source: '国办发明电', holidays: [{ from: '2031-01-01', to: '2031-01-01', name: '\udc00' }] })
        .expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_TEXT', details: [{ path: 'body.holidays[0].name' }] });
      const key = await request(app)
        .post('/api/applications')
        .auth(t, { type: 'bearer' })
        .set('content-type', 'application/json')
        .send('{"meta":{"a\\u0000":1}}')
        .expect(400);
      expect(key.body.error.messageEn).toMatch(/^a property name in body.meta contains a NUL/);
    });

    it('lets Chinese text, emoji, tabs, CRLF and ZWJ through to the usual checks', async () => {
      const t = await token('gaj.staff');
      await request(app)
        .get(`/api/catalog?provider=${encodeURIComponent('公安\t😀')}`)
        .auth(t, { type: 'bearer' })
        .expect(200);
      const res = await request(app)
        .post('/api/applications')
        .auth(await token('rsj.staff'), { type: 'bearer' })
        .send(
          application(`boundary-${uniqueSuffix()}`, { purpose: '第一行\r\n\t👨\u200d👩\u200d👧', usePeriodDays: -1 }),
        )
        .expect(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('a body nested too deeply is refused before anything recurses on it', async () => {
      const res = await request(app)
        .post('/api/dev/tokens')
        .set('content-type', 'application/json')
        .send('['.repeat(5000) + ']'.repeat(5000))
        .expect(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('an unknown content encoding is 415, not a 500', async () => {
      const res = await request(app)
        .post('/api/dev/tokens')
        .set('content-type', 'application/json')
        .set('content-encoding', 'x-unknown')
        .send('{"login":"gaj.staff"}')
        .expect(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('a body that is not JSON: 415 naming its type, nothing written', () => {
    it.each([
      // curl -d without -H sends this type: the body was read as none, and refused for its first field.
      ['form-encoded (curl -d)', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
      ['text/plain', 'text/plain; charset=utf-8', 'text/plain'],
      ['a JSON-like type express does not parse', 'application/merge-patch+json', 'application/merge-patch+json'],
    ])('%s', async (_name, type, named) => {
      const key = `boundary-${uniqueSuffix()}`;
      const res = await request(app)
        .post('/api/applications')
        .auth(await token('rsj.staff'), { type: 'bearer' })
        .set('content-type', type)
        .send(JSON.stringify(application(key, {})))
        .expect(415);
      expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', details: { contentType: named } });
      expect(res.body.error.messageEn).toContain(`got ${named}`);
      expect(res.body.error.message).toContain('Content-Type: application/json');
      expect(await db.application.count({ where: { idempotencyKey: key } })).toBe(0);
    });

    it('a body without a Content-Type', async () => {
      const res = await request(app)
        .post('/api/dev/tokens')
        .set('content-type', '')
        .send(Buffer.from('{"login":"gaj.staff"}'))
        .expect(415);
      expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', details: { contentType: null } });
      expect(res.body.error.messageEn).toMatch(/got a body without a Content-Type$/);
    });

    it('an empty body of any type is no body: the handler answers as without one', async () => {
      const res = await request(app).post('/api/dev/tokens').set('content-type', 'text/plain').send('').expect(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('JSON with a charset passes', async () => {
      await request(app)
        .post('/api/dev/tokens')
        .set('content-type', 'application/json; charset=utf-8')
        .send('{"login":"gaj.staff"}')
        .expect(201);
    });
  });

  describe('error texts: message in Chinese, messageEn in English, the code unchanged', () => {
    const HAN = /\p{Script=Han}/u;
    const texts = (res: request.Response) => {
      const { code, message, messageEn } = res.body.error as { code: string; message: string; messageEn: string };
      expect(message).toMatch(HAN);
      expect(messageEn).not.toMatch(HAN);
      return { code, message, messageEn };
    };

    it('a body that is not JSON', async () => {
      const res = await request(app)
        .post('/api/dev/tokens')
        .set('content-type', 'application/json')
        .send('{"login":')
        .expect(400);
      expect(texts(res)).toEqual({
        code: 'INVALID_JSON',
        message: '请求内容不是有效的 JSON',
        messageEn: 'Request body is not valid JSON',
      });
    });

    it("a validation failure: zod's problem in Chinese, its English beside it, path and code as they were", async () => {
      const res = await request(app).post('/api/dev/tokens').send({ login: 5 }).expect(400);
      expect(texts(res)).toEqual({
        code: 'VALIDATION_FAILED',
        message: '请求体有误：login：类型有误：应为字符串，实际为数字',
        messageEn: 'Invalid body: login: Invalid input: expected string, received number',
      });
      expect(res.body.error.details).toEqual([
        { path: 'login', code: 'invalid_type', message: '类型有误：应为字符串，实际为数字' },
      ]);
      const query = await request(app)
        .get('/api/catalog?colour=red')
        .auth(await token('gaj.staff'), { type: 'bearer' })
        .expect(400);
      expect(texts(query)).toEqual({
        code: 'VALIDATION_FAILED',
        message: '查询参数有误：query：不允许的字段：colour',
        messageEn: 'Invalid query: query: Unrecognized key: "colour"',
      });
    });

    it('an unknown application (404) and an unknown route', async () => {
      const res = await request(app)
        .get('/api/applications/SQ-NO-SUCH')
        .auth(await token('gaj.staff'), { type: 'bearer' })
        .expect(404);
      expect(texts(res)).toEqual({
        code: 'NOT_FOUND',
        message: '申请 SQ-NO-SUCH 不存在',
        messageEn: 'No application SQ-NO-SUCH',
      });
      expect(texts(await request(app).get('/api/nothing-here').expect(404))).toMatchObject({
        code: 'NOT_FOUND',
        message: '不存在路由 GET /api/nothing-here',
      });
    });
  });
});
