import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addShanghaiMonths } from '../../domain/tender-rules';
import type { Db } from '../../lib/db';
import { authorizationFollowUpWorkflow, FollowUpInput } from '../../workflows/authorization-followup';
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
    const a = await registeredAuthorization(db, { termMonths, startsAt, endsAt: addShanghaiMonths(startsAt, termMonths) });
    const input: FollowUpInput = a.input;
    const handle = await env.client.workflow.start(authorizationFollowUpWorkflow, { workflowId: a.authorization.workflowId!, taskQueue: h.taskQueue, args: [input] });
    suite.trackId(handle.workflowId);
    // Updates go to a workflow that has finished its first task (a precaution: the hangs once blamed on
    // early Updates were the clock lock of terminated busy workflows, see endQuietly).
    await settled(env.client, handle.workflowId);
    return { ...a, handle };
  }

  const authorization = (id: string) => db.authorization.findUniqueOrThrow({ where: { id } });
  const reportOpens = (authorizationId: string, periodNo: number) =>
    eventually(() => db.authorizationReport.findFirst({ where: { authorizationId, kind: 'PERIODIC', periodNo, status: { not: 'SCHEDULED' } } }), `periodic report ${periodNo}`);

  it('plans the reporting duties: a report per quarter and a yearly disclosure due by the end of March', async () => {
    const a = await start(12);
    const duties = await eventually(async () => {
      const rows = await db.authorizationReport.findMany({ where: { authorizationId: a.authorization.id }, orderBy: [{ kind: 'asc' }, { periodNo: 'asc' }] });
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
    expect(await rejection(a.handle.executeUpdate(changeAuthorizationUpdate, { args: [{ actor: authority, action: 'REVOKE', reasons: ' ' }] }))).toBe('REASONS_REQUIRED');
    expect(await rejection(a.handle.executeUpdate(changeAuthorizationUpdate, { args: [{ actor: await staffActor(db, 'gaj.reviewer'), action: 'REVOKE', reasons: 'x' }] }))).toBe('FORBIDDEN');
    expect(await rejection(a.handle.executeUpdate(changeAuthorizationUpdate, { args: [{ actor: authority, action: 'REINSTATE', reasons: 'x' }] }))).toBe('CONFLICT');

    await env.sleep('93 days');
    const r1 = await reportOpens(a.authorization.id, 1);
    const operator = await publicActor(db, BIDDERS.hengxin);
    expect(await rejection(env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, { args: [{ actor: await publicActor(db, BIDDERS.huarui), summary: '冒名报送' }] }))).toBe('FORBIDDEN');
    await env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, { args: [{ actor: operator, summary: '本期将授权数据提供给未经约定的第三方使用' }] });
    await decideTask(db, env.client, r1.workflowId!, 'REVIEW_USE_REPORT', 'dsj.reviewer', 'SUSPEND', { reasons: '超出授权范围向第三方提供数据，暂停授权并责令整改' });
    await eventually(async () => (await authorization(a.authorization.id)).status === 'SUSPENDED', 'the authorisation suspended');
    expect((await authorization(a.authorization.id)).suspendedAt).not.toBeNull();

    const { status } = await a.handle.executeUpdate(changeAuthorizationUpdate, { args: [{ actor: authority, action: 'REVOKE', reasons: '整改期满仍未纠正违约行为，撤销授权' }] });
    expect(status).toBe('REVOKED');
    expect(await a.handle.result()).toEqual({ outcome: 'REVOKED' });
    await recordHistory('authorization-followup-revoked', a.handle);
    const row = await authorization(a.authorization.id);
    expect(row).toMatchObject({ status: 'REVOKED', endedReason: '整改期满仍未纠正违约行为，撤销授权' });
    expect(row.revokedAt).not.toBeNull();
    const remaining = await db.authorizationReport.findMany({ where: { authorizationId: a.authorization.id, kind: 'PERIODIC', periodNo: { gt: 1 } } });
    expect(remaining.map((r) => r.status)).toEqual(['WAIVED', 'WAIVED', 'WAIVED']);
    const revokedMail = await db.notification.findMany({ where: { template: 'tender-authorization', dedupeKey: { startsWith: `authorization:${a.authorization.id}:revoke:` } } });
    expect(revokedMail.map((m) => m.recipient)).toEqual(expect.arrayContaining(['bid@hengxin.liaocheng.example', 'dsj.reviewer@liaocheng.example']));
    expect(await db.task.count({ where: { workflowId: { startsWith: a.authorization.workflowId! }, status: { in: ['OPEN', 'CLAIMED'] } } })).toBe(0);
  });

  it('expiry at the end of the term: the authorisation ends by itself, the last report is still owed, and the authority re-tenders', async () => {
    const a = await start(3);
    await env.sleep('93 days');
    await eventually(async () => (await authorization(a.authorization.id)).status === 'EXPIRED', 'the authorisation expired');
    expect((await authorization(a.authorization.id)).endedReason).toContain('期限届满');
    const expiredMail = await db.notification.findMany({ where: { dedupeKey: { startsWith: `authorization:${a.authorization.id}:expired:` } } });
    expect(expiredMail.map((m) => m.recipient)).toContain('bid@hengxin.liaocheng.example');

    // The final period's report is still due after the term.
    const r1 = await reportOpens(a.authorization.id, 1);
    expect(r1.periodEnd.getTime()).toBe(a.authorization.endsAt.getTime());
    const filed = await env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, { args: [{ actor: await publicActor(db, BIDDERS.hengxin), summary: '授权期内累计服务 30 家机构' }] });
    expect(filed.late).toBe(false);

    // The authority is prompted to re-tender; a new round linked to the old tender starts in draft.
    const prompt = await openTaskFor(db, a.authorization.workflowId!, 'RETENDER_DECISION');
    expect(prompt.candidateDeptId).toBe('dsj');
    await decideTask(db, env.client, a.authorization.workflowId!, 'RETENDER_DECISION', 'dsj.admin', 'RETENDER');
    const next = await eventually(() => db.tender.findFirst({ where: { previousTenderId: a.tender.id } }), 'the re-tender round');
    suite.trackId(next.workflowId);
    expect(next).toMatchObject({ round: 2, status: 'DRAFT', scope: a.tender.scope });
    const description = await eventually(async () => env.client.workflow.getHandle(next.workflowId).describe().catch(() => undefined), 'the re-tender workflow');
    expect(description.status.name).toBe('RUNNING');
  });
});
