import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createActivities } from '../../activities';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { completeTaskUpdate } from '../../workflows/messages';
import { suspendIncidentGrantsUpdate } from '../../workflows/objection-messages';
import { SA } from '../../workflows/search-attributes';
import { securityIncidentWorkflow } from '../../workflows/security-incident';
import { eventually } from '../support/env';
import { activeGrant, incidentRow, renderQueuedMail, testResource } from '../support/objections';
import { ProcedureHarness, procedureSuite, recordHistory } from '../support/procedures';

const HOUR = 3_600_000;

describe('security incident procedure (Art. 32 ¶2) on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function report(
    resourceIds: string[],
    suspendGrants: boolean,
    responsibleDeptId = 'gaj',
    reporterLogin = `${responsibleDeptId}.staff`,
  ) {
    const { input, workflowId } = await incidentRow(db, {
      resourceIds,
      reporterLogin,
      responsibleDeptId,
      reportedAtMs: await env.currentTimeMs(),
      suspendGrants,
    });
    const handle = await env.client.workflow.start(securityIncidentWorkflow, {
      workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.track(handle);
    return { ...input, workflowId, handle };
  }
  const grantStatus = async (id: string) => (await db.accessGrant.findUniqueOrThrow({ where: { id } })).status;
  const incident = (id: string) => db.securityIncident.findUniqueOrThrow({ where: { id } });
  const assignedMail = async (taskId: string) =>
    (await eventually(async () => (await renderQueuedMail(db, [`task:${taskId}:assigned`]))[0], 'the task mail')).text;
  afterEach(() => {
    delete process.env.CYBERSPACE_REPORT_EMAIL;
  });
  /** The incident's audit actions in order. */
  const incidentAudit = async (incidentId: string) =>
    (
      await db.auditLog.findMany({
        where: { entityType: 'SecurityIncident', entityId: incidentId },
        orderBy: { id: 'asc' },
      })
    ).map((x) => x.action);
  const CLOSED_WITH_GRANTS_SUSPENDED = [
    'INCIDENT_REPORTED',
    'INCIDENT_GRANTS_SUSPENDED',
    'INCIDENT_USERS_NOTICE_SENT',
    'INCIDENT_REPORT_CYBERSPACE',
    'INCIDENT_REMEDIATE',
    'INCIDENT_NOTIFY_USERS',
    'INCIDENT_CLOSED',
  ];
  const taskAudit = async (taskId: string) =>
    (await db.auditLog.findMany({ where: { entityType: 'Task', entityId: taskId } })).map((a) => a.action);

  it('a leak with grants suspended: remediation, users told, report to the cyberspace administration, closed by the authority, grants restored', async () => {
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    const a = await activeGrant(db, resource.id, 'rsj');
    const b = await activeGrant(db, resource.id, 'wjw');
    const i = await report([resource.id], true);

    await eventually(
      async () => (await grantStatus(a.grantId)) === 'SUSPENDED' && (await grantStatus(b.grantId)) === 'SUSPENDED',
      'the grants to be suspended',
    );
    const remediate = await h.openTask(i.workflowId, 'REMEDIATE', 'gaj');
    const notifyUsers = await h.openTask(i.workflowId, 'NOTIFY_USERS', 'gaj');
    const cyberspace = await h.openTask(i.workflowId, 'REPORT_CYBERSPACE', 'gaj');
    // Hour deadlines from the task's creation (policy: 4 h, 24 h, 1 h), shown in the inbox.
    const due = async (id: string) =>
      eventually(async () => (await db.task.findUniqueOrThrow({ where: { id } })).dueAt, 'the hour deadline');
    expect((await due(remediate.id)).getTime() - remediate.createdAt.getTime()).toBe(4 * HOUR);
    expect((await due(notifyUsers.id)).getTime() - notifyUsers.createdAt.getTime()).toBe(24 * HOUR);
    expect((await due(cyberspace.id)).getTime() - cyberspace.createdAt.getTime()).toBe(1 * HOUR);
    // The assignment mails show the hour limits (they said "办理期限：无").
    for (const t of [remediate, notifyUsers, cyberspace]) {
      const text = await assignedMail(t.id);
      expect(text).not.toContain('办理期限：无');
      expect(text).toMatch(/办理期限：\d{4}/);
    }
    const reported = await incident(i.incidentId);
    expect(reported.authorityReportedAt).not.toBeNull();

    // The record of each measure is mandatory.
    await expect(h.decide(i.workflowId, 'REPORT_CYBERSPACE', 'gaj.staff', 'REPORTED')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await h.decide(i.workflowId, 'REPORT_CYBERSPACE', 'gaj.staff', 'REPORTED', {
      reasons: '已通过网信办事件报告平台报告，回执号 WX-2026-0042',
    });
    await h.decide(i.workflowId, 'REMEDIATE', 'gaj.staff', 'REMEDIATED', { reasons: '已封禁异常账号并重置接口密钥' });
    await h.decide(i.workflowId, 'NOTIFY_USERS', 'gaj.staff', 'USERS_NOTIFIED', {
      reasons: '已短信告知受影响的1,204名群众',
    });
    const remediated = await eventually(async () => {
      const row = await incident(i.incidentId);
      return row.status === 'REMEDIATED' && row;
    }, 'the incident to be remediated');
    expect(remediated.cyberspaceReportRef).toContain('WX-2026-0042');
    expect(remediated.cyberspaceReportedAt).not.toBeNull();
    // Still suspended until the authority closes it.
    expect(await grantStatus(a.grantId)).toBe('SUSPENDED');

    await expect(
      h.decide(i.workflowId, 'CLOSE_INCIDENT', 'gaj.staff', 'CLOSE', { reasons: 'x', deptId: 'dsj' }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await h.decide(i.workflowId, 'CLOSE_INCIDENT', 'dsj.reviewer', 'CLOSE', { reasons: '补救措施有效，风险已消除' });
    expect(await i.handle.result()).toEqual({ outcome: 'CLOSED', suspendedGrants: true });
    await recordHistory('security-incident-closed', i.handle);
    expect(await grantStatus(a.grantId)).toBe('ACTIVE');
    expect(await grantStatus(b.grantId)).toBe('ACTIVE');
    expect(await incident(i.incidentId)).toMatchObject({ status: 'CLOSED', conclusion: '补救措施有效，风险已消除' });

    expect(await incidentAudit(i.incidentId)).toEqual(CLOSED_WITH_GRANTS_SUSPENDED);
    // The close's audit row names the grants it restored. The activity run again (a retry after a
    // crash that came once its work had committed) answers the same and writes nothing new.
    const closedAudit = () => db.auditLog.findUniqueOrThrow({ where: { auditKey: `incident:${i.incidentId}:closed` } });
    const first = await closedAudit();
    expect([...(first.details as { restoredGrantIds: string[] }).restoredGrantIds].sort()).toEqual(
      [a.grantId, b.grantId].sort(),
    );
    const again = createActivities({ db, logger: createLogger('test', 'silent'), calendar: async () => h.calendar });
    const reviewer = await db.user.findUniqueOrThrow({ where: { login: 'dsj.reviewer' } });
    expect(
      await again.closeIncident({
        incidentId: i.incidentId,
        conclusion: '补救措施有效，风险已消除',
        actorUserId: reviewer.id,
      }),
    ).toEqual({ restored: 2 });
    expect(await closedAudit()).toEqual(first);
    const mail = await renderQueuedMail(db, [`incident:${i.incidentNo}:`]);
    const to = (template: string) => mail.filter((m) => m.template === template).map((m) => m.recipient);
    expect(to('incident-reported')).toEqual(
      expect.arrayContaining([
        'dsj.reviewer@liaocheng.example',
        'gaj.head@liaocheng.example',
        'dsj.supervisor@liaocheng.example',
      ]),
    );
    expect(to('incident-grants-suspended')).toEqual(
      expect.arrayContaining(['rsj.staff@liaocheng.example', 'wjw.staff@liaocheng.example']),
    );
    expect(to('incident-users-notice')).toEqual(
      expect.arrayContaining(['rsj.staff@liaocheng.example', 'wjw.staff@liaocheng.example']),
    );
    expect(to('incident-grants-restored')).toEqual(
      expect.arrayContaining(['rsj.staff@liaocheng.example', 'wjw.staff@liaocheng.example']),
    );
    expect(to('incident-closed')).toEqual(
      expect.arrayContaining(['gaj.staff@liaocheng.example', 'dsj.reviewer@liaocheng.example']),
    );
  });

  it('survives a worker restart before every step: grants suspended once, each measure recorded once, closed and restored once', async () => {
    await h.restartWorker([]);
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    const a = await activeGrant(db, resource.id, 'rsj');
    const i = await report([resource.id], true);
    const steps: Array<[string, string, string, string]> = [
      ['REPORT_CYBERSPACE', 'gaj.staff', 'REPORTED', '已报告网信部门，回执号 WX-2026-0107'],
      ['REMEDIATE', 'gaj.staff', 'REMEDIATED', '已封禁异常账号'],
      ['NOTIFY_USERS', 'gaj.staff', 'USERS_NOTIFIED', '已短信告知受影响的群众'],
      ['CLOSE_INCIDENT', 'dsj.reviewer', 'CLOSE', '补救措施有效'],
    ];
    for (const [step, login, decision, reasons] of steps) {
      await h.openTask(i.workflowId, step);
      await h.restartWorker([i.workflowId]);
      await h.decide(i.workflowId, step, login, decision, { reasons });
    }
    expect(await i.handle.result()).toEqual({ outcome: 'CLOSED', suspendedGrants: true });
    const tasks = await db.task.findMany({ where: { workflowId: i.workflowId } });
    expect(tasks.map((t) => [t.step, t.status]).sort()).toEqual(steps.map(([step]) => [step, 'DONE']).sort());
    expect(await grantStatus(a.grantId)).toBe('ACTIVE');
    expect(await incident(i.incidentId)).toMatchObject({ status: 'CLOSED', conclusion: '补救措施有效' });
    // Each once (the parallel measures in the order they were decided).
    expect((await incidentAudit(i.incidentId)).sort()).toEqual([...CLOSED_WITH_GRANTS_SUSPENDED].sort());
    const mail = await renderQueuedMail(db, [`incident:${i.incidentNo}:`]);
    const to = (template: string) => mail.filter((m) => m.template === template).map((m) => m.recipient);
    expect(to('incident-grants-suspended')).toEqual(['rsj.staff@liaocheng.example']);
    expect(to('incident-grants-restored')).toEqual(['rsj.staff@liaocheng.example']);
  });

  it('hour deadlines missed: the 1-hour report goes overdue and is escalated, the 4-hour remediation is warned then overdue, nothing is done by silence', async () => {
    const resource = await testResource(db, 'ybj', 'NOT_OPEN');
    const i = await report([resource.id], false, 'ybj');
    const cyberspace = await h.openTask(i.workflowId, 'REPORT_CYBERSPACE', 'ybj');
    const remediate = await h.openTask(i.workflowId, 'REMEDIATE', 'ybj');
    const notifyUsers = await h.openTask(i.workflowId, 'NOTIFY_USERS', 'ybj');
    await env.sleep('5 hours');
    // Report due at 1 h, escalated 2 h later; remediation warned at 3 h, overdue at 4 h, escalation only at 6 h.
    const cyberActions = await eventually(async () => {
      const x = await taskAudit(cyberspace.id);
      return x.includes('TASK_ESCALATED') && x;
    }, 'the report step to be escalated');
    expect(cyberActions).toEqual(expect.arrayContaining(['TASK_OVERDUE', 'TASK_ESCALATED']));
    const remediateActions = await taskAudit(remediate.id);
    expect(remediateActions).toEqual(expect.arrayContaining(['TASK_WARNING', 'TASK_OVERDUE']));
    expect(remediateActions).not.toContain('TASK_ESCALATED');
    expect(await taskAudit(notifyUsers.id)).not.toContain('TASK_OVERDUE');
    expect(await db.task.findUniqueOrThrow({ where: { id: cyberspace.id } })).toMatchObject({
      status: 'OPEN',
      overdue: true,
    });
    await eventually(
      async () => (await i.handle.describe()).typedSearchAttributes.get(SA.Overdue) === true,
      'the Overdue search attribute',
    );
    const escalation = await db.notification.findMany({
      where: { dedupeKey: { startsWith: `task:${cyberspace.id}:hours:escalation` } },
    });
    expect(escalation.map((n) => n.recipient)).toEqual(
      expect.arrayContaining([
        'ybj.head@liaocheng.example',
        'dsj.supervisor@liaocheng.example',
        'dsj.reviewer@liaocheng.example',
      ]),
    );
    expect((await renderQueuedMail(db, [`task:${cyberspace.id}:hours:`])).map((m) => m.subject).join()).toContain(
      '督办',
    );
    expect(await incident(i.incidentId)).toMatchObject({ status: 'REPORTED', cyberspaceReportedAt: null });

    // A late report is still recorded, with its real time.
    await h.decide(i.workflowId, 'REPORT_CYBERSPACE', 'ybj.staff', 'REPORTED', { reasons: '迟报：已电话报告市网信办' });
    const late = await eventually(async () => (await incident(i.incidentId)).cyberspaceReportedAt, 'the late report');
    expect(late.getTime()).toBeGreaterThanOrEqual(cyberspace.createdAt.getTime() + 5 * HOUR);
  });

  it('the authority suspends the grants of a running incident; a grant two incidents cover stays suspended until both are closed', async () => {
    const resource = await testResource(db, 'scjgj', 'NOT_OPEN');
    const g = await activeGrant(db, resource.id, 'zrzyj');
    const first = await report([resource.id], false, 'scjgj');
    const second = await report([resource.id], true, 'scjgj');
    await eventually(
      async () => (await grantStatus(g.grantId)) === 'SUSPENDED',
      'the second incident to suspend the grant',
    );
    await expect(
      first.handle.executeUpdate(suspendIncidentGrantsUpdate, { args: [{ actor: await h.actor('scjgj.staff') }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    expect(
      await first.handle.executeUpdate(suspendIncidentGrantsUpdate, {
        args: [{ actor: await h.actor('dsj.reviewer') }],
      }),
    ).toEqual({ suspended: 1, stage: 'REMEDIATION' });

    for (const [step, decision] of [
      ['REMEDIATE', 'REMEDIATED'],
      ['NOTIFY_USERS', 'USERS_NOTIFIED'],
      ['REPORT_CYBERSPACE', 'REPORTED'],
    ]) {
      await h.decide(second.workflowId, step, 'scjgj.staff', decision, { reasons: '已处置' });
    }
    await h.decide(second.workflowId, 'CLOSE_INCIDENT', 'dsj.reviewer', 'CLOSE', { reasons: '已处置完毕' });
    expect(await second.handle.result()).toEqual({ outcome: 'CLOSED', suspendedGrants: true });
    expect(await grantStatus(g.grantId)).toBe('SUSPENDED');

    for (const [step, decision] of [
      ['REMEDIATE', 'REMEDIATED'],
      ['NOTIFY_USERS', 'USERS_NOTIFIED'],
      ['REPORT_CYBERSPACE', 'REPORTED'],
    ]) {
      await h.decide(first.workflowId, step, 'scjgj.staff', decision, { reasons: '已处置' });
    }
    await h.decide(first.workflowId, 'CLOSE_INCIDENT', 'dsj.reviewer', 'CLOSE', { reasons: '已处置完毕' });
    expect(await first.handle.result()).toEqual({ outcome: 'CLOSED', suspendedGrants: true });
    expect(await grantStatus(g.grantId)).toBe('ACTIVE');
  });

  it('a suspension asked for by a non-owner is not applied: the provider decides within hours and only the named grants are suspended; the platform reports to 网信 itself', async () => {
    process.env.CYBERSPACE_REPORT_EMAIL = 'report@cac.liaocheng.example';
    const resource = await testResource(db, 'gaj', 'NOT_OPEN');
    const a = await activeGrant(db, resource.id, 'rsj');
    const b = await activeGrant(db, resource.id, 'wjw');
    // The escalation of issue 12: 自来水公司 (NON_GOVERNMENT) asks to suspend 市公安局's grants.
    const i = await report([resource.id], true, 'water');

    const decide = await h.openTask(i.workflowId, 'DECIDE_SUSPENSION', 'gaj');
    expect(decide.candidateRole).toBe('PROVIDER_REVIEWER');
    const dueAt = await eventually(
      async () => (await db.task.findUniqueOrThrow({ where: { id: decide.id } })).dueAt,
      'the decision deadline',
    );
    expect(dueAt.getTime() - decide.createdAt.getTime()).toBe(2 * HOUR);
    expect(await assignedMail(decide.id)).toMatch(/办理期限：\d{4}/);
    // Nothing was suspended on the reporter's word.
    expect(await grantStatus(a.grantId)).toBe('ACTIVE');
    expect(await grantStatus(b.grantId)).toBe('ACTIVE');
    expect(await db.incidentGrantSuspension.count({ where: { incidentId: i.incidentId } })).toBe(0);
    // The reporter cannot suspend through the Update either.
    await expect(
      i.handle.executeUpdate(suspendIncidentGrantsUpdate, { args: [{ actor: await h.actor('water.staff') }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);

    // The platform sent the report to the configured 网信 contact and recorded it: no department task for it.
    const sent = await eventually(async () => {
      const row = await incident(i.incidentId);
      return row.cyberspaceReportTo !== null && row;
    }, 'the platform report');
    expect(sent.cyberspaceReportTo).toBe('report@cac.liaocheng.example');
    expect(sent.cyberspaceReportedAt).not.toBeNull();
    expect(sent.usersNoticeSentAt).not.toBeNull();
    expect(sent.usersNoticeCount).toBeGreaterThanOrEqual(2);
    const cac = await renderQueuedMail(db, [`incident:${i.incidentNo}:cyberspace-report`]);
    expect(cac.map((m) => m.recipient)).toEqual(['report@cac.liaocheng.example']);
    expect(cac[0].text).toContain(resource.code);
    await h.openTask(i.workflowId, 'REMEDIATE', 'water');
    expect(await db.task.count({ where: { workflowId: i.workflowId, step: 'REPORT_CYBERSPACE' } })).toBe(0);

    // The provider suspends one named grant only; a grant id of another resource is refused.
    const gaj = await h.actor('gaj.reviewer');
    await expect(
      i.handle.executeUpdate(completeTaskUpdate, {
        args: [{ taskId: decide.id, decision: 'SUSPEND', payload: { grantIds: [] }, actor: gaj }],
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await i.handle.executeUpdate(completeTaskUpdate, {
      args: [{ taskId: decide.id, decision: 'SUSPEND', payload: { grantIds: [a.grantId] }, actor: gaj }],
    });
    await eventually(async () => (await grantStatus(a.grantId)) === 'SUSPENDED', 'the named grant to be suspended');
    expect(await grantStatus(b.grantId)).toBe('ACTIVE');

    for (const [step, decision] of [
      ['REMEDIATE', 'REMEDIATED'],
      ['NOTIFY_USERS', 'USERS_NOTIFIED'],
    ]) {
      await h.decide(i.workflowId, step, 'water.staff', decision, { reasons: '已处置' });
    }
    await h.decide(i.workflowId, 'CLOSE_INCIDENT', 'dsj.reviewer', 'CLOSE', { reasons: '已处置完毕' });
    expect(await i.handle.result()).toEqual({ outcome: 'CLOSED', suspendedGrants: true });
    await recordHistory('security-incident-owner-decides-suspension', i.handle);
    expect(await grantStatus(a.grantId)).toBe('ACTIVE');
    const actions = (
      await db.auditLog.findMany({ where: { entityType: 'SecurityIncident', entityId: i.incidentId } })
    ).map((x) => x.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'INCIDENT_REPORT_CYBERSPACE_SENT',
        'INCIDENT_USERS_NOTICE_SENT',
        'INCIDENT_SUSPENSION_DECIDED',
        'INCIDENT_GRANTS_SUSPENDED',
      ]),
    );
  });

  it('a provider that does not decide in time is reminded and escalated; closing cancels its open decision and suspends nothing', async () => {
    const resource = await testResource(db, 'zrzyj', 'NOT_OPEN');
    const g = await activeGrant(db, resource.id, 'rsj');
    const i = await report([resource.id], true, 'wjw');
    const decide = await h.openTask(i.workflowId, 'DECIDE_SUSPENSION', 'zrzyj');
    await env.sleep('5 hours');
    await eventually(async () => (await taskAudit(decide.id)).includes('TASK_ESCALATED'), 'the escalation');
    expect(await grantStatus(g.grantId)).toBe('ACTIVE');
    for (const [step, decision] of [
      ['REMEDIATE', 'REMEDIATED'],
      ['NOTIFY_USERS', 'USERS_NOTIFIED'],
      ['REPORT_CYBERSPACE', 'REPORTED'],
    ]) {
      await h.decide(i.workflowId, step, 'wjw.staff', decision, { reasons: '已处置' });
    }
    await h.decide(i.workflowId, 'CLOSE_INCIDENT', 'dsj.reviewer', 'CLOSE', { reasons: '误报，已核实' });
    expect(await i.handle.result()).toEqual({ outcome: 'CLOSED', suspendedGrants: false });
    expect(await db.task.findUniqueOrThrow({ where: { id: decide.id } })).toMatchObject({ status: 'CANCELLED' });
    expect(await grantStatus(g.grantId)).toBe('ACTIVE');
  });

  it("a citizen's report is triaged by the authority: dismissed, it closes with the reasons told to the citizen", async () => {
    const resource = await testResource(db, 'rsj', 'NOT_OPEN');
    const i = await report([resource.id], false, 'rsj', 'citizen.zhang');
    const triage = await h.openTask(i.workflowId, 'TRIAGE_REPORT', 'dsj');
    expect(triage.candidateRole).toBe('AUTHORITY_REVIEWER');
    expect(await db.task.count({ where: { workflowId: i.workflowId, step: 'REMEDIATE' } })).toBe(0);
    await expect(h.decide(i.workflowId, 'TRIAGE_REPORT', 'dsj.reviewer', 'DISMISS')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await h.decide(i.workflowId, 'TRIAGE_REPORT', 'dsj.reviewer', 'DISMISS', { reasons: '所述网页与本市政务数据无关' });
    expect(await i.handle.result()).toEqual({ outcome: 'DISMISSED', suspendedGrants: false });
    await recordHistory('security-incident-public-report-dismissed', i.handle);
    expect(await incident(i.incidentId)).toMatchObject({ status: 'CLOSED' });
    const mail = await renderQueuedMail(db, [`incident:${i.incidentNo}:closed`]);
    expect(mail.map((m) => m.recipient)).toEqual(['citizen.zhang@liaocheng.example']);
    expect(mail[0].text).toContain('所述网页与本市政务数据无关');
  });
});
