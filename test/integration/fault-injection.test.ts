/**
 * Fault injection with real processes: the production worker (worker.ts) and API (server.ts) run
 * as child processes against the suite's Postgres, Temporal dev server and MailDev, on a task
 * queue of their own. A conditional share (Art. 22 ¶2) and a non-government access (Art. 22 ¶3)
 * are driven over HTTP while both processes are killed with SIGKILL at chosen points and started
 * again:
 *   - the API with a case it answered 503 START_PENDING (Temporal did not answer it): the next
 *     API's reconciler starts the case;
 *   - the API right after a submission is stored, before it answers: the client repeats it;
 *   - the worker in the middle of an activity: the inbox row of a task is written, its audit row
 *     and mail are not yet (pinned by holding a lock on audit_log while the kill lands);
 *   - the API while a decision it answered 202 DECISION_PENDING (the worker was down) is pending;
 *   - the API right after a decision was sent, before it answers (the client repeats it);
 *   - the worker right after a decision was accepted and recorded;
 *   - the worker while it sends mail.
 * Both cases then go to their end (approved, agreement confirmed, grants active), and the test
 * counts exactly: one task per step and party, one grant per resource, one agreement, every audit
 * row once per (entity, action), one outbox row per mail and recipient, every mail delivered (a
 * kill while sending may deliver the mails of the sending slots twice, with the same Message-ID).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { Prisma, type Role } from '../../generated/prisma/client';
import { usersWithRole } from '../../activities/recipients';
import type { Db } from '../../lib/db';
import { outboxMessageId } from '../../lib/outbox';
import { connectTemporal } from '../../lib/temporal';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { freePort } from '../../scripts/lib/services';
import { shareSubmission } from '../support/applications';
import { receivedMail, testDb, uniqueSuffix } from '../support/env';
import {
  type Answer,
  apiClient,
  apiReady,
  type AppProcess,
  poll,
  silentServer,
  startAppProcess,
  workerReady,
} from '../support/processes';

const FROM = 'system <no-reply@fault.liaocheng.example>';
const SLOTS = 4;
const UPDATE_TIMEOUT_MS = 3000;
/** Long enough for a retried activity (startToCloseTimeout 30 s) and a restart under load. */
const STEP_MS = 150_000;

jest.setTimeout(15 * 60_000);

