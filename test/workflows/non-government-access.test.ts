import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../../lib/db';
import { withdrawUpdate } from '../../workflows/messages';
import { nonGovernmentAccessWorkflow, NonGovernmentAccessInput } from '../../workflows/non-government-access';
import { SA } from '../../workflows/search-attributes';
import { eventually } from '../support/env';
import { nonGovernmentApplication } from '../support/open-data';
import { ProcedureHarness, procedureSuite, recordHistory } from '../support/procedures';

describe('non-government access (Art. 22 ¶3) on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function start(resourceCodes: string[], applicant = 'water') {
    const app = await nonGovernmentApplication(db, applicant, resourceCodes);
    const input: NonGovernmentAccessInput = {
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantDeptId: applicant,
      authorityDeptId: 'dsj',
      governmentDeptId: 'szf',
      providerDeptIds: app.providerDeptIds,
      usePeriodDays: 60,
    };
    const handle = await env.client.workflow.start(nonGovernmentAccessWorkflow, {
      workflowId: app.workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.track(handle);
    return { ...app, handle };
  }

  const decide = (...args: Parameters<ProcedureHarness['decide']>) => h.decide(...args);
  const status = async (id: string) => (await db.application.findUniqueOrThrow({ where: { id } })).status;
  const statusBecomes = (id: string, expected: string) =>
    eventually(async () => (await status(id)) === expected, `application status ${expected}`);
  const mailsTo = (recipient: string, template: string, applicationNo: string) =>
    db.notification.findMany({
      where: { recipient, template, data: { path: ['applicationNo'], equals: applicationNo } },
    });

  it('approved: authority and providers give opinions in parallel, the authority reports, the government approves, both sign, access is granted until it expires', async () => {
    const app = await start(['GAJ-001', 'SCJG-001']);
    // One opinion task each for the authority and both providers, all open at once.
    const opinions = await eventually(async () => {
      const rows = await db.task.findMany({ where: { workflowId: app.workflowId, step: 'OPINION', status: 'OPEN' } });
      return rows.length === 3 && rows;
    }, 'three parallel opinion tasks');
    expect(opinions.map((t) => `${t.candidateDeptId}:${t.candidateRole}`).sort()).toEqual([
      'dsj:AUTHORITY_REVIEWER',
      'gaj:PROVIDER_REVIEWER',
      'scjgj:PROVIDER_REVIEWER',
    ]);
    // One case deadline, ten working days from receipt, for the opinions and the report (Art. 22 ¶3):
    // the opinions are due 3 working days before it, so the report fits inside it.
    const receivedAt = (await app.handle.describe()).startTime;
    const caseDue = h.calendar.deadline(receivedAt, 10).deadlineAt;
    const stored = await eventually(async () => {
      const row = await db.application.findUniqueOrThrow({ where: { id: app.id } });
      return (row.details as { caseDeadline?: { dueAt: string; workingDays: number } }).caseDeadline;
    }, 'the case deadline on the application');
    expect(stored).toMatchObject({ dueAt: caseDue.toISOString(), workingDays: 10, covers: 'OPINIONS_AND_REPORT' });
    // …and supervisors find the case by it (search attribute CaseDeadlineAt).
    // (The rows are written by local activities inside the workflow task whose completion upserts it.)
    await eventually(
      async () =>
        (await app.handle.describe()).typedSearchAttributes.get(SA.CaseDeadlineAt)?.getTime() === caseDue.getTime(),
      'the CaseDeadlineAt search attribute',
    );
    expect(new Set(opinions.map((t) => t.workingDays))).toEqual(new Set([7]));
    expect(new Set(opinions.map((t) => t.dueAt?.toISOString()))).toEqual(
      new Set([h.calendar.deadline(receivedAt, 7).deadlineAt.toISOString()]),
    );

    await decide(app.workflowId, 'OPINION', 'gaj.reviewer', 'SUPPORT', { comment: '限核验用途' });
    await decide(app.workflowId, 'OPINION', 'scjgj.reviewer', 'SUPPORT');
    await decide(app.workflowId, 'OPINION', 'dsj.reviewer', 'SUPPORT');
    await statusBecomes(app.id, 'AUTHORITY_REVIEW');
    const reportTask = await h.openTask(app.workflowId, 'REPORT', 'dsj');
    expect(reportTask.dueAt).toEqual(caseDue);
    await decide(app.workflowId, 'REPORT', 'dsj.reviewer', 'RECOMMEND_APPROVE', { comment: '三方意见一致，建议同意' });
    await statusBecomes(app.id, 'GOVERNMENT_DECISION');
    const govTask = await h.openTask(app.workflowId, 'GOVERNMENT_DECISION', 'szf');
    expect(govTask.candidateRole).toBe('MUNICIPAL_REVIEWER');
    expect(govTask.workingDays).toBe(10);
    await decide(app.workflowId, 'GOVERNMENT_DECISION', 'szf.reviewer', 'APPROVE', { comment: '同意' });

    await statusBecomes(app.id, 'AGREEMENT_PENDING');
    const pending = await eventually(async () => {
      const g = await db.accessGrant.findMany({ where: { applicationId: app.id } });
      return g.length === 2 && g;
    }, 'the pending grants');
    expect(
      pending.every((g) => g.status === 'PENDING_AGREEMENT' && g.granteeDeptId === 'water' && g.expiresAt !== null),
    ).toBe(true);
    await decide(app.workflowId, 'AGREEMENT_SIGN', 'dsj.reviewer', 'SIGN');
    await decide(app.workflowId, 'AGREEMENT_SIGN', 'water.staff', 'SIGN');
    await statusBecomes(app.id, 'APPROVED');
    const agreement = await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } });
    expect(agreement).toMatchObject({ kind: 'NON_GOVERNMENT', status: 'CONFIRMED', partyA: 'dsj', partyB: 'water' });
    expect(agreement.terms).toContain('供水营业厅过户业务身份核验');
    expect((await db.accessGrant.findMany({ where: { applicationId: app.id } })).map((g) => g.status)).toEqual([
      'ACTIVE',
      'ACTIVE',
    ]);
    expect(await mailsTo('water.staff@liaocheng.example', 'decision', app.applicationNo)).toHaveLength(1);
    expect(await mailsTo('water.staff@liaocheng.example', 'grant', app.applicationNo)).toHaveLength(1);

    expect(await app.handle.result()).toEqual({ outcome: 'APPROVED_AND_EXPIRED' });
    await recordHistory('non-government-access-approved-expired', app.handle);
    expect((await db.accessGrant.findMany({ where: { applicationId: app.id } })).map((g) => g.status)).toEqual([
      'EXPIRED',
      'EXPIRED',
    ]);
    const timeline = await db.timelineEvent.findMany({ where: { applicationId: app.id }, orderBy: { id: 'asc' } });
    expect(timeline.map((e) => e.kind)).toEqual([
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'GOVERNMENT_DECISION',
      'AGREEMENT_PENDING',
      'APPROVED',
      'EXPIRED',
    ]);
    // The report to the government carries every opinion and the authority's recommendation.
    const report = timeline.find((e) => e.kind === 'GOVERNMENT_DECISION')!.data as {
      opinions: Array<{ deptId: string }>;
      recommendation: string;
    };
    expect(report.opinions.map((o) => o.deptId).sort()).toEqual(['dsj', 'gaj', 'scjgj']);
    expect(report.recommendation).toBe('RECOMMEND_APPROVE');
  });

  it('survives a worker restart while opinions are open and before the government decides', async () => {
    await h.restartWorker([]);
    const app = await start(['GAJ-001']);
    await eventually(
      async () => (await db.task.count({ where: { workflowId: app.workflowId, step: 'OPINION' } })) === 2,
      'two opinion tasks',
    );
    await h.restartWorker([app.workflowId]);
    await decide(app.workflowId, 'OPINION', 'gaj.reviewer', 'SUPPORT');
    await h.restartWorker([app.workflowId]);
    await decide(app.workflowId, 'OPINION', 'dsj.reviewer', 'SUPPORT');
    await decide(app.workflowId, 'REPORT', 'dsj.reviewer', 'RECOMMEND_APPROVE');
    await h.openTask(app.workflowId, 'GOVERNMENT_DECISION', 'szf');
    await h.restartWorker([app.workflowId]);
    await decide(app.workflowId, 'GOVERNMENT_DECISION', 'szf.reviewer', 'REFUSE', {
      reasons: '应用场景可通过核验接口满足',
    });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    const tasks = await db.task.findMany({ where: { workflowId: app.workflowId } });
    expect(tasks.map((t) => t.step).sort()).toEqual(['GOVERNMENT_DECISION', 'OPINION', 'OPINION', 'REPORT']);
    expect(tasks.every((t) => t.status === 'DONE')).toBe(true);
    expect(await mailsTo('water.staff@liaocheng.example', 'decision', app.applicationNo)).toHaveLength(1);
  });

  it('refused by the municipal government: reasons are mandatory and reach the applicant; nothing is granted', async () => {
    const app = await start(['RSJ-001'], 'gas');
    await decide(app.workflowId, 'OPINION', 'rsj.reviewer', 'SUPPORT');
    await decide(app.workflowId, 'OPINION', 'dsj.reviewer', 'SUPPORT');
    await decide(app.workflowId, 'REPORT', 'dsj.reviewer', 'RECOMMEND_APPROVE');
    await expect(decide(app.workflowId, 'GOVERNMENT_DECISION', 'szf.reviewer', 'REFUSE')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    // Only the municipal government decides, not the authority.
    await expect(
      decide(app.workflowId, 'GOVERNMENT_DECISION', 'dsj.reviewer', 'APPROVE', { deptId: 'szf' }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await decide(app.workflowId, 'GOVERNMENT_DECISION', 'szf.reviewer', 'REFUSE', {
      reasons: '社保数据不宜向燃气企业提供',
    });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    const row = await db.application.findUniqueOrThrow({ where: { id: app.id } });
    expect(row).toMatchObject({ status: 'REFUSED', outcomeReasons: '社保数据不宜向燃气企业提供' });
    expect(row.decidedAt).not.toBeNull();
    expect(await db.accessGrant.count({ where: { applicationId: app.id } })).toBe(0);
    const mail = await mailsTo('gas.staff@liaocheng.example', 'decision', app.applicationNo);
    expect(mail).toHaveLength(1);
    expect((mail[0].data as { reasons: string }).reasons).toBe('社保数据不宜向燃气企业提供');
  });

  it('an opposing opinion needs reasons, and the report still goes to the government, which decides', async () => {
    const app = await start(['WJW-002']);
    await expect(decide(app.workflowId, 'OPINION', 'wjw.reviewer', 'OPPOSE')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await decide(app.workflowId, 'OPINION', 'wjw.reviewer', 'OPPOSE', { reasons: '涉及新生儿个人信息' });
    await decide(app.workflowId, 'OPINION', 'dsj.reviewer', 'OPPOSE', { reasons: '应用场景不需要身份证号' });
    await decide(app.workflowId, 'REPORT', 'dsj.reviewer', 'RECOMMEND_REFUSE', { reasons: '两方均不同意' });
    const gov = await h.openTask(app.workflowId, 'GOVERNMENT_DECISION', 'szf');
    expect(gov.title).toContain('不同意');
    await decide(app.workflowId, 'GOVERNMENT_DECISION', 'szf.reviewer', 'REFUSE', { reasons: '采纳数据主管部门意见' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
  });

  it('opinions overdue: the steps turn red, reminders go out and escalate, nothing moves on by silence, and late opinions still complete the step', async () => {
    const app = await start(['YBJ-002'], 'gas');
    await decide(app.workflowId, 'OPINION', 'dsj.reviewer', 'SUPPORT');
    const providerTask = await h.openTask(app.workflowId, 'OPINION', 'ybj');
    await env.sleep('35 days');
    const overdue = await eventually(async () => {
      const t = await db.task.findUniqueOrThrow({ where: { id: providerTask.id } });
      return t.overdue && t;
    }, 'the provider opinion to become overdue');
    expect(overdue.status).toBe('OPEN');
    await eventually(
      async () => (await app.handle.describe()).typedSearchAttributes.get(SA.Overdue) === true,
      'the Overdue search attribute',
    );
    const audit = await db.auditLog.findMany({ where: { entityId: providerTask.id } });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['TASK_WARNING', 'TASK_OVERDUE', 'TASK_ESCALATED']),
    );
    const reminders = await db.notification.findMany({
      where: { dedupeKey: { startsWith: `task:${providerTask.id}:overdue:` } },
    });
    expect(reminders.map((r) => r.recipient)).toEqual(
      expect.arrayContaining([
        'ybj.reviewer@liaocheng.example',
        'ybj.head@liaocheng.example',
        'dsj.supervisor@liaocheng.example',
      ]),
    );
    expect(await status(app.id)).toBe('PROVIDER_REVIEW');
    expect(await db.task.count({ where: { workflowId: app.workflowId, step: 'REPORT' } })).toBe(0);

    await decide(app.workflowId, 'OPINION', 'ybj.reviewer', 'SUPPORT', { comment: '迟到的意见' });
    await statusBecomes(app.id, 'AUTHORITY_REVIEW');
    // Late opinions do not buy the report its own days: it is due at the case deadline, already past.
    const receivedAt = (await app.handle.describe()).startTime;
    const report = await h.openTask(app.workflowId, 'REPORT', 'dsj');
    expect(report.status).toBe('OPEN');
    expect(report.dueAt).toEqual(h.calendar.deadline(receivedAt, 10).deadlineAt);
    await eventually(
      async () => (await db.task.findUniqueOrThrow({ where: { id: report.id } })).overdue,
      'the report to be overdue at once',
    );
  });

  it('withdrawn by the applicant unit while the government decides: open tasks are cancelled and everyone involved is told', async () => {
    const app = await start(['ZRZY-002']);
    await decide(app.workflowId, 'OPINION', 'zrzyj.reviewer', 'SUPPORT');
    await decide(app.workflowId, 'OPINION', 'dsj.reviewer', 'SUPPORT');
    await decide(app.workflowId, 'REPORT', 'dsj.reviewer', 'RECOMMEND_APPROVE');
    await h.openTask(app.workflowId, 'GOVERNMENT_DECISION', 'szf');
    await expect(
      app.handle.executeUpdate(withdrawUpdate, { args: [{ actor: await h.actor('gas.staff') }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await app.handle.executeUpdate(withdrawUpdate, {
      args: [{ actor: await h.actor('water.staff'), reason: '业务调整' }],
    });
    expect(await app.handle.result()).toEqual({ outcome: 'WITHDRAWN' });
    const gov = await db.task.findFirstOrThrow({ where: { workflowId: app.workflowId, step: 'GOVERNMENT_DECISION' } });
    expect(gov.status).toBe('CANCELLED');
    expect(await status(app.id)).toBe('WITHDRAWN');
    expect(
      (
        await db.notification.findMany({
          where: { template: 'withdrawn', data: { path: ['applicationNo'], equals: app.applicationNo } },
        })
      ).map((n) => n.recipient),
    ).toEqual(expect.arrayContaining(['szf.reviewer@liaocheng.example', 'zrzyj.reviewer@liaocheng.example']));
  });
});
