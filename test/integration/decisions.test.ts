/**
 * One decision per task, through the HTTP API with the worker stopped and started again (real
 * Postgres, the Temporal dev server, a real worker): a decision the procedure has not confirmed
 * is pending, shown in the inbox and applied as sent; a different one meanwhile is refused; a
 * repeat gets the original answer.
 */
import request from 'supertest';
import type { Express } from 'express';
import { resendPendingDecisions } from '../../api/kit/decisions';
import type { Db } from '../../lib/db';
import { eventually, testApp, testDb, uniqueSuffix } from '../support/env';
import { signedIn } from '../support/http';
import { startTestWorker, TestWorker } from '../support/worker';

describe('deciding inbox tasks exactly once (real Postgres, Temporal dev server, worker restarts)', () => {
  let db: Db;
  let app: Express;
  let api: ReturnType<typeof testApp>;
  let worker: TestWorker | undefined;
  const taskQueue = `decisions-${uniqueSuffix()}`;
  const { get, post } = signedIn(() => app);

  async function submitAndFindProviderTask(): Promise<{ no: string; taskId: string }> {
    const submitted = await post('rsj.staff', '/api/applications', {
      idempotencyKey: `key-${uniqueSuffix()}`,
      resourceCodes: ['GAJ-001'],
      purpose: '核验社会保险待遇领取人员户籍状态',
      legalDuty: '《社会保险法》第八十一条',
      fieldsRequested: ['姓名'],
      usePeriodDays: 90,
      accessMode: 'INTERFACE',
    });
    expect(submitted.status).toBe(201);
    const no: string = submitted.body.applicationNo;
    const task = await eventually(async () => {
      const res = await get('gaj.reviewer', '/api/inbox?step=PROVIDER_REPLY&limit=100');
      return res.body.items.find(
        (t: { application: { applicationNo: string } | null }) => t.application?.applicationNo === no,
      ) as { id: string } | undefined;
    }, `the provider task of ${no}`);
    return { no, taskId: task.id };
  }

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db, { taskQueue });
    api = testApp(db, { TEMPORAL_TASK_QUEUE: taskQueue, UPDATE_TIMEOUT_MS: '1500' });
    ({ app } = api);
  });
  afterAll(async () => {
    await worker?.stop();
    await db?.$disconnect();
  });

  it('with the worker down a decision is pending (202), shown in the inbox, and exactly that one is applied when it is back', async () => {
    const { no, taskId } = await submitAndFindProviderTask();
    await worker!.stop();
    worker = undefined;

    const pending = await post('gaj.reviewer', `/api/tasks/${taskId}/complete`, { decision: 'AGREE', comment: '同意' });
    expect(pending.status).toBe(202);
    expect(pending.body.code).toBe('DECISION_PENDING');
    // Read by a person like every refusal: Chinese, with the English beside it.
    expect(pending.body.message).toContain(`办理程序尚未确认对任务 ${taskId} 的决定`);
    expect(pending.body.messageEn).toContain(`The procedure has not confirmed the decision on task ${taskId} yet`);
    expect(pending.body.task.pendingDecision).toMatchObject({ decision: 'AGREE', comment: '同意' });

    const shown = await get('gaj.reviewer', `/api/tasks/${taskId}`);
    expect(shown.body.status).toBe('OPEN');
    expect(shown.body.pendingDecision.decision).toBe('AGREE');
    const listed = await get('gaj.reviewer', '/api/inbox?step=PROVIDER_REPLY&limit=100');
    expect(listed.body.items.find((t: { id: string }) => t.id === taskId).pendingDecision.decision).toBe('AGREE');

    // A different decision while AGREE is pending is refused and never applied.
    const other = await post('gaj.reviewer', `/api/tasks/${taskId}/complete`, {
      decision: 'REFUSE',
      reasons: '不符合共享条件',
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('TASK_ALREADY_DECIDED');
    expect(other.body.error.details).toEqual({ decision: 'AGREE', pending: true });
    // The same decision again is still pending, not a second decision.
    expect(
      (await post('gaj.reviewer', `/api/tasks/${taskId}/complete`, { decision: 'AGREE', comment: '同意' })).status,
    ).toBe(202);

    worker = await startTestWorker(db, { taskQueue });
    // Temporal delivers the Update it still holds once the worker polls again; the API's
    // reconciler sends what it may have dropped (same Update id, applied once), as the server does.
    const reconcile = setInterval(() => {
      void resendPendingDecisions({ db, config: api.config, temporal: api.temporal }, 3_000).catch(() => undefined);
    }, 2_000);
    const decided = await eventually(
      async () => {
        const t = await db.task.findUniqueOrThrow({ where: { id: taskId } });
        return t.status === 'DONE' && t;
      },
      'the pending decision to be applied',
      60_000,
    ).finally(() => clearInterval(reconcile));
    expect(decided.decision).toBe('AGREE');
    expect(decided.completedById).toBe('u-gaj.reviewer');
    expect(decided.pendingDecision).toBeNull();
    expect(await db.auditLog.count({ where: { entityType: 'Task', entityId: taskId, action: 'TASK_DECIDED' } })).toBe(
      1,
    );
    await eventually(
      async () =>
        (await db.application.findUniqueOrThrow({ where: { applicationNo: no } })).status === 'AUTHORITY_REVIEW',
      'the case to reach the authority',
    );

    // Retrying after the lost answer gets the answer, and the same one every time.
    const answer = await post('gaj.reviewer', `/api/tasks/${taskId}/complete`, { decision: 'AGREE', comment: '同意' });
    expect(answer.status).toBe(200);
    expect(answer.body.task).toMatchObject({ status: 'DONE', decision: 'AGREE' });
    expect(answer.body.application).toEqual({ applicationNo: no, status: 'AUTHORITY_REVIEW' });
    const repeat = await post('gaj.reviewer', `/api/tasks/${taskId}/complete`, { decision: 'AGREE', comment: '同意' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(answer.body);
    const late = await post('gaj.reviewer', `/api/tasks/${taskId}/complete`, {
      decision: 'REFUSE',
      reasons: '不符合共享条件',
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({
      code: 'TASK_ALREADY_DECIDED',
      details: { decision: 'AGREE', pending: false },
    });
  });

  it('a decision that never reached Temporal is pending and is sent again by the API until it is applied', async () => {
    const { no, taskId } = await submitAndFindProviderTask();
    // An API whose Temporal is unreachable still records the decision, as pending.
    const cut = testApp(db, {
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      UPDATE_TIMEOUT_MS: '1500',
    });
    const token = (await request(cut.app).post('/api/dev/tokens').send({ login: 'gaj.reviewer' }).expect(201)).body
      .token;
    const pending = await request(cut.app)
      .post(`/api/tasks/${taskId}/complete`)
      .auth(token, { type: 'bearer' })
      .send({ decision: 'AGREE' });
    expect(pending.status).toBe(202);
    expect((await db.task.findUniqueOrThrow({ where: { id: taskId } })).status).toBe('OPEN');

    expect(await resendPendingDecisions({ db, config: api.config, temporal: api.temporal }, 0)).toContain(taskId);
    const decided = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(decided).toMatchObject({ status: 'DONE', decision: 'AGREE', pendingDecision: null });
    expect((decided.decisionAnswer as { stage: string }).stage).toBe('AUTHORITY_REVIEW');
    expect((await db.application.findUniqueOrThrow({ where: { applicationNo: no } })).status).toBe('AUTHORITY_REVIEW');
    expect(await resendPendingDecisions({ db, config: api.config, temporal: api.temporal }, 0)).not.toContain(taskId);
  });

  it('a decision the procedure refuses is answered as refused and leaves the task free for another', async () => {
    const { taskId } = await submitAndFindProviderTask();
    // The usual Update bound: with the worker up, the answer is the procedure's, however loaded
    // the machine (the short bound above is for the tests where the worker is down).
    const live = testApp(db, { TEMPORAL_TASK_QUEUE: taskQueue });
    const token = (await request(live.app).post('/api/dev/tokens').send({ login: 'gaj.reviewer' }).expect(201)).body
      .token as string;
    const decide = (body: object) =>
      request(live.app).post(`/api/tasks/${taskId}/complete`).auth(token, { type: 'bearer' }).send(body);
    const refused = await decide({ decision: 'REFUSE' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('REASONS_REQUIRED');
    expect((await db.task.findUniqueOrThrow({ where: { id: taskId } })).pendingDecision).toBeNull();
    const agreed = await decide({ decision: 'AGREE' });
    expect(agreed.status).toBe(200);
    expect(agreed.body.stage).toBe('AUTHORITY_REVIEW');
  });
});
