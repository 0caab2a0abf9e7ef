import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { WorkingCalendar, chineseWorkdayYears, deriveProvisionalYear } from '../../domain/calendar';
import type { Db } from '../../lib/db';
import { policyInForce } from '../../lib/policies';
import { conditionalShareWorkflow, ConditionalShareInput } from '../../workflows/conditional-share';
import { calendarChangedSignal, withdrawUpdate } from '../../workflows/messages';
import { SA } from '../../workflows/search-attributes';
import { eventually } from '../support/env';
import {
  activityName,
  activityNames,
  ProcedureHarness,
  procedureSuite,
  recordHistory,
  settled,
} from '../support/procedures';

describe('conditional share procedure (Art. 22 ¶2) on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function start(resourceCodes = ['GAJ-001'], applicant = 'rsj', extra: Partial<ConditionalShareInput> = {}) {
    const app = await h.application('CONDITIONAL_SHARE', applicant, resourceCodes);
    const input: ConditionalShareInput = {
      ...extra,
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantDeptId: applicant,
      authorityDeptId: 'dsj',
      providerDeptIds: app.providerDeptIds,
      usePeriodDays: 30,
    };
    const handle = await env.client.workflow.start(conditionalShareWorkflow, {
      workflowId: app.workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.track(handle);
    return { ...app, handle };
  }

  const status = async (id: string) => (await db.application.findUniqueOrThrow({ where: { id } })).status;
  /** The workflow moves on right after it accepts a decision; wait for the query model to follow. */
  const statusBecomes = (id: string, expected: string) =>
    eventually(async () => (await status(id)) === expected, `application status ${expected}`).then(() => expected);
  const mails = (template: string, applicationNo: string) =>
    db.notification.findMany({
      where: { template, OR: [{ data: { path: ['applicationNo'], equals: applicationNo } }] },
    });

  it('approved: provider agrees, authority approves, both confirm the agreement, the grant is active, then expires by itself', async () => {
    const app = await start(['GAJ-001']);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'APPROVE', { comment: '符合法定职责' });
    expect(await statusBecomes(app.id, 'AGREEMENT_PENDING')).toBe('AGREEMENT_PENDING');
    const grant = await eventually(
      () => db.accessGrant.findFirst({ where: { applicationId: app.id } }),
      'the pending grant',
    );
    expect(grant.status).toBe('PENDING_AGREEMENT');
    await h.decide(app.workflowId, 'AGREEMENT_CONFIRM', 'gaj.reviewer', 'CONFIRM');
    await h.decide(app.workflowId, 'AGREEMENT_CONFIRM', 'rsj.staff', 'CONFIRM');
    await h.openTask(app.workflowId, 'NONE').catch(() => undefined); // no further task appears
    await env.sleep('1 second');
    expect((await db.accessGrant.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('ACTIVE');
    expect(await status(app.id)).toBe('APPROVED');
    expect((await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('CONFIRMED');
    expect(await mails('decision', app.applicationNo)).not.toHaveLength(0);
    // The grant ends by itself at its expiry (30 days); the applicant is reminded before.
    expect(await app.handle.result()).toEqual({ outcome: 'APPROVED_AND_EXPIRED' });
    expect((await db.accessGrant.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('EXPIRED');
    expect(await status(app.id)).toBe('EXPIRED');
    expect(
      await db.notification.count({ where: { dedupeKey: { startsWith: `${app.workflowId}:grant-expiring:` } } }),
    ).toBeGreaterThan(0);
    const timeline = await db.timelineEvent.findMany({ where: { applicationId: app.id }, orderBy: { id: 'asc' } });
    expect(timeline.map((e) => e.kind)).toEqual([
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'AGREEMENT_PENDING',
      'APPROVED',
      'EXPIRED',
    ]);
    await recordHistory('conditional-share-approved-expired', app.handle);
  });

  it('an approved share waiting for its expiry has at most 80 history events: one marker per local activity, an upsert only for what changed (issue 14)', async () => {
    const app = await start(['GAJ-001']);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'APPROVE');
    await h.decide(app.workflowId, 'AGREEMENT_CONFIRM', 'gaj.reviewer', 'CONFIRM');
    await h.decide(app.workflowId, 'AGREEMENT_CONFIRM', 'rsj.staff', 'CONFIRM');
    await eventually(
      async () => (await db.accessGrant.findFirst({ where: { applicationId: app.id, status: 'ACTIVE' } })) ?? undefined,
      'the grant in use',
    );
    await settled(env.client, app.workflowId);
    const events = (await app.handle.fetchHistory()).events ?? [];
    const { EventType } = temporal.api.enums.v1;
    const count = (type: number) => events.filter((e) => e.eventType === type).length;
    // Waiting for the expiry reminder: no timer has fired yet, the reminder's timer is the last one started.
    expect(count(EventType.EVENT_TYPE_TIMER_FIRED)).toBe(0);
    expect(count(EventType.EVENT_TYPE_TIMER_STARTED) - count(EventType.EVENT_TYPE_TIMER_CANCELED)).toBe(1);
    // Before the kit ran its steps as local activities: 172 events (21 activities, 13 upserts, 26 workflow
    // tasks); now the policy is the one activity, every other one a marker, a workflow task per decision.
    expect(
      events
        .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name),
    ).toEqual(['loadPolicy']);
    expect(events.length).toBeLessThanOrEqual(80);
  });

  it('a policy sent with the input (as the API starts cases): no policy activity, and the first task is opened in the first workflow task', async () => {
    const app = await start(['GAJ-001'], 'rsj', { policy: await policyInForce(db, Date.now()) });
    const task = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'gaj');
    expect(task.dueAt).not.toBeNull();
    const { EventType } = temporal.api.enums.v1;
    const events = (await app.handle.fetchHistory()).events ?? [];
    const firstDone = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const secondStarted = events.findIndex(
      (e, i) => i > firstDone && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    );
    // No policy activity: the stage is recorded and the task opened as local activities, whose markers
    // the first workflow task records.
    expect(activityNames(events)).not.toContain('loadPolicy');
    const opened = events.findIndex((e) => activityName(e) === 'openTask');
    expect(opened).toBeGreaterThan(firstDone);
    if (secondStarted !== -1) expect(opened).toBeLessThan(secondStarted);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '不符合共享条件' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    expect(activityNames((await app.handle.fetchHistory()).events ?? [])).not.toContain('loadPolicy');
    await recordHistory('conditional-share-policy-given', app.handle);
  });

  it('refused by the provider: reasons are mandatory, the authority reviews the refusal and upholds it, and only then is the applicant told', async () => {
    const app = await start(['RSJ-001'], 'gaj');
    await expect(h.decide(app.workflowId, 'PROVIDER_REPLY', 'rsj.reviewer', 'REFUSE')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    const after = await h.decide(app.workflowId, 'PROVIDER_REPLY', 'rsj.reviewer', 'REFUSE', {
      reasons: '申请用途超出法定职责范围',
    });
    // Art. 22 ¶2: the refusal goes to the authority's review (审议) before any feedback.
    expect(after.openedTasks.map((t) => t.step)).toEqual(['AUTHORITY_REVIEW']);
    const review = await h.openTask(app.workflowId, 'AUTHORITY_REVIEW', 'dsj');
    expect(review.allowedDecisions).toEqual(['REFUSE', 'RETURN']);
    expect(await status(app.id)).toBe('AUTHORITY_REVIEW');
    expect(await mails('decision', app.applicationNo)).toHaveLength(0);
    await expect(h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'APPROVE')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '维持提供部门意见' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    const row = await db.application.findUniqueOrThrow({ where: { id: app.id } });
    expect(row.status).toBe('REFUSED');
    expect(row.outcomeReasons).toContain('申请用途超出法定职责范围');
    expect(row.outcomeReasons).toContain('维持提供部门意见');
    const decision = await mails('decision', app.applicationNo);
    expect(decision.map((m) => m.recipient)).toContain('gaj.staff@liaocheng.example');
    const timeline = await db.timelineEvent.findMany({ where: { applicationId: app.id }, orderBy: { id: 'asc' } });
    expect(timeline.map((e) => e.kind)).toEqual(['PROVIDER_REVIEW', 'AUTHORITY_REVIEW', 'REFUSED']);
  });

  it('a refusal sent back by the authority with reasons: the provider reconsiders and agrees, and the share goes ahead (Art. 21)', async () => {
    const app = await start(['SCJG-004'], 'wjw');
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'scjgj.reviewer', 'REFUSE', { reasons: '字段涉及商业秘密' });
    await expect(h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'RETURN')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'RETURN', {
      reasons: '共享为原则，不共享为例外：请说明不予共享的法律依据或同意共享',
    });
    const round2 = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'scjgj');
    expect(round2.title).toContain('共享为原则');
    expect(round2.allowedDecisions).toEqual(['AGREE', 'REFUSE']);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'scjgj.reviewer', 'AGREE', { comment: '复议后同意' });
    const second = await h.openTask(app.workflowId, 'AUTHORITY_REVIEW', 'dsj');
    expect(second.allowedDecisions).toEqual(['APPROVE', 'REFUSE']);
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'APPROVE');
    expect(await statusBecomes(app.id, 'AGREEMENT_PENDING')).toBe('AGREEMENT_PENDING');
    expect((await db.accessGrant.findMany({ where: { applicationId: app.id } })).length).toBe(1);
    await app.handle.terminate('test done');
  });

  it('refused by the data authority after the provider agreed', async () => {
    const app = await start(['ZRZY-002'], 'gaj');
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'zrzyj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '未说明法定职责依据' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    expect((await db.application.findUniqueOrThrow({ where: { id: app.id } })).outcomeReasons).toBe(
      '未说明法定职责依据',
    );
    expect(await db.accessGrant.count({ where: { applicationId: app.id } })).toBe(0);
  });

  it('returned once to the provider for reconsideration; the second review cannot return again', async () => {
    const app = await start(['GAJ-002'], 'ybj');
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'RETURN', { reasons: '请明确共享字段范围' });
    const round2 = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'gaj');
    expect(round2.allowedDecisions).toEqual(['AGREE', 'REFUSE']);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await expect(
      h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'RETURN', { reasons: 'again' }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '复议后仍不符合条件' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    expect(await db.task.count({ where: { workflowId: app.workflowId, step: 'AUTHORITY_REVIEW' } })).toBe(2);
  });

  it('supplement requested and answered: the provider clock stops, and the deadline moves by the pause', async () => {
    const app = await start(['WJW-002'], 'ybj');
    const before = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'wjw');
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'wjw.reviewer', 'REQUEST_SUPPLEMENT', {
      reasons: '请补充法定职责依据文件',
    });
    expect(await statusBecomes(app.id, 'SUPPLEMENT_REQUESTED')).toBe('SUPPLEMENT_REQUESTED');
    expect((await db.task.findUniqueOrThrow({ where: { id: before.id } })).pausedAt).not.toBeNull();
    await env.sleep('7 days');
    await h.decide(app.workflowId, 'SUPPLEMENT', 'ybj.staff', 'SUPPLEMENT', { comment: '已上传依据文件' });
    const after = await eventually(async () => {
      const t = await db.task.findUniqueOrThrow({ where: { id: before.id } });
      return t.pausedAt === null && t.pausedWorkingDays > 0 && t;
    }, 'the provider task to resume');
    expect(after.dueAt!.getTime()).toBeGreaterThan(before.dueAt!.getTime());
    // dueAt is 24:00 of the due day, i.e. 00:00 of the next: compare the due days themselves.
    const lastInstantOf = (due: Date) => new Date(due.getTime() - 1);
    expect(h.calendar.workingDaysBetween(lastInstantOf(before.dueAt!), lastInstantOf(after.dueAt!))).toBe(
      after.pausedWorkingDays,
    );
    // Supplement may be requested only once.
    await expect(
      h.decide(app.workflowId, 'PROVIDER_REPLY', 'wjw.reviewer', 'REQUEST_SUPPLEMENT', {
        reasons: 'again',
        updateId: 'second-request',
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'wjw.reviewer', 'REFUSE', { reasons: '不符合条件' });
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '维持' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    const kinds = (await db.timelineEvent.findMany({ where: { applicationId: app.id }, orderBy: { id: 'asc' } })).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual([
      'PROVIDER_REVIEW',
      'SUPPLEMENT_REQUESTED',
      'PROVIDER_REVIEW',
      'AUTHORITY_REVIEW',
      'REFUSED',
    ]);
    await recordHistory('conditional-share-supplement-refused', app.handle);
  });

  it('withdrawn while open: the workflow ends cleanly, open tasks are cancelled and those involved are told', async () => {
    const app = await start(['GAJ-001', 'RSJ-001'], 'wjw');
    await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'gaj');
    await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'rsj');
    await expect(
      app.handle.executeUpdate(withdrawUpdate, { args: [{ actor: await h.actor('gaj.staff'), reason: 'x' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await app.handle.executeUpdate(withdrawUpdate, {
      args: [{ actor: await h.actor('wjw.staff'), reason: '需求已变更' }],
    });
    expect(await app.handle.result()).toEqual({ outcome: 'WITHDRAWN' });
    const tasks = await db.task.findMany({ where: { workflowId: app.workflowId } });
    expect(tasks.map((t) => t.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(await status(app.id)).toBe('WITHDRAWN');
    await recordHistory('conditional-share-withdrawn', app.handle);
    expect((await mails('withdrawn', app.applicationNo)).map((m) => m.recipient)).toEqual(
      expect.arrayContaining(['gaj.reviewer@liaocheng.example', 'rsj.reviewer@liaocheng.example']),
    );
  });

  it('one provider task per provider, in parallel; resources of a refusing provider are not granted', async () => {
    const app = await start(['GAJ-001', 'ZRZY-002'], 'rsj');
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'zrzyj.reviewer', 'REFUSE', { reasons: '涉及不动产权利人隐私' });
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'APPROVE');
    await h.openTask(app.workflowId, 'AGREEMENT_CONFIRM', 'gaj');
    const grants = await db.accessGrant.findMany({ where: { applicationId: app.id }, include: { resource: true } });
    expect(grants.map((g) => g.resource.code)).toEqual(['GAJ-001']);
    await app.handle.terminate('test done');
  });

  it('provider silent past the deadline: overdue, reminders every working day, escalation, and a late decision still completes it', async () => {
    const app = await start(['YBJ-002'], 'wjw');
    const task = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'ybj');
    await env.sleep('35 days');
    const overdue = await eventually(async () => {
      const t = await db.task.findUniqueOrThrow({ where: { id: task.id } });
      return t.overdue && t;
    }, 'the task to become overdue');
    expect(overdue.status).toBe('OPEN');
    // The row is written by a local activity inside the workflow task whose completion upserts the
    // attribute: the attribute follows the row, it does not precede it.
    await eventually(
      async () => (await app.handle.describe()).typedSearchAttributes.get(SA.Overdue) === true,
      'the Overdue search attribute',
    );
    const reminders = await db.notification.findMany({
      where: { dedupeKey: { startsWith: `task:${task.id}:overdue:` } },
    });
    expect(new Set(reminders.map((r) => r.dedupeKey.split(':')[3])).size).toBeGreaterThanOrEqual(2);
    expect(reminders.map((r) => r.recipient)).toEqual(
      expect.arrayContaining(['dsj.supervisor@liaocheng.example', 'ybj.head@liaocheng.example']),
    );
    const audit = await db.auditLog.findMany({ where: { entityId: task.id } });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['TASK_CREATED', 'TASK_WARNING', 'TASK_OVERDUE', 'TASK_ESCALATED']),
    );
    expect(await status(app.id)).toBe('PROVIDER_REVIEW');
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'ybj.reviewer', 'REFUSE', { reasons: '迟到的答复' });
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '维持' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
  });

  it('survives a worker restart mid-step', async () => {
    await h.restartWorker([]);
    const app = await start(['SCJG-004'], 'gaj');
    await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'scjgj');
    await h.restartWorker([app.workflowId]);
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'scjgj.reviewer', 'REFUSE', { reasons: '重启后答复' });
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'REFUSE', { reasons: '维持' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    expect(await db.task.count({ where: { workflowId: app.workflowId } })).toBe(2);
  });

  it('rejects a decision from a reviewer of another department', async () => {
    const app = await start(['GAJ-001'], 'rsj');
    await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'gaj');
    await expect(
      h.decide(app.workflowId, 'PROVIDER_REPLY', 'wjw.reviewer', 'AGREE', { deptId: 'gaj' }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await app.handle.terminate('test done');
  });

  it('moves a running deadline when the calendar year it falls in is reloaded', async () => {
    // A case received in mid-December 2026 has its deadline in (provisional) January 2027.
    const app = await start(['GAJ-002'], 'scjgj');
    const task = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'gaj');
    const dueYear = Number(
      new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(task.dueAt!),
    );
    // The operator declares the whole working week around the deadline a holiday.
    const base = h.calendar;
    const dueDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
      new Date(task.dueAt!.getTime() - 1),
    );
    const existing =
      chineseWorkdayYears({ applyKnownCorrections: true }).find((y) => y.year === dueYear) ??
      deriveProvisionalYear(dueYear);
    const extra = base.days(dueDate, dueDate).map((d) => ({ date: d.date, name: '测试假日' }));
    h.calendar = new WorkingCalendar([
      ...chineseWorkdayYears({ applyKnownCorrections: true }).filter((y) => y.year !== dueYear),
      { ...existing, holidays: [...existing.holidays, ...extra] },
    ]);
    await app.handle.signal(calendarChangedSignal, { year: dueYear, loadedAt: new Date().toISOString() });
    const moved = await eventually(async () => {
      const t = await db.task.findUniqueOrThrow({ where: { id: task.id } });
      return t.dueAt!.getTime() !== task.dueAt!.getTime() && t;
    }, 'the deadline to move');
    expect(moved.dueAt!.getTime()).toBeGreaterThan(task.dueAt!.getTime());
    await eventually(
      async () =>
        (await app.handle.describe()).typedSearchAttributes.get(SA.DeadlineAt)?.getTime() === moved.dueAt!.getTime(),
      'the DeadlineAt search attribute to move with the row',
    );
    await app.handle.terminate('test done');
  });
});
