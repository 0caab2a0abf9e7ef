import request from 'supertest';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { resources as seedResources } from '../../prisma/seed-data';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { startTestWorker, TestWorker } from '../support/worker';
import { allPages } from '../support/pages';

interface CatalogItem {
  code: string;
  name: string;
  openClass: string;
  provider: { id: string; name: string };
  updateFrequency: string;
  description: string;
  disputed: boolean;
  disputeMarks: Array<{ note: string }>;
}

describe('open data for the public (Art. 23–27) with real Postgres, Temporal and SMTP', () => {
  let db: Db;
  let worker: TestWorker;
  let app: ReturnType<typeof testApp>['app'];
  const tokens: Record<string, string> = {};
  const token = async (login: string) =>
    (tokens[login] ??= (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
  const bearer = async (login: string) => [await token(login), { type: 'bearer' as const }] as const;

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    ({ app } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue }));
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.$disconnect();
  });

  const openCodes = seedResources
    .filter((r) => r.openClass !== 'NOT_OPEN')
    .map((r) => r.code)
    .sort();
  const notOpenCodes = seedResources.filter((r) => r.openClass === 'NOT_OPEN').map((r) => r.code);

  const application = (overrides: Record<string, unknown> = {}) => ({
    idempotencyKey: `open-${uniqueSuffix()}`,
    resourceCodes: ['WJW-004'],
    fieldOfUse: 'SOCIAL_SERVICE',
    purpose: '开发传染病防控科普小程序',
    scenario: '按月展示法定传染病发病趋势，提示市民做好防护',
    fieldsRequested: ['月份', '病种', '发病数'],
    securityMeasures: '仅使用汇总数据，服务器位于境内并通过等保二级',
    securityPledgeAccepted: true,
    commercialUse: false,
    usePeriodDays: 180,
    ...overrides,
  });

  describe('the open catalogue', () => {
    it('is listed to an anonymous user, with UNCONDITIONAL and CONDITIONAL resources only, never NOT_OPEN', async () => {
      const items = await allPages<CatalogItem>((q) => request(app).get(`/api/open/catalog?${q}`).expect(200));
      // Other test files may add resources to the shared database: every seeded open one is listed, no NOT_OPEN one is.
      expect(items.map((i) => i.code)).toEqual(expect.arrayContaining(openCodes));
      expect(new Set(items.map((i) => i.code)).size).toBe(items.length);
      for (const code of notOpenCodes) expect(items.map((i) => i.code)).not.toContain(code);
      const notOpenInDb = await db.dataResource.count({ where: { openClass: 'NOT_OPEN' } });
      expect(notOpenInDb).toBeGreaterThan(0);
      expect(new Set(items.map((i) => i.openClass))).toEqual(new Set(['UNCONDITIONAL', 'CONDITIONAL']));
      expect(items.find((i) => i.code === 'GAJ-003')).toMatchObject({
        provider: { id: 'gaj', name: '市公安局' },
        updateFrequency: '每月',
        description: '公安户籍窗口地址与办公时间',
      });
      // Asking for the NOT_OPEN list is not a thing the public can do.
      expect((await request(app).get('/api/open/catalog?openClass=NOT_OPEN').expect(400)).body.error.code).toBe(
        'VALIDATION_FAILED',
      );
    });

    it('is searchable by keyword and provider, and paged with cursor/limit like every list', async () => {
      const insurance = await request(app)
        .get(`/api/open/catalog?q=${encodeURIComponent('医保')}`)
        .expect(200);
      const insuranceCodes = insurance.body.items.map((i: CatalogItem) => i.code);
      expect(insuranceCodes).toEqual(expect.arrayContaining(['YBJ-001', 'YBJ-003']));
      expect(insuranceCodes).not.toContain('YBJ-002');
      expect(
        insurance.body.items.every((i: CatalogItem) => `${i.code} ${i.name} ${i.description}`.includes('医保')),
      ).toBe(true);
      const gaj = await request(app).get('/api/open/catalog?provider=gaj').expect(200);
      expect(gaj.body.items.every((i: CatalogItem) => i.provider.id === 'gaj')).toBe(true);
      expect(gaj.body.items.map((i: CatalogItem) => i.code)).toContain('GAJ-003');
      expect(gaj.body.items.map((i: CatalogItem) => i.code)).not.toContain('GAJ-001');
      const all = (await allPages<CatalogItem>((q) => request(app).get(`/api/open/catalog?${q}`).expect(200))).map(
        (i) => i.code,
      );
      const page1 = await request(app).get('/api/open/catalog?limit=3').expect(200);
      const page2 = await request(app).get(`/api/open/catalog?limit=3&cursor=${page1.body.nextCursor}`).expect(200);
      expect(page2.body.items.map((i: CatalogItem) => i.code)).toEqual(all.slice(3, 6));
      expect(page2.body).not.toHaveProperty('total');
      expect((await request(app).get('/api/open/catalog?pageSize=3').expect(400)).body.error.code).toBe(
        'VALIDATION_FAILED',
      );
    });

    it('shows an active dispute mark, and no longer once it is cleared', async () => {
      const resource = await db.dataResource.findUniqueOrThrow({ where: { code: 'ZRZY-003' } });
      const objectionId = newId();
      const suffix = uniqueSuffix();
      await db.objection.create({
        data: {
          id: objectionId,
          objectionNo: `YY-T-${suffix}`,
          workflowId: `objection/YY-T-${suffix}`,
          resourceId: resource.id,
          objectorUserId: 'u-citizen.zhang',
          kind: 'ERROR',
          facts: '隐患点位置有误',
          requestedCorrection: '更正坐标',
          receivedAt: new Date(),
        },
      });
      const mark = await db.disputeMark.create({
        data: { id: newId(), objectionId, resourceId: resource.id, note: `存在异议 ${suffix}` },
      });
      try {
        const marked = (await request(app).get('/api/open/catalog?q=ZRZY-003').expect(200)).body
          .items[0] as CatalogItem;
        expect(marked.disputed).toBe(true);
        expect(marked.disputeMarks.map((m) => m.note)).toContain(`存在异议 ${suffix}`);
      } finally {
        await db.disputeMark.update({ where: { id: mark.id }, data: { clearedAt: new Date() } });
      }
      const cleared = (await request(app).get('/api/open/catalog?q=ZRZY-003').expect(200)).body.items[0] as CatalogItem;
      expect(cleared.disputeMarks.map((m) => m.note)).not.toContain(`存在异议 ${suffix}`);
    });
  });

  describe('downloads (Art. 26)', () => {
    it('UNCONDITIONAL open data is fetched at once, anonymously or signed in, and every download is recorded', async () => {
      const anonymous = await request(app)
        .get('/api/open/resources/GAJ-003/download')
        .set('x-request-id', `dl-${uniqueSuffix()}`)
        .expect(200);
      expect(anonymous.headers['content-type']).toContain('text/csv');
      expect(anonymous.text.split('\n')[0]).toBe('网点名称,地址,办公时间,电话');
      const anonRow = await db.openDataDownload.findUniqueOrThrow({
        where: { id: anonymous.headers['x-download-id'] },
        include: { resource: true },
      });
      expect(anonRow).toMatchObject({ userId: null, requestId: anonymous.headers['x-request-id'] });
      expect(anonRow.resource.code).toBe('GAJ-003');
      const signedIn = await request(app)
        .get('/api/open/resources/GAJ-003/download')
        .auth(...(await bearer('citizen.zhang')))
        .expect(200);
      expect(
        await db.openDataDownload.findUniqueOrThrow({ where: { id: signedIn.headers['x-download-id'] } }),
      ).toMatchObject({ userId: 'u-citizen.zhang', publicApplicantId: 'pa-zhang' });
      const stats = await request(app)
        .get('/api/open/downloads/stats')
        .auth(...(await bearer('dsj.reviewer')))
        .expect(200);
      const gaj3 = stats.body.items.find((i: { code: string }) => i.code === 'GAJ-003');
      expect(gaj3.anonymous).toBeGreaterThanOrEqual(1);
      expect(gaj3.signedIn).toBeGreaterThanOrEqual(1);
      expect(
        (
          await request(app)
            .get('/api/open/downloads/stats')
            .auth(...(await bearer('citizen.zhang')))
        ).status,
      ).toBe(403);
    });

    it('NOT_OPEN data cannot be downloaded at all, and CONDITIONAL data only with an authorisation', async () => {
      expect((await request(app).get('/api/open/resources/GAJ-001/download').expect(404)).body.error.code).toBe(
        'NOT_FOUND',
      );
      const conditional = await request(app)
        .get('/api/open/resources/SCJG-004/download')
        .auth(...(await bearer('citizen.zhang')))
        .expect(403);
      expect(conditional.body.error.message).toContain('/api/open/applications');
    });
  });

  describe('public applicant registration', () => {
    it('registers a citizen idempotently, refuses the same login with other details, and the account can sign in', async () => {
      const login = `citizen.${uniqueSuffix()}`;
      const body = {
        login,
        displayName: '李雷',
        email: `${login}@mail.liaocheng.example`,
        kind: 'CITIZEN',
        name: '李雷',
      };
      const created = await request(app).post('/api/public/accounts').send(body).expect(201);
      expect(created.body).toMatchObject({
        login,
        accountType: 'PUBLIC',
        roles: ['PUBLIC_APPLICANT'],
        applicant: { kind: 'CITIZEN', name: '李雷' },
      });
      expect((await request(app).post('/api/public/accounts').send(body).expect(200)).body.applicant.id).toBe(
        created.body.applicant.id,
      );
      expect(
        (
          await request(app)
            .post('/api/public/accounts')
            .send({ ...body, name: '韩梅梅' })
            .expect(409)
        ).body.error.code,
      ).toBe('CONFLICT');
      const me = await request(app)
        .get('/api/public/me')
        .auth(...(await bearer(login)))
        .expect(200);
      expect(me.body.applicant.id).toBe(created.body.applicant.id);
    });

    it('requires a valid 统一社会信用代码 for organisations and refuses one already registered', async () => {
      const login = `org.${uniqueSuffix()}`;
      const org = {
        login,
        displayName: '某研究院',
        email: `${login}@mail.liaocheng.example`,
        kind: 'RESEARCH_INSTITUTE',
        name: `聊城某研究院 ${login}`,
      };
      const missing = await request(app).post('/api/public/accounts').send(org).expect(400);
      expect(missing.body.error.message).toContain('unifiedCreditCode');
      expect(
        (
          await request(app)
            .post('/api/public/accounts')
            .send({ ...org, unifiedCreditCode: 'ABC' })
            .expect(400)
        ).body.error.code,
      ).toBe('VALIDATION_FAILED');
      // One character mistyped: the shape holds, the check character (GB 32100-2015) does not.
      const typo = await request(app)
        .post('/api/public/accounts')
        .send({ ...org, unifiedCreditCode: '91371500MA3C00021M' })
        .expect(400);
      expect(typo.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'unifiedCreditCode', message: expect.stringContaining('校验码') }],
      });
      expect(typo.body.error.messageEn).toContain('the check character (the 18th) does not match the first 17');
      expect(await db.user.count({ where: { login } })).toBe(0);
      const taken = await request(app)
        .post('/api/public/accounts')
        .send({ ...org, unifiedCreditCode: '91371500MA3C00001J' })
        .expect(409);
      expect(taken.body.error.message).toContain('91371500MA3C00001J');
    });
  });

  describe('conditional open applications (Art. 27)', () => {
    it('an anonymous user can list the open catalogue but not apply; a staff member cannot apply either', async () => {
      await request(app).get('/api/open/catalog').expect(200);
      expect((await request(app).post('/api/open/applications').send(application()).expect(401)).body.error.code).toBe(
        'UNAUTHENTICATED',
      );
      expect(
        (
          await request(app)
            .post('/api/open/applications')
            .auth(...(await bearer('gaj.staff')))
            .send(application())
            .expect(403)
        ).body.error.code,
      ).toBe('FORBIDDEN');
    });

    it('NOT_OPEN resources cannot be applied for; UNCONDITIONAL ones are downloaded instead', async () => {
      for (const code of ['GAJ-001', 'WJW-003']) {
        const res = await request(app)
          .post('/api/open/applications')
          .auth(...(await bearer('citizen.zhang')))
          .send(application({ resourceCodes: [code], fieldsRequested: ['病历号'] }))
          .expect(422);
        expect(res.body.error.code).toBe('RESOURCE_NOT_OPEN');
      }
      const unconditional = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer('citizen.zhang')))
        .send(application({ resourceCodes: ['GAJ-003'], fieldsRequested: ['地址'] }))
        .expect(422);
      expect(unconditional.body.error.code).toBe('RESOURCE_CLASS_MISMATCH');
    });

    it('commercial purpose is refused at submission with a pointer to the tender procedure; research needs a university or institute and non-profit use; the pledge is mandatory', async () => {
      const before = await db.application.count({
        where: { procedure: 'CONDITIONAL_OPEN', applicantPublicId: { in: ['pa-hengxin', 'pa-zhang'] } },
      });
      const commercial = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer('company.hengxin')))
        .send(application({ commercialUse: true }))
        .expect(422);
      expect(commercial.body.error).toMatchObject({
        code: 'COMMERCIAL_USE_REQUIRES_TENDER',
        details: { procedure: 'COMMERCIAL_TENDER' },
      });
      expect(commercial.body.error.messageEn).toContain('tender');
      // It points to the public tender list, which anyone can open.
      expect(commercial.body.error.details.tenders).toEqual({ href: '/api/tenders', method: 'GET', auth: 'none' });
      expect(commercial.body.error.messageEn).toContain('GET /api/tenders');
      expect((await request(app).get(commercial.body.error.details.tenders.href).expect(200)).body.items).toEqual(
        expect.any(Array),
      );
      // An unknown resource code is a bad body (422 naming the codes), not a missing URL.
      const unknown = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer('citizen.zhang')))
        .send(application({ resourceCodes: ['WJW-004', 'NOPE-9'] }))
        .expect(422);
      expect(unknown.body.error).toMatchObject({ code: 'UNKNOWN_RESOURCE', details: { codes: ['NOPE-9'] } });
      const citizenResearch = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer('citizen.zhang')))
        .send(application({ fieldOfUse: 'RESEARCH', nonProfitResearch: true }))
        .expect(422);
      expect(citizenResearch.body.error.code).toBe('RESEARCH_USE_NOT_ELIGIBLE');
      const forProfit = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer('university.lcu')))
        .send(application({ fieldOfUse: 'RESEARCH' }))
        .expect(422);
      expect(forProfit.body.error.code).toBe('RESEARCH_USE_NOT_ELIGIBLE');
      const noPledge = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer('citizen.zhang')))
        .send(application({ securityPledgeAccepted: false }))
        .expect(400);
      expect(noPledge.body.error.message).toContain('securityPledgeAccepted');
      expect(
        await db.application.count({
          where: { procedure: 'CONDITIONAL_OPEN', applicantPublicId: { in: ['pa-hengxin', 'pa-zhang'] } },
        }),
      ).toBe(before);
    });

    it("a citizen's application is agreed by the provider, the citizen accepts the agreement and is authorised; the authority follows up and revokes it", async () => {
      // A freshly registered citizen, so its mailbox holds only this case's mail.
      const login = `citizen.${uniqueSuffix()}`;
      const email = `${login}@mail.liaocheng.example`;
      await request(app)
        .post('/api/public/accounts')
        .send({ login, displayName: '王芳', email, kind: 'CITIZEN', name: '王芳' })
        .expect(201);
      const body = application();
      const submitted = await request(app)
        .post('/api/open/applications')
        .auth(...(await bearer(login)))
        .send(body)
        .expect(201);
      const no: string = submitted.body.applicationNo;
      expect(no).toMatch(/^KF-\d{8}-/);
      expect(submitted.body).toMatchObject({
        procedure: 'CONDITIONAL_OPEN',
        fieldOfUse: 'SOCIAL_SERVICE',
        scenario: body.scenario,
      });
      // Answered once the first step is done: the provider's review is open already.
      expect(submitted.body.tasks.length).toBeGreaterThan(0);
      expect(submitted.body.tasks.every((t: { status: string }) => t.status === 'OPEN')).toBe(true);
      expect(
        (
          await request(app)
            .post('/api/open/applications')
            .auth(...(await bearer(login)))
            .send(body)
            .expect(200)
        ).body.applicationNo,
      ).toBe(no);
      // The detail shows the catalog version the application cites, as it stood then.
      const wjw = await db.dataResource.findUniqueOrThrow({ where: { code: 'WJW-004' } });
      const own = await request(app)
        .get(`/api/open/applications/${no}`)
        .auth(...(await bearer(login)))
        .expect(200);
      expect(own.body.resources).toEqual([
        expect.objectContaining({
          code: 'WJW-004',
          citedVersion: expect.objectContaining({
            code: 'WJW-004',
            version: wjw.version,
            name: wjw.name,
            openClass: 'CONDITIONAL',
          }),
        }),
      ]);
      // Another applicant cannot see it.
      expect(
        (
          await request(app)
            .get(`/api/open/applications/${no}`)
            .auth(...(await bearer('citizen.zhang')))
        ).status,
      ).toBe(404);

      // The provider finds the case in its inbox by its number (generic task API).
      const task = await eventually(async () => {
        const res = await request(app)
          .get(`/api/inbox?caseNo=${no}`)
          .auth(...(await bearer('wjw.reviewer')))
          .expect(200);
        return res.body.items[0] as { id: string; step: string; application: { applicationNo: string } } | undefined;
      }, 'the provider task');
      expect(task.step).toBe('OPEN_PROVIDER_DECISION');
      expect(task.application.applicationNo).toBe(no);
      // The provider judges what was applied for: field of use, scenario, security measures, research flag.
      const detail = await request(app)
        .get(`/api/tasks/${task.id}`)
        .auth(...(await bearer('wjw.reviewer')))
        .expect(200);
      expect(detail.body.application).toMatchObject({
        applicationNo: no,
        fieldOfUse: 'SOCIAL_SERVICE',
        scenario: body.scenario,
        securityMeasures: body.securityMeasures,
        nonProfitResearch: false,
        securityPledgeAccepted: true,
        fieldsRequested: body.fieldsRequested,
        applicantPublic: { name: '王芳', kind: 'CITIZEN' },
        resources: [expect.objectContaining({ code: 'WJW-004' })],
      });
      await eventually(async () => {
        const res = await request(app)
          .post(`/api/tasks/${task.id}/complete`)
          .auth(...(await bearer('wjw.reviewer')))
          .send({ decision: 'AGREE' });
        return res.status === 200 || (res.status !== 409 && Promise.reject(new Error(JSON.stringify(res.body))));
      }, 'the provider decision');

      const offered = await eventually(async () => {
        const res = await request(app)
          .get(`/api/open/applications/${no}`)
          .auth(...(await bearer(login)))
          .expect(200);
        return res.body.status === 'AGREEMENT_PENDING' && res.body;
      }, 'the agreement offer');
      expect(offered.agreements[0]).toMatchObject({ kind: 'OPEN_USE', status: 'PENDING' });
      // The deadline to accept is in the answer, not only in the mail: the one the procedure waits for.
      const waitsFor = await db.timelineEvent.findFirstOrThrow({
        where: { application: { applicationNo: no }, kind: 'AGREEMENT_PENDING' },
      });
      const acceptByMs = (waitsFor.data as { acceptByMs: number }).acceptByMs;
      expect(offered.agreementAcceptBy).toBe(new Date(acceptByMs).toISOString());
      expect(offered.agreements[0].acceptBy).toBe(offered.agreementAcceptBy);
      expect(new Date(offered.agreementAcceptBy).getTime()).toBeGreaterThan(Date.now());
      expect(offered.agreements[0].terms).toContain('不得用于商业开发');
      // Only the applicant answers.
      expect(
        (
          await request(app)
            .post(`/api/open/applications/${no}/agreement`)
            .auth(...(await bearer('citizen.zhang')))
            .send({ accept: true })
        ).status,
      ).toBe(404);
      const accepted = await request(app)
        .post(`/api/open/applications/${no}/agreement`)
        .auth(...(await bearer(login)))
        .send({ accept: true })
        .expect(200);
      expect(accepted.body.status).toBe('APPROVED');
      expect(accepted.body.grants).toEqual([
        expect.objectContaining({ resourceCode: 'WJW-004', status: 'ACTIVE', accessMode: 'DOWNLOAD' }),
      ]);
      const authorizationId: string = accepted.body.authorization.id;
      expect(accepted.body.authorization).toMatchObject({ status: 'ACTIVE' });
      expect(new Date(accepted.body.authorization.endsAt).getTime()).toBe(
        new Date(accepted.body.grants[0].expiresAt).getTime(),
      );

      // The authorised citizen can now fetch the conditionally open data; the download names the grant.
      const download = await request(app)
        .get('/api/open/resources/WJW-004/download')
        .auth(...(await bearer(login)))
        .expect(200);
      expect(
        (await db.openDataDownload.findUniqueOrThrow({ where: { id: download.headers['x-download-id'] } })).grantId,
      ).not.toBeNull();

      // Use report, once per period.
      const report = { period: '2026-Q4', summary: '小程序上线，月活用户约三千人，未发生数据安全事件' };
      await request(app)
        .post(`/api/open/authorizations/${authorizationId}/use-reports`)
        .auth(...(await bearer(login)))
        .send(report)
        .expect(201);
      await request(app)
        .post(`/api/open/authorizations/${authorizationId}/use-reports`)
        .auth(...(await bearer(login)))
        .send(report)
        .expect(200);
      expect(
        (
          await request(app)
            .post(`/api/open/authorizations/${authorizationId}/use-reports`)
            .auth(...(await bearer(login)))
            .send({ ...report, summary: '另一份不同的报告内容' })
        ).status,
      ).toBe(409);
      expect(
        (
          await request(app)
            .post(`/api/open/authorizations/${authorizationId}/use-reports`)
            .auth(...(await bearer('citizen.zhang')))
            .send(report)
        ).status,
      ).toBe(404);

      // The authority lists authorisations with their reports, then revokes this one with reasons.
      const authority = await bearer('dsj.reviewer');
      const listedAll = await allPages<{ id: string; useReports: Array<{ period: string }> }>(
        (q) =>
          request(app)
            .get(`/api/open/authorizations?${q}`)
            .auth(...authority)
            .expect(200),
        'status=ACTIVE',
      );
      const listed = listedAll.find((a) => a.id === authorizationId);
      expect(listed).toMatchObject({
        applicationNo: no,
        operator: { name: '王芳', kind: 'CITIZEN' },
        resources: [expect.objectContaining({ code: 'WJW-004' })],
      });
      expect(listed!.useReports.map((r: { period: string }) => r.period)).toEqual(['2026-Q4']);
      expect(
        (
          await request(app)
            .get('/api/open/authorizations')
            .auth(...(await bearer('wjw.reviewer')))
        ).status,
      ).toBe(403);
      expect(
        (
          await request(app)
            .post(`/api/open/authorizations/${authorizationId}/revoke`)
            .auth(...(await bearer('dsj.reviewer')))
            .send({})
            .expect(400)
        ).body.error.messageEn,
      ).toContain('reasons');
      const revoked = await request(app)
        .post(`/api/open/authorizations/${authorizationId}/revoke`)
        .auth(...(await bearer('dsj.reviewer')))
        .send({ reasons: '超出协议约定范围向第三方提供数据' })
        .expect(200);
      expect(revoked.body).toMatchObject({ status: 'REVOKED', endedReason: '超出协议约定范围向第三方提供数据' });
      expect(
        (
          await request(app)
            .get('/api/open/resources/WJW-004/download')
            .auth(...(await bearer(login)))
        ).status,
      ).toBe(403);
      const after = await request(app)
        .get(`/api/open/applications/${no}`)
        .auth(...(await bearer(login)))
        .expect(200);
      expect(after.body.status).toBe('REVOKED');
      expect(after.body.timeline.map((e: { kind: string }) => e.kind)).toEqual([
        'SUBMITTED',
        'PROVIDER_REVIEW',
        'AGREEMENT_PENDING',
        'APPROVED',
        'REVOKED',
      ]);

      // The citizen was told at each step, through real SMTP.
      // The workflow queues the revocation mail right after recording the revocation: dispatch until it is there.
      const transport = createTransport(process.env.SMTP_URL!);
      const templates = new MailTemplates();
      const mail = await eventually(async () => {
        while (
          (await dispatchOutboxOnce({
            db,
            transport,
            templates,
            from: 'system <no-reply@liaocheng.example>',
            logger: createLogger('test', 'silent'),
            batchSize: 200,
            dedupeKeyPrefix: `${no}:`,
          })) > 0
        );
        const mine = (await receivedMail()).filter((m) => m.to.some((t) => t.address === email));
        return mine.length >= 3 && mine;
      }, 'mail to the citizen');
      transport.close();
      const subjects = mail.map((m) => m.subject).join('\n');
      expect(subjects).toContain('开放利用协议');
      expect(subjects).toContain('开放授权');
      expect(subjects).toContain('授权撤销');
      expect(mail.find((m) => m.subject.includes('授权撤销'))!.text).toContain('超出协议约定范围向第三方提供数据');
    });
  });
});
