import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { addShanghaiMonths } from '../../domain/tender-rules';
import type { Db } from '../../lib/db';
import {
  authorizationFollowUpWorkflow,
  FollowUpInput,
  OVERDUE_ROUNDS_PER_RUN,
} from '../../workflows/authorization-followup';
import { changeAuthorizationUpdate, submitUseReportUpdate } from '../../workflows/tender-messages';
import { eventually } from '../support/env';
import { ProcedureHarness, procedureSuite, rejection, settled, recordHistory } from '../support/procedures';
import { BIDDERS, decideTask, openTaskFor, publicActor, registeredAuthorization, staffActor } from '../support/tenders';

describe('follow-up of an authorisation awarded by tender (Art. 27 ¶4) on the time-skipping server', () => {
  // Report workflows are running children of the follow-up: the suite finds and ends them.
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function start(termMonths: number) {
    const startsAt = new Date(await env.currentTimeMs());
    const a = await registeredAuthorization(db, {
      termMonths,
      startsAt,
      endsAt: addShanghaiMonths(startsAt, termMonths),
    });
    const input: FollowUpInput = a.input;
    const handle = await env.client.workflow.start(authorizationFollowUpWorkflow, {
      workflowId: a.authorization.workflowId!,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.trackId(handle.workflowId);
    // Updates go to a workflow that has finished its first task (a precaution: the hangs once blamed on
    // early Updates were the clock lock of terminated busy workflows, see endQuietly).
    await settled(env.client, handle.workflowId);
    return { ...a, handle };
  }

  const authorization = (id: string) => db.authorization.findUniqueOrThrow({ where: { id } });
  const reportOpens = (authorizationId: string, periodNo: number) =>
    eventually(
      () =>
        db.authorizationReport.findFirst({
          where: { authorizationId, kind: 'PERIODIC', periodNo, status: { not: 'SCHEDULED' } },
        }),
      `periodic report ${periodNo}`,
    );

  it('plans the reporting duties: a report per quarter and a yearly disclosure due by the end of March', async () => {
    const a = await start(12);
    const duties = await eventually(async () => {
      const rows = await db.authorizationReport.findMany({
        where: { authorizationId: a.authorization.id },
        orderBy: [{ kind: 'asc' }, { periodNo: 'asc' }],
      });
      return rows.length > 0 && rows;
    }, 'the reporting duties');
    const periodic = duties.filter((d) => d.kind === 'PERIODIC');
    expect(periodic.map((d) => d.periodNo)).toEqual([1, 2, 3, 4]);
    expect(periodic[3].periodEnd.getTime()).toBe(a.authorization.endsAt.getTime());
    const yearly = duties.filter((d) => d.kind === 'YEARLY');
    expect(yearly.length).toBeGreaterThanOrEqual(1);
    for (const y of yearly) expect(y.dueAt.toISOString()).toBe(`${y.periodNo + 1}-03-31T16:00:00.000Z`);
  });

  it('revocation: a report review suspends the authorisation, the authority then revokes it with reasons; the remaining duties lapse', async () => {
    const a = await start(12);
    const authority = await staffActor(db, 'dsj.reviewer');
    expect(
      await rejection(
        a.handle.executeUpdate(changeAuthorizationUpdate, {
          args: [{ actor: authority, action: 'REVOKE', reasons: ' ' }],
        }),
      ),
    ).toBe('REASONS_REQUIRED');
    expect(
      await rejection(
        a.handle.executeUpdate(changeAuthorizationUpdate, {
          args: [{ actor: await staffActor(db, 'gaj.reviewer'), action: 'REVOKE', reasons: 'x' }],
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(
      await rejection(
        a.handle.executeUpdate(changeAuthorizationUpdate, {
          args: [{ actor: authority, action: 'REINSTATE', reasons: 'x' }],
        }),
      ),
    ).toBe('CONFLICT');

    await env.sleep('93 days');
    const r1 = await reportOpens(a.authorization.id, 1);
    const operator = await publicActor(db, BIDDERS.hengxin);
    expect(
      await rejection(
        env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, {
          args: [{ actor: await publicActor(db, BIDDERS.huarui), summary: '冒名报送' }],
        }),
      ),
    ).toBe('FORBIDDEN');
    await env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, {
      args: [{ actor: operator, summary: '本期将授权数据提供给未经约定的第三方使用' }],
    });
    await decideTask(db, env.client, r1.workflowId!, 'REVIEW_USE_REPORT', 'dsj.reviewer', 'SUSPEND', {
      reasons: '超出授权范围向第三方提供数据，暂停授权并责令整改',
    });
    await eventually(
      async () => (await authorization(a.authorization.id)).status === 'SUSPENDED',
      'the authorisation suspended',
    );
    expect((await authorization(a.authorization.id)).suspendedAt).not.toBeNull();

    const { status } = await a.handle.executeUpdate(changeAuthorizationUpdate, {
      args: [{ actor: authority, action: 'REVOKE', reasons: '整改期满仍未纠正违约行为，撤销授权' }],
    });
    expect(status).toBe('REVOKED');
    expect(await a.handle.result()).toEqual({ outcome: 'REVOKED' });
    await recordHistory('authorization-followup-revoked', a.handle);
    const row = await authorization(a.authorization.id);
    expect(row).toMatchObject({ status: 'REVOKED', endedReason: '整改期满仍未纠正违约行为，撤销授权' });
    expect(row.revokedAt).not.toBeNull();
    const remaining = await db.authorizationReport.findMany({
      where: { authorizationId: a.authorization.id, kind: 'PERIODIC', periodNo: { gt: 1 } },
    });
    expect(remaining.map((r) => r.status)).toEqual(['WAIVED', 'WAIVED', 'WAIVED']);
    const revokedMail = await db.notification.findMany({
      where: {
        template: 'tender-authorization',
        dedupeKey: { startsWith: `authorization:${a.authorization.id}:revoke:` },
      },
    });
    expect(revokedMail.map((m) => m.recipient)).toEqual(
      expect.arrayContaining(['bid@hengxin.liaocheng.example', 'dsj.reviewer@liaocheng.example']),
    );
    expect(
      await db.task.count({
        where: { workflowId: { startsWith: a.authorization.workflowId! }, status: { in: ['OPEN', 'CLAIMED'] } },
      }),
    ).toBe(0);
  });

  it('survives a worker restart before every step: the report is submitted and reviewed, the authorisation suspended and revoked once', async () => {
    // Every worker after this one has no workflow cache: the follow-up and its report children
    // never sit on a stopped worker's sticky queue (see restartWorker).
    await h.restartWorker([]);
    const a = await start(12);
    await env.sleep('93 days');
    const r1 = await reportOpens(a.authorization.id, 1);
    const report = env.client.workflow.getHandle(r1.workflowId!);
    await h.restartWorker([a.handle.workflowId, report.workflowId]);
    await report.executeUpdate(submitUseReportUpdate, {
      args: [{ actor: await publicActor(db, BIDDERS.hengxin), summary: '本期将授权数据提供给未经约定的第三方使用' }],
    });
    await h.restartWorker([a.handle.workflowId, report.workflowId]);
    await decideTask(db, env.client, report.workflowId, 'REVIEW_USE_REPORT', 'dsj.reviewer', 'SUSPEND', {
      reasons: '超出授权范围向第三方提供数据',
    });
    await eventually(
      async () => (await authorization(a.authorization.id)).status === 'SUSPENDED',
      'the authorisation suspended',
    );
    await h.restartWorker([a.handle.workflowId, report.workflowId]);
    const { status } = await a.handle.executeUpdate(changeAuthorizationUpdate, {
      args: [{ actor: await staffActor(db, 'dsj.reviewer'), action: 'REVOKE', reasons: '整改期满仍未纠正' }],
    });
    expect(status).toBe('REVOKED');
    expect(await a.handle.result()).toEqual({ outcome: 'REVOKED' });
    const changes = await db.auditLog.findMany({
      where: { entityType: 'Authorization', entityId: a.authorization.id, action: { startsWith: 'AUTHORIZATION_' } },
      orderBy: { id: 'asc' },
    });
    expect(changes.map((c) => c.action)).toEqual(['AUTHORIZATION_SUSPENDED', 'AUTHORIZATION_REVOKED']);
    const reviews = await db.task.findMany({
      where: { workflowId: { startsWith: a.authorization.workflowId! }, step: 'REVIEW_USE_REPORT' },
    });
    expect(reviews.map((t) => t.status)).toEqual(['DONE']);
    const remaining = await db.authorizationReport.findMany({
      where: { authorizationId: a.authorization.id, kind: 'PERIODIC', periodNo: { gt: 1 } },
    });
    expect(remaining.map((r) => r.status)).toEqual(['WAIVED', 'WAIVED', 'WAIVED']);
  });

  it('expiry at the end of the term: the authorisation ends by itself, the last report is still owed, and the authority re-tenders', async () => {
    const a = await start(3);
    await env.sleep('93 days');
    await eventually(
      async () => (await authorization(a.authorization.id)).status === 'EXPIRED',
      'the authorisation expired',
    );
    expect((await authorization(a.authorization.id)).endedReason).toContain('期限届满');
    const expiredMail = await db.notification.findMany({
      where: { dedupeKey: { startsWith: `authorization:${a.authorization.id}:expired:` } },
    });
    expect(expiredMail.map((m) => m.recipient)).toContain('bid@hengxin.liaocheng.example');

    // The final period's report is still due after the term.
    const r1 = await reportOpens(a.authorization.id, 1);
    expect(r1.periodEnd.getTime()).toBe(a.authorization.endsAt.getTime());
    const filed = await env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, {
      args: [{ actor: await publicActor(db, BIDDERS.hengxin), summary: '授权期内累计服务 30 家机构' }],
    });
    expect(filed.late).toBe(false);

    // The authority is prompted to re-tender; a new round linked to the old tender starts in draft.
    const prompt = await openTaskFor(db, a.authorization.workflowId!, 'RETENDER_DECISION');
    expect(prompt.candidateDeptId).toBe('dsj');
    await decideTask(db, env.client, a.authorization.workflowId!, 'RETENDER_DECISION', 'dsj.admin', 'RETENDER');
    const next = await eventually(
      () => db.tender.findFirst({ where: { previousTenderId: a.tender.id } }),
      'the re-tender round',
    );
    suite.trackId(next.workflowId);
    expect(next).toMatchObject({ round: 2, status: 'DRAFT', scope: a.tender.scope });
    const description = await eventually(
      async () =>
        env.client.workflow
          .getHandle(next.workflowId)
          .describe()
          .catch(() => undefined),
      'the re-tender workflow',
    );
    expect(description.status.name).toBe('RUNNING');
  });
});

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
/** Events per run of the follow-up, whatever the length of the term: a period's duties and a few changes. */
const FOLLOW_UP_RUN_BOUND = 150;
/** Events per run of an overdue report: OVERDUE_ROUNDS_PER_RUN reminder rounds of about 20 events. */
const REPORT_RUN_BOUND = 500;

describe('a follow-up over a term of years keeps every run of its history small (continue-as-new)', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  /** The runs of a workflow, first to latest (found from the latest: each names the run it continues). */
  async function runsOf(workflowId: string): Promise<Array<{ runId: string; events: HistoryEvent[] }>> {
    const runs: Array<{ runId: string; events: HistoryEvent[] }> = [];
    for (let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId; runId;) {
      const events: HistoryEvent[] =
        (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      runs.unshift({ runId, events });
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    return runs;
  }
  const acceptedUpdates = (events: HistoryEvent[], name: string) =>
    events.filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name,
    );
  /** When the follow-up opens a duty (reportSchedule): a period's end, or New Year after the disclosure year. */
  const opensAt = (d: { kind: string; periodNo: number; periodEnd: Date }) =>
    d.kind === 'PERIODIC' ? d.periodEnd.getTime() : new Date(`${d.periodNo + 1}-01-01T00:00:00+08:00`).getTime();
  const name = (d: { kind: string; periodNo: number }) => `${d.kind === 'PERIODIC' ? 'P' : 'Y'}${d.periodNo}`;

  it('revoked while a long-overdue report is in a later run of its own: the report lapses all the same', async () => {
    const startsAt = new Date(await env.currentTimeMs());
    const a = await registeredAuthorization(db, { termMonths: 12, startsAt, endsAt: addShanghaiMonths(startsAt, 12) });
    const handle = await env.client.workflow.start(authorizationFollowUpWorkflow, {
      workflowId: a.authorization.workflowId!,
      taskQueue: h.taskQueue,
      args: [a.input],
    });
    suite.trackId(handle.workflowId);
    await settled(env.client, handle.workflowId);
    const reportId = `${handle.workflowId}/report/periodic-1`;
    await env.sleep('93 days');
    // The operator never files: reminders until the report has continued as new.
    for (let week = 0; week < 30; week++) {
      const r = await db.authorizationReport.findFirst({
        where: { authorizationId: a.authorization.id, kind: 'PERIODIC', periodNo: 1 },
      });
      if ((r?.overdueNotices ?? 0) > OVERDUE_ROUNDS_PER_RUN) break;
      await env.sleep('7 days');
    }
    const reportRuns = await runsOf(reportId);
    expect(reportRuns.length).toBeGreaterThanOrEqual(2);
    await settled(env.client, reportId);
    const authority = await staffActor(db, 'dsj.reviewer');
    const { status } = await handle.executeUpdate(changeAuthorizationUpdate, {
      args: [{ actor: authority, action: 'REVOKE', reasons: '长期不报送利用情况报告，撤销授权' }],
    });
    expect(status).toBe('REVOKED');
    expect(await handle.result()).toEqual({ outcome: 'REVOKED' });
    expect((await env.client.workflow.getHandle(reportId).describe()).status.name).toBe('COMPLETED');
    const p1 = await db.authorizationReport.findFirstOrThrow({
      where: { authorizationId: a.authorization.id, kind: 'PERIODIC', periodNo: 1 },
    });
    expect(p1.status).toBe('WAIVED');
    expect(
      await db.task.count({
        where: { workflowId: { startsWith: handle.workflowId }, status: { in: ['OPEN', 'CLAIMED'] } },
      }),
    ).toBe(0);
    await recordHistory('authorization-followup-revoked-report-continued', handle);
  });

  it('three years of quarterly reports: a run per period, an overdue report in runs of its own, Updates follow', async () => {
    const startsAt = new Date(await env.currentTimeMs());
    const a = await registeredAuthorization(db, { termMonths: 36, startsAt, endsAt: addShanghaiMonths(startsAt, 36) });
    const handle = await env.client.workflow.start(authorizationFollowUpWorkflow, {
      workflowId: a.authorization.workflowId!,
      taskQueue: h.taskQueue,
      args: [a.input],
    });
    suite.trackId(handle.workflowId);
    await settled(env.client, handle.workflowId);
    const authorizationId = a.authorization.id;
    const duties = await eventually(async () => {
      const rows = await db.authorizationReport.findMany({ where: { authorizationId } });
      return (
        rows.length > 0 &&
        rows.sort((x, y) => opensAt(x) - opensAt(y) || (x.kind === y.kind ? 0 : x.kind === 'PERIODIC' ? -1 : 1))
      );
    }, 'the reporting duties');
    expect(duties.filter((d) => d.kind === 'PERIODIC')).toHaveLength(12);

    const operator = await publicActor(db, BIDDERS.hengxin);
    const authority = await staffActor(db, 'dsj.reviewer');
    const currentRun = async () => (await handle.describe()).runId;
    const change = (action: 'SUSPEND' | 'REINSTATE', reasons: string) =>
      handle.executeUpdate(changeAuthorizationUpdate, { args: [{ actor: authority, action, reasons }] });
    /** After a report's review the follow-up continues as new; the Update must reach the new run. */
    async function changeInNewRun(
      runBefore: string,
      action: 'SUSPEND' | 'REINSTATE',
      reasons: string,
      expected: string,
    ) {
      const runId = await eventually(async () => {
        const r = await currentRun();
        return r !== runBefore && r;
      }, 'the follow-up to continue as new');
      expect((await change(action, reasons)).status).toBe(expected);
      const events = (await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
      expect(acceptedUpdates(events, 'changeAuthorization')).toHaveLength(1);
      return runId;
    }
    // The operator files every report as it opens, except P6: only after more reminders than one run of it holds.
    const lagging = duties.find((d) => d.kind === 'PERIODIC' && d.periodNo === 6)!;
    const lagRounds = OVERDUE_ROUNDS_PER_RUN + 2;
    const runsTakingUpdates: string[] = [];
    let retenderDecided = false;

    for (;;) {
      const open = await db.authorizationReport.findMany({
        where: { authorizationId, status: { in: ['DUE', 'OVERDUE'] }, submittedAt: null },
      });
      for (const r of open.sort((x, y) => opensAt(x) - opensAt(y))) {
        if (r.id === lagging.id && r.overdueNotices < lagRounds) continue;
        const report = env.client.workflow.getHandle(r.workflowId!);
        await report.executeUpdate(submitUseReportUpdate, {
          args: [{ actor: operator, summary: `${name(r)}：按约定范围使用` }],
        });
        const runBefore = await currentRun();
        const accept = decideTask(db, env.client, r.workflowId!, 'REVIEW_USE_REPORT', 'dsj.reviewer', 'ACCEPT');
        if (name(r) === 'P9') {
          // A burst of changes while the accepted review lets the follow-up continue as new: each is taken by the
          // old run (which answers it before it hands over) or by the new one, none is lost or applied twice.
          const actions = ['SUSPEND', 'REINSTATE', 'SUSPEND', 'REINSTATE', 'SUSPEND'] as const;
          const burst = (async () => {
            const statuses: string[] = [];
            for (const [k, action] of actions.entries())
              statuses.push((await change(action, `第9期审查期间核查（${k + 1}）`)).status);
            return statuses;
          })();
          const [, statuses] = await Promise.all([accept, burst]);
          expect(statuses).toEqual(['SUSPENDED', 'ACTIVE', 'SUSPENDED', 'ACTIVE', 'SUSPENDED']);
          const since = await eventually(async () => {
            const rs = await runsOf(handle.workflowId);
            const i = rs.findIndex((x) => x.runId === runBefore);
            return i < rs.length - 1 && rs.slice(i);
          }, 'the follow-up to continue as new');
          expect(since.flatMap((x) => acceptedUpdates(x.events, 'changeAuthorization'))).toHaveLength(actions.length);
        } else {
          await accept;
        }
        if (name(r) === 'P3')
          runsTakingUpdates.push(
            await changeInNewRun(runBefore, 'SUSPEND', '第3期报告显示数据安全措施不到位，暂停授权', 'SUSPENDED'),
          );
        // The next run still knows the authorisation is suspended: only then is reinstatement allowed.
        if (name(r) === 'P4')
          runsTakingUpdates.push(await changeInNewRun(runBefore, 'REINSTATE', '整改完成，恢复授权', 'ACTIVE'));
        if (name(r) === 'P10')
          runsTakingUpdates.push(await changeInNewRun(runBefore, 'REINSTATE', '核查完毕，恢复授权', 'ACTIVE'));
      }
      if (
        !retenderDecided &&
        (await db.task.count({
          where: { workflowId: handle.workflowId, step: 'RETENDER_DECISION', status: { in: ['OPEN', 'CLAIMED'] } },
        })) > 0
      ) {
        await decideTask(db, env.client, handle.workflowId, 'RETENDER_DECISION', 'dsj.reviewer', 'NO_RETENDER', {
          reasons: '该场景已纳入公共数据开放，不再招标',
        });
        retenderDecided = true;
      }
      const now = await env.currentTimeMs();
      const scheduled = await db.authorizationReport.findMany({ where: { authorizationId, status: 'SCHEDULED' } });
      const lagOpen = open.some((r) => r.id === lagging.id && r.overdueNotices < lagRounds);
      const nextOpen = Math.min(...scheduled.map(opensAt));
      if (nextOpen === Infinity && !lagOpen && open.length === 0) break;
      const wakeAt = Math.min(nextOpen + 60_000, lagOpen ? now + 7 * 86_400_000 : Infinity);
      if (wakeAt === Infinity) continue; // the reports filed just now were the last ones
      if (wakeAt > now) await env.sleep(wakeAt - now);
      // Time runs at its normal pace between sleeps: wait for the duties now due to be opened.
      const due = scheduled.filter((d) => opensAt(d) <= wakeAt).map((d) => d.id);
      await eventually(
        async () => (await db.authorizationReport.count({ where: { id: { in: due }, status: 'SCHEDULED' } })) === 0,
        'the duties due to open',
      );
    }
    expect(await handle.result()).toEqual({ outcome: 'EXPIRED' });

    // The same reports as without continue-as-new: every duty filed and accepted, P6 late after its reminders.
    const rows = await db.authorizationReport.findMany({ where: { authorizationId } });
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'ACCEPTED'));
    expect(rows.filter((r) => r.late).map(name)).toEqual(['P6']);
    expect(rows.find((r) => r.id === lagging.id)!.overdueNotices).toBeGreaterThanOrEqual(lagRounds);
    // Status changes numbered across runs: none of them swallowed as a repeat.
    const changes = await db.auditLog.findMany({
      where: { entityType: 'Authorization', entityId: authorizationId, action: { startsWith: 'AUTHORIZATION_' } },
      orderBy: { id: 'asc' },
    });
    const [S, A] = ['AUTHORIZATION_SUSPENDED', 'AUTHORIZATION_ACTIVE'];
    expect(changes.map((c) => c.action)).toEqual([S, A, S, A, S, A, S, A, 'AUTHORIZATION_EXPIRED']);
    expect(new Set(runsTakingUpdates).size).toBe(3);
    expect(runsTakingUpdates).not.toContain(handle.firstExecutionRunId);

    const runs = await runsOf(handle.workflowId);
    expect(runs[0].runId).toBe(handle.firstExecutionRunId);
    const lagRuns = await runsOf(`${handle.workflowId}/report/periodic-6`);
    // Measured: 14 runs of 29 to 73 events for 16 duties (while P6 is overdue the next opening stays in its run, and
    // the term's last report and the final disclosure after expiry share the last one), and P6 in runs of 404 and
    // 90. A single run would hold them all (about 580) and grow with the term; these bounds do not depend on it.
    expect(runs.length).toBeGreaterThanOrEqual(12);
    for (const r of runs) expect(r.events.length).toBeLessThan(FOLLOW_UP_RUN_BOUND);
    expect(lagRuns.length).toBeGreaterThanOrEqual(2);
    for (const r of lagRuns) expect(r.events.length).toBeLessThan(REPORT_RUN_BOUND);

    await recordHistory(
      'authorization-followup-continued',
      env.client.workflow.getHandle(handle.workflowId, runs[0].runId),
    );
    await recordHistory('authorization-followup-long-term-expired', handle);
    await recordHistory(
      'authorization-report-overdue-continued',
      env.client.workflow.getHandle(`${handle.workflowId}/report/periodic-6`, lagRuns[0].runId),
    );
  });
});
