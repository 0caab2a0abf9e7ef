import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../../lib/db';
import { objectionWorkflow } from '../../workflows/objection';
import { SA } from '../../workflows/search-attributes';
import { eventually } from '../support/env';
import { activeGrant, objectionRow, renderQueuedMail, testResource, TestResource } from '../support/objections';
import { ProcedureHarness, procedureSuite, recordHistory, rejection } from '../support/procedures';
import { withdrawObjectionUpdate } from '../../workflows/objection-messages';

describe('objection procedure (Art. 33) on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function file(
    resource: TestResource,
    opts: { kind?: 'ERROR' | 'PRIVACY'; objector?: string; receivedAtMs?: number } = {},
  ) {
    const receivedAtMs = opts.receivedAtMs ?? (await env.currentTimeMs());
    const { input, workflowId } = await objectionRow(db, {
      resource,
      objectorLogin: opts.objector ?? 'citizen.zhang',
      receivedAtMs,
      kind: opts.kind,
    });
    const handle = await env.client.workflow.start(objectionWorkflow, {
      workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.track(handle);
    return { ...input, workflowId, handle };
  }

  const objection = (id: string) => db.objection.findUniqueOrThrow({ where: { id }, include: { disputeMark: true } });
  /** What GET /api/catalog shows: the active marks of the resource. */
  const activeMarks = (resourceId: string) => db.disputeMark.findMany({ where: { resourceId, clearedAt: null } });
  const mailsTo = async (objectionNo: string, recipient: string) =>
    (
      await db.notification.findMany({
        where: { dedupeKey: { startsWith: `objection:${objectionNo}:` }, recipient },
        orderBy: { createdAt: 'asc' },
      })
    ).map((n) => n.template);

  it('filed on Friday 3 April 2026 before 清明 (Sat 4 – Mon 6 April): hand-checked deadlines from receipt, and the provider counts from the forward', async () => {
    // The receipt instant is an input of the procedure, so a past filing gives fixed, hand-checkable
    // deadlines whatever day the test runs: Fri 2026-04-03 10:00 Asia/Shanghai (02:00 UTC).
    const receivedAtMs = Date.parse('2026-04-03T02:00:00Z');
    const own = await file(await testResource(db, 'gaj'), { receivedAtMs });
    const forwarded = await file(await testResource(db, 'rsj'), { receivedAtMs });

    // Receipt day Fri 04-03 is not counted (民法典 Art. 201); Sat 04 – Mon 06 are 清明 holidays (2026
    // State Council notice, no makeup day). Working days after receipt: Tue 07 (1), Wed 08 (2),
    // Thu 09 (3), Fri 10 (4), Mon 13 (5). Each period ends at 24:00 Shanghai = 16:00 UTC that day.
    const mark = await h.openTask(own.workflowId, 'MARK_DISPUTED', 'dsj');
    expect(mark.dueAt!.toISOString()).toBe('2026-04-07T16:00:00.000Z');
    expect(mark.warningAt!.toISOString()).toBe('2026-04-06T16:00:00.000Z');
    expect(mark.deadlineProvisional).toBe(false);
    await h.decide(own.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    expect((await h.openTask(own.workflowId, 'DETERMINE_SCOPE', 'dsj')).dueAt!.toISOString()).toBe(
      '2026-04-08T16:00:00.000Z',
    );
    await h.decide(own.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'OWN_SCOPE');
    expect((await h.openTask(own.workflowId, 'AUTHORITY_DECISION', 'dsj')).dueAt!.toISOString()).toBe(
      '2026-04-13T16:00:00.000Z',
    );

    // The provider's 5 working days count from the forward instant, not from the receipt.
    await h.decide(forwarded.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    await h.decide(forwarded.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'FORWARD');
    const provider = await h.openTask(forwarded.workflowId, 'PROVIDER_DECISION', 'rsj');
    const { forwardedAt } = await db.objection.findUniqueOrThrow({ where: { id: forwarded.objectionId } });
    expect(provider.dueAt!.getTime()).toBe(h.calendar.deadline(forwardedAt!, 5).deadlineAt.getTime());
    expect(h.calendar.workingDaysBetween(forwardedAt!, new Date(provider.dueAt!.getTime() - 1))).toBe(5);
  });

  it('own scope, rejected: marked, decided by the authority with reasons, mark removed, objector told', async () => {
    const resource = await testResource(db);
    const o = await file(resource);
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    const marks = await eventually(
      async () => (await activeMarks(resource.id)).length > 0 && activeMarks(resource.id),
      'the dispute mark',
    );
    expect(marks[0].note).toContain(o.objectionNo);
    expect((await objection(o.objectionId)).status).toBe('MARKED');

    await h.decide(o.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'OWN_SCOPE');
    // Reasons are mandatory: the objector is told the outcome with reasons.
    await expect(h.decide(o.workflowId, 'AUTHORITY_DECISION', 'dsj.reviewer', 'REJECT')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await h.decide(o.workflowId, 'AUTHORITY_DECISION', 'dsj.reviewer', 'REJECT', {
      reasons: '经核实，该地址与登记原始材料一致',
    });
    expect(await o.handle.result()).toEqual({ outcome: 'REJECTED' });

    const row = await objection(o.objectionId);
    expect(row).toMatchObject({
      status: 'CLOSED',
      scope: 'AUTHORITY',
      outcome: 'REJECTED',
      outcomeReasons: '经核实，该地址与登记原始材料一致',
      forwardedAt: null,
    });
    expect(row.disputeMark?.clearedAt).not.toBeNull();
    expect(await activeMarks(resource.id)).toHaveLength(0);
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } })).version).toBe(1);
    expect(await mailsTo(o.objectionNo, 'citizen.zhang@liaocheng.example')).toEqual([
      'objection-received',
      'objection-outcome',
    ]);
    const outcome = (await renderQueuedMail(db, [`objection:${o.objectionNo}:outcome`]))[0];
    expect(outcome.subject).toContain('不予更正');
    expect(outcome.text).toContain('经核实，该地址与登记原始材料一致');
    const audit = (
      await db.auditLog.findMany({
        where: { entityType: 'Objection', entityId: o.objectionId },
        orderBy: { id: 'asc' },
      })
    ).map((a) => a.action);
    expect(audit).toEqual([
      'OBJECTION_ACCEPTED',
      'DISPUTE_MARK_PLACED',
      'OBJECTION_SCOPE_DETERMINED',
      'OBJECTION_DECIDED',
      'OBJECTION_CLOSED',
      'DISPUTE_MARK_CLEARED',
    ]);
  });

  it('own scope, corrected: the mark shows the decision at once, the authority corrects, the catalog version goes up once and grant holders are told', async () => {
    const resource = await testResource(db, 'scjgj');
    await activeGrant(db, resource.id, 'wjw');
    const o = await file(resource, { objector: 'rsj.staff' });
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    await h.decide(o.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'OWN_SCOPE');
    await h.decide(o.workflowId, 'AUTHORITY_DECISION', 'dsj.reviewer', 'CORRECT', {
      reasons: '原始登记材料显示确有错误',
    });
    // The public mark says what was decided, before the correction is done.
    const note = await eventually(async () => {
      const n = (await activeMarks(resource.id))[0].note;
      return n.includes('已决定更正') && n;
    }, 'the mark to show the decision');
    expect(note).not.toContain('正在核实处理');
    // Case (一) is the authority's own scope: it corrects, not the provider's staff.
    const correction = await h.openTask(o.workflowId, 'CORRECTION', 'dsj');
    expect(correction.candidateRole).toBe('AUTHORITY_REVIEWER');
    await expect(h.decide(o.workflowId, 'CORRECTION', 'scjgj.staff', 'CORRECTED', { deptId: 'dsj' })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await h.decide(o.workflowId, 'CORRECTION', 'dsj.reviewer', 'CORRECTED', { comment: '已更正第3行地址' });
    expect(await o.handle.result()).toEqual({ outcome: 'CORRECTED' });
    await recordHistory('objection-own-scope-corrected', o.handle);

    const row = await objection(o.objectionId);
    expect(row).toMatchObject({ status: 'CLOSED', outcome: 'CORRECTED', correctedVersion: 2 });
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } })).version).toBe(2);
    expect(await activeMarks(resource.id)).toHaveLength(0);
    // The grant holder saw the mark and then the correction; the objector the decision and the outcome.
    expect(await mailsTo(o.objectionNo, 'wjw.staff@liaocheng.example')).toEqual([
      'objection-marked',
      'objection-corrected',
    ]);
    expect(await mailsTo(o.objectionNo, 'rsj.staff@liaocheng.example')).toEqual([
      'objection-received',
      'objection-decision',
      'objection-outcome',
    ]);
    const rendered = await renderQueuedMail(db, [`objection:${o.objectionNo}:`]);
    expect(rendered.find((m) => m.template === 'objection-corrected')?.text).toContain('版本更新为 2');
  });

  it('provider scope, corrected: forwarded, the provider decides and reports, the authority informs, the owner corrects', async () => {
    const resource = await testResource(db, 'zrzyj');
    await activeGrant(db, resource.id, 'gaj');
    const o = await file(resource);
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    await h.decide(o.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'FORWARD', { comment: '属自然资源部门登记数据' });
    const providerTask = await h.openTask(o.workflowId, 'PROVIDER_DECISION', 'zrzyj');
    const forwarded = await objection(o.objectionId);
    expect(forwarded).toMatchObject({ status: 'FORWARDED', scope: 'PROVIDER' });
    // The provider's 5 working days count from the forward instant.
    expect(providerTask.deadlineFrom?.getTime()).toBe(forwarded.forwardedAt!.getTime());
    expect(providerTask.dueAt!.getTime()).toBe(h.calendar.deadline(forwarded.forwardedAt!, 5).deadlineAt.getTime());
    expect(
      await db.notification.count({
        where: { dedupeKey: `objection:${o.objectionNo}:forwarded:zrzyj.reviewer@liaocheng.example` },
      }),
    ).toBe(1);

    await h.decide(o.workflowId, 'PROVIDER_DECISION', 'zrzyj.reviewer', 'CORRECT', {
      reasons: '核对不动产登记簿，地址录入有误',
    });
    // The decision shows on the public mark at once, before the authority informs the objector.
    await eventually(
      async () => (await activeMarks(resource.id))[0].note.includes('已决定更正'),
      'the mark to show the decision',
    );
    await h.decide(o.workflowId, 'INFORM_OBJECTOR', 'dsj.reviewer', 'INFORM', {
      comment: '提供部门将于5个工作日内完成更正',
    });
    await h.decide(o.workflowId, 'CORRECTION', 'zrzyj.staff', 'CORRECTED', { comment: '已更正' });
    expect(await o.handle.result()).toEqual({ outcome: 'CORRECTED' });
    await recordHistory('objection-provider-corrected', o.handle);
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } })).version).toBe(2);
    expect(await activeMarks(resource.id)).toHaveLength(0);
    expect(await mailsTo(o.objectionNo, 'citizen.zhang@liaocheng.example')).toEqual([
      'objection-received',
      'objection-decision',
      'objection-outcome',
    ]);
    expect(await mailsTo(o.objectionNo, 'gaj.staff@liaocheng.example')).toEqual([
      'objection-marked',
      'objection-corrected',
    ]);
    const steps = (await db.task.findMany({ where: { workflowId: o.workflowId }, orderBy: { createdAt: 'asc' } })).map(
      (t) => [t.step, t.status],
    );
    expect(steps).toEqual([
      ['MARK_DISPUTED', 'DONE'],
      ['DETERMINE_SCOPE', 'DONE'],
      ['PROVIDER_DECISION', 'DONE'],
      ['INFORM_OBJECTOR', 'DONE'],
      ['CORRECTION', 'DONE'],
    ]);
  });

  it('survives a worker restart before every step: forwarded, decided, informed and corrected once each', async () => {
    await h.restartWorker([]);
    const resource = await testResource(db, 'zrzyj');
    const o = await file(resource);
    const steps: Array<[string, string, string, { reasons?: string }?]> = [
      ['MARK_DISPUTED', 'dsj.reviewer', 'MARK'],
      ['DETERMINE_SCOPE', 'dsj.reviewer', 'FORWARD'],
      ['PROVIDER_DECISION', 'zrzyj.reviewer', 'CORRECT', { reasons: '地址录入有误' }],
      ['INFORM_OBJECTOR', 'dsj.reviewer', 'INFORM'],
      ['CORRECTION', 'zrzyj.staff', 'CORRECTED'],
    ];
    for (const [step, login, decision, extra] of steps) {
      await h.openTask(o.workflowId, step);
      await h.restartWorker([o.workflowId]);
      await h.decide(o.workflowId, step, login, decision, extra);
    }
    expect(await o.handle.result()).toEqual({ outcome: 'CORRECTED' });
    const tasks = await db.task.findMany({ where: { workflowId: o.workflowId }, orderBy: { createdAt: 'asc' } });
    expect(tasks.map((t) => [t.step, t.status])).toEqual(steps.map(([step]) => [step, 'DONE']));
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } })).version).toBe(2);
    expect(await activeMarks(resource.id)).toHaveLength(0);
    expect(await mailsTo(o.objectionNo, 'citizen.zhang@liaocheng.example')).toEqual([
      'objection-received',
      'objection-decision',
      'objection-outcome',
    ]);
  });

  it('withdrawn by the objector before a decision: the open task is cancelled, the mark cleared, the objector told; only the objector may, and not once decided', async () => {
    const resource = await testResource(db, 'rsj');
    const o = await file(resource);
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    await eventually(async () => (await activeMarks(resource.id)).length === 1, 'the dispute mark');
    const scope = await h.openTask(o.workflowId, 'DETERMINE_SCOPE');
    const withdraw = async (login: string) =>
      o.handle.executeUpdate(withdrawObjectionUpdate, {
        args: [{ actor: await h.actor(login), reason: '已自行核实，数据无误' }],
      });
    expect(await rejection(withdraw('company.hengxin'))).toBe('FORBIDDEN');
    expect(await withdraw('citizen.zhang')).toEqual({ stage: 'CLOSED', outcome: 'WITHDRAWN' });
    expect(await o.handle.result()).toEqual({ outcome: 'WITHDRAWN' });
    await recordHistory('objection-withdrawn', o.handle);
    expect((await db.task.findUniqueOrThrow({ where: { id: scope.id } })).status).toBe('CANCELLED');
    expect(await activeMarks(resource.id)).toHaveLength(0);
    expect(await objection(o.objectionId)).toMatchObject({
      status: 'CLOSED',
      outcome: 'WITHDRAWN',
      outcomeReasons: '已自行核实，数据无误',
    });
    expect(await mailsTo(o.objectionNo, 'citizen.zhang@liaocheng.example')).toEqual([
      'objection-received',
      'objection-outcome',
    ]);
    const [outcome] = await renderQueuedMail(db, [`objection:${o.objectionNo}:outcome`]);
    expect(outcome.text).toContain('已由您撤回');

    // Withdrawn the moment it is filed (the Update may reach the procedure's first activation).
    const hasty = await file(await testResource(db, 'rsj'));
    expect(
      await hasty.handle.executeUpdate(withdrawObjectionUpdate, { args: [{ actor: await h.actor('citizen.zhang') }] }),
    ).toEqual({ stage: 'CLOSED', outcome: 'WITHDRAWN' });
    expect(await hasty.handle.result()).toEqual({ outcome: 'WITHDRAWN' });
    expect(await objection(hasty.objectionId)).toMatchObject({ status: 'CLOSED', outcome: 'WITHDRAWN' });
    expect(await db.task.count({ where: { workflowId: hasty.workflowId, status: { in: ['OPEN', 'CLAIMED'] } } })).toBe(
      0,
    );

    // Once the correction is decided, the objection runs its course.
    const decided = await file(await testResource(db, 'gaj'));
    await h.decide(decided.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    await h.decide(decided.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'OWN_SCOPE');
    await h.decide(decided.workflowId, 'AUTHORITY_DECISION', 'dsj.reviewer', 'CORRECT', { reasons: '地址录入有误' });
    expect(
      await rejection(
        decided.handle.executeUpdate(withdrawObjectionUpdate, { args: [{ actor: await h.actor('citizen.zhang') }] }),
      ),
    ).toBe('CONFLICT');
    await h.decide(decided.workflowId, 'CORRECTION', 'dsj.reviewer', 'CORRECTED');
    expect(await decided.handle.result()).toEqual({ outcome: 'CORRECTED' });
  });

  it("provider scope, rejected: the objector is told the provider's reasons, nothing is corrected", async () => {
    const resource = await testResource(db, 'rsj');
    const o = await file(resource, { kind: 'PRIVACY' });
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    // A privacy objection's public mark says nothing about its facts.
    const mark = await eventually(async () => (await activeMarks(resource.id))[0], 'the dispute mark');
    expect(mark.note).toContain('详情不予公开');
    expect(mark.note).not.toContain('地址');
    await h.decide(o.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'FORWARD');
    await expect(
      h.decide(o.workflowId, 'PROVIDER_DECISION', 'gaj.reviewer', 'REJECT', { reasons: 'x', deptId: 'rsj' }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await h.decide(o.workflowId, 'PROVIDER_DECISION', 'rsj.reviewer', 'REJECT', {
      reasons: '该记录不含异议人个人信息',
    });
    // Until the objector is informed the mark shows the decision, still without the facts.
    const decided = await eventually(async () => {
      const m = (await activeMarks(resource.id))[0];
      return m.note.includes('决定不予更正') && m;
    }, 'the mark to show the decision');
    expect(decided.note).toContain('详情不予公开');
    expect(decided.note).not.toContain('正在核实处理');
    await h.decide(o.workflowId, 'INFORM_OBJECTOR', 'dsj.reviewer', 'INFORM');
    expect(await o.handle.result()).toEqual({ outcome: 'REJECTED' });
    expect(await objection(o.objectionId)).toMatchObject({
      status: 'CLOSED',
      outcome: 'REJECTED',
      outcomeReasons: '该记录不含异议人个人信息',
      correctedAt: null,
    });
    expect(await activeMarks(resource.id)).toHaveLength(0);
    expect(await db.task.count({ where: { workflowId: o.workflowId, step: 'CORRECTION' } })).toBe(0);
  });

  /** Leaves the open task of `step` untouched for `days`; it must become overdue and escalated, never decided by silence. */
  async function missDeadline(
    o: {
      workflowId: string;
      handle: { describe(): Promise<{ typedSearchAttributes: { get(k: typeof SA.Overdue): boolean | undefined } }> };
    },
    step: string,
    deptId: string,
    days: number,
    openedInTime = true,
  ) {
    const t = await h.openTask(o.workflowId, step, deptId);
    await env.sleep(`${days} days`);
    const actions = await eventually(async () => {
      const a = (await db.auditLog.findMany({ where: { entityType: 'Task', entityId: t.id } })).map((x) => x.action);
      return a.includes('TASK_ESCALATED') && a;
    }, `${step} to be escalated`);
    // A step opened after its deadline (counted from receipt) is escalated at its first overdue round.
    expect(actions).toEqual(
      expect.arrayContaining(
        openedInTime ? ['TASK_CREATED', 'TASK_OVERDUE', 'TASK_ESCALATED'] : ['TASK_CREATED', 'TASK_ESCALATED'],
      ),
    );
    const row = await db.task.findUniqueOrThrow({ where: { id: t.id } });
    expect(row).toMatchObject({ status: 'OPEN', overdue: true });
    await eventually(
      async () => (await o.handle.describe()).typedSearchAttributes.get(SA.Overdue) === true,
      'the Overdue search attribute',
    );
    const escalation = await db.notification.findMany({
      where: { dedupeKey: { startsWith: `task:${t.id}:overdue:` } },
    });
    expect(escalation.map((n) => n.recipient)).toEqual(expect.arrayContaining(['dsj.supervisor@liaocheng.example']));
    return row;
  }

  it('provider scope with every deadline missed once: mark, forward, provider decision, informing, correction each go overdue and are escalated', async () => {
    const resource = await testResource(db, 'wjw');
    const o = await file(resource);
    // Sleeps are long enough for deadline + escalation threshold even across Spring Festival or National Day.
    const mark = await missDeadline(o, 'MARK_DISPUTED', 'dsj', 21);
    // Nothing happened by silence: still no mark and still at the first step.
    expect(await activeMarks(resource.id)).toHaveLength(0);
    expect(mark.dueAt!.getTime()).toBe(h.calendar.deadline(new Date(o.receivedAtMs), 1).deadlineAt.getTime());
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');

    // Opened three weeks after receipt, the forward step is already late: its 2 working days count from receipt.
    const scope = await missDeadline(o, 'DETERMINE_SCOPE', 'dsj', 21, false);
    expect(scope.dueAt!.getTime()).toBe(h.calendar.deadline(new Date(o.receivedAtMs), 2).deadlineAt.getTime());
    await h.decide(o.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'FORWARD');

    const provider = await missDeadline(o, 'PROVIDER_DECISION', 'wjw', 30);
    const forwardedAt = (await objection(o.objectionId)).forwardedAt!;
    expect(provider.dueAt!.getTime()).toBe(h.calendar.deadline(forwardedAt, 5).deadlineAt.getTime());
    expect(provider.dueAt!.getTime()).toBeGreaterThan(o.receivedAtMs + 42 * 86_400_000);
    await h.decide(o.workflowId, 'PROVIDER_DECISION', 'wjw.reviewer', 'CORRECT', { reasons: '迟到但确有错误' });

    await missDeadline(o, 'INFORM_OBJECTOR', 'dsj', 21);
    await h.decide(o.workflowId, 'INFORM_OBJECTOR', 'dsj.reviewer', 'INFORM');
    await missDeadline(o, 'CORRECTION', 'wjw', 30);
    await h.decide(o.workflowId, 'CORRECTION', 'wjw.staff', 'CORRECTED');
    expect(await o.handle.result()).toEqual({ outcome: 'CORRECTED' });
    expect(await activeMarks(resource.id)).toHaveLength(0);
  });

  it("own scope with the authority's decision deadline missed: overdue from 5 working days after receipt, escalated, decided late", async () => {
    const resource = await testResource(db, 'ybj');
    const o = await file(resource);
    await h.decide(o.workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    await h.decide(o.workflowId, 'DETERMINE_SCOPE', 'dsj.reviewer', 'OWN_SCOPE');
    const decision = await missDeadline(o, 'AUTHORITY_DECISION', 'dsj', 30);
    expect(decision.dueAt!.getTime()).toBe(h.calendar.deadline(new Date(o.receivedAtMs), 5).deadlineAt.getTime());
    expect(await objection(o.objectionId)).toMatchObject({ status: 'MARKED' });
    await h.decide(o.workflowId, 'AUTHORITY_DECISION', 'dsj.reviewer', 'REJECT', { reasons: '逾期作出：不予更正' });
    expect(await o.handle.result()).toEqual({ outcome: 'REJECTED' });
  });
});
