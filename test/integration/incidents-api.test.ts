import request from 'supertest';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { expectCursorPaging } from '../support/pages';
import { activeGrant, testResource } from '../support/objections';
import { startTestWorker } from '../support/worker';

const CAC = `cac-${uniqueSuffix()}@cac.liaocheng.example`;

describe('security incidents API (Art. 32) with real Postgres, Temporal and SMTP', () => {
  let db: Db;
  let worker: { taskQueue: string; stop(): Promise<void> };
  let app: ReturnType<typeof testApp>['app'];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    // The configured 网信 contact (CYBERSPACE_REPORT_EMAIL) the test worker's activities read.
    process.env.CYBERSPACE_REPORT_EMAIL = CAC;
    db = testDb();
    worker = await startTestWorker(db);
    ({ app } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue }));
    for (const login of ['water.staff', 'gaj.reviewer', 'gaj.staff', 'dsj.reviewer', 'citizen.zhang', 'rsj.staff']) {
      tokens[login] = (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token;
    }
  });
  afterAll(async () => {
    delete process.env.CYBERSPACE_REPORT_EMAIL;
    await worker?.stop();
    await db?.$disconnect();
  });

  const as = (login: string) => [tokens[login], { type: 'bearer' as const }] as const;
  const grantStatus = async (id: string) => (await db.accessGrant.findUniqueOrThrow({ where: { id } })).status;
  const openTask = (workflowId: string, step: string) =>
    eventually(() => db.task.findFirst({ where: { workflowId, step, status: 'OPEN' } }), `the ${step} task`);
  const complete = (login: string, taskId: string, body: Record<string, unknown>) =>
    request(app)
      .post(`/api/tasks/${taskId}/complete`)
      .auth(...as(login))
      .send(body);

  /** Sends the queued mail under `prefix` through SMTP and returns what MailDev received for `to`. */
  async function delivered(prefix: string, to: string, subjectPart: string) {
    const templates = new MailTemplates();
    const transport = createTransport(process.env.SMTP_URL!);
    const logger = createLogger('test', 'silent');
    return eventually(
      async () => {
        await dispatchOutboxOnce({
          db,
          transport,
          templates,
          from: '聊城市大数据局 <no-reply@liaocheng.example>',
          logger,
          batchSize: 200,
          dedupeKeyPrefix: prefix,
        });
        return (await receivedMail()).find(
          (m) => m.to.some((t) => t.address === to) && m.subject.includes(subjectPart),
        );
      },
      `the mail ${prefix} to ${to} in MailDev`,
      120_000,
    );
  }

  it("issue 12 escalation refused: a non-government unit's suspendGrants leaves 市公安局's grants ACTIVE; the provider decides and only the named grants are suspended; closed, suspend-grants is 409", async () => {
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    const grants = await Promise.all(['rsj', 'wjw', 'ybj'].map((d) => activeGrant(db, resource.id, d)));
    const reported = await request(app)
      .post('/api/incidents')
      .auth(...as('water.staff'))
      .send({
        idempotencyKey: `inc-${uniqueSuffix()}`,
        kind: 'LEAK',
        description: '发现公安人口数据在外部网站被公开售卖',
        resourceCodes: [resource.code],
        suspendGrants: true,
      })
      .expect(201);
    const no: string = reported.body.incidentNo;
    const workflowId = `security-incident/${no}`;

    // Instead of a suspension, a decision task for the provider with an hour limit.
    const decision = await openTask(workflowId, 'DECIDE_SUSPENSION');
    expect(decision).toMatchObject({ candidateDeptId: 'gaj', candidateRole: 'PROVIDER_REVIEWER' });
    expect(decision.dueAt!.getTime() - decision.createdAt.getTime()).toBe(2 * 3_600_000);
    for (const g of grants) expect(await grantStatus(g.grantId)).toBe('ACTIVE');
    const row = await db.securityIncident.findUniqueOrThrow({ where: { incidentNo: no } });
    expect(await db.incidentGrantSuspension.count({ where: { incidentId: row.id } })).toBe(0);
    // The reporter can neither suspend nor decide.
    await request(app)
      .post(`/api/incidents/${no}/suspend-grants`)
      .auth(...as('water.staff'))
      .send({})
      .expect(403);
    expect((await complete('water.staff', decision.id, { decision: 'SUSPEND' })).status).toBe(403);
    for (const g of grants) expect(await grantStatus(g.grantId)).toBe('ACTIVE');

    // The task mail shows the 2-hour limit (not "办理期限：无").
    const taskMail = await delivered(`task:${decision.id}:assigned`, 'gaj.reviewer@liaocheng.example', no);
    expect(taskMail.text).toMatch(/办理期限：\d{4}年/);
    expect(taskMail.text).not.toContain('办理期限：无');

    // The provider sees the incident and its grants; a grant that is not on the resource is refused.
    const seen = await request(app)
      .get(`/api/incidents/${no}`)
      .auth(...as('gaj.reviewer'))
      .expect(200);
    expect(seen.body.grants.map((g: { id: string }) => g.id).sort()).toEqual(grants.map((g) => g.grantId).sort());
    const other = await activeGrant(db, (await testResource(db, 'gaj')).id, 'rsj');
    const refused = await request(app)
      .post(`/api/incidents/${no}/suspension-decision`)
      .auth(...as('gaj.reviewer'))
      .send({ decision: 'SUSPEND', grantIds: [other.grantId] })
      .expect(422);
    expect(refused.body.error.code).toBe('UNKNOWN_GRANT');
    const decided = await request(app)
      .post(`/api/incidents/${no}/suspension-decision`)
      .auth(...as('gaj.reviewer'))
      .send({ decision: 'SUSPEND', grantIds: [grants[0].grantId, grants[1].grantId] });
    expect(decided.status).toBe(200);
    await eventually(async () => (await grantStatus(grants[1].grantId)) === 'SUSPENDED', 'the named grants');
    expect(await grantStatus(grants[0].grantId)).toBe('SUSPENDED');
    expect(await grantStatus(grants[2].grantId)).toBe('ACTIVE');
    expect(await grantStatus(other.grantId)).toBe('ACTIVE');

    // Issue 13 point 25: the platform reported to the configured 网信 contact and told the users it knows.
    const cac = await delivered(`incident:${no}:cyberspace-report`, CAC, no);
    expect(cac.text).toContain(resource.code);
    const view = await eventually(async () => {
      const r = await request(app)
        .get(`/api/incidents/${no}`)
        .auth(...as('dsj.reviewer'))
        .expect(200);
      return r.body.usersNoticeSentAt && r.body;
    }, 'the recorded notice');
    expect(view).toMatchObject({ cyberspaceReportTo: CAC, grantsSuspended: 2 });
    expect(view.cyberspaceReportedAt).toEqual(expect.any(String));
    expect(view.usersNoticeCount).toBeGreaterThanOrEqual(3);
    expect(view.steps.map((s: { step: string }) => s.step)).not.toContain('REPORT_CYBERSPACE');
    expect(view.audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['INCIDENT_REPORT_CYBERSPACE_SENT', 'INCIDENT_USERS_NOTICE_SENT']),
    );
    await delivered(`incident:${no}:users`, 'ybj.staff@liaocheng.example', no);

    // The authority may suspend a further named grant; then the measures and closing.
    const more = await request(app)
      .post(`/api/incidents/${no}/suspend-grants`)
      .auth(...as('dsj.reviewer'))
      .send({ grantIds: [grants[2].grantId] })
      .expect(200);
    expect(more.body).toMatchObject({ suspended: 1 });
    expect(await grantStatus(grants[2].grantId)).toBe('SUSPENDED');
    for (const [step, d] of [
      ['REMEDIATE', 'REMEDIATED'],
      ['NOTIFY_USERS', 'USERS_NOTIFIED'],
    ]) {
      const t = await openTask(workflowId, step);
      expect((await complete('water.staff', t.id, { decision: d, reasons: '已处置' })).status).toBe(200);
    }
    const close = await openTask(workflowId, 'CLOSE_INCIDENT');
    expect((await complete('dsj.reviewer', close.id, { decision: 'CLOSE', reasons: '已处置完毕' })).status).toBe(200);
    await eventually(
      async () => (await db.securityIncident.findUniqueOrThrow({ where: { incidentNo: no } })).status === 'CLOSED',
      'the incident to close',
    );
    for (const g of grants) await eventually(async () => (await grantStatus(g.grantId)) === 'ACTIVE', 'restored');

    // Issue 13 point 24: a closed incident suspends nothing and says so.
    const late = await request(app)
      .post(`/api/incidents/${no}/suspend-grants`)
      .auth(...as('dsj.reviewer'))
      .send({})
      .expect(409);
    expect(late.body.error.code).toBe('INCIDENT_CLOSED');
    for (const g of grants) expect(await grantStatus(g.grantId)).toBe('ACTIVE');
  });

  it('issue 13.12: the incident list pages with cursor/limit like every list; page/pageSize and unknown parameters are 400', async () => {
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    for (const description of ['接口日志异常一', '接口日志异常二', '接口日志异常三'])
      await request(app)
        .post('/api/incidents')
        .auth(...as('gaj.staff'))
        .send({ idempotencyKey: `inc-${uniqueSuffix()}`, kind: 'RISK', description, resourceCodes: [resource.code] })
        .expect(201);
    const list = (query: string) =>
      request(app)
        .get(`/api/incidents?${query}`)
        .auth(...as('gaj.staff'));
    // A row id of another table is no cursor of this list.
    await expectCursorPaging(list, 'incidentNo', '', Buffer.from(resource.id).toString('base64url'));
    await expectCursorPaging(list, 'incidentNo', 'status=REPORTED');
  });

  it('the provider itself reporting suspends at once; an occurredAt in the future is a 400 and writes nothing', async () => {
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    const g = await activeGrant(db, resource.id, 'rsj');
    const before = await db.securityIncident.count();
    const future = await request(app)
      .post('/api/incidents')
      .auth(...as('gaj.staff'))
      .send({
        idempotencyKey: `inc-${uniqueSuffix()}`,
        kind: 'RISK',
        description: '未来时间的事件',
        resourceCodes: [resource.code],
        occurredAt: new Date(Date.now() + 86_400_000).toISOString(),
      })
      .expect(400);
    expect(future.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(future.body)).toContain('occurredAt');
    expect(await db.securityIncident.count()).toBe(before);

    const reported = await request(app)
      .post('/api/incidents')
      .auth(...as('gaj.staff'))
      .send({
        idempotencyKey: `inc-${uniqueSuffix()}`,
        kind: 'LEAK',
        description: '接口账号疑似被盗用',
        resourceCodes: [resource.code],
        occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
        suspendGrants: true,
      })
      .expect(201);
    await eventually(async () => (await grantStatus(g.grantId)) === 'SUSPENDED', 'the immediate suspension');
    expect(
      await db.task.count({
        where: { workflowId: `security-incident/${reported.body.incidentNo}`, step: 'DECIDE_SUSPENSION' },
      }),
    ).toBe(0);
  });

  it('a citizen reports a suspected leak (no longer 403); the authority triages it and, confirmed, the provider owes the measures', async () => {
    const resource = await testResource(db, 'rsj', 'NOT_OPEN');
    const reported = await request(app)
      .post('/api/incidents')
      .auth(...as('citizen.zhang'))
      .send({
        idempotencyKey: `inc-${uniqueSuffix()}`,
        kind: 'LEAK',
        description: '我在某网站上看到了自己的社保缴费记录',
        resourceCodes: [resource.code],
      })
      .expect(201);
    const no: string = reported.body.incidentNo;
    // The citizen follows its report, without the administration's internals.
    expect(reported.body).toEqual(expect.objectContaining({ incidentNo: no, status: 'REPORTED' }));
    expect(reported.body.audit).toBeUndefined();
    const mine = await request(app)
      .get('/api/incidents')
      .auth(...as('citizen.zhang'))
      .expect(200);
    expect(mine.body.items.map((i: { incidentNo: string }) => i.incidentNo)).toContain(no);
    await request(app)
      .post('/api/incidents')
      .auth(...as('citizen.zhang'))
      .send({
        idempotencyKey: `inc-${uniqueSuffix()}`,
        kind: 'LEAK',
        description: '指定责任部门',
        resourceCodes: [resource.code],
        responsibleDeptId: 'gaj',
      })
      .expect(403);

    const workflowId = `security-incident/${no}`;
    const triage = await openTask(workflowId, 'TRIAGE_REPORT');
    expect(triage).toMatchObject({ candidateDeptId: 'dsj', candidateRole: 'AUTHORITY_REVIEWER' });
    expect(await db.task.count({ where: { workflowId, step: 'REMEDIATE' } })).toBe(0);
    expect((await complete('dsj.reviewer', triage.id, { decision: 'CONFIRM', comment: '初步核实属实' })).status).toBe(
      200,
    );
    const remediate = await openTask(workflowId, 'REMEDIATE');
    expect(remediate).toMatchObject({ candidateDeptId: 'rsj', candidateRole: 'DEPT_STAFF' });
    await request(app)
      .get(`/api/incidents/${no}`)
      .auth(...as('rsj.staff'))
      .expect(200);
  });
});
