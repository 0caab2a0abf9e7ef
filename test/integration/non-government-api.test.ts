import request from 'supertest';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { startTestWorker, TestWorker } from '../support/worker';

describe('non-government access API (Art. 22 ¶3) with real Postgres, Temporal and SMTP', () => {
  let db: Db;
  let worker: TestWorker;
  let app: ReturnType<typeof testApp>['app'];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    ({ app } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue }));
    for (const login of [
      'water.staff',
      'gaj.staff',
      'gaj.reviewer',
      'scjgj.reviewer',
      'dsj.reviewer',
      'szf.reviewer',
      'citizen.zhang',
    ]) {
      tokens[login] = (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token;
    }
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.$disconnect();
  });

  const as = (login: string) => ({ type: 'bearer' as const, token: tokens[login] });
  const submission = (overrides: Record<string, unknown> = {}) => ({
    idempotencyKey: `ng-${uniqueSuffix()}`,
    resourceCodes: ['GAJ-001', 'SCJG-001'],
    purpose: '供水过户业务核验用水户身份',
    dutyBasis: '《城市供水条例》第二十三条：城市自来水供水企业负责供水营业',
    scenario: '营业厅办理过户时在线核验身份与企业登记信息',
    securityMeasures: '政务外网专线接入、最小字段、访问日志留存六个月',
    usePeriodDays: 90,
    ...overrides,
  });

  /** Completes an inbox task through the generic task API, as the reviewer would. */
  async function complete(
    login: string,
    applicationNo: string,
    step: string,
    decision: string,
    extra: { reasons?: string; comment?: string } = {},
  ) {
    const task = await eventually(async () => {
      const res = await request(app)
        .get(`/api/inbox?procedure=NON_GOVERNMENT_ACCESS&step=${step}&limit=100`)
        .auth(tokens[login], as(login))
        .expect(200);
      return res.body.items.find(
        (t: { application: { applicationNo: string } | null }) => t.application?.applicationNo === applicationNo,
      ) as { id: string } | undefined;
    }, `${login}'s ${step} task`);
    // The workflow knows the task before its row exists: the first decision is taken in.
    return request(app)
      .post(`/api/tasks/${task.id}/complete`)
      .auth(tokens[login], as(login))
      .send({ decision, ...extra });
  }

  it("a utility's application goes through parallel opinions, the report and the government decision to a grant and a signed agreement", async () => {
    const body = submission();
    const submitted = await request(app)
      .post('/api/non-government-applications')
      .auth(tokens['water.staff'], as('water.staff'))
      .send(body)
      .expect(201);
    const no: string = submitted.body.applicationNo;
    expect(no).toMatch(/^FZ-\d{8}-/);
    expect(submitted.body).toMatchObject({
      procedure: 'NON_GOVERNMENT_ACCESS',
      scenario: body.scenario,
      securityMeasures: body.securityMeasures,
    });
    // Answered once the first step is done: its inbox tasks are open already.
    expect(submitted.body.tasks.length).toBeGreaterThan(0);
    expect(submitted.body.tasks.every((t: { status: string }) => t.status === 'OPEN')).toBe(true);
    // A retried submission is the same application; the same key with other content is refused.
    expect(
      (
        await request(app)
          .post('/api/non-government-applications')
          .auth(tokens['water.staff'], as('water.staff'))
          .send(body)
          .expect(200)
      ).body.applicationNo,
    ).toBe(no);
    const reused = await request(app)
      .post('/api/non-government-applications')
      .auth(tokens['water.staff'], as('water.staff'))
      .send({ ...body, purpose: '另一个用途说明' })
      .expect(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    // The case deadline (Art. 22 ¶3): ten working days from receipt for the opinions and the report.
    const deadlineOf = async (workingDays: number) =>
      (
        await request(app)
          .get(
            `/api/calendar/deadline?from=${encodeURIComponent(submitted.body.submittedAt)}&workingDays=${workingDays}`,
          )
          .auth(tokens['water.staff'], as('water.staff'))
          .expect(200)
      ).body.deadlineAt as string;
    const withDeadline = await eventually(async () => {
      const res = await request(app).get(`/api/applications/${no}`).auth(tokens['water.staff'], as('water.staff'));
      // 503 says "retry" (a busy database under the shared test load); anything else but 200 is a failure.
      if (res.status === 503) return undefined;
      if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      return res.body.caseDeadline && res.body;
    }, 'the case deadline in the answer');
    expect(withDeadline.caseDeadline).toEqual({
      dueAt: await deadlineOf(10),
      countedFrom: submitted.body.submittedAt,
      workingDays: 10,
      covers: 'OPINIONS_AND_REPORT',
      provisional: expect.any(Boolean),
    });
    // GET /api/applications/{no} shows what the unit submitted, the scenario and security measures included.
    expect(withDeadline).toMatchObject({
      scenario: body.scenario,
      securityMeasures: body.securityMeasures,
      dutyBasis: body.dutyBasis,
    });
    // The opinions are due early enough to leave the report its days inside the case deadline.
    const opinionTasks = await eventually(async () => {
      const rows = await db.task.findMany({ where: { workflowId: `non-government-access/${no}`, step: 'OPINION' } });
      return rows.length === 3 && rows;
    }, 'the three opinion tasks');
    const opinionDue = await deadlineOf(7);
    expect(opinionTasks.map((t) => t.dueAt?.toISOString())).toEqual([opinionDue, opinionDue, opinionDue]);
    // The provider judging the application sees all of it in the task.
    const gajTask = opinionTasks.find((t) => t.candidateDeptId === 'gaj')!;
    const gajDetail = await request(app)
      .get(`/api/tasks/${gajTask.id}`)
      .auth(tokens['gaj.reviewer'], as('gaj.reviewer'))
      .expect(200);
    expect(gajDetail.body.application).toMatchObject({
      applicationNo: no,
      scenario: body.scenario,
      securityMeasures: body.securityMeasures,
      caseDeadline: withDeadline.caseDeadline,
    });

    expect((await complete('gaj.reviewer', no, 'OPINION', 'SUPPORT', { comment: '仅限核验' })).status).toBe(200);
    expect((await complete('scjgj.reviewer', no, 'OPINION', 'SUPPORT')).status).toBe(200);
    expect((await complete('dsj.reviewer', no, 'OPINION', 'SUPPORT')).status).toBe(200);
    expect((await complete('dsj.reviewer', no, 'REPORT', 'RECOMMEND_APPROVE', { comment: '建议同意' })).status).toBe(
      200,
    );
    const reportTask = await db.task.findFirstOrThrow({
      where: { workflowId: `non-government-access/${no}`, step: 'REPORT' },
    });
    expect(reportTask.dueAt?.toISOString()).toBe(withDeadline.caseDeadline.dueAt);
    // The government's task is for the municipal government only.
    const govTask = await eventually(
      () => db.task.findFirst({ where: { workflowId: `non-government-access/${no}`, step: 'GOVERNMENT_DECISION' } }),
      'the government task',
    );
    // The municipal government decides on the whole application: scenario, security measures, the opinions.
    const govDetail = await request(app)
      .get(`/api/tasks/${govTask.id}`)
      .auth(tokens['szf.reviewer'], as('szf.reviewer'))
      .expect(200);
    expect(govDetail.body.application).toMatchObject({
      scenario: body.scenario,
      securityMeasures: body.securityMeasures,
      dutyBasis: body.dutyBasis,
    });
    expect(
      govDetail.body.application.tasks
        .filter((t: { step: string }) => t.step === 'OPINION')
        .map((t: { decision: string }) => t.decision),
    ).toEqual(['SUPPORT', 'SUPPORT', 'SUPPORT']);
    expect(
      (
        await request(app)
          .post(`/api/tasks/${govTask.id}/complete`)
          .auth(tokens['dsj.reviewer'], as('dsj.reviewer'))
          .send({ decision: 'APPROVE' })
      ).status,
    ).toBe(403);
    // The municipal government opens the application it decides (issue 13 point 3); the unit lists its own (point 4).
    const decided = await request(app)
      .get(`/api/applications/${no}`)
      .auth(tokens['szf.reviewer'], as('szf.reviewer'))
      .expect(200);
    expect(decided.body).toMatchObject({ applicationNo: no, procedure: 'NON_GOVERNMENT_ACCESS' });
    const own = await request(app)
      .get('/api/applications?limit=100')
      .auth(tokens['water.staff'], as('water.staff'))
      .expect(200);
    expect(own.body.items.map((a: { applicationNo: string }) => a.applicationNo)).toContain(no);
    expect((await complete('szf.reviewer', no, 'GOVERNMENT_DECISION', 'APPROVE', { comment: '同意' })).status).toBe(
      200,
    );
    expect((await complete('dsj.reviewer', no, 'AGREEMENT_SIGN', 'SIGN')).status).toBe(200);
    expect((await complete('water.staff', no, 'AGREEMENT_SIGN', 'SIGN')).status).toBe(200);

    const approved = await eventually(async () => {
      const res = await request(app)
        .get(`/api/applications/${no}`)
        .auth(tokens['water.staff'], as('water.staff'))
        .expect(200);
      return res.body.status === 'APPROVED' && res.body;
    }, 'the application to be approved');
    expect(
      approved.grants.map((g: { resourceCode: string; status: string }) => `${g.resourceCode}:${g.status}`).sort(),
    ).toEqual(['GAJ-001:ACTIVE', 'SCJG-001:ACTIVE']);
    expect(approved.grants.every((g: { expiresAt: string | null }) => g.expiresAt !== null)).toBe(true);
    expect(approved.agreements).toEqual([
      expect.objectContaining({ kind: 'NON_GOVERNMENT', status: 'CONFIRMED', partyA: 'dsj', partyB: 'water' }),
    ]);
    expect(approved.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'SUBMITTED',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'GOVERNMENT_DECISION',
      'AGREEMENT_PENDING',
      'APPROVED',
    ]);

    // The feedback reaches the unit's mailbox through real SMTP.
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
      const mine = (await receivedMail()).filter(
        (m) => m.to.some((t) => t.address === 'water.staff@liaocheng.example') && m.subject.includes(no),
      );
      return mine.length >= 2 && mine;
    }, 'the decision and grant mails to the utility');
    transport.close();
    expect(mail.map((m) => m.subject).join('\n')).toContain('办理结果');
    expect(mail.map((m) => m.subject).join('\n')).toContain('访问授权');
  });

  it('a government department cannot use this procedure, and a non-government unit cannot use the share procedure', async () => {
    const gov = await request(app)
      .post('/api/non-government-applications')
      .auth(tokens['gaj.staff'], as('gaj.staff'))
      .send(submission({ resourceCodes: ['RSJ-001'] }))
      .expect(422);
    expect(gov.body.error.code).toBe('PROCEDURE_NOT_ALLOWED');
    expect(gov.body.error.message).toContain('/api/applications');
    const share = await request(app)
      .post('/api/applications')
      .auth(tokens['water.staff'], as('water.staff'))
      .send({
        idempotencyKey: `share-${uniqueSuffix()}`,
        resourceCodes: ['GAJ-001'],
        purpose: '核验用水户身份',
        legalDuty: '城市供水条例',
      })
      .expect(422);
    expect(share.body.error.code).toBe('PROCEDURE_NOT_ALLOWED');
    expect(share.body.error.message).toContain('/api/non-government-applications');
    expect(
      (
        await request(app)
          .post('/api/non-government-applications')
          .auth(tokens['citizen.zhang'], as('citizen.zhang'))
          .send(submission())
      ).status,
    ).toBe(403);
    expect((await request(app).post('/api/non-government-applications').send(submission())).status).toBe(401);
  });

  it('rejects bad input with a field name and NOT_SHARED resources with their legal basis; nothing is written', async () => {
    const before = await db.application.count({ where: { applicantDeptId: 'water' } });
    const noScenario = await request(app)
      .post('/api/non-government-applications')
      .auth(tokens['water.staff'], as('water.staff'))
      .send(submission({ scenario: undefined }))
      .expect(400);
    expect(noScenario.body.error.message).toContain('scenario');
    const secret = await request(app)
      .post('/api/non-government-applications')
      .auth(tokens['water.staff'], as('water.staff'))
      .send(submission({ resourceCodes: ['GAJ-004'] }))
      .expect(422);
    expect(secret.body.error.code).toBe('RESOURCE_NOT_SHAREABLE');
    const unknown = await request(app)
      .post('/api/non-government-applications')
      .auth(tokens['water.staff'], as('water.staff'))
      .send(submission({ resourceCodes: ['GAJ-001', 'NOPE-7', 'NOPE-8'] }))
      .expect(422);
    expect(unknown.body.error).toMatchObject({ code: 'UNKNOWN_RESOURCE', details: { codes: ['NOPE-7', 'NOPE-8'] } });
    expect(unknown.body.error.message).toContain('NOPE-7');
    expect(await db.application.count({ where: { applicantDeptId: 'water' } })).toBe(before);
  });
});
