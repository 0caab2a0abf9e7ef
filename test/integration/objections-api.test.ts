import request from 'supertest';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { expectCursorPaging } from '../support/pages';
import { activeGrant, testResource, TestResource } from '../support/objections';
import { startTestWorker } from '../support/worker';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('IHDR-test-image'),
]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

describe('objections and incidents API (Art. 32–33) with real Postgres, Temporal and SMTP', () => {
  let db: Db;
  let worker: { taskQueue: string; stop(): Promise<void> };
  let app: ReturnType<typeof testApp>['app'];
  let temporal: ReturnType<typeof testApp>['temporal'];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    // The API starts workflows on the queue this test's worker polls.
    ({ app, temporal } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue }));
    for (const login of [
      'citizen.zhang',
      'company.hengxin',
      'dsj.reviewer',
      'zrzyj.reviewer',
      'zrzyj.staff',
      'gaj.staff',
      'gaj.reviewer',
      'rsj.staff',
    ]) {
      tokens[login] = (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token;
    }
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.$disconnect();
  });

  const as = (login: string) => [tokens[login], { type: 'bearer' as const }] as const;
  const objection = (resource: TestResource, overrides: Record<string, unknown> = {}) => ({
    idempotencyKey: `obj-${uniqueSuffix()}`,
    resourceCode: resource.code,
    kind: 'ERROR',
    recordRef: '第3条记录 地址字段',
    facts: '登记的门牌号与不动产权证书不一致',
    requestedCorrection: '更正为柳园南路1号',
    ...overrides,
  });

  /** Completes the objection's open task of `step` through the generic task API, as the reviewer would. */
  async function complete(
    login: string,
    objectionNo: string,
    step: string,
    decision: string,
    extra: { reasons?: string; comment?: string } = {},
  ) {
    const task = await eventually(
      () => db.task.findFirst({ where: { workflowId: `objection/${objectionNo}`, step, status: 'OPEN' } }),
      `the ${step} task`,
    );
    // The workflow knows the task before its row exists: the first decision is taken in.
    return request(app)
      .post(`/api/tasks/${task.id}/complete`)
      .auth(...as(login))
      .send({ decision, ...extra });
  }

  const catalogEntry = async (resource: TestResource) => {
    const res = await request(app)
      .get(`/api/catalog?provider=${resource.providerId}&limit=100`)
      .auth(...as('rsj.staff'))
      .expect(200);
    return res.body.items.find((r: { code: string }) => r.code === resource.code) as {
      disputed: boolean;
      version: number;
      disputeMarks: Array<{ note: string }>;
    };
  };
  const openCatalogEntry = async (resource: TestResource) => {
    const res = await request(app).get(`/api/open/catalog?q=${resource.code}`).expect(200);
    return res.body.items.find((r: { code: string }) => r.code === resource.code) as
      { disputed: boolean; disputeMarks: Array<{ note: string }> } | undefined;
  };

  it('a citizen objects; the mark shows in the catalogs; the provider corrects; the mark is gone and the citizen gets the outcome by mail', async () => {
    const resource = await testResource(db, 'zrzyj', 'UNCONDITIONAL');
    const body = objection(resource, {
      attachments: [{ fileName: '../../证书.png', mediaType: 'image/png', contentBase64: PNG.toString('base64') }],
    });
    const filed = await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(body)
      .expect(201);
    const no: string = filed.body.objectionNo;
    expect(no).toMatch(/^YY-\d{8}-[0-9A-F]{8}$/);
    expect(filed.body).toMatchObject({ kind: 'ERROR', confidential: false, mine: true, facts: body.facts });
    expect(filed.body.attachments).toEqual([
      expect.objectContaining({ fileName: '证书.png', mediaType: 'image/png', sizeBytes: PNG.length }),
    ]);
    // A retried filing is the same objection.
    expect(
      (
        await request(app)
          .post('/api/objections')
          .auth(...as('citizen.zhang'))
          .send(body)
          .expect(200)
      ).body.objectionNo,
    ).toBe(no);

    // The evidence upload takes PDF, PNG or JPEG only, checked by content, and at most 2 MB.
    const pdf = await request(app)
      .post(`/api/objections/${no}/attachments?fileName=material.pdf`)
      .auth(...as('citizen.zhang'))
      .set('Content-Type', 'application/pdf')
      .send(PDF)
      .expect(201);
    expect(pdf.body).toMatchObject({ mediaType: 'application/pdf', sizeBytes: PDF.length });
    const exe = await request(app)
      .post(`/api/objections/${no}/attachments?fileName=a.exe`)
      .auth(...as('citizen.zhang'))
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.from('MZ'))
      .expect(415);
    expect(exe.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const fake = await request(app)
      .post(`/api/objections/${no}/attachments?fileName=fake.pdf`)
      .auth(...as('citizen.zhang'))
      .set('Content-Type', 'application/pdf')
      .send(Buffer.from('<html>'))
      .expect(415);
    expect(fake.body.error.messageEn).toContain('not a application/pdf file');
    const big = await request(app)
      .post(`/api/objections/${no}/attachments?fileName=big.pdf`)
      .auth(...as('citizen.zhang'))
      .set('Content-Type', 'application/pdf')
      .send(Buffer.concat([PDF, Buffer.alloc(2 * 1024 * 1024)]))
      .expect(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    await request(app)
      .post(`/api/objections/${no}/attachments?fileName=x.pdf`)
      .auth(...as('company.hengxin'))
      .set('Content-Type', 'application/pdf')
      .send(PDF)
      .expect(403);
    // The provider reads the evidence once the authority forwards the objection to it (below), not before.
    await request(app)
      .get(`/api/objections/${no}/attachments/${pdf.body.id}`)
      .auth(...as('zrzyj.reviewer'))
      .expect(404);
    // The refused upload is in the audit trail (Why of #12) by someone who is not the objector.
    const hengxin = await db.user.findUniqueOrThrow({ where: { login: 'company.hengxin' } });
    expect(
      await db.auditLog.count({
        where: {
          action: 'REQUEST_DENIED',
          actor: hengxin.id,
          entityId: `POST /api/objections/${no}/attachments`,
        },
      }),
    ).toBe(1);
    // Someone else sees the public part of a non-confidential objection, not the evidence.
    const other = await request(app)
      .get(`/api/objections/${no}`)
      .auth(...as('company.hengxin'))
      .expect(200);
    expect(other.body.facts).toBeUndefined();
    await request(app)
      .get(`/api/objections/${no}/attachments/${pdf.body.id}`)
      .auth(...as('company.hengxin'))
      .expect(404);

    // The authority marks it within the working day's task: the mark shows in both catalogs.
    expect((await complete('dsj.reviewer', no, 'MARK_DISPUTED', 'MARK')).status).toBe(200);
    const marked = await eventually(async () => {
      const entry = await openCatalogEntry(resource);
      return entry?.disputed && entry;
    }, 'the mark in the open catalogue');
    expect(marked.disputeMarks[0].note).toContain(no);
    expect((await catalogEntry(resource)).disputed).toBe(true);
    const progress = await request(app)
      .get(`/api/objections/${no}`)
      .auth(...as('citizen.zhang'))
      .expect(200);
    expect(progress.body).toMatchObject({ status: 'MARKED', disputeMark: { clearedAt: null } });
    expect(progress.body.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual(
      expect.arrayContaining([['MARK_DISPUTED', 'DONE']]),
    );

    expect(
      (await complete('dsj.reviewer', no, 'DETERMINE_SCOPE', 'FORWARD', { comment: '属不动产登记数据' })).status,
    ).toBe(200);
    const download = await request(app)
      .get(`/api/objections/${no}/attachments/${pdf.body.id}`)
      .auth(...as('zrzyj.reviewer'))
      .expect(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(Buffer.from(download.body).equals(PDF)).toBe(true);
    // Reading the evidence is in the audit trail, written before the answer (Why of #12).
    const reviewer = await db.user.findUniqueOrThrow({ where: { login: 'zrzyj.reviewer' } });
    expect(
      await db.auditLog.findMany({
        where: { action: 'PERSONAL_DATA_READ', entityType: 'Attachment', entityId: pdf.body.id },
        select: { actor: true, details: true },
      }),
    ).toEqual([
      {
        actor: reviewer.id,
        details: expect.objectContaining({ objectionNo: no, download: true, sha256: pdf.body.sha256 }),
      },
    ]);
    expect(
      (await complete('zrzyj.reviewer', no, 'PROVIDER_DECISION', 'CORRECT', { reasons: '核对登记簿，门牌号录入错误' }))
        .status,
    ).toBe(200);
    expect((await complete('dsj.reviewer', no, 'INFORM_OBJECTOR', 'INFORM')).status).toBe(200);
    // The correction is the data owner's staff's task: the citizen cannot complete it.
    const correction = await eventually(
      () => db.task.findFirst({ where: { workflowId: `objection/${no}`, step: 'CORRECTION' } }),
      'the correction task',
    );
    await request(app)
      .post(`/api/tasks/${correction.id}/complete`)
      .auth(...as('citizen.zhang'))
      .send({ decision: 'CORRECTED' })
      .expect(403);
    expect((await complete('zrzyj.staff', no, 'CORRECTION', 'CORRECTED', { comment: '已更正门牌号' })).status).toBe(
      200,
    );

    const closed = await eventually(async () => {
      const res = await request(app)
        .get(`/api/objections/${no}`)
        .auth(...as('citizen.zhang'))
        .expect(200);
      return res.body.status === 'CLOSED' && res.body;
    }, 'the objection to close');
    expect(closed).toMatchObject({ outcome: 'CORRECTED', correctedVersion: 2, resource: { version: 2 } });
    expect((await openCatalogEntry(resource))?.disputed).toBe(false);
    const entry = await catalogEntry(resource);
    expect(entry).toMatchObject({ disputed: false, version: 2 });

    const templates = new MailTemplates();
    const transport = createTransport(process.env.SMTP_URL!);
    const logger = createLogger('test', 'silent');
    // The outbox is shared with every other test: send this objection's mail, then read it from MailDev.
    const dedupeKey = `objection:${no}:outcome:citizen.zhang@liaocheng.example`;
    await eventually(
      async () => {
        await dispatchOutboxOnce({
          db,
          transport,
          templates,
          from: '聊城市大数据局 <no-reply@liaocheng.example>',
          logger,
          batchSize: 200,
          dedupeKeyPrefix: `objection:${no}:`,
        });
        return (await db.notification.findUniqueOrThrow({ where: { dedupeKey } })).status === 'SENT';
      },
      'the outcome mail to be sent',
      120_000,
    );
    const outcome = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) =>
            m.to.some((t) => t.address === 'citizen.zhang@liaocheng.example') &&
            m.subject.includes(no) &&
            m.subject.includes('办结'),
        ),
      'the outcome mail in MailDev',
    );
    expect(outcome.subject).toContain('已更正');
    expect(outcome.text).toContain('核对登记簿，门牌号录入错误');
  });

  it('a privacy objection is not visible to another citizen, only to the objector and the authority until it is forwarded to the provider', async () => {
    const resource = await testResource(db, 'gaj', 'UNCONDITIONAL');
    const filed = await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(
        objection(resource, {
          kind: 'PRIVACY',
          facts: '数据中公开了本人的身份证号码',
          requestedCorrection: '删除本人身份证号码',
        }),
      )
      .expect(201);
    const no: string = filed.body.objectionNo;
    expect(filed.body.confidential).toBe(true);

    await request(app)
      .get(`/api/objections/${no}`)
      .auth(...as('company.hengxin'))
      .expect(404);
    const othersList = await request(app)
      .get(`/api/objections?resource=${resource.code}`)
      .auth(...as('company.hengxin'))
      .expect(200);
    expect(othersList.body.items).toEqual([]);
    const otherDept = await request(app)
      .get(`/api/objections?resource=${resource.code}`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(otherDept.body).toEqual({ items: [], nextCursor: null });

    const mine = await request(app)
      .get('/api/objections?mine=true&limit=100')
      .auth(...as('citizen.zhang'))
      .expect(200);
    expect(mine.body.items.map((o: { objectionNo: string }) => o.objectionNo)).toContain(no);
    expect(
      (
        await request(app)
          .get(`/api/objections/${no}`)
          .auth(...as('dsj.reviewer'))
          .expect(200)
      ).body.facts,
    ).toBe('数据中公开了本人的身份证号码');
    // The provider sees a privacy objection only once the authority forwards it (issue 12): not yet.
    await request(app)
      .get(`/api/objections/${no}`)
      .auth(...as('gaj.reviewer'))
      .expect(404);

    // The public mark says the entry is disputed, never what the confidential objection says.
    expect((await complete('dsj.reviewer', no, 'MARK_DISPUTED', 'MARK')).status).toBe(200);
    const entry = await eventually(async () => {
      const e = await openCatalogEntry(resource);
      return e?.disputed && e;
    }, 'the mark in the open catalogue');
    expect(entry.disputeMarks[0].note).not.toContain('身份证');
    expect(entry.disputeMarks[0].note).toContain('不予公开');
    await db.task.findFirstOrThrow({ where: { workflowId: `objection/${no}`, step: 'MARK_DISPUTED', status: 'DONE' } });
    const { client } = await temporal();
    await client.workflow.getHandle(`objection/${no}`).terminate('test finished');
  });

  it('issue 13.12: the objection list pages with cursor/limit like every list; page/pageSize and unknown parameters are 400', async () => {
    const resource = await testResource(db, 'rsj', 'UNCONDITIONAL');
    for (const recordRef of ['第1条记录', '第2条记录', '第3条记录'])
      await request(app)
        .post('/api/objections')
        .auth(...as('citizen.zhang'))
        .send(objection(resource, { recordRef }))
        .expect(201);
    const list = (query: string) =>
      request(app)
        .get(`/api/objections?${query}`)
        .auth(...as('citizen.zhang'));
    // A row id of another table is no cursor of this list.
    await expectCursorPaging(
      list,
      'objectionNo',
      `resource=${resource.code}`,
      Buffer.from(resource.id).toString('base64url'),
    );
    await expectCursorPaging(list, 'objectionNo', 'mine=true');
  });

  it('rejects bad filings with a clear 4xx and writes nothing', async () => {
    const resource = await testResource(db, 'rsj', 'UNCONDITIONAL');
    const before = await db.objection.count({ where: { resourceId: resource.id } });
    const gif = await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(
        objection(resource, {
          attachments: [
            { fileName: 'a.gif', mediaType: 'image/gif', contentBase64: Buffer.from('GIF89a').toString('base64') },
          ],
        }),
      )
      .expect(415);
    expect(gif.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const kind = await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(objection(resource, { kind: 'OPINION' }))
      .expect(400);
    expect(kind.body.error.message).toContain('kind');
    await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(objection(resource, { resourceCode: 'NO-SUCH-1' }))
      .expect(404);
    await request(app).post('/api/objections').send(objection(resource)).expect(401);
    // The provider does not object to its own data: it corrects it through catalog management.
    expect(
      (
        await request(app)
          .post('/api/objections')
          .auth(...as('rsj.staff'))
          .send(objection(resource))
          .expect(422)
      ).body.error.code,
    ).toBe('PROCEDURE_NOT_ALLOWED');
    expect(await db.objection.count({ where: { resourceId: resource.id } })).toBe(before);
  });

  /** citizen.zhang objects to a fresh entry of 市自然资源局 and the authority marks it disputed. */
  async function markedObjection() {
    const resource = await testResource(db, 'zrzyj', 'UNCONDITIONAL');
    const filed = await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(objection(resource))
      .expect(201);
    const no: string = filed.body.objectionNo;
    expect((await complete('dsj.reviewer', no, 'MARK_DISPUTED', 'MARK')).status).toBe(200);
    return { resource, no };
  }

  it("the authority's own scope (case 一): the mark shows the decision at once, the correction task is the authority's", async () => {
    const { resource, no } = await markedObjection();
    expect((await complete('dsj.reviewer', no, 'DETERMINE_SCOPE', 'OWN_SCOPE')).status).toBe(200);
    await eventually(
      async () => (await catalogEntry(resource)).disputeMarks[0]?.note.includes('正在核实处理'),
      'the mark while the objection is verified',
    );
    expect(
      (await complete('dsj.reviewer', no, 'AUTHORITY_DECISION', 'CORRECT', { reasons: '登记材料显示确有错误' })).status,
    ).toBe(200);
    // Point 20: the public mark says what was decided while the correction is under way.
    const marked = await eventually(async () => {
      const e = await openCatalogEntry(resource);
      return e?.disputeMarks[0]?.note.includes('已决定更正') && e;
    }, 'the mark to show the decision');
    expect(marked.disputeMarks[0].note).not.toContain('正在核实处理');
    // Point 21: the correction is the authority's task, not the provider's staff's.
    const correction = await eventually(
      () => db.task.findFirst({ where: { workflowId: `objection/${no}`, step: 'CORRECTION', status: 'OPEN' } }),
      'the correction task',
    );
    expect(correction).toMatchObject({ candidateDeptId: 'dsj', candidateRole: 'AUTHORITY_REVIEWER' });
    expect((await complete('zrzyj.staff', no, 'CORRECTION', 'CORRECTED')).status).toBe(403);
    expect((await complete('dsj.reviewer', no, 'CORRECTION', 'CORRECTED', { comment: '已更正' })).status).toBe(200);
    await eventually(async () => (await catalogEntry(resource)).version === 2 && true, 'the corrected entry');
  });

  it('the objector withdraws before a decision: 200 CLOSED/WITHDRAWN, the mark is gone, the open task cancelled; nobody else may, and a closed one is 409', async () => {
    const { resource, no } = await markedObjection();
    await eventually(async () => (await catalogEntry(resource)).disputed, 'the mark');
    const withdraw = (login: string, body: object = { reason: '已自行核实，数据无误' }) =>
      request(app)
        .post(`/api/objections/${no}/withdraw`)
        .auth(...as(login))
        .send(body);
    // Others may read it (an ERROR objection is not confidential) but are not its objector; a bad body is named.
    for (const login of ['company.hengxin', 'dsj.reviewer']) {
      const refused = await withdraw(login);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    const bad = await withdraw('citizen.zhang', { reason: 'x', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect((await db.objection.findUniqueOrThrow({ where: { objectionNo: no } })).status).not.toBe('CLOSED');

    const done = await withdraw('citizen.zhang');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ objectionNo: no, status: 'CLOSED', outcome: 'WITHDRAWN' });
    expect((await catalogEntry(resource)).disputed).toBe(false);
    const scope = await db.task.findFirstOrThrow({ where: { workflowId: `objection/${no}`, step: 'DETERMINE_SCOPE' } });
    expect(scope.status).toBe('CANCELLED');
    const again = await withdraw('citizen.zhang');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('OBJECTION_CLOSED');
  });

  it("provider scope, refused: the mark shows the provider's decision before the objector is informed", async () => {
    const resource = await testResource(db, 'zrzyj', 'UNCONDITIONAL');
    const filed = await request(app)
      .post('/api/objections')
      .auth(...as('citizen.zhang'))
      .send(objection(resource))
      .expect(201);
    const no: string = filed.body.objectionNo;
    expect((await complete('dsj.reviewer', no, 'MARK_DISPUTED', 'MARK')).status).toBe(200);
    expect((await complete('dsj.reviewer', no, 'DETERMINE_SCOPE', 'FORWARD')).status).toBe(200);
    expect(
      (await complete('zrzyj.reviewer', no, 'PROVIDER_DECISION', 'REJECT', { reasons: '登记信息与证书一致' })).status,
    ).toBe(200);
    const e = await eventually(async () => {
      const x = await catalogEntry(resource);
      return x.disputeMarks[0]?.note.includes('决定不予更正') && x;
    }, 'the mark to show the refusal');
    expect(e.disputeMarks[0].note).not.toContain('正在核实处理');
    const shown = await request(app)
      .get(`/api/objections/${no}`)
      .auth(...as('rsj.staff'))
      .expect(200);
    expect(shown.body.disputeMark.note).toContain('决定不予更正');
  });

  it('a department reports a leak with grants suspended; the authority sees it, the department does its steps, closing restores the grants', async () => {
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    const grant = await activeGrant(db, resource.id, 'ybj');
    const grantStatus = async () => (await db.accessGrant.findUniqueOrThrow({ where: { id: grant.grantId } })).status;
    const reported = await request(app)
      .post('/api/incidents')
      .auth(...as('gaj.staff'))
      .send({
        idempotencyKey: `inc-${uniqueSuffix()}`,
        kind: 'LEAK',
        description: '接口账号疑似被盗用，批量导出了人口信息',
        resourceCodes: [resource.code],
        suspendGrants: true,
      })
      .expect(201);
    const no: string = reported.body.incidentNo;
    expect(reported.body).toMatchObject({ status: 'REPORTED', responsibleDeptId: 'gaj', suspendGrants: true });
    await request(app)
      .get(`/api/incidents/${no}`)
      .auth(...as('rsj.staff'))
      .expect(404);
    await request(app)
      .post(`/api/incidents/${no}/suspend-grants`)
      .auth(...as('gaj.staff'))
      .send({})
      .expect(403);

    await eventually(async () => (await grantStatus()) === 'SUSPENDED', 'the grant to be suspended');
    const steps = async () =>
      (
        await request(app)
          .get(`/api/incidents/${no}`)
          .auth(...as('dsj.reviewer'))
          .expect(200)
      ).body.steps as Array<{ id: string; step: string; dueAt: string | null; status: string }>;
    const open = await eventually(async () => {
      const s = await steps();
      return s.length === 3 && s.every((x) => x.dueAt) && s;
    }, 'the three hour-deadline steps');
    for (const [step, decision] of [
      ['REMEDIATE', 'REMEDIATED'],
      ['NOTIFY_USERS', 'USERS_NOTIFIED'],
      ['REPORT_CYBERSPACE', 'REPORTED'],
    ]) {
      const t = open.find((x) => x.step === step)!;
      const res = await request(app)
        .post(`/api/tasks/${t.id}/complete`)
        .auth(...as('gaj.staff'))
        .send({ decision, reasons: `${step} 已完成` });
      expect(res.status).toBe(200);
    }
    const close = await eventually(
      async () => (await steps()).find((x) => x.step === 'CLOSE_INCIDENT'),
      'the closing step',
    );
    const closing = await request(app)
      .post(`/api/tasks/${close.id}/complete`)
      .auth(...as('dsj.reviewer'))
      .send({ decision: 'CLOSE', reasons: '已整改' });
    expect(closing.status).toBe(200);
    const closed = await eventually(async () => {
      const r = await request(app)
        .get(`/api/incidents/${no}`)
        .auth(...as('gaj.staff'))
        .expect(200);
      return r.body.status === 'CLOSED' && r.body;
    }, 'the incident to close');
    expect(closed.cyberspaceReportRef).toBe('REPORT_CYBERSPACE 已完成');
    expect(closed.suspensions).toEqual([
      expect.objectContaining({
        grantId: grant.grantId,
        releasedAt: expect.any(String),
        grant: { status: 'ACTIVE', granteeDeptId: 'ybj' },
      }),
    ]);
    expect(await grantStatus()).toBe('ACTIVE');
    expect(closed.audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['INCIDENT_FILED', 'INCIDENT_REPORTED', 'INCIDENT_REPORT_CYBERSPACE', 'INCIDENT_CLOSED']),
    );
  });
});