describe('kill -9 of the worker and the API during a conditional share and a non-government access', () => {
  let db: Db;
  let bundleDir: string;
  let baseUrl: string;
  let env: NodeJS.ProcessEnv;
  let api: AppProcess | undefined;
  let worker: AppProcess | undefined;
  let lock: PgClient | undefined;
  let silent: Awaited<ReturnType<typeof silentServer>> | undefined;
  const all: AppProcess[] = [];
  const workflowIds: string[] = [];
  let workerKills = 0;

  const startApi = async (name: string) => {
    api = startAppProcess(name, 'server.ts', env);
    all.push(api);
    await apiReady(api, baseUrl);
  };
  const startWorker = async (name: string) => {
    worker = startAppProcess(name, 'worker.ts', env);
    all.push(worker);
    await workerReady(worker);
  };
  const killWorker = async () => {
    await worker!.kill9();
    workerKills += 1;
  };
  const procs = () => all.filter((p) => p.alive());

  beforeAll(async () => {
    db = testDb();
    // Bundled once: a worker started after a kill loads it instead of bundling workflows/ again.
    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'fault-injection-'));
    const bundle = await buildWorkflowBundle(path.join(bundleDir, 'workflow-bundle.js'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(port),
      // Their own queue: the suite's in-process test workers never take these workflows.
      TEMPORAL_TASK_QUEUE: `fault-${uniqueSuffix()}`,
      // Fixed, so tokens outlive API restarts.
      AUTH_TOKEN_SECRET: 'fault-injection-test-secret-long-enough-for-hs256',
      RATE_LIMIT_TOKENS_PER_MINUTE: '0',
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      UPDATE_TIMEOUT_MS: String(UPDATE_TIMEOUT_MS),
      RECONCILE_INTERVAL_MS: '1000',
      // Short, so a killed dispatcher's claims are taken over within the test.
      OUTBOX_LEASE_MS: '3000',
      OUTBOX_CONCURRENCY: String(SLOTS),
      MAIL_FROM: FROM,
      WORKFLOW_BUNDLE_PATH: bundle.path,
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.all(all.map((p) => p.kill9().catch(() => undefined)));
    await lock?.end().catch(() => undefined);
    await silent?.close();
    if (workflowIds.length) {
      // Nothing of these cases may stay open for later files (reconcilers, calendar signals).
      await db.task.updateMany({
        where: { workflowId: { in: workflowIds }, status: { in: ['OPEN', 'CLAIMED'] } },
        data: { status: 'CANCELLED', pendingDecision: Prisma.DbNull, pendingDecisionAt: null },
      });
      const temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
      for (const id of workflowIds)
        await temporal.client.workflow
          .getHandle(id)
          .terminate('fault-injection test done')
          .catch(() => undefined);
      await temporal.connection.close();
    }
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
    await db?.$disconnect();
  });

  it('every case continues after each kill with no task, grant, agreement, audit row or mail lost or doubled', async () => {
    const http = apiClient(baseUrl);
    const suffix = uniqueSuffix();
    const shareBody = shareSubmission(`fault-gx-${suffix}`);
    const ngBody = {
      idempotencyKey: `fault-fz-${suffix}`,
      resourceCodes: ['GAJ-001', 'SCJG-001'],
      purpose: '供水过户业务核验用水户身份',
      dutyBasis: '《城市供水条例》第二十三条：城市自来水供水企业负责供水营业',
      scenario: '营业厅办理过户时在线核验身份与企业登记信息',
      securityMeasures: '政务外网专线接入、最小字段、访问日志留存六个月',
      usePeriodDays: 90,
    };
    const stored = (applicantKey: string, idempotencyKey: string) =>
      db.application.findUnique({ where: { applicantKey_idempotencyKey: { applicantKey, idempotencyKey } } });
    /** The one task of a step for a department: waits for it, and fails if there are two. */
    const theTask = async (workflowId: string, step: string, deptId: string) => {
      const rows = await poll(
        async () => {
          const found = await db.task.findMany({ where: { workflowId, step, candidateDeptId: deptId } });
          return found.length > 0 && found;
        },
        `the ${step} task of ${deptId} in ${workflowId}`,
        { timeoutMs: STEP_MS, procs: procs() },
      );
      expect(rows).toHaveLength(1);
      return rows[0];
    };
    const decided = (taskId: string, decision: string, everyMs = 200) =>
      poll(
        async () => {
          const t = await db.task.findUniqueOrThrow({ where: { id: taskId } });
          return t.status === 'DONE' && t;
        },
        `task ${taskId} to be decided (${decision})`,
        { timeoutMs: STEP_MS, everyMs, procs: procs() },
      ).then((t) => expect(t.decision).toBe(decision));
    const decide = (login: string, taskId: string, body: { decision: string; comment?: string; reasons?: string }) =>
      http.post(login, `/api/tasks/${taskId}/complete`, body);
    /** A decision while both processes run: applied now (200), or pending and applied soon (202). */
    const decideAndWait = async (login: string, taskId: string, decision: string) => {
      const res = await decide(login, taskId, { decision });
      expect([200, 202]).toContain(res.status);
      await decided(taskId, decision);
    };
    const noAnswer = (p: Promise<Answer>) => p.then((r) => `answered ${r.status}`).catch(() => 'no answer');
    const facts: string[] = [];

    await startWorker('worker-1');
    // The first API talks to a Temporal that never answers (the worker to the real one).
    silent = await silentServer();
    api = startAppProcess('api-1', 'server.ts', { ...env, TEMPORAL_ADDRESS: silent.address });
    all.push(api);
    await apiReady(api, baseUrl, { healthy: false });
    for (const login of ['rsj.staff', 'gaj.reviewer', 'dsj.reviewer', 'scjgj.reviewer', 'szf.reviewer', 'water.staff'])
      await http.as(login);

    // 1. The non-government application is stored while the API cannot reach Temporal: 503
    //    START_PENDING, no workflow. The API dies with the case pending; the client does not
    //    repeat the request, so the next API's reconciler must start it.
    const ngPost = await http.post('water.staff', '/api/non-government-applications', ngBody);
    expect(ngPost.status).toBe(503);
    // START_PENDING once the start bound passes (SERVICE_UNAVAILABLE if the connection gave up first).
    expect(['START_PENDING', 'SERVICE_UNAVAILABLE']).toContain(ngPost.body.error?.code);
    facts.push(`non-government submission: 503 ${ngPost.body.error?.code}`);
    const ng = (await stored('dept:water', ngBody.idempotencyKey))!;
    expect(ng.workflowStartedAt).toBeNull();
    workflowIds.push(ng.workflowId);
    await api!.kill9();
    await startApi('api-2');
    const opinions = await Promise.all(['dsj', 'gaj', 'scjgj'].map((d) => theTask(ng.workflowId, 'OPINION', d)));

    // 2. The worker dies while it sends mail: at the first of the opinion tasks' mails to arrive.
    const opinionMail = opinions.map((t) => `task:${t.id}:assigned:`);
    await poll(
      async () => (await receivedMail()).some((m) => opinionMail.some((k) => m.headers['x-event-key']?.startsWith(k))),
      'the first mail of an opinion task at MailDev',
      { everyMs: 20, timeoutMs: STEP_MS, procs: procs() },
    );
    await killWorker();

    // 3. The API dies right after the conditional share is stored (no worker runs meanwhile); the
    //    client repeats the request, which starts the case if the kill came first.
    const sharePost = noAnswer(http.post('rsj.staff', '/api/applications', shareBody));
    const share = await poll(() => stored('dept:rsj', shareBody.idempotencyKey), 'the stored share case', {
      everyMs: 5,
      procs: procs(),
    });
    await api!.kill9();
    workflowIds.push(share.workflowId);
    facts.push(`share submission: ${await sharePost}`);
    await startApi('api-3');
    // The same case; its start answered, or (Temporal slow under load) left to the reconciler.
    const repeat = await http.post('rsj.staff', '/api/applications', shareBody);
    if (repeat.status === 503) expect(repeat.body.error).toMatchObject({ code: 'START_PENDING' });
    else expect(repeat.body).toMatchObject({ applicationNo: share.applicationNo });
    expect([200, 503]).toContain(repeat.status);

    // 4. The worker dies in the middle of opening the provider's task: the inbox row is written,
    //    its audit row and mail not yet. audit_log is held locked (before the worker starts, so
    //    nothing of the share has run yet) to stop the activity exactly there; its INSERT waiting
    //    on the lock dies with the process (terminated here, as the server would once it noticed
    //    the dead client), and the lock is released after the kill.
    // As the superuser: the app role may only insert into audit_log (and cannot end others' backends).
    lock = new PgClient({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE audit_log IN EXCLUSIVE MODE');
    const lockPid = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const waitingOnLock = 'SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))';
    await startWorker('worker-2');
    const providerTask = await theTask(share.workflowId, 'PROVIDER_REPLY', 'gaj');
    await poll(
      async () => (await lock!.query(waitingOnLock, [lockPid])).rowCount! > 0,
      'an INSERT waiting on the lock',
      {
        procs: procs(),
      },
    );
    await killWorker();
    await lock.query(`SELECT pg_terminate_backend(pid) FROM (${waitingOnLock}) AS w`, [lockPid]);
    await lock.query('COMMIT');
    await lock.end();
    lock = undefined;
    expect(await db.auditLog.count({ where: { entityId: providerTask.id } })).toBe(0);

    // 5. With the worker down, the provider's decision is answered 202 DECISION_PENDING; the API
    //    then dies while it is pending. After both restart it is applied exactly as sent.
    const pending = await decide('gaj.reviewer', providerTask.id, { decision: 'AGREE', comment: '同意共享' });
    expect(pending.status).toBe(202);
    expect(pending.body.code).toBe('DECISION_PENDING');
    await api!.kill9();
    await Promise.all([startApi('api-4'), startWorker('worker-3')]);
    await decided(providerTask.id, 'AGREE');

    // 6. The API dies right after the authority's decision was sent; the client repeats it.
    const review = await theTask(share.workflowId, 'AUTHORITY_REVIEW', 'dsj');
    const approve = { decision: 'APPROVE', comment: '符合法定职责' };
    const reviewPost = noAnswer(decide('dsj.reviewer', review.id, approve));
    await poll(
      async () => {
        const t = await db.task.findUniqueOrThrow({ where: { id: review.id } });
        return t.pendingDecision !== null || t.status === 'DONE';
      },
      'the authority decision to be claimed on its task',
      { everyMs: 5, procs: procs() },
    );
    await api!.kill9();
    facts.push(`authority decision: ${await reviewPost}`);
    await startApi('api-5');
    const repeated = await decide('dsj.reviewer', review.id, approve);
    expect([200, 202]).toContain(repeated.status);
    await decided(review.id, 'APPROVE');

    // 7. The worker dies right after the last opinion is accepted and recorded.
    await decideAndWait('dsj.reviewer', opinions[0].id, 'SUPPORT');
    await decideAndWait('gaj.reviewer', opinions[1].id, 'SUPPORT');
    const lastOpinion = noAnswer(decide('scjgj.reviewer', opinions[2].id, { decision: 'SUPPORT' }));
    await decided(opinions[2].id, 'SUPPORT', 5);
    await killWorker();
    facts.push(`last opinion: ${await lastOpinion}`);
    await startWorker('worker-4');

    // Both cases on: the share agreement is confirmed, the report and the government's decision made.
    const confirmA = await theTask(share.workflowId, 'AGREEMENT_CONFIRM', 'gaj');
    const confirmB = await theTask(share.workflowId, 'AGREEMENT_CONFIRM', 'rsj');
    await decideAndWait('gaj.reviewer', confirmA.id, 'CONFIRM');
    await decideAndWait('rsj.staff', confirmB.id, 'CONFIRM');
    const report = await theTask(ng.workflowId, 'REPORT', 'dsj');
    await decideAndWait('dsj.reviewer', report.id, 'RECOMMEND_APPROVE');
    const government = await theTask(ng.workflowId, 'GOVERNMENT_DECISION', 'szf');
    await decideAndWait('szf.reviewer', government.id, 'APPROVE');

    // 8. The worker dies while it sends mail again: at the first of the government decision's mails.
    const ngMailPrefix = `${ng.applicationNo}:approved:`;
    await poll(
      async () => (await receivedMail()).some((m) => m.headers['x-event-key']?.startsWith(ngMailPrefix)),
      'the first mail of the government decision at MailDev',
      { everyMs: 20, timeoutMs: STEP_MS, procs: procs() },
    );
    await killWorker();
    await startWorker('worker-5');

    const signA = await theTask(ng.workflowId, 'AGREEMENT_SIGN', 'dsj');
    const signB = await theTask(ng.workflowId, 'AGREEMENT_SIGN', 'water');
    await decideAndWait('dsj.reviewer', signA.id, 'SIGN');
    await decideAndWait('water.staff', signB.id, 'SIGN');

    // Every case at its end: approved, agreements confirmed, every grant active.
    const approved = async (login: string, no: string) =>
      poll(
        async () => {
          const res = await http.get(login, `/api/applications/${no}`);
          const body = res.body as {
            status?: string;
            grants?: Array<{ status: string }>;
            agreements?: Array<{ status: string }>;
            timeline?: Array<{ kind: string }>;
          };
          return body.status === 'APPROVED' && body.grants?.every((g) => g.status === 'ACTIVE') && body;
        },
        `${no} to be approved with active grants`,
        { timeoutMs: STEP_MS, procs: procs() },
      );
    const shareView = await approved('rsj.staff', share.applicationNo);
    const ngView = await approved('water.staff', ng.applicationNo);
    console.info(`fault injection: ${facts.join('; ')}; worker kills ${workerKills}`);

    // Tasks: exactly the steps of each procedure, one per step and party, all decided, none pending.
    const tasks = await db.task.findMany({
      where: { workflowId: { in: [share.workflowId, ng.workflowId] } },
      orderBy: { createdAt: 'asc' },
    });
    const taskLine = (t: (typeof tasks)[number]) =>
      `${t.workflowId === share.workflowId ? 'share' : 'ng'} ${t.step} ${t.candidateDeptId}/${t.candidateRole} ${t.status} ${t.decision}`;
    expect(tasks.map(taskLine).sort()).toEqual(
      [
        'share PROVIDER_REPLY gaj/PROVIDER_REVIEWER DONE AGREE',
        'share AUTHORITY_REVIEW dsj/AUTHORITY_REVIEWER DONE APPROVE',
        'share AGREEMENT_CONFIRM gaj/PROVIDER_REVIEWER DONE CONFIRM',
        'share AGREEMENT_CONFIRM rsj/DEPT_STAFF DONE CONFIRM',
        'ng OPINION dsj/AUTHORITY_REVIEWER DONE SUPPORT',
        'ng OPINION gaj/PROVIDER_REVIEWER DONE SUPPORT',
        'ng OPINION scjgj/PROVIDER_REVIEWER DONE SUPPORT',
        'ng REPORT dsj/AUTHORITY_REVIEWER DONE RECOMMEND_APPROVE',
        'ng GOVERNMENT_DECISION szf/MUNICIPAL_REVIEWER DONE APPROVE',
        'ng AGREEMENT_SIGN dsj/AUTHORITY_REVIEWER DONE SIGN',
        'ng AGREEMENT_SIGN water/DEPT_STAFF DONE SIGN',
      ].sort(),
    );
    expect(tasks.filter((t) => t.pendingDecision !== null)).toEqual([]);

    // Grants and agreements: one per resource, one per agreement.
    const grants = await db.accessGrant.findMany({
      where: { applicationId: { in: [share.id, ng.id] } },
      include: { resource: true },
    });
    expect(
      grants.map((g) => `${g.applicationId === share.id ? 'share' : 'ng'} ${g.resource.code} ${g.status}`).sort(),
    ).toEqual(['ng GAJ-001 ACTIVE', 'ng SCJG-001 ACTIVE', 'share GAJ-001 ACTIVE']);
    const agreements = await db.agreement.findMany({ where: { applicationId: { in: [share.id, ng.id] } } });
    expect(agreements.map((a) => `${a.agreementNo} ${a.kind} ${a.status}`).sort()).toEqual(
      [`${ng.applicationNo}-XY NON_GOVERNMENT CONFIRMED`, `${share.applicationNo}-XY-gaj SHARE CONFIRMED`].sort(),
    );
    expect(shareView.agreements!.map((a) => a.status)).toEqual(['CONFIRMED']);
    expect(ngView.agreements!.map((a) => a.status)).toEqual(['CONFIRMED']);
    expect(shareView.timeline!.map((e) => e.kind)).toEqual([
      'SUBMITTED',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'AGREEMENT_PENDING',
      'APPROVED',
    ]);
    expect(ngView.timeline!.map((e) => e.kind)).toEqual([
      'SUBMITTED',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'GOVERNMENT_DECISION',
      'AGREEMENT_PENDING',
      'APPROVED',
    ]);

    // Audit: each case submitted once; each task created once and decided once; nothing else.
    const audit = await db.auditLog.findMany({
      where: { entityId: { in: [share.id, ng.id, ...tasks.map((t) => t.id)] } },
    });
    const counted = new Map<string, number>();
    for (const a of audit)
      counted.set(`${a.entityId} ${a.action}`, (counted.get(`${a.entityId} ${a.action}`) ?? 0) + 1);
    const expectedAudit = new Map<string, number>([
      [`${share.id} APPLICATION_SUBMITTED`, 1],
      [`${ng.id} APPLICATION_SUBMITTED`, 1],
      ...tasks.flatMap((t): Array<[string, number]> => [
        [`${t.id} TASK_CREATED`, 1],
        [`${t.id} TASK_DECIDED`, 1],
      ]),
    ]);
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expectedAudit));

    // Mail: exactly the expected outbox rows (one per event and recipient), every one sent.
    const recipients = async (deptIds: string[], roles: Role[]) => [
      ...new Set(
        (await Promise.all(deptIds.map((d) => usersWithRole(db, d, roles)))).flat().map((r) => r.email.toLowerCase()),
      ),
    ];
    const expectedKeys: string[] = [];
    const expect1 = (eventKey: string, emails: string[]) => expectedKeys.push(...emails.map((e) => `${eventKey}:${e}`));
    for (const t of tasks) expect1(`task:${t.id}:assigned`, await recipients([t.candidateDeptId], [t.candidateRole]));
    const [shareAgreement, ngAgreement] = [`${share.applicationNo}-XY-gaj`, `${ng.applicationNo}-XY`];
    expect1(`${share.workflowId}:approved`, await recipients(['rsj'], ['DEPT_STAFF']));
    expect1(
      `${share.workflowId}:agreement:${shareAgreement}`,
      await recipients(['gaj', 'rsj'], ['PROVIDER_REVIEWER', 'DEPT_STAFF']),
    );
    expect1(`${share.workflowId}:granted`, await recipients(['rsj', 'gaj'], ['DEPT_STAFF', 'PROVIDER_REVIEWER']));
    expect1(`${ng.applicationNo}:approved`, await recipients(['water', 'dsj'], ['DEPT_STAFF', 'AUTHORITY_REVIEWER']));
    expect1(
      `${ng.applicationNo}:agreement:${ngAgreement}`,
      await recipients(['dsj', 'water'], ['AUTHORITY_REVIEWER', 'DEPT_STAFF']),
    );
    expect1(
      `${ng.applicationNo}:granted`,
      await recipients(['water', 'gaj', 'scjgj'], ['DEPT_STAFF', 'PROVIDER_REVIEWER']),
    );
    const ours = {
      OR: [
        { dedupeKey: { startsWith: `${share.workflowId}:` } },
        { dedupeKey: { startsWith: `${ng.applicationNo}:` } },
        ...tasks.map((t) => ({ dedupeKey: { startsWith: `task:${t.id}:` } })),
      ],
    };
    const rows = await poll(
      async () => {
        const found = await db.notification.findMany({ where: ours });
        return found.length >= expectedKeys.length && found.every((r) => r.status === 'SENT') && found;
      },
      'every mail of both cases to be sent',
      { timeoutMs: STEP_MS, procs: procs() },
    ).catch(async (err: Error) => {
      const found = await db.notification.findMany({ where: ours });
      throw new Error(`${err.message}\nrows: ${found.map((r) => `${r.dedupeKey} ${r.status}`).join('\n')}`);
    });
    expect(rows.map((r) => r.dedupeKey).sort()).toEqual([...expectedKeys].sort());

    // At MailDev: every mail arrived; a mail in a sending slot at a kill may arrive again.
    const ids = new Set(rows.map((r) => outboxMessageId(r.id, FROM)));
    const delivered = await poll(
      async () => {
        const counts = new Map<string, number>();
        for (const m of await receivedMail()) {
          const id = m.headers['message-id'];
          if (id && ids.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        return counts.size === ids.size && counts;
      },
      `all ${ids.size} mails at MailDev`,
      { timeoutMs: 60_000 },
    );
    const duplicates = [...delivered.values()].reduce((n, c) => n + c - 1, 0);
    console.info(`fault injection: ${ids.size} mails, ${duplicates} delivered twice after ${workerKills} worker kills`);
    // Each extra delivery of a mail needs a kill while it was in a sending slot; a mail re-sent after
    // one kill can be in a slot again at the next (seen: a mail delivered three times after 4 kills).
    expect([...delivered.values()].every((c) => c <= 1 + workerKills)).toBe(true);
    expect(duplicates).toBeLessThanOrEqual(SLOTS * workerKills);
  });
});
