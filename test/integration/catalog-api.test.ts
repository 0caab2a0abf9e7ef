import request from 'supertest';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { seed } from '../../prisma/seed';
import { resources as seedResources } from '../../prisma/seed-data';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { activeGrant } from '../support/objections';
import { startTestWorker, type TestWorker } from '../support/worker';

const BASIS = '《中华人民共和国数据安全法》第三十八条';

describe('catalog management API (Art. 16–18, 21, 24–25) with real Postgres, Temporal and SMTP', () => {
  let db: Db;
  let worker: TestWorker;
  let app: ReturnType<typeof testApp>['app'];
  const tokens: Record<string, string> = {};
  const workflowIds: string[] = [];

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    ({ app } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue }));
    for (const login of ['zrzyj.staff', 'zrzyj.reviewer', 'gaj.staff', 'rsj.staff', 'dsj.reviewer', 'water.staff'])
      tokens[login] = (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token;
  });
  afterAll(async () => {
    // Nothing of these cases may look open to later files sharing the database.
    await db?.task.updateMany({
      where: { workflowId: { in: workflowIds }, status: { in: ['OPEN', 'CLAIMED'] } },
      data: { status: 'CANCELLED' },
    });
    await worker?.stop();
    await db?.$disconnect();
  });

  const as = (login: string) => [tokens[login], { type: 'bearer' as const }] as const;
  const entry = (overrides: Record<string, unknown> = {}) => {
    const code = `T-API-${uniqueSuffix().toUpperCase()}`;
    return {
      idempotencyKey: `cat-${uniqueSuffix()}`,
      code,
      name: `测试目录 ${code}`,
      description: '目录管理接口测试用条目',
      fields: [`编号-${code}`, `名称-${code}`],
      shareClass: 'UNCONDITIONAL',
      openClass: 'UNCONDITIONAL',
      updateFrequency: '每月',
      sourceSystem: '不动产登记系统',
      ...overrides,
    };
  };
  const openTask = (workflowId: string, step: string) =>
    eventually(
      () => db.task.findFirst({ where: { workflowId, step, status: 'OPEN' }, orderBy: { createdAt: 'desc' } }),
      `the ${step} task of ${workflowId}`,
    );
  const complete = (login: string, taskId: string, body: Record<string, unknown>) =>
    request(app)
      .post(`/api/tasks/${taskId}/complete`)
      .auth(...as(login))
      .send(body);

  async function publish(body: Record<string, unknown>, login = 'zrzyj.staff') {
    const created = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as(login))
      .send({ ...body, submit: true })
      .expect(201);
    workflowIds.push(created.body.workflowId);
    const review = await openTask(created.body.workflowId, 'CATALOG_REVIEW');
    await complete('dsj.reviewer', review.id, { decision: 'PUBLISH' }).expect(200);
    await eventually(
      async () => (await db.catalogDraft.findUniqueOrThrow({ where: { id: created.body.id } })).status === 'PUBLISHED',
      'the draft to be published',
    );
    return created.body as { draftNo: string; workflowId: string; id: string };
  }

  it('compile → submit → review → publish: the entry appears in the catalogue and, being open, in the open catalogue and its Art. 25 list; the mail reaches SMTP', async () => {
    const body = entry({ openClass: 'CONDITIONAL', openLegalBasis: BASIS });
    const compiled = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('zrzyj.staff'))
      .send(body)
      .expect(201);
    expect(compiled.body).toMatchObject({ status: 'DRAFT', code: body.code, steps: [] });
    // Repeating the request answers with the same draft.
    expect(
      (
        await request(app)
          .post('/api/catalog/drafts')
          .auth(...as('zrzyj.staff'))
          .send(body)
          .expect(200)
      ).body.draftNo,
    ).toBe(compiled.body.draftNo);
    const no = compiled.body.draftNo as string;
    workflowIds.push(compiled.body.workflowId);

    const submitted = await request(app)
      .post(`/api/catalog/drafts/${no}/submit`)
      .auth(...as('zrzyj.staff'))
      .expect(200);
    expect(submitted.body.status).toBe('SUBMITTED');
    const review = await openTask(compiled.body.workflowId, 'CATALOG_REVIEW');
    expect(review).toMatchObject({ procedure: 'CATALOG_REVIEW', candidateDeptId: 'dsj', workingDays: 10 });
    const inbox = await request(app)
      .get('/api/inbox?procedure=CATALOG_REVIEW&step=CATALOG_REVIEW&limit=100')
      .auth(...as('dsj.reviewer'))
      .expect(200);
    expect(JSON.stringify(inbox.body)).toContain(review.id);
    // Not in the catalogue before publication.
    const before = await request(app)
      .get(`/api/catalog?provider=zrzyj&limit=100`)
      .auth(...as('rsj.staff'));
    expect(before.body.items.map((r: { code: string }) => r.code)).not.toContain(body.code);

    const decided = await complete('dsj.reviewer', review.id, { decision: 'PUBLISH', comment: '审核通过' }).expect(200);
    expect(decided.body.stage).toBe('PUBLISHED');
    const catalogue = await request(app)
      .get(`/api/catalog?provider=zrzyj&limit=100`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(catalogue.body.items.find((r: { code: string }) => r.code === body.code)).toMatchObject({
      version: 1,
      openClass: 'CONDITIONAL',
      openLegalBasis: BASIS,
    });
    const open = await request(app).get(`/api/open/catalog?q=${body.code}`).expect(200);
    expect(open.body.items.map((r: { code: string }) => r.code)).toEqual([body.code]);
    const lists = await request(app).get('/api/open/catalog/lists?provider=zrzyj').expect(200);
    expect(lists.body.departments).toHaveLength(1);
    expect(lists.body.departments[0].有条件开放清单.map((r: { code: string }) => r.code)).toContain(body.code);
    expect(lists.body.departments[0].无条件开放清单.map((r: { code: string }) => r.code)).not.toContain(body.code);

    const history = await request(app)
      .get(`/api/catalog/entries/${body.code}/history`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(history.body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        draftNo: no,
        submittedBy: expect.objectContaining({ login: 'zrzyj.staff' }),
        publishedBy: expect.objectContaining({ login: 'dsj.reviewer' }),
      }),
    ]);

    const dedupeKey = `catalog:${no}:published:zrzyj.staff@liaocheng.example`;
    await eventually(
      async () => {
        await dispatchOutboxOnce({
          db,
          transport: createTransport(process.env.SMTP_URL!),
          templates: new MailTemplates(),
          from: '聊城市大数据局 <no-reply@liaocheng.example>',
          logger: createLogger('test', 'silent'),
          batchSize: 200,
          dedupeKeyPrefix: `catalog:${no}:`,
        });
        return (await db.notification.findUniqueOrThrow({ where: { dedupeKey } })).status === 'SENT';
      },
      'the publication mail to be sent',
      120_000,
    );
    const mail = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) => m.to.some((t) => t.address === 'zrzyj.staff@liaocheng.example') && m.subject.includes(body.code),
        ),
      'the publication mail in MailDev',
    );
    expect(mail.subject).toContain('第1版');
    expect(mail.text).toContain('审核意见：审核通过');
  });

  it('a CONDITIONAL or NOT_SHARED share class, or a NOT_OPEN open class, without a legal basis is refused with 400 LEGAL_BASIS_REQUIRED and nothing is written', async () => {
    const rows = () =>
      Promise.all([db.catalogDraft.count(), db.auditLog.count({ where: { entityType: 'CatalogDraft' } })]);
    const counted = await rows();
    for (const classes of [
      { shareClass: 'CONDITIONAL' },
      { shareClass: 'NOT_SHARED' },
      { openClass: 'NOT_OPEN' },
      { openClass: 'CONDITIONAL', shareClass: 'CONDITIONAL', shareLegalBasis: BASIS },
    ]) {
      const res = await request(app)
        .post('/api/catalog/drafts')
        .auth(...as('zrzyj.staff'))
        .send({ ...entry(classes), submit: true })
        .expect(400);
      expect(res.body.error.code).toBe('LEGAL_BASIS_REQUIRED');
      expect(res.body.error.messageEn).toMatch(/Art\. 2[14]/);
    }
    expect(await rows()).toEqual(counted);
    // Nor may a non-government unit compile a government catalog entry.
    const outsider = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('water.staff'))
      .send({ ...entry(), submit: true })
      .expect(403);
    expect(outsider.body.error.code).toBe('FORBIDDEN');
    expect(await rows()).toEqual(counted);

    // A compiled draft without the basis stays a draft: submitting it is refused and changes nothing.
    const compiled = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('zrzyj.staff'))
      .send(entry({ openClass: 'NOT_OPEN' }))
      .expect(201);
    const refused = await request(app)
      .post(`/api/catalog/drafts/${compiled.body.draftNo}/submit`)
      .auth(...as('zrzyj.staff'))
      .expect(400);
    expect(refused.body.error.code).toBe('LEGAL_BASIS_REQUIRED');
    expect(await db.catalogDraft.findUniqueOrThrow({ where: { id: compiled.body.id } })).toMatchObject({
      status: 'DRAFT',
      workflowStartedAt: null,
    });
    expect(await db.task.count({ where: { workflowId: compiled.body.workflowId } })).toBe(0);
  });

  it('a duplicate of another department is detected on submission and shown to the authority to integrate', async () => {
    const fields = ['统一社会信用代码', '企业名称', '法定代表人', '注册地址'];
    const first = await publish(entry({ name: `企业登记信息-${uniqueSuffix()}`, fields }), 'gaj.staff');
    const firstCode = (await db.catalogDraft.findUniqueOrThrow({ where: { id: first.id } })).code;
    const second = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('rsj.staff'))
      .send({ ...entry({ fields }), submit: true })
      .expect(201);
    workflowIds.push(second.body.workflowId);
    expect(second.body.duplicates).toEqual([
      expect.objectContaining({ code: firstCode, departmentId: 'gaj', source: 'PUBLISHED' }),
    ]);
    const review = await openTask(second.body.workflowId, 'CATALOG_REVIEW');
    expect(review.title).toContain(`疑似重复：${firstCode}`);
    const noReasons = await complete('dsj.reviewer', review.id, { decision: 'PUBLISH' }).expect(422);
    expect(noReasons.body.error.code).toBe('REASONS_REQUIRED');
    const returned = await complete('dsj.reviewer', review.id, {
      decision: 'RETURN',
      reasons: `与${firstCode}为同一数据，请与市公安局整合`,
    }).expect(200);
    expect(returned.body.openedTasks.map((t: { step: string }) => t.step)).toEqual(['CATALOG_RESUBMIT']);
    const view = await request(app)
      .get(`/api/catalog/drafts/${second.body.draftNo}`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(view.body).toMatchObject({
      status: 'RETURNED',
      returnReasons: `与${firstCode}为同一数据，请与市公安局整合`,
    });
  });

  it('a class change to NOT_SHARED on a published entry opens a grant-review task for the provider per active grant', async () => {
    const body = entry();
    await publish(body);
    const resource = await db.dataResource.findUniqueOrThrow({ where: { code: body.code } });
    const grant = await activeGrant(db, resource.id, 'rsj');
    const revision = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('zrzyj.staff'))
      .send({
        ...body,
        idempotencyKey: `cat-${uniqueSuffix()}`,
        shareClass: 'NOT_SHARED',
        shareLegalBasis: '《中华人民共和国个人信息保护法》第二十八条',
        changeNote: '涉及敏感个人信息，调整为不予共享',
        submit: true,
      })
      .expect(201);
    workflowIds.push(revision.body.workflowId);
    expect(revision.body.resourceId).toBe(resource.id);
    const review = await openTask(revision.body.workflowId, 'CATALOG_REVIEW');
    const published = await complete('dsj.reviewer', review.id, { decision: 'PUBLISH' }).expect(200);
    expect(published.body.stage).toBe('GRANT_REVIEW');
    const task = await openTask(revision.body.workflowId, 'GRANT_REVIEW');
    expect(task).toMatchObject({
      candidateDeptId: 'zrzyj',
      candidateRole: 'PROVIDER_REVIEWER',
      subjectRef: grant.grantId,
    });
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: grant.grantId } })).status).toBe('ACTIVE');
    await complete('zrzyj.reviewer', task.id, { decision: 'SUSPEND', reasons: '调整为不予共享' }).expect(200);
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: grant.grantId } })).status).toBe('SUSPENDED');
    const history = await request(app)
      .get(`/api/catalog/entries/${body.code}/history`)
      .auth(...as('zrzyj.staff'))
      .expect(200);
    expect(history.body.versions[0]).toMatchObject({
      version: 2,
      changeNote: '涉及敏感个人信息，调整为不予共享',
      changes: { shareClass: { from: 'UNCONDITIONAL', to: 'NOT_SHARED' } },
      citedByApplications: 0,
    });
    // The application behind the grant was submitted under version 1 and keeps citing it.
    expect(history.body.versions[1]).toMatchObject({ version: 1, citedByApplications: 1 });
  });

  it('Art. 17: an information system project cannot be approved until its catalog entries are published', async () => {
    const body = entry();
    const compiled = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('zrzyj.staff'))
      .send(body)
      .expect(201);
    workflowIds.push(compiled.body.workflowId);
    const project = await request(app)
      .post('/api/catalog/projects')
      .auth(...as('zrzyj.staff'))
      .send({
        idempotencyKey: `prj-${uniqueSuffix()}`,
        name: '不动产登记系统扩容',
        description: '新增抵押登记模块',
        draftNos: [compiled.body.draftNo],
      })
      .expect(201);
    const no = project.body.projectNo as string;
    const blocked = await request(app)
      .post(`/api/catalog/projects/${no}/approve`)
      .auth(...as('dsj.reviewer'))
      .expect(422);
    expect(blocked.body.error.code).toBe('CATALOG_NOT_PUBLISHED');
    expect(blocked.body.error.message).toContain(body.code);
    expect((await db.infoSystemProject.findUniqueOrThrow({ where: { projectNo: no } })).status).toBe('REGISTERED');

    await request(app)
      .post(`/api/catalog/drafts/${compiled.body.draftNo}/submit`)
      .auth(...as('zrzyj.staff'))
      .expect(200);
    const review = await openTask(compiled.body.workflowId, 'CATALOG_REVIEW');
    await complete('dsj.reviewer', review.id, { decision: 'PUBLISH' }).expect(200);
    const approved = await request(app)
      .post(`/api/catalog/projects/${no}/approve`)
      .auth(...as('dsj.reviewer'))
      .expect(200);
    expect(approved.body).toMatchObject({ status: 'APPROVED', catalogPublished: true });
  });

  it('Art. 18: recording a situation opens the update duty due 15 working days after the day it occurred', async () => {
    const body = entry();
    await publish(body);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const future = await request(app)
      .post('/api/catalog/update-duties')
      .auth(...as('zrzyj.staff'))
      .send({
        idempotencyKey: `duty-${uniqueSuffix()}`,
        kind: 'SYSTEM_UPDATED',
        description: '不动产登记系统升级完成',
        occurredOn: '2999-01-01',
        resourceCodes: [body.code],
      })
      .expect(422);
    expect(future.body.error.code).toBe('PROCEDURE_NOT_ALLOWED');
    const recorded = await request(app)
      .post('/api/catalog/update-duties')
      .auth(...as('dsj.reviewer'))
      .send({
        idempotencyKey: `duty-${uniqueSuffix()}`,
        departmentId: 'zrzyj',
        kind: 'LEGAL_BASIS_CHANGED',
        description: '《不动产登记暂行条例》修订',
        occurredOn: today,
        resourceCodes: [body.code],
      })
      .expect(201);
    workflowIds.push(recorded.body.workflowId);
    const task = await openTask(recorded.body.workflowId, 'CATALOG_UPDATE');
    expect(task).toMatchObject({ procedure: 'CATALOG_UPDATE', candidateDeptId: 'zrzyj', workingDays: 15 });
    expect(task.deadlineFrom!.getTime()).toBe(Date.parse(`${today}T00:00:00+08:00`));
    const early = await complete('zrzyj.staff', task.id, { decision: 'UPDATED' }).expect(422);
    expect(early.body.error.code).toBe('CATALOG_NOT_PUBLISHED');
    await publish({ ...body, idempotencyKey: `cat-${uniqueSuffix()}`, description: '依修订后的条例更新' });
    await eventually(
      async () => (await complete('zrzyj.staff', task.id, { decision: 'UPDATED' })).status === 200,
      'the duty to accept the confirmation',
    );
    const duty = await request(app)
      .get(`/api/catalog/update-duties/${recorded.body.dutyNo}`)
      .auth(...as('zrzyj.staff'))
      .expect(200);
    expect(duty.body).toMatchObject({ status: 'FULFILLED', entries: [{ code: body.code, version: 2 }] });
  });

  it('seeded entries are published version 1 through the publication path, and seeding again changes nothing', async () => {
    const versions = await db.dataResourceVersion.findMany({
      where: { draftId: { in: seedResources.map((r) => `draft-seed-${r.code}`) } },
    });
    expect(versions).toHaveLength(seedResources.length);
    expect(new Set(versions.map((v) => v.version))).toEqual(new Set([1]));
    const before = await db.dataResourceVersion.count();
    await seed(db);
    expect(await db.dataResourceVersion.count()).toBe(before);
    expect(
      await db.catalogDraft.count({ where: { id: { startsWith: 'draft-seed-' }, status: { not: 'PUBLISHED' } } }),
    ).toBe(0);
  });
});
