import request from 'supertest';
import { createDb, type Db } from '../../lib/db';
import { resources } from '../../prisma/seed-data';
import { seed } from '../../prisma/seed';
import { newId } from '../../lib/ids';
import { testApp, testDb, uniqueSuffix } from '../support/env';
import { testResource } from '../support/objections';
import { allPages, expectCursorPaging } from '../support/pages';

describe('API foundation (real Postgres and Temporal)', () => {
  let db: Db;
  let app: ReturnType<typeof testApp>['app'];
  let staffToken: string;

  beforeAll(async () => {
    db = testDb();
    ({ app } = testApp(db));
    const res = await request(app).post('/api/dev/tokens').send({ login: 'gaj.staff' }).expect(201);
    staffToken = res.body.token;
  });
  afterAll(() => db.$disconnect());

  it('reports Postgres and Temporal healthy', async () => {
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body.checks).toEqual({ postgres: { ok: true }, temporal: { ok: true } });
  });

  it('reports Temporal down (503) when it cannot be reached, instead of failing', async () => {
    const { app: broken } = testApp(db, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const res = await request(broken).get('/healthz').expect(503);
    expect(res.body.checks.temporal.ok).toBe(false);
    expect(res.body.checks.postgres.ok).toBe(true);
  });

  it('reports Postgres down (503) naming why, not with an empty error', async () => {
    // Port 1 on the loopback: the connection is refused at once.
    const unreachable = createDb('postgresql://nobody:nothing@127.0.0.1:1/govdata');
    try {
      const { app: broken } = testApp(unreachable);
      const res = await request(broken).get('/healthz').expect(503);
      expect(res.body.checks.temporal.ok).toBe(true);
      expect(res.body.checks.postgres).toEqual({
        ok: false,
        error: expect.stringContaining("Can't reach database server at 127.0.0.1:1"),
      });
    } finally {
      await unreachable.$disconnect();
    }
  });

  it('lists the seeded catalog for a signed-in user, filtered and paged with cursor/limit', async () => {
    const list = (query: string) =>
      request(app).get(`/api/catalog?${query}`).auth(staffToken, { type: 'bearer' }).expect(200);
    const all = await allPages<{ code: string }>(list);
    // Other test files add resources of their own to the shared database; every seeded one is listed.
    expect(all.map((r) => r.code)).toEqual(expect.arrayContaining(resources.map((r) => r.code)));
    expect(new Set(all.map((r) => r.code)).size).toBe(all.length);
    const conditional = await request(app)
      .get('/api/catalog?shareClass=CONDITIONAL&provider=gaj')
      .auth(staffToken, { type: 'bearer' })
      .expect(200);
    expect(conditional.body.items.map((r: { code: string }) => r.code)).toEqual(['GAJ-001', 'GAJ-002']);
    const page1 = await list('limit=5');
    expect(page1.body.items).toHaveLength(5);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await list(`limit=5&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((r: { code: string }) => r.code)).toEqual(all.slice(5, 10).map((r) => r.code));
  });

  it('covers every share class and open class, with a legal basis wherever the class is not UNCONDITIONAL', async () => {
    const rows = await db.dataResource.findMany();
    expect(new Set(rows.map((r) => r.shareClass))).toEqual(new Set(['UNCONDITIONAL', 'CONDITIONAL', 'NOT_SHARED']));
    expect(new Set(rows.map((r) => r.openClass))).toEqual(new Set(['UNCONDITIONAL', 'CONDITIONAL', 'NOT_OPEN']));
    for (const r of rows) {
      if (r.shareClass !== 'UNCONDITIONAL') expect(r.shareLegalBasis).toBeTruthy();
      if (r.openClass !== 'UNCONDITIONAL') expect(r.openLegalBasis).toBeTruthy();
    }
  });

  it('seeding twice changes nothing', async () => {
    const count = async () =>
      Promise.all([db.department.count(), db.user.count(), db.dataResource.count(), db.catalog.count()]);
    const before = await count();
    const resource = await db.dataResource.findUniqueOrThrow({ where: { code: 'GAJ-001' } });
    await seed(db);
    expect(await count()).toEqual(before);
    expect((await db.dataResource.findUniqueOrThrow({ where: { code: 'GAJ-001' } })).createdAt).toEqual(
      resource.createdAt,
    );
  });

  it('lists departments for any signed-in user', async () => {
    const res = await request(app).get('/api/departments').auth(staffToken, { type: 'bearer' }).expect(200);
    expect(res.body.items.filter((d: { kind: string }) => d.kind === 'GOVERNMENT').length).toBeGreaterThanOrEqual(6);
  });

  describe('the lists that answered in full page with cursor/limit like every list (issue 13 point 12)', () => {
    const get = (token: string, path: string) => (query: string) =>
      request(app)
        .get(`${path}${query ? `?${query}` : ''}`)
        .auth(token, { type: 'bearer' });
    let reviewerToken: string;
    beforeAll(async () => {
      reviewerToken = (await request(app).post('/api/dev/tokens').send({ login: 'dsj.reviewer' }).expect(201)).body
        .token;
    });

    it('GET /api/departments', async () => {
      await expectCursorPaging(get(staffToken, '/api/departments'), 'id');
      const all = await allPages<{ id: string }>(get(staffToken, '/api/departments'));
      expect(all.map((d) => d.id)).toEqual(expect.arrayContaining(['gaj', 'dsj', 'rsj']));
    });

    it('GET /api/catalog/drafts (a department’s, as the data authority reads them)', async () => {
      const department = `t-${uniqueSuffix()}`;
      await db.department.create({ data: { id: department, name: `测试部门 ${department}`, kind: 'GOVERNMENT' } });
      for (let i = 0; i < 5; i++) {
        const no = `ML-T-${uniqueSuffix()}`;
        await db.catalogDraft.create({
          data: {
            id: newId(),
            draftNo: no,
            workflowId: `catalog-review/${no}`,
            departmentId: department,
            code: `T-PAGE-${uniqueSuffix().toUpperCase()}`,
            name: '分页测试条目',
            description: '分页测试',
            fields: ['编号'],
            shareClass: 'UNCONDITIONAL',
            openClass: 'UNCONDITIONAL',
            updateFrequency: '每月',
            sourceSystem: '测试系统',
            status: 'DRAFT',
            createdById: 'u-gaj.staff',
            idempotencyKey: no,
            requestHash: 'paging',
            // Two drafts at the same instant: the id breaks the tie, no row is skipped or repeated.
            submittedAt: new Date(Date.UTC(2026, 10, 1 + Math.min(i, 3))),
          },
        });
      }
      const departments = await get(staffToken, '/api/departments')('limit=1');
      await expectCursorPaging(
        get(reviewerToken, '/api/catalog/drafts'),
        'draftNo',
        `department=${department}`,
        departments.body.nextCursor,
      );
    });

    it('GET /api/catalog/entries/{code}/history (newest version first)', async () => {
      const resource = await testResource(db, 'gaj');
      for (let version = 1; version <= 5; version++)
        await db.dataResourceVersion.create({
          data: {
            id: newId(),
            resourceId: resource.id,
            version,
            draftId: `draft-paging-${newId()}`,
            snapshot: { code: resource.code, version },
            submittedById: 'u-gaj.staff',
            publishedById: 'u-dsj.reviewer',
            publishedAt: new Date(Date.UTC(2026, 10, version)),
          },
        });
      const history = get(staffToken, `/api/catalog/entries/${resource.code}/history`);
      await expectCursorPaging(history, 'version');
      const first = await history('limit=2');
      expect(first.body).toMatchObject({ code: resource.code, items: [{ version: 5 }, { version: 4 }] });
    });
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await request(app).get('/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/api/dev/tokens', '/api/departments', '/api/catalog']),
    );
    await request(app).get('/docs/').expect(200).expect('content-type', /html/);
  });

  describe('bad requests get a 4xx with a stable code and a message, never a 500', () => {
    const cases: Array<[string, () => request.Test, number, string]> = [
      ['no token', () => request(app).get('/api/catalog'), 401, 'UNAUTHENTICATED'],
      [
        'garbage token',
        () => request(app).get('/api/catalog').set('authorization', 'Bearer abc.def.ghi'),
        401,
        'INVALID_TOKEN',
      ],
      [
        'not a bearer header',
        () => request(app).get('/api/departments').set('authorization', 'Basic Zm9vOmJhcg=='),
        401,
        'INVALID_TOKEN',
      ],
      [
        'bad share class',
        () => request(app).get('/api/catalog?shareClass=SOMETIMES').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'limit 0',
        () => request(app).get('/api/catalog?limit=0').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'limit too large',
        () => request(app).get('/api/catalog?limit=100000').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a cursor not from this list',
        () => request(app).get('/api/catalog?cursor=%2Fnot%2Ba%2Bcursor').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'the offset paging of old (one scheme everywhere: cursor/limit)',
        () => request(app).get('/api/catalog?page=2&pageSize=5').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'unknown query parameter',
        () => request(app).get('/api/catalog?colour=red').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'repeated query parameter',
        () => request(app).get('/api/catalog?provider=a&provider=b').auth(staffToken, { type: 'bearer' }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'malformed JSON',
        () => request(app).post('/api/dev/tokens').set('content-type', 'application/json').send('{"login":'),
        400,
        'INVALID_JSON',
      ],
      ['missing login', () => request(app).post('/api/dev/tokens').send({}), 400, 'VALIDATION_FAILED'],
      ['login of wrong type', () => request(app).post('/api/dev/tokens').send({ login: 42 }), 400, 'VALIDATION_FAILED'],
      ['unknown login', () => request(app).post('/api/dev/tokens').send({ login: 'nobody' }), 404, 'UNKNOWN_LOGIN'],
      ['JSON array body', () => request(app).post('/api/dev/tokens').send([1, 2]), 400, 'VALIDATION_FAILED'],
      ['unknown route', () => request(app).get('/api/nothing-here'), 404, 'NOT_FOUND'],
    ];
    it.each(cases)('%s', async (_name, send, status, code) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toEqual(expect.any(String));
      expect(res.headers['x-request-id']).toBeTruthy();
    });
  });

  it('refuses development tokens in production mode', async () => {
    const { app: prod } = testApp(db, { NODE_ENV: 'production' });
    const res = await request(prod).post('/api/dev/tokens').send({ login: 'gaj.staff' }).expect(403);
    expect(res.body.error.code).toBe('DEV_TOKENS_DISABLED');
  });
});
