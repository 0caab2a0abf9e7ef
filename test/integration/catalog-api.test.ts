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
    expect(history.body.items).toEqual([
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
      // The people who compile the catalogue read the problem in Chinese, field by field.
      expect(res.body.error.message).toMatch(
        /^缺少法律法规依据，不能提交：(共享|开放)类型 \w+ 须有法律、法规或者国务院政策依据（第二十[一四]条第二款/,
      );
      for (const d of res.body.error.details as Array<{ path: string; message: string }>) {
        expect(d.path).toMatch(/^body\.(share|open)LegalBasis$/);
        expect(d.message).toMatch(/^(共享|开放)类型 \w+ 须有法律、法规或者国务院政策依据/);
      }
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
    expect(refused.body.error).toMatchObject({
      message: expect.stringContaining('开放类型 NOT_OPEN 须有法律、法规或者国务院政策依据'),
      messageEn: expect.stringContaining('open class NOT_OPEN needs a legal basis (Art. 24 ¶2'),
      details: [{ path: 'body.openLegalBasis', message: expect.stringMatching(/^开放类型 NOT_OPEN/) }],
    });
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
    // Art. 17: the authority integrates first (CATALOG_INTEGRATE), with reasons.
    const integrate = await openTask(second.body.workflowId, 'CATALOG_INTEGRATE');
    expect(integrate).toMatchObject({ candidateDeptId: 'dsj', candidateRole: 'AUTHORITY_REVIEWER' });
    expect(integrate.title).toContain(`${firstCode}（gaj）`);
    const inbox = await request(app)
      .get('/api/inbox?procedure=CATALOG_REVIEW&step=CATALOG_INTEGRATE&limit=100')
      .auth(...as('dsj.reviewer'))
      .expect(200);
    expect(JSON.stringify(inbox.body)).toContain(integrate.id);
    const useFirst = `USE_EXISTING:${firstCode}`;
    expect(integrate.allowedDecisions).toEqual([useFirst, 'USE_THIS', 'KEEP_BOTH']);
    const noReasons = await complete('dsj.reviewer', integrate.id, { decision: useFirst }).expect(422);
    expect(noReasons.body.error.code).toBe('REASONS_REQUIRED');
    const reasons = `与${firstCode}为同一数据，以市公安局为数据来源`;
    const integrated = await complete('dsj.reviewer', integrate.id, { decision: useFirst, reasons }).expect(200);
    expect(integrated.body.stage).toBe('WITHDRAWN');
    const view = await request(app)
      .get(`/api/catalog/drafts/${second.body.draftNo}`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(view.body).toMatchObject({
      status: 'WITHDRAWN',
      integration: { decision: 'USE_EXISTING', sourceCode: firstCode, reasons, actorUserId: 'u-dsj.reviewer' },
    });
    expect(
      await db.auditLog.count({
        where: { auditKey: `catalog-draft:${second.body.id}:integrated:1`, action: 'CATALOG_DUPLICATES_INTEGRATED' },
      }),
    ).toBe(1);
    const no = second.body.draftNo as string;
    const mail = await mailed(
      `catalog:${no}:`,
      `catalog:${no}:integrated:1:rsj.staff@liaocheng.example`,
      'rsj.staff@liaocheng.example',
      '【目录整合】',
    );
    expect(mail.text).toContain(`以 ${firstCode} 为数据来源进行整合，本条目撤回`);
    expect(mail.text).toContain(`理由：${reasons}`);
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
    expect(history.body.items[0]).toMatchObject({
      version: 2,
      changeNote: '涉及敏感个人信息，调整为不予共享',
      changes: { shareClass: { from: 'UNCONDITIONAL', to: 'NOT_SHARED' } },
      citedByApplications: 0,
    });
    // The application behind the grant was submitted under version 1 and keeps citing it.
    expect(history.body.items[1]).toMatchObject({ version: 1, citedByApplications: 1 });
  });

  it('retirement (撤销/停用): requested with reasons, returned and resubmitted, approved; the entry leaves both catalogues, new applications get 422 CATALOG_ENTRY_RETIRED, running cases keep the version they cited and their grants are kept or suspended by the provider', async () => {
    const body = entry({ openClass: 'UNCONDITIONAL' });
    await publish(body);
    const resource = await db.dataResource.findUniqueOrThrow({ where: { code: body.code } });
    const grant = await activeGrant(db, resource.id, 'rsj');
    const cited = await db.application.findUniqueOrThrow({ where: { id: grant.applicationId } });
    const retire = (login: string, b: Record<string, unknown>) =>
      request(app)
        .post(`/api/catalog/entries/${body.code}/retire`)
        .auth(...as(login))
        .send(b);

    // Another department's staff find no such entry of theirs; reasons are required; nothing is written.
    const counted = () => db.catalogDraft.count({ where: { code: body.code } });
    const before = await counted();
    expect(
      (await retire('gaj.staff', { idempotencyKey: `ret-${uniqueSuffix()}`, reasons: '不再采集' }).expect(404)).body
        .error.code,
    ).toBe('NOT_FOUND');
    expect((await retire('zrzyj.staff', { idempotencyKey: `ret-${uniqueSuffix()}` }).expect(400)).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect(await counted()).toBe(before);

    const reasons = '该业务已划转至市行政审批服务局，本部门不再采集该数据';
    const requested = await retire('zrzyj.staff', { idempotencyKey: `ret-${uniqueSuffix()}`, reasons }).expect(201);
    workflowIds.push(requested.body.workflowId);
    expect(requested.body).toMatchObject({
      kind: 'RETIREMENT',
      status: 'SUBMITTED',
      code: body.code,
      changeNote: reasons,
    });
    // One request at a time.
    const twice = await retire('zrzyj.staff', { idempotencyKey: `ret-${uniqueSuffix()}`, reasons }).expect(409);
    expect(twice.body.error.code).toBe('CATALOG_DRAFT_OPEN');

    const review = await openTask(requested.body.workflowId, 'CATALOG_REVIEW');
    expect(review).toMatchObject({ candidateDeptId: 'dsj', candidateRole: 'AUTHORITY_REVIEWER' });
    expect(review.title).toContain('停用');
    expect(review.title).toContain(reasons);
    expect((await complete('dsj.reviewer', review.id, { decision: 'RETURN' }).expect(422)).body.error.code).toBe(
      'REASONS_REQUIRED',
    );
    const returned = await complete('dsj.reviewer', review.id, {
      decision: 'RETURN',
      reasons: '请说明划转后的数据提供单位',
    }).expect(200);
    expect(returned.body.openedTasks.map((t: { step: string }) => t.step)).toEqual(['CATALOG_RESUBMIT']);
    // Still in force while returned.
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } })).retiredAt).toBeNull();
    const resubmit = await openTask(requested.body.workflowId, 'CATALOG_RESUBMIT');
    await complete('zrzyj.staff', resubmit.id, {
      decision: 'RESUBMIT',
      comment: '划转后由市行政审批服务局提供',
    }).expect(200);
    const second = await eventually(
      () =>
        db.task.findFirst({
          where: {
            workflowId: requested.body.workflowId,
            step: 'CATALOG_REVIEW',
            status: 'OPEN',
            id: { not: review.id },
          },
        }),
      'the second review round',
    );
    const approved = await complete('dsj.reviewer', second.id, { decision: 'RETIRE', comment: '同意停用' }).expect(200);
    expect(approved.body.stage).toBe('GRANT_REVIEW');

    // Out of the catalogue, the open catalogue and its Art. 25 list; the history records the retirement.
    const catalogue = await request(app)
      .get('/api/catalog?provider=zrzyj&limit=100')
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(catalogue.body.items.map((r: { code: string }) => r.code)).not.toContain(body.code);
    expect((await request(app).get(`/api/open/catalog?q=${body.code}`).expect(200)).body.items).toEqual([]);
    const lists = await request(app).get('/api/open/catalog/lists?provider=zrzyj').expect(200);
    expect(JSON.stringify(lists.body)).not.toContain(body.code);
    await request(app).get(`/api/open/resources/${body.code}/download`).expect(404);
    const history = await request(app)
      .get(`/api/catalog/entries/${body.code}/history`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(history.body.items[0]).toMatchObject({
      version: 2,
      draftNo: requested.body.draftNo,
      changes: { retired: { from: false, to: true } },
      changeNote: reasons,
      submittedBy: expect.objectContaining({ login: 'zrzyj.staff' }),
      publishedBy: expect.objectContaining({ login: 'dsj.reviewer' }),
    });
    expect(history.body.items[1]).toMatchObject({ version: 1, citedByApplications: 1 });

    // New applications cannot cite it: 422 with its code, nothing written.
    const apps = await db.application.count();
    const refused = await request(app)
      .post('/api/applications')
      .auth(...as('rsj.staff'))
      .send({ idempotencyKey: `app-${uniqueSuffix()}`, resourceCodes: [body.code], purpose: '社保待遇资格认证' })
      .expect(422);
    expect(refused.body.error).toMatchObject({ code: 'CATALOG_ENTRY_RETIRED', details: { resources: [body.code] } });
    expect(refused.body.error.message).toContain('停用');
    expect(await db.application.count()).toBe(apps);
    // A revision of it cannot be compiled either, nor can it be retired twice.
    const revision = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('zrzyj.staff'))
      .send({ ...body, idempotencyKey: `cat-${uniqueSuffix()}` })
      .expect(422);
    expect(revision.body.error.code).toBe('CATALOG_ENTRY_RETIRED');
    expect(
      (await retire('zrzyj.staff', { idempotencyKey: `ret-${uniqueSuffix()}`, reasons }).expect(422)).body.error.code,
    ).toBe('CATALOG_ENTRY_RETIRED');

    // The running case keeps citing version 1 as it stood, and its grant waits for the provider's decision.
    const detail = await request(app)
      .get(`/api/applications/${cited.applicationNo}`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(detail.body.resources[0].citedVersion).toMatchObject({
      code: body.code,
      version: 1,
      name: body.name,
      shareClass: 'UNCONDITIONAL',
      openClass: 'UNCONDITIONAL',
    });
    const grantTask = await openTask(requested.body.workflowId, 'GRANT_REVIEW');
    expect(grantTask).toMatchObject({
      candidateDeptId: 'zrzyj',
      candidateRole: 'PROVIDER_REVIEWER',
      subjectRef: grant.grantId,
    });
    expect(grantTask.title).toContain('停用');
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: grant.grantId } })).status).toBe('ACTIVE');
    const kept = await complete('zrzyj.reviewer', grantTask.id, {
      decision: 'KEEP',
      reasons: '在办事项已按第1版办结前继续提供',
    }).expect(200);
    expect(kept.body.stage).toBe('PUBLISHED');
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: grant.grantId } })).status).toBe('ACTIVE');
    expect(
      await db.auditLog.findMany({
        where: {
          auditKey: {
            in: [
              `catalog-draft:${requested.body.id}:retired`,
              `catalog-draft:${requested.body.id}:grant:${grant.grantId}`,
            ],
          },
        },
        select: { action: true, actor: true },
        orderBy: { action: 'asc' },
      }),
    ).toEqual([
      { action: 'CATALOG_ENTRY_RETIRED', actor: 'u-dsj.reviewer' },
      { action: 'CATALOG_GRANT_KEPT', actor: 'u-zrzyj.reviewer' },
    ]);

    // The department is told by mail.
    const no = requested.body.draftNo as string;
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
        return (
          (
            await db.notification.findUniqueOrThrow({
              where: { dedupeKey: `catalog:${no}:retired:zrzyj.staff@liaocheng.example` },
            })
          ).status === 'SENT'
        );
      },
      'the retirement mail to be sent',
      120_000,
    );
    const mail = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) =>
            m.to.some((t) => t.address === 'zrzyj.staff@liaocheng.example') &&
            m.subject.includes(`【目录停用】${body.code}`),
        ),
      'the retirement mail in MailDev',
    );
    expect(mail.text).toContain('审核意见：同意停用');
  });

  /** Sends the outbox's mails under `prefix` and answers the one for `dedupeKey` as MailDev received it. */
  async function mailed(prefix: string, dedupeKey: string, to: string, subject: string) {
    await eventually(
      async () => {
        await dispatchOutboxOnce({
          db,
          transport: createTransport(process.env.SMTP_URL!),
          templates: new MailTemplates(),
          from: '聊城市大数据局 <no-reply@liaocheng.example>',
          logger: createLogger('test', 'silent'),
          batchSize: 200,
          dedupeKeyPrefix: prefix,
        });
        return (await db.notification.findUnique({ where: { dedupeKey } }))?.status === 'SENT';
      },
      `the mail ${dedupeKey} to be sent`,
      120_000,
    );
    return eventually(
      // By its event key: other suites' mail to the same person may have the same subject.
      async () =>
        (await receivedMail()).find(
          (m) =>
            m.headers['x-event-key'] === dedupeKey && m.to.some((t) => t.address === to) && m.subject.includes(subject),
        ),
      `the mail ${dedupeKey} in MailDev`,
    );
  }

  it("Art. 17: registering a project opens the authority's PROJECT_APPROVAL task; APPROVE is refused with CATALOG_NOT_PUBLISHED until its entries are published, RETURN needs reasons; the department is told by mail", async () => {
    const body = entry();
    const compiled = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('zrzyj.staff'))
      .send(body)
      .expect(201);
    workflowIds.push(compiled.body.workflowId);
    const register = (name: string, draftNos: string[]) =>
      request(app)
        .post('/api/catalog/projects')
        .auth(...as('zrzyj.staff'))
        .send({ idempotencyKey: `prj-${uniqueSuffix()}`, name, description: '新增抵押登记模块', draftNos });
    const project = await register('不动产登记系统扩容', [compiled.body.draftNo]).expect(201);
    const no = project.body.projectNo as string;
    workflowIds.push(project.body.workflowId);
    expect(project.body).toMatchObject({ status: 'REGISTERED', catalogPublished: false });
    const task = await openTask(project.body.workflowId, 'PROJECT_APPROVAL');
    expect(task).toMatchObject({
      procedure: 'CATALOG_PROJECT',
      candidateDeptId: 'dsj',
      candidateRole: 'AUTHORITY_REVIEWER',
      subjectRef: project.body.id,
      dueAt: null,
    });
    expect(task.title).toContain(body.code);
    const inbox = await request(app)
      .get('/api/inbox?procedure=CATALOG_PROJECT&limit=100')
      .auth(...as('dsj.reviewer'))
      .expect(200);
    expect(JSON.stringify(inbox.body)).toContain(task.id);

    const blocked = await complete('dsj.reviewer', task.id, { decision: 'APPROVE' }).expect(422);
    expect(blocked.body.error.code).toBe('CATALOG_NOT_PUBLISHED');
    expect(blocked.body.error.message).toContain(body.code);
    expect(blocked.body.error.message).toContain('第十七条');
    expect((await db.infoSystemProject.findUniqueOrThrow({ where: { projectNo: no } })).status).toBe('REGISTERED');
    expect((await db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('OPEN');

    await request(app)
      .post(`/api/catalog/drafts/${compiled.body.draftNo}/submit`)
      .auth(...as('zrzyj.staff'))
      .expect(200);
    const review = await openTask(compiled.body.workflowId, 'CATALOG_REVIEW');
    await complete('dsj.reviewer', review.id, { decision: 'PUBLISH' }).expect(200);
    await eventually(
      async () =>
        (await complete('dsj.reviewer', task.id, { decision: 'APPROVE', comment: '目录已发布，同意立项' })).status ===
        200,
      'the project to accept the approval once its entry is published',
    );
    const approved = await request(app)
      .get(`/api/catalog/projects/${no}`)
      .auth(...as('zrzyj.staff'))
      .expect(200);
    expect(approved.body).toMatchObject({
      status: 'APPROVED',
      approvedById: 'u-dsj.reviewer',
      catalogPublished: true,
      task: { status: 'DONE', decision: 'APPROVE' },
    });
    const mail = await mailed(
      `catalog-project:${no}:`,
      `catalog-project:${no}:approved:zrzyj.staff@liaocheng.example`,
      'zrzyj.staff@liaocheng.example',
      no,
    );
    expect(mail.subject).toContain('已批准');
    expect(mail.text).toContain('审批意见：目录已发布，同意立项');

    // A project can be returned at any time, with reasons.
    const other = await register('不动产交易系统新建', [compiled.body.draftNo]).expect(201);
    workflowIds.push(other.body.workflowId);
    const otherTask = await openTask(other.body.workflowId, 'PROJECT_APPROVAL');
    expect((await complete('dsj.reviewer', otherTask.id, { decision: 'RETURN' }).expect(422)).body.error.code).toBe(
      'REASONS_REQUIRED',
    );
    await complete('dsj.reviewer', otherTask.id, { decision: 'RETURN', reasons: '与已批准项目重复建设' }).expect(200);
    await eventually(
      async () =>
        (await db.infoSystemProject.findUniqueOrThrow({ where: { projectNo: other.body.projectNo } })).status ===
        'RETURNED',
      'the project to be returned',
    );
    expect(await db.infoSystemProject.findUniqueOrThrow({ where: { projectNo: other.body.projectNo } })).toMatchObject({
      returnReasons: '与已批准项目重复建设',
      returnedById: 'u-dsj.reviewer',
    });
    const returned = await mailed(
      `catalog-project:${other.body.projectNo}:`,
      `catalog-project:${other.body.projectNo}:returned:zrzyj.staff@liaocheng.example`,
      'zrzyj.staff@liaocheng.example',
      other.body.projectNo,
    );
    expect(returned.text).toContain('退回理由：与已批准项目重复建设');
    expect(
      (
        await db.auditLog.findMany({
          where: { entityType: 'InfoSystemProject', entityId: { in: [project.body.id, other.body.id] } },
          orderBy: { action: 'asc' },
        })
      ).map((a) => a.action),
    ).toEqual([
      'INFO_SYSTEM_PROJECT_APPROVED',
      'INFO_SYSTEM_PROJECT_REGISTERED',
      'INFO_SYSTEM_PROJECT_REGISTERED',
      'INFO_SYSTEM_PROJECT_RETURNED',
    ]);
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

  it('update duties and projects are listed a page at a time, newest first: a department its own, the authority every one or one department, by status', async () => {
    const body = entry();
    await publish(body);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const recordDuty = async (description: string) =>
      (
        await request(app)
          .post('/api/catalog/update-duties')
          .auth(...as('zrzyj.staff'))
          .send({
            idempotencyKey: `duty-${uniqueSuffix()}`,
            kind: 'SYSTEM_UPDATED',
            description,
            occurredOn: today,
            resourceCodes: [body.code],
          })
          .expect(201)
      ).body as { dutyNo: string; workflowId: string };
    const first = await recordDuty('不动产登记系统升级（一）');
    const second = await recordDuty('不动产登记系统升级（二）');
    workflowIds.push(first.workflowId, second.workflowId);
    const gajDraft = await request(app)
      .post('/api/catalog/drafts')
      .auth(...as('gaj.staff'))
      .send(entry())
      .expect(201);
    workflowIds.push(gajDraft.body.workflowId);
    const project = await request(app)
      .post('/api/catalog/projects')
      .auth(...as('gaj.staff'))
      .send({
        idempotencyKey: `prj-${uniqueSuffix()}`,
        name: '治安管理系统改造',
        description: '新增户籍核验模块',
        draftNos: [gajDraft.body.draftNo],
      })
      .expect(201);
    workflowIds.push(project.body.workflowId);
    const list = async (login: string, url: string) =>
      (
        await request(app)
          .get(url)
          .auth(...as(login))
          .expect(200)
      ).body as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    const numbers = (page: { items: Array<Record<string, unknown>> }, key: string) => page.items.map((r) => r[key]);

    // The department's own, the newest first, each with its task's deadline; nothing internal.
    const own = await list('zrzyj.staff', '/api/catalog/update-duties?limit=100');
    expect(own.items.every((d) => d.departmentId === 'zrzyj')).toBe(true);
    const ownNos = numbers(own, 'dutyNo');
    expect(ownNos.indexOf(second.dutyNo)).toBeGreaterThanOrEqual(0);
    expect(ownNos.indexOf(second.dutyNo)).toBeLessThan(ownNos.indexOf(first.dutyNo));
    const row = own.items.find((d) => d.dutyNo === first.dutyNo)!;
    expect(row).toMatchObject({
      status: 'OPEN',
      occurredOn: today,
      task: { status: 'OPEN', dueAt: expect.any(String) },
    });
    expect(row).not.toHaveProperty('requestHash');
    expect(row).not.toHaveProperty('idempotencyKey');
    // A page at a time.
    const page1 = await list('zrzyj.staff', '/api/catalog/update-duties?limit=1');
    expect(page1.items).toHaveLength(1);
    const page2 = await list('zrzyj.staff', `/api/catalog/update-duties?limit=1&cursor=${page1.nextCursor}`);
    expect(page2.items).toHaveLength(1);
    expect(page2.items[0].dutyNo).not.toBe(page1.items[0].dutyNo);
    // Another department sees none of them, also when it asks for that department.
    expect(numbers(await list('gaj.staff', '/api/catalog/update-duties?limit=100'), 'dutyNo')).not.toContain(
      first.dutyNo,
    );
    expect(
      numbers(await list('gaj.staff', '/api/catalog/update-duties?department=zrzyj&limit=100'), 'dutyNo'),
    ).not.toContain(first.dutyNo);
    // The authority sees them, and only the status it asks for.
    expect(
      numbers(await list('dsj.reviewer', '/api/catalog/update-duties?department=zrzyj&limit=100'), 'dutyNo'),
    ).toEqual(expect.arrayContaining([first.dutyNo, second.dutyNo]));
    expect(
      numbers(await list('dsj.reviewer', '/api/catalog/update-duties?status=FULFILLED&limit=100'), 'dutyNo'),
    ).not.toContain(first.dutyNo);

    // Projects: the department's own; the authority's by department and status, with the approval task.
    const gajProjects = await list('gaj.staff', '/api/catalog/projects?limit=100');
    expect(gajProjects.items.every((x) => x.departmentId === 'gaj')).toBe(true);
    expect(numbers(gajProjects, 'projectNo')).toContain(project.body.projectNo);
    expect(numbers(await list('zrzyj.staff', '/api/catalog/projects?limit=100'), 'projectNo')).not.toContain(
      project.body.projectNo,
    );
    const registered = await eventually(async () => {
      const page = await list('dsj.reviewer', '/api/catalog/projects?department=gaj&status=REGISTERED&limit=100');
      const p = page.items.find((x) => x.projectNo === project.body.projectNo);
      return p?.task ? p : undefined;
    }, 'the project listed with its approval task');
    expect(registered.task).toMatchObject({ status: 'OPEN', decision: null });
    expect(registered).not.toHaveProperty('draftIds');
    expect(
      numbers(await list('dsj.reviewer', '/api/catalog/projects?status=APPROVED&limit=100'), 'projectNo'),
    ).not.toContain(project.body.projectNo);

    // Bad filters are refused naming them; a caller with no department has no such list.
    const bad = await request(app)
      .get('/api/catalog/projects?status=DONE')
      .auth(...as('dsj.reviewer'))
      .expect(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('status') });
    const citizen = (await request(app).post('/api/dev/tokens').send({ login: 'citizen.zhang' }).expect(201)).body
      .token;
    for (const url of ['/api/catalog/update-duties', '/api/catalog/projects']) {
      const refused = await request(app).get(url).auth(citizen, { type: 'bearer' }).expect(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
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
