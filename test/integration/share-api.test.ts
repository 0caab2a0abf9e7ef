/**
 * The share procedures end to end through the HTTP API, with real Postgres, the Temporal dev
 * server, a real worker and MailDev receiving the mail.
 */
import request from 'supertest';
import type { Express } from 'express';
import { reconcileStarts } from '../../api/kit/starters';
import { seedCalendar } from '../../lib/calendar-store';
import { newId } from '../../lib/ids';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { deriveProvisionalYear, shanghaiDate } from '../../domain/calendar';
import { shareSubmission } from '../support/applications';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { startTestWorker, TestWorker } from '../support/worker';
import { temporalClient } from '../../api/kit/temporal';
import { activityNames } from '../support/procedures';

describe('share applications, inbox and tasks over HTTP (real Postgres, Temporal, SMTP)', () => {
  let db: Db;
  let app: Express;
  let api: ReturnType<typeof testApp>;
  let worker: TestWorker;
  const tokens = new Map<string, string>();

  async function as(login: string): Promise<string> {
    if (!tokens.has(login))
      tokens.set(login, (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
    return tokens.get(login)!;
  }
  const get = async (login: string, url: string) =>
    request(app)
      .get(url)
      .auth(await as(login), { type: 'bearer' });
  const post = async (login: string, url: string, body: object = {}) =>
    request(app)
      .post(url)
      .auth(await as(login), { type: 'bearer' })
      .send(body);

  async function inboxTask(login: string, applicationNo: string, step: string) {
    return eventually(async () => {
      const res = await get(login, `/api/inbox?step=${step}&caseNo=${applicationNo}`);
      expect(res.status).toBe(200);
      expect(
        res.body.items.every(
          (t: { application: { applicationNo: string } }) => t.application.applicationNo === applicationNo,
        ),
      ).toBe(true);
      return res.body.items[0];
    }, `${step} task for ${applicationNo} in ${login}'s inbox`);
  }

  async function deliverMail(dedupeKeyPrefix: string) {
    const transport = createTransport(process.env.SMTP_URL!);
    while (
      (await dispatchOutboxOnce({
        db,
        transport,
        templates: new MailTemplates(),
        from: 'system <no-reply@liaocheng.example>',
        logger: createLogger('test', 'silent'),
        batchSize: 200,
        dedupeKeyPrefix,
      })) > 0
    );
    transport.close();
  }

  const submission = (overrides: Record<string, unknown> = {}) => shareSubmission(`key-${uniqueSuffix()}`, overrides);

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    api = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue });
    ({ app } = api);
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.$disconnect();
  });

  it('conditional share: submit → provider decides in the inbox → authority approves → agreement → grant, and the applicant gets the decision mail', async () => {
    const body = submission();
    const submitted = await post('rsj.staff', '/api/applications', body);
    expect(submitted.status).toBe(201);
    const no: string = submitted.body.applicationNo;
    expect(submitted.body.procedure).toBe('CONDITIONAL_SHARE');
    // Answered once the first step is done: the provider's task is open, with its deadline.
    expect(submitted.body.status).toBe('PROVIDER_REVIEW');
    expect(submitted.body.tasks).toEqual([
      expect.objectContaining({
        step: 'PROVIDER_REPLY',
        status: 'OPEN',
        candidateDeptId: 'gaj',
        dueAt: expect.any(String),
      }),
    ]);

    // Repeating the submission returns the same application and starts nothing new.
    const repeat = await post('rsj.staff', '/api/applications', body);
    expect(repeat.status).toBe(200);
    expect(repeat.body.applicationNo).toBe(no);
    expect(repeat.body.tasks.map((t: { id: string }) => t.id)).toEqual(
      submitted.body.tasks.map((t: { id: string }) => t.id),
    );
    const reused = await post('rsj.staff', '/api/applications', { ...body, purpose: '另一个用途说明' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const task = await inboxTask('gaj.reviewer', no, 'PROVIDER_REPLY');
    expect(task.allowedDecisions).toEqual(['AGREE', 'REFUSE', 'REQUEST_SUPPLEMENT']);
    expect(task.dueAt).toBeTruthy();
    expect(task.application.applicantDept.id).toBe('rsj');
    // Started with the policy in force in its input: the procedure loads no policy as an activity.
    const history = await (await temporalClient(api)).workflow.getHandle(`conditional-share/${no}`).fetchHistory();
    expect(activityNames(history.events ?? [])).not.toContain('loadPolicy');

    // A reviewer of another department neither sees the task nor may open it.
    const foreign = await get('wjw.reviewer', '/api/inbox?limit=100');
    expect(foreign.body.items.map((t: { id: string }) => t.id)).not.toContain(task.id);
    expect((await get('wjw.reviewer', `/api/tasks/${task.id}`)).status).toBe(403);
    expect((await post('wjw.reviewer', `/api/tasks/${task.id}/complete`, { decision: 'AGREE' })).status).toBe(403);

    const detail = await get('gaj.reviewer', `/api/tasks/${task.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.application).toMatchObject({
      applicationNo: no,
      purpose: body.purpose,
      legalDuty: body.legalDuty,
      fieldsRequested: body.fieldsRequested,
      caseDeadline: null,
      resources: [expect.objectContaining({ code: 'GAJ-001', providerId: 'gaj' })],
    });
    expect(detail.body.history.map((h: { action: string }) => h.action)).toContain('TASK_CREATED');

    // A refusal without reasons is rejected before anything is recorded.
    const noReasons = await post('gaj.reviewer', `/api/tasks/${task.id}/complete`, { decision: 'REFUSE' });
    expect(noReasons.status).toBe(422);
    expect(noReasons.body.error.code).toBe('REASONS_REQUIRED');
    // The workflow's refusal reaches the client in Chinese, its English text beside it.
    expect(noReasons.body.error).toMatchObject({
      message: '作出决定 REFUSE 须说明理由',
      messageEn: 'Decision REFUSE needs reasons',
    });
    expect((await post('gaj.reviewer', `/api/tasks/${task.id}/complete`, { decision: 'MAYBE' })).body.error.code).toBe(
      'DECISION_NOT_ALLOWED',
    );

    expect((await post('gaj.reviewer', `/api/tasks/${task.id}/claim`)).status).toBe(200);
    const done = await post('gaj.reviewer', `/api/tasks/${task.id}/complete`, {
      decision: 'AGREE',
      comment: '同意共享',
    });
    expect(done.status).toBe(200);
    expect(done.body.task.status).toBe('DONE');
    // The answer carries the application's state after the workflow has acted on the decision.
    expect(done.body.application.status).toBe('AUTHORITY_REVIEW');
    expect(done.body.stage).toBe('AUTHORITY_REVIEW');
    expect(done.body.status).toBe('AUTHORITY_REVIEW');
    expect(done.body.openedTasks.map((t: { step: string }) => t.step)).toEqual(['AUTHORITY_REVIEW']);
    // One decision per task: the same one again gets the original answer, another one a 409.
    const again = await post('gaj.reviewer', `/api/tasks/${task.id}/complete`, {
      decision: 'AGREE',
      comment: '同意共享',
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(done.body);
    const other = await post('gaj.reviewer', `/api/tasks/${task.id}/complete`, {
      decision: 'REFUSE',
      reasons: '改变主意',
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('TASK_ALREADY_DECIDED');
    expect(other.body.error.message).toBe(`任务 ${task.id} 已作出决定：AGREE`);
    expect(other.body.error.messageEn).toBe(`Task ${task.id} is already decided: AGREE`);

    const review = await inboxTask('dsj.reviewer', no, 'AUTHORITY_REVIEW');
    expect(
      (await post('dsj.reviewer', `/api/tasks/${review.id}/complete`, { decision: 'APPROVE', comment: '符合法定职责' }))
        .status,
    ).toBe(200);

    const providerConfirm = await inboxTask('gaj.reviewer', no, 'AGREEMENT_CONFIRM');
    const applicantConfirm = await inboxTask('rsj.staff', no, 'AGREEMENT_CONFIRM');
    const pending = await get('rsj.staff', `/api/applications/${no}`);
    expect(pending.body.grants.map((g: { status: string }) => g.status)).toEqual(['PENDING_AGREEMENT']);
    expect(
      (await post('gaj.reviewer', `/api/tasks/${providerConfirm.id}/complete`, { decision: 'CONFIRM' })).status,
    ).toBe(200);
    expect(
      (await post('rsj.staff', `/api/tasks/${applicantConfirm.id}/complete`, { decision: 'CONFIRM' })).status,
    ).toBe(200);

    const approved = await eventually(async () => {
      const res = await get('rsj.staff', `/api/applications/${no}`);
      return res.body.status === 'APPROVED' && res.body;
    }, 'the application to be approved');
    expect(approved.grants).toEqual([expect.objectContaining({ resourceCode: 'GAJ-001', status: 'ACTIVE' })]);
    expect(approved.agreements[0].status).toBe('CONFIRMED');
    expect(approved.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'SUBMITTED',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'AGREEMENT_PENDING',
      'APPROVED',
    ]);

    await deliverMail(`conditional-share/${no}:`);
    const mail = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) =>
            m.to.some((t) => t.address === 'rsj.staff@liaocheng.example') &&
            m.subject.includes(no) &&
            m.subject.includes('办理结果'),
        ),
      'the decision mail',
    );
    expect(mail.text).toContain('同意共享');
    // The provider's task mail writes its deadline as the last day, 24时 (issue 13 point 8).
    await deliverMail(`task:${task.id}:assigned`);
    const assigned = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) =>
            m.to.some((t) => t.address === 'gaj.reviewer@liaocheng.example') &&
            m.subject.startsWith('【待办】') &&
            m.subject.includes(no) &&
            !m.text.includes('办理期限：无'),
        ),
      'the task mail of the provider',
    );
    expect(assigned.text).toMatch(/办理期限：\d{4}年\d{1,2}月\d{1,2}日24时（北京时间）/);

    // Everyone involved is in the audit log.
    const audit = await db.auditLog.findMany({ where: { entityId: task.id } });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['TASK_CREATED', 'TASK_CLAIMED', 'TASK_DECIDED']),
    );
  });

  it("a provider's refusal goes to the authority's review before the applicant hears of it: returned for reconsideration, refused again, upheld, then mailed (Art. 22 ¶2)", async () => {
    const submitted = await post('wjw.staff', '/api/applications', submission({ resourceCodes: ['GAJ-002'] }));
    expect(submitted.status).toBe(201);
    const no: string = submitted.body.applicationNo;
    const reply = await inboxTask('gaj.reviewer', no, 'PROVIDER_REPLY');
    const refused = await post('gaj.reviewer', `/api/tasks/${reply.id}/complete`, {
      decision: 'REFUSE',
      reasons: '涉及个人隐私',
    });
    expect(refused.status).toBe(200);
    expect(refused.body.status).toBe('AUTHORITY_REVIEW');
    expect(refused.body.openedTasks.map((t: { step: string }) => t.step)).toEqual(['AUTHORITY_REVIEW']);
    // Nothing reaches the applicant yet.
    await deliverMail(`conditional-share/${no}:`);
    expect((await receivedMail()).filter((m) => m.subject.includes(no) && m.subject.includes('办理结果'))).toEqual([]);

    // The inbox filtered by case number shows this case's tasks only.
    const caseTasks = await get('dsj.reviewer', `/api/inbox?caseNo=${no}`);
    expect(caseTasks.body.items.map((t: { step: string }) => t.step)).toEqual(['AUTHORITY_REVIEW']);
    const review = caseTasks.body.items[0];
    expect(review.allowedDecisions).toEqual(['REFUSE', 'RETURN']);
    // The reviewer sees the provider's reply with its reasons on the case.
    const reviewDetail = await get('dsj.reviewer', `/api/tasks/${review.id}`);
    expect(reviewDetail.body.application.tasks).toEqual([
      expect.objectContaining({ step: 'PROVIDER_REPLY', decision: 'REFUSE', reasons: '涉及个人隐私' }),
      expect.objectContaining({ step: 'AUTHORITY_REVIEW', status: 'OPEN' }),
    ]);
    expect((await post('dsj.reviewer', `/api/tasks/${review.id}/complete`, { decision: 'APPROVE' })).status).toBe(422);
    const returned = await post('dsj.reviewer', `/api/tasks/${review.id}/complete`, {
      decision: 'RETURN',
      reasons: '共享为原则：请说明不予共享的法律依据',
    });
    expect(returned.status).toBe(200);
    expect(returned.body.openedTasks).toEqual([
      expect.objectContaining({ step: 'PROVIDER_REPLY', candidateDeptId: 'gaj' }),
    ]);

    const again = await inboxTask('gaj.reviewer', no, 'PROVIDER_REPLY');
    expect(again.title).toContain('共享为原则');
    await post('gaj.reviewer', `/api/tasks/${again.id}/complete`, {
      decision: 'REFUSE',
      reasons: '《居民身份证法》第六条',
    });
    const second = await inboxTask('dsj.reviewer', no, 'AUTHORITY_REVIEW');
    expect(second.allowedDecisions).toEqual(['REFUSE']);
    await post('dsj.reviewer', `/api/tasks/${second.id}/complete`, {
      decision: 'REFUSE',
      reasons: '依据充分，维持不予共享',
    });

    const ended = await eventually(async () => {
      const res = await get('wjw.staff', `/api/applications/${no}`);
      return res.body.status === 'REFUSED' && res.body;
    }, 'the refusal');
    expect(ended.outcomeReasons).toContain('《居民身份证法》第六条');
    expect(ended.outcomeReasons).toContain('依据充分，维持不予共享');
    // The reasons name the department as people know it, not by its code (issue 13 point 6).
    expect(ended.outcomeReasons).toContain('市公安局：《居民身份证法》第六条');
    expect(ended.outcomeReasons).not.toMatch(/\bgaj：/);
    expect(ended.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'SUBMITTED',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'REFUSED',
    ]);
    await deliverMail(`conditional-share/${no}:`);
    const mail = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) => m.to.some((t) => t.address === 'wjw.staff@liaocheng.example') && m.subject.includes(no),
        ),
      'the refusal mail, after the review',
    );
    expect(mail.text).toContain('依据充分，维持不予共享');
  });

  it("the department's applications are paged with cursor/limit like every list", async () => {
    for (let i = 0; i < 3; i++) expect((await post('scjgj.staff', '/api/applications', submission())).status).toBe(201);
    const first = await get('scjgj.staff', '/api/applications?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body).not.toHaveProperty('total');
    const rest = await get('scjgj.staff', `/api/applications?limit=100&cursor=${first.body.nextCursor}`);
    const all = await get('scjgj.staff', '/api/applications?limit=100');
    expect([...first.body.items, ...rest.body.items].map((a: { applicationNo: string }) => a.applicationNo)).toEqual(
      all.body.items.map((a: { applicationNo: string }) => a.applicationNo),
    );
    expect((await get('scjgj.staff', '/api/applications?page=1')).status).toBe(400);
    expect((await get('scjgj.staff', '/api/inbox?pageSize=5')).status).toBe(400);
  });

  it('a claimed task is hidden from the rest of the group and only its claimer can complete it', async () => {
    await db.user.upsert({
      where: { id: 'u-gaj.reviewer2' },
      update: {},
      create: {
        id: 'u-gaj.reviewer2',
        login: 'gaj.reviewer2',
        displayName: '公安局 审核人二',
        email: 'gaj.reviewer2@liaocheng.example',
        accountType: 'STAFF',
        roles: ['PROVIDER_REVIEWER'],
        departmentId: 'gaj',
      },
    });
    const no = (await post('ybj.staff', '/api/applications', submission({ resourceCodes: ['GAJ-002'] }))).body
      .applicationNo;
    const task = await inboxTask('gaj.reviewer', no, 'PROVIDER_REPLY');
    expect((await post('gaj.reviewer', `/api/tasks/${task.id}/claim`)).status).toBe(200);
    const others = await get('gaj.reviewer2', '/api/inbox?limit=100');
    expect(others.body.items.map((t: { id: string }) => t.id)).not.toContain(task.id);
    const steal = await post('gaj.reviewer2', `/api/tasks/${task.id}/complete`, { decision: 'AGREE' });
    expect(steal.status).toBe(409);
    expect(steal.body.error.code).toBe('TASK_CLAIMED_BY_OTHER');
    expect((await post('gaj.reviewer2', `/api/tasks/${task.id}/claim`)).body.error.code).toBe('TASK_CLAIMED_BY_OTHER');
    expect((await post('gaj.reviewer', `/api/tasks/${task.id}/unclaim`)).status).toBe(200);
    expect((await get('gaj.reviewer2', '/api/inbox?limit=100')).body.items.map((t: { id: string }) => t.id)).toContain(
      task.id,
    );

    // Withdrawal ends it cleanly and cancels the open task.
    const withdrawn = await post('ybj.staff', `/api/applications/${no}/withdraw`, { reason: '需求取消' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('WITHDRAWN');
    expect((await db.task.findUniqueOrThrow({ where: { id: task.id } })).status).toBe('CANCELLED');
    expect((await post('ybj.staff', `/api/applications/${no}/withdraw`, {})).status).toBe(409);
  });

  it('a decision sent the instant the task appears in the inbox is accepted the first time', async () => {
    // The openTask activity has written the row (so the inbox shows the task) but is held back
    // from answering; the workflow chose the task id itself, so it knows the task already.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const slow = await startTestWorker(db, {
      wrapActivities: (a) => ({
        ...a,
        openTask: async (input) => {
          const timing = await a.openTask(input);
          await held;
          return timing;
        },
      }),
    });
    try {
      // The answer does not wait for the first step: its activity is held until after the decision is sent.
      const slowApp = testApp(db, { TEMPORAL_TASK_QUEUE: slow.taskQueue, START_ANSWER_WAIT_MS: '0' }).app;
      const submitted = await request(slowApp)
        .post('/api/applications')
        .auth(await as('ybj.staff'), { type: 'bearer' })
        .send(submission({ resourceCodes: ['GAJ-002'] }));
      expect(submitted.status).toBe(201);
      const task = await inboxTask('gaj.reviewer', submitted.body.applicationNo, 'PROVIDER_REPLY');
      const decided = request(slowApp)
        .post(`/api/tasks/${task.id}/complete`)
        .auth(await as('gaj.reviewer'), { type: 'bearer' })
        .send({ decision: 'AGREE' })
        .then((r) => r);
      await new Promise((r) => setTimeout(r, 500));
      release();
      const res = await decided;
      expect(res.status).toBe(200);
      expect(res.body.task.status).toBe('DONE');
      expect(res.body.stage).toBe('AUTHORITY_REVIEW');
      await eventually(
        async () =>
          (await db.application.findUniqueOrThrow({ where: { applicationNo: submitted.body.applicationNo } }))
            .status === 'AUTHORITY_REVIEW',
        'the application to move on to the authority',
      );
    } finally {
      release();
      await slow.stop();
    }
  });

  it('unconditional share is granted at once, with no human step', async () => {
    const res = await post(
      'wjw.staff',
      '/api/applications',
      submission({ resourceCodes: ['SCJG-001', 'ZRZY-003'], legalDuty: undefined }),
    );
    expect(res.status).toBe(201);
    expect(res.body.procedure).toBe('UNCONDITIONAL_SHARE');
    // Answered once the procedure has granted it.
    const granted = res.body;
    expect(granted.status).toBe('APPROVED');
    expect(
      granted.grants.map((g: { resourceCode: string; status: string }) => `${g.resourceCode}:${g.status}`).sort(),
    ).toEqual(['SCJG-001:ACTIVE', 'ZRZY-003:ACTIVE']);
    expect(await db.task.count({ where: { applicationId: granted.id } })).toBe(0);
  });

  it.each([
    [
      'NOT_SHARED resource, naming it and its legal basis',
      'gaj.staff',
      { resourceCodes: ['WJW-003'] },
      422,
      'RESOURCE_NOT_SHAREABLE',
      /WJW-003.*医疗机构病历管理规定/,
    ],
    ['unknown resource', 'gaj.staff', { resourceCodes: ['GAJ-001', 'NOPE-1'] }, 422, 'UNKNOWN_RESOURCE', /NOPE-1/],
    [
      'mixed classes',
      'gaj.staff',
      { resourceCodes: ['SCJG-001', 'RSJ-001'] },
      422,
      'RESOURCE_CLASS_MISMATCH',
      /separate/,
    ],
    [
      'conditional without legal duty',
      'gaj.staff',
      { resourceCodes: ['RSJ-001'], legalDuty: undefined },
      400,
      'VALIDATION_FAILED',
      /legalDuty/,
    ],
    ['own resources', 'gaj.staff', { resourceCodes: ['GAJ-001'] }, 422, 'PROCEDURE_NOT_ALLOWED', /own/],
    [
      'a non-government unit',
      'water.staff',
      { resourceCodes: ['GAJ-003'] },
      422,
      'PROCEDURE_NOT_ALLOWED',
      /non-government-applications/,
    ],
    ['a reviewer without the staff role', 'gaj.reviewer', {}, 403, 'FORBIDDEN', /DEPT_STAFF/],
    ['a public applicant', 'citizen.zhang', {}, 403, 'FORBIDDEN', /DEPT_STAFF/],
    ['an empty resource list', 'gaj.staff', { resourceCodes: [] }, 400, 'VALIDATION_FAILED', /resourceCodes/],
    [
      'a repeated resource',
      'gaj.staff',
      { resourceCodes: ['RSJ-001', 'RSJ-001'] },
      400,
      'VALIDATION_FAILED',
      /resourceCodes/,
    ],
    ['an unknown field', 'gaj.staff', { colour: 'red' }, 400, 'VALIDATION_FAILED', /colour|Unrecognized/],
    ['a bad access mode', 'gaj.staff', { accessMode: 'FAX' }, 400, 'VALIDATION_FAILED', /accessMode/],
    ['a too long period of use', 'gaj.staff', { usePeriodDays: 100000 }, 400, 'VALIDATION_FAILED', /usePeriodDays/],
  ])('rejects %s and writes nothing', async (_name, login, overrides, status, code, message) => {
    const before = await db.application.count();
    const res = await post(login, '/api/applications', submission(overrides));
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.messageEn).toMatch(message);
    expect(await db.application.count()).toBe(before);
  });

  it.each([
    ['an unknown task', 'gaj.reviewer', 'get', '/api/tasks/00000000-0000-4000-8000-000000000000', 404, 'NOT_FOUND'],
    ['a task id that is not a UUID', 'gaj.reviewer', 'get', '/api/tasks/abc', 400, 'VALIDATION_FAILED'],
    ['a bad inbox filter', 'gaj.reviewer', 'get', '/api/inbox?status=maybe', 400, 'VALIDATION_FAILED'],
    ['a bad dueBefore', 'gaj.reviewer', 'get', '/api/inbox?dueBefore=tomorrow', 400, 'VALIDATION_FAILED'],
    ['an unknown application', 'gaj.staff', 'get', '/api/applications/GX-0-NOPE', 404, 'NOT_FOUND'],
  ])('answers %s with a 4xx', async (_name, login, _method, url, status, code) => {
    const res = await get(login, url);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('starts the workflow of an application stored just before a crash (the reconciler)', async () => {
    const applicationNo = `GX-CRASH-${uniqueSuffix()}`;
    const resource = await db.dataResource.findUniqueOrThrow({ where: { code: 'RSJ-004' } });
    await db.application.create({
      data: {
        id: newId(),
        applicationNo,
        procedure: 'CONDITIONAL_SHARE',
        workflowId: `conditional-share/${applicationNo}`,
        idempotencyKey: applicationNo,
        applicantKey: 'dept:wjw',
        applicantDeptId: 'wjw',
        submittedById: 'u-wjw.staff',
        purpose: '崩溃前已保存的申请',
        legalDuty: '依法履职',
        usePeriodDays: 30,
        accessMode: 'INTERFACE',
        submittedAt: new Date(Date.now() - 60_000),
        resources: { create: [{ resourceId: resource.id }] },
      },
    });
    expect(
      await reconcileStarts({ db, config: api.config, temporal: api.temporal }, { caseNos: [applicationNo] }),
    ).toContain(applicationNo);
    await inboxTask('rsj.reviewer', applicationNo, 'PROVIDER_REPLY');
    // Once started it is no longer SUBMITTED, and a second round starts nothing.
    await eventually(
      async () => (await db.application.findUniqueOrThrow({ where: { applicationNo } })).status === 'PROVIDER_REVIEW',
      'the procedure to start',
    );
    expect(
      await reconcileStarts({ db, config: api.config, temporal: api.temporal }, { caseNos: [applicationNo] }),
    ).not.toContain(applicationNo);
    await post('wjw.staff', `/api/applications/${applicationNo}/withdraw`, {});
  });

  it('a submission is answered within START_ANSWER_WAIT_MS when no worker runs its procedure, before its first step', async () => {
    const idle = testApp(db, { TEMPORAL_TASK_QUEUE: `no-worker-${uniqueSuffix()}`, START_ANSWER_WAIT_MS: '1500' });
    try {
      const token = (await request(idle.app).post('/api/dev/tokens').send({ login: 'rsj.staff' }).expect(201)).body
        .token;
      // A conditional share (its first step opens a task) and an unconditional one (it grants and ends).
      for (const body of [submission(), submission({ resourceCodes: ['SCJG-001'], legalDuty: undefined })]) {
        const sentAt = Date.now();
        const submitted = await request(idle.app).post('/api/applications').auth(token, { type: 'bearer' }).send(body);
        expect(submitted.status).toBe(201);
        // The wait ran out: the case is stored and started, its first step not done yet.
        expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1500);
        expect(submitted.body.status).toBe('SUBMITTED');
        expect(submitted.body.tasks).toEqual([]);
        const started = await db.application.findUniqueOrThrow({
          where: { applicationNo: submitted.body.applicationNo },
        });
        expect(started.workflowStartedAt).not.toBeNull();
        await (await temporalClient(idle)).workflow.getHandle(started.workflowId).terminate('test: no worker runs it');
      }
    } finally {
      await (await idle.temporal()).connection.close();
    }
  });

  it("hides another department's application", async () => {
    const no = (await post('zrzyj.staff', '/api/applications', submission({ resourceCodes: ['RSJ-004'] }))).body
      .applicationNo;
    // Outside every scope of the access matrix: it does not exist for them.
    expect((await get('wjw.staff', `/api/applications/${no}`)).status).toBe(404);
    expect((await get('rsj.reviewer', `/api/applications/${no}`)).status).toBe(200);
    const mine = await get('zrzyj.staff', '/api/applications');
    expect(mine.body.items.map((a: { applicationNo: string }) => a.applicationNo)).toContain(no);
    await post('zrzyj.staff', `/api/applications/${no}/withdraw`, {});
  });

  it("loading a 2027 schedule through the admin endpoint moves a running procedure's deadline, with nothing restarted", async () => {
    // A provider reply period long enough to end in (provisional) 2027: a policy version in force
    // only while this procedure starts — a procedure keeps the policy it started with.
    const policy = await db.policyVersion.create({
      data: {
        id: `test-${uniqueSuffix()}`,
        effectiveFrom: new Date(Date.now() - 1000),
        description: 'test: long reply period',
        values: { providerReplyWorkingDays: 45 },
      },
    });
    let no: string;
    try {
      no = (await post('scjgj.staff', '/api/applications', submission({ resourceCodes: ['RSJ-001'] }))).body
        .applicationNo;
      await inboxTask('rsj.reviewer', no, 'PROVIDER_REPLY');
    } finally {
      await db.policyVersion.delete({ where: { id: policy.id } });
    }
    const before = await inboxTask('rsj.reviewer', no, 'PROVIDER_REPLY');
    expect(new Date(before.dueAt).getUTCFullYear()).toBe(2027);
    expect(before.deadlineProvisional).toBe(true);

    // The "official" 2027 notice (a test fixture): the derived holidays plus the whole week before the due date off.
    const derived = deriveProvisionalYear(2027);
    const dueDate = shanghaiDate(new Date(new Date(before.dueAt).getTime() - 1));
    const weekBefore = Array.from({ length: 7 }, (_, i) =>
      shanghaiDate(new Date(new Date(`${dueDate}T12:00:00+08:00`).getTime() - (i + 1) * 86400_000)),
    );
    const holidays = [
      ...derived.holidays.map((h) => ({ from: h.date, to: h.date, name: h.name })),
      ...weekBefore
        .filter((d) => !derived.holidays.some((h) => h.date === d))
        .map((d) => ({ from: d, to: d, name: '测试假日' })),
    ];
    try {
      const put = await request(app)
        .put('/api/admin/calendar/years/2027')
        .auth(await as('dsj.admin'), { type: 'bearer' })
        .send({ status: 'OFFICIAL', source: 'test fixture: 2027 notice', holidays, makeupWorkdays: [] });
      expect(put.status).toBe(200);
      expect(put.body.procedures.notified).toBeGreaterThanOrEqual(1);
      const after = await eventually(async () => {
        const t = await inboxTask('rsj.reviewer', no, 'PROVIDER_REPLY');
        return t.dueAt !== before.dueAt && t;
      }, 'the deadline to move');
      expect(new Date(after.dueAt).getTime()).toBeGreaterThan(new Date(before.dueAt).getTime());
      expect(after.deadlineProvisional).toBe(false);
    } finally {
      // Put 2027 back as the seed has it (provisional) for the other tests.
      await db.calendarYear.delete({ where: { year: 2027 } });
      await seedCalendar(db);
      await post('scjgj.staff', `/api/applications/${no}/withdraw`, {});
    }
  });
});
