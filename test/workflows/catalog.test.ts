import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Db } from '../../lib/db';
import { catalogReviewWorkflow } from '../../workflows/catalog-review';
import { catalogProjectWorkflow } from '../../workflows/catalog-project';
import { catalogUpdateDutyWorkflow } from '../../workflows/catalog-update-duty';
import { completeTaskUpdate } from '../../workflows/messages';
import { decisionUpdateId } from '../../api/kit/decisions';
import { SA } from '../../workflows/search-attributes';
import { BASIS, draftRow, dutyRow, projectRow, type DraftContent } from '../support/catalog';
import { eventually } from '../support/env';
import { activeGrant } from '../support/objections';
import { ProcedureHarness, procedureSuite, recordHistory, rejection } from '../support/procedures';

describe('catalog procedures (Art. 16–18) on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function submit(departmentId: string, content: DraftContent = {}, opts: { resourceId?: string } = {}) {
    const { input, workflowId } = await draftRow(db, departmentId, content, {
      ...opts,
      submittedAtMs: await env.currentTimeMs(),
    });
    const handle = await env.client.workflow.start(catalogReviewWorkflow, {
      workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.track(handle);
    return { ...input, workflowId, handle };
  }

  async function publishNew(departmentId: string, content: DraftContent = {}) {
    const d = await submit(departmentId, content);
    await h.decide(d.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    const result = await d.handle.result();
    return { ...d, result, resource: await db.dataResource.findUniqueOrThrow({ where: { code: d.code } }) };
  }

  const draft = (id: string) => db.catalogDraft.findUniqueOrThrow({ where: { id } });
  const versions = (resourceId: string) =>
    db.dataResourceVersion.findMany({ where: { resourceId }, orderBy: { version: 'asc' } });
  const citedVersion = async (applicationId: string) =>
    (await db.applicationResource.findFirstOrThrow({ where: { applicationId } })).resourceVersion;

  it('returned with reasons, revised and resubmitted, then published as version 1; a revision publishes version 2 while applications keep the version they cited', async () => {
    const d = await submit('zrzyj', { shareClass: 'CONDITIONAL', shareLegalBasis: null });
    const review = await h.openTask(d.workflowId, 'CATALOG_REVIEW', 'dsj');
    expect(review.title).toContain('第十六条');
    expect(review.workingDays).toBe(10);
    // A return needs reasons (Art. 16: 退回并说明理由).
    expect(await rejection(h.decide(d.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'RETURN'))).toBe(
      'REASONS_REQUIRED',
    );
    const returned = await h.decide(d.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'RETURN', {
      reasons: '有条件共享类缺少法律依据',
    });
    expect(returned.stage).toBe('RETURNED');
    expect(returned.openedTasks.map((t) => [t.step, t.candidateDeptId, t.candidateRole])).toEqual([
      ['CATALOG_RESUBMIT', 'zrzyj', 'DEPT_STAFF'],
    ]);
    expect(await draft(d.draftId)).toMatchObject({ status: 'RETURNED', returnReasons: '有条件共享类缺少法律依据' });
    const mail = await eventually(
      () =>
        db.notification.findFirst({
          where: {
            dedupeKey: { startsWith: `catalog:${d.draftNo}:returned:1:` },
            recipient: 'zrzyj.staff@liaocheng.example',
          },
        }),
      'the return mail',
    );
    expect(mail).toMatchObject({ template: 'catalog-returned', recipient: 'zrzyj.staff@liaocheng.example' });
    expect(await db.dataResource.findUnique({ where: { code: d.code } })).toBeNull();

    // The department revises the draft (PUT /api/catalog/drafts/:no) and resubmits through its task.
    await db.catalogDraft.update({ where: { id: d.draftId }, data: { shareLegalBasis: BASIS } });
    const resubmitted = await h.decide(d.workflowId, 'CATALOG_RESUBMIT', 'zrzyj.staff', 'RESUBMIT');
    expect(resubmitted.openedTasks.map((t) => t.step)).toEqual(['CATALOG_REVIEW']);
    expect(await draft(d.draftId)).toMatchObject({ status: 'SUBMITTED', round: 2 });
    const published = await h.decide(d.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH', {
      comment: '同意发布',
    });
    expect(published.stage).toBe('PUBLISHED');
    expect(await d.handle.result()).toEqual({ outcome: 'PUBLISHED', version: 1, rounds: 2 });
    await recordHistory('catalog-review-returned-published', d.handle);

    const entry = await db.dataResource.findUniqueOrThrow({ where: { code: d.code } });
    expect(entry).toMatchObject({ providerId: 'zrzyj', version: 1, shareClass: 'CONDITIONAL', shareLegalBasis: BASIS });
    expect(await draft(d.draftId)).toMatchObject({ status: 'PUBLISHED', publishedVersion: 1, resourceId: entry.id });

    // An application submitted now cites version 1.
    const before = await h.application('UNCONDITIONAL_SHARE', 'rsj', [d.code]);
    expect(await citedVersion(before.id)).toBe(1);

    const revision = await submit(
      'zrzyj',
      { code: d.code, shareClass: 'CONDITIONAL', shareLegalBasis: BASIS, description: '第二版说明' },
      {
        resourceId: entry.id,
      },
    );
    await h.decide(revision.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    expect(await revision.handle.result()).toMatchObject({ outcome: 'PUBLISHED', version: 2 });
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: entry.id } })).version).toBe(2);
    const history = await versions(entry.id);
    expect(history.map((v) => [v.version, v.publishedById, v.submittedById])).toEqual([
      [1, 'u-dsj.reviewer', 'u-zrzyj.staff'],
      [2, 'u-dsj.reviewer', 'u-zrzyj.staff'],
    ]);
    expect(history[1].changes).toEqual({ description: { from: '目录管理测试用条目', to: '第二版说明' } });
    // The earlier application keeps the version it cited; a new one cites the version now in force.
    expect(await citedVersion(before.id)).toBe(1);
    const after = await h.application('UNCONDITIONAL_SHARE', 'rsj', [d.code]);
    expect(await citedVersion(after.id)).toBe(2);
  });

  it("Art. 17: a suspected duplicate of another department opens the authority's CATALOG_INTEGRATE step: the existing entry as the source withdraws the draft; the draft as the source marks the other entry as referring to it once published", async () => {
    const fields = ['姓名', '证件号码', '流入地', '流出地'];
    const other = await publishNew('ybj', { name: '参保人员流动信息', fields: ['姓名', '证件号码', '参保地'] });
    const first = await publishNew('gaj', { name: '重点人员流动登记信息', fields });
    // A second published entry with the same data: its own review first integrates (both kept).
    const second = await submit(
      'ybj',
      { code: other.code, name: '重点人员 流动登记信息', fields },
      { resourceId: other.resource.id },
    );
    expect((await h.openTask(second.workflowId, 'CATALOG_INTEGRATE', 'dsj')).allowedDecisions).toEqual([
      `USE_EXISTING:${first.code}`,
      'USE_THIS',
      'KEEP_BOTH',
    ]);
    await h.decide(second.workflowId, 'CATALOG_INTEGRATE', 'dsj.reviewer', 'KEEP_BOTH', { reasons: '采集口径不同' });
    await h.decide(second.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    await second.handle.result();

    const d = await submit('rsj', { name: '重点人员 流动信息', fields });
    const integrate = await h.openTask(d.workflowId, 'CATALOG_INTEGRATE', 'dsj');
    expect(integrate).toMatchObject({ candidateRole: 'AUTHORITY_REVIEWER', workingDays: 10 });
    expect(integrate.title).toContain(`${first.code}（gaj）`);
    expect(integrate.title).toContain(`${other.code}（ybj）`);
    // The authority names which of the published duplicates is the source.
    expect([...integrate.allowedDecisions].sort()).toEqual(
      [`USE_EXISTING:${first.code}`, `USE_EXISTING:${other.code}`, 'USE_THIS', 'KEEP_BOTH'].sort(),
    );
    expect((await draft(d.draftId)).duplicates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: first.code, departmentId: 'gaj', source: 'PUBLISHED' }),
        expect.objectContaining({ code: other.code, departmentId: 'ybj', source: 'PUBLISHED' }),
      ]),
    );
    const useFirst = `USE_EXISTING:${first.code}`;
    expect(await rejection(h.decide(d.workflowId, 'CATALOG_INTEGRATE', 'dsj.reviewer', useFirst))).toBe(
      'REASONS_REQUIRED',
    );
    await h.decide(d.workflowId, 'CATALOG_INTEGRATE', 'dsj.reviewer', useFirst, {
      reasons: `与${first.code}为同一数据，以市公安局为数据来源`,
    });
    expect(await d.handle.result()).toEqual({ outcome: 'INTEGRATED', rounds: 1 });
    expect(await draft(d.draftId)).toMatchObject({
      status: 'WITHDRAWN',
      integration: expect.objectContaining({ decision: 'USE_EXISTING', sourceCode: first.code }),
    });
    expect(await db.dataResource.findUnique({ where: { code: d.code } })).toBeNull();
    expect(await db.task.count({ where: { workflowId: d.workflowId, step: 'CATALOG_REVIEW' } })).toBe(0);
    const mail = await eventually(
      // Other suites may add staff to the department: this one's mail is looked up by its recipient.
      () =>
        db.notification.findFirst({
          where: {
            dedupeKey: { startsWith: `catalog:${d.draftNo}:integrated:1:` },
            recipient: 'rsj.staff@liaocheng.example',
          },
        }),
      'the integration mail',
    );
    expect(mail).toMatchObject({ template: 'catalog-integrated', recipient: 'rsj.staff@liaocheng.example' });

    // The other way round: this draft becomes the source; the review then needs no further reasons.
    const e = await submit('wjw', { name: '重点人员流动信息（卫健）', fields });
    await h.decide(e.workflowId, 'CATALOG_INTEGRATE', 'dsj.reviewer', 'USE_THIS', {
      reasons: '市卫健委的采集口径更完整，以其为数据来源',
    });
    await h.decide(e.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    expect(await e.handle.result()).toMatchObject({ outcome: 'PUBLISHED', version: 1 });
    expect((await db.dataResource.findUniqueOrThrow({ where: { code: first.code } })).refersToCode).toBe(e.code);
    expect(
      await db.auditLog.findMany({
        where: { auditKey: { startsWith: `catalog-draft:${e.draftId}:` }, action: { startsWith: 'CATALOG_D' } },
        select: { action: true },
      }),
    ).toEqual(expect.arrayContaining([{ action: 'CATALOG_DUPLICATES_INTEGRATED' }]));
    await eventually(
      () =>
        db.notification.findFirst({
          where: { dedupeKey: { startsWith: `catalog:${e.draftNo}:refers:${first.code}:` } },
        }),
      'the mail to the department whose entry now refers to the source',
    );
    await recordHistory('catalog-review-integrated', e.handle);
  });

  it('a published class change to NOT_SHARED opens a provider task per active grant to keep or suspend it, with reasons', async () => {
    const { resource, code } = await publishNew('scjgj', { shareClass: 'UNCONDITIONAL' });
    const kept = await activeGrant(db, resource.id, 'wjw');
    const suspended = await activeGrant(db, resource.id, 'ybj');
    const d = await submit(
      'scjgj',
      { code, shareClass: 'NOT_SHARED', shareLegalBasis: '《中华人民共和国个人信息保护法》第二十八条' },
      { resourceId: resource.id },
    );
    const published = await h.decide(d.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    expect(published.stage).toBe('GRANT_REVIEW');
    expect(published.openTasks.map((t) => [t.step, t.candidateDeptId, t.candidateRole])).toEqual([
      ['GRANT_REVIEW', 'scjgj', 'PROVIDER_REVIEWER'],
      ['GRANT_REVIEW', 'scjgj', 'PROVIDER_REVIEWER'],
    ]);
    // Access is not cut silently: both grants stay ACTIVE until the provider decides.
    expect((await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } })).shareClass).toBe('NOT_SHARED');
    expect((await db.accessGrant.findMany({ where: { resourceId: resource.id } })).map((g) => g.status)).toEqual([
      'ACTIVE',
      'ACTIVE',
    ]);
    const tasks = await db.task.findMany({ where: { workflowId: d.workflowId, step: 'GRANT_REVIEW' } });
    const taskOf = (grantId: string) => tasks.find((t) => t.subjectRef === grantId)!;
    const actor = await h.actor('scjgj.reviewer');
    const send = (grantId: string, decision: string, reasons?: string) =>
      d.handle.executeUpdate(completeTaskUpdate, {
        args: [{ taskId: taskOf(grantId).id, decision, reasons, actor }],
        updateId: decisionUpdateId(taskOf(grantId).id, 0),
      });
    expect(await rejection(send(kept.grantId, 'KEEP'))).toBe('REASONS_REQUIRED');
    await send(kept.grantId, 'KEEP', '卫健委依《传染病防治法》履职所需，保留');
    await send(suspended.grantId, 'SUSPEND', '该数据调整为不予共享');
    expect(await d.handle.result()).toMatchObject({ outcome: 'PUBLISHED', version: 2 });
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: kept.grantId } })).status).toBe('ACTIVE');
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: suspended.grantId } })).status).toBe('SUSPENDED');
    const audit = await db.auditLog.findMany({
      where: { entityType: 'AccessGrant', entityId: { in: [kept.grantId, suspended.grantId] } },
    });
    expect(audit.map((a) => a.action).sort()).toEqual(['CATALOG_GRANT_KEPT', 'CATALOG_GRANT_SUSPENDED']);
    await recordHistory('catalog-review-grant-review', d.handle);
  });

  it('a retirement request (撤销/停用) is reviewed like a draft: RETIRE takes the entry out of the catalogue as its next version and opens the same keep-or-suspend task per active grant', async () => {
    const { resource, code } = await publishNew('scjgj', { shareClass: 'UNCONDITIONAL', openClass: 'UNCONDITIONAL' });
    const g = await activeGrant(db, resource.id, 'wjw');
    const { input, workflowId } = await draftRow(
      db,
      'scjgj',
      { code },
      { resourceId: resource.id, submittedAtMs: await env.currentTimeMs() },
    );
    await db.catalogDraft.update({
      where: { id: input.draftId },
      data: { kind: 'RETIREMENT', changeNote: '业务系统停用，数据不再更新' },
    });
    const handle = await env.client.workflow.start(catalogReviewWorkflow, {
      workflowId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    suite.track(handle);
    const review = await h.openTask(workflowId, 'CATALOG_REVIEW', 'dsj');
    expect(review.title).toContain('停用（撤销）申请');
    expect(review.title).toContain('业务系统停用，数据不再更新');
    expect(review.allowedDecisions).toEqual(['RETIRE', 'RETURN']);
    expect(await rejection(h.decide(workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH'))).toBe(
      'DECISION_NOT_ALLOWED',
    );
    const retired = await h.decide(workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'RETIRE');
    expect(retired.stage).toBe('GRANT_REVIEW');
    expect(retired.openTasks.map((t) => [t.step, t.candidateDeptId, t.candidateRole])).toEqual([
      ['GRANT_REVIEW', 'scjgj', 'PROVIDER_REVIEWER'],
    ]);
    const entry = await db.dataResource.findUniqueOrThrow({ where: { id: resource.id } });
    expect(entry.retiredAt).not.toBeNull();
    expect(entry.version).toBe(2);
    expect((await versions(resource.id)).map((v) => [v.version, v.changes])).toEqual([
      [1, expect.anything()],
      [2, { retired: { from: false, to: true } }],
    ]);
    expect(await citedVersion(g.applicationId)).toBe(1);
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: g.grantId } })).status).toBe('ACTIVE');
    await h.decide(workflowId, 'GRANT_REVIEW', 'scjgj.reviewer', 'SUSPEND', { reasons: '条目已停用' });
    expect(await handle.result()).toEqual({ outcome: 'PUBLISHED', version: 2, rounds: 1 });
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: g.grantId } })).status).toBe('SUSPENDED');
    const mail = await eventually(
      () =>
        db.notification.findFirst({
          where: {
            dedupeKey: { startsWith: `catalog:${input.draftNo}:retired:` },
            recipient: 'scjgj.staff@liaocheng.example',
          },
        }),
      'the retirement mail',
    );
    expect(mail).toMatchObject({ template: 'catalog-retired', recipient: 'scjgj.staff@liaocheng.example' });
    await recordHistory('catalog-review-retired', handle);
  });

  it("Art. 17: a project's PROJECT_APPROVAL task refuses APPROVE until each of its entries is published, whichever published first", async () => {
    const early = await publishNew('rsj');
    const later = await submit('rsj');
    const project = await projectRow(db, 'rsj', [early.draftNo, later.draftNo], await env.currentTimeMs());
    const handle = await env.client.workflow.start(catalogProjectWorkflow, {
      workflowId: project.workflowId,
      taskQueue: h.taskQueue,
      args: [project.input],
    });
    suite.track(handle);
    const task = await h.openTask(project.workflowId, 'PROJECT_APPROVAL', 'dsj');
    expect(task).toMatchObject({ procedure: 'CATALOG_PROJECT', candidateRole: 'AUTHORITY_REVIEWER', dueAt: null });
    // The entry published before registration counts; the one under review does not yet.
    expect(await rejection(h.decide(project.workflowId, 'PROJECT_APPROVAL', 'dsj.reviewer', 'APPROVE'))).toBe(
      'CATALOG_NOT_PUBLISHED',
    );
    await h.decide(later.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    // Not awaiting its result: that would let the server skip time, and this project has no timer to stop at.
    await eventually(async () => (await draft(later.draftId)).status === 'PUBLISHED', 'the second entry published');
    // Until the signal has arrived APPROVE is refused; each attempt is its own Update.
    let attempt = 0;
    await eventually(
      async () =>
        (await h
          .decide(project.workflowId, 'PROJECT_APPROVAL', 'dsj.reviewer', 'APPROVE', {
            updateId: `${project.workflowId}:approve:${(attempt += 1)}`,
          })
          .then(
            () => true,
            () => false,
          )) || undefined,
      'the approval once both entries are published',
    );
    expect(await handle.result()).toEqual({
      outcome: 'APPROVED',
      published: [early.draftNo, later.draftNo].sort(),
    });
    expect(await db.infoSystemProject.findUniqueOrThrow({ where: { id: project.input.projectId } })).toMatchObject({
      status: 'APPROVED',
      approvedById: 'u-dsj.reviewer',
    });
    const mail = await eventually(
      () =>
        db.notification.findFirst({
          where: {
            dedupeKey: { startsWith: `catalog-project:${project.input.projectNo}:approved:` },
            recipient: 'rsj.staff@liaocheng.example',
          },
        }),
      'the approval mail',
    );
    expect(mail).toMatchObject({ template: 'catalog-project-approved', recipient: 'rsj.staff@liaocheng.example' });
    await recordHistory('catalog-project-approved', handle);
  });

  it('Art. 18: 15 working days counted from the occurrence day across 中秋 and 国庆 with the 调休 Saturday; confirmed only once the entry is republished', async () => {
    const { resource, code } = await publishNew('wjw', { shareClass: 'CONDITIONAL', shareLegalBasis: BASIS });
    // Occurred Fri 2026-09-25 (中秋, a holiday); recorded today. Not counted: the day itself
    // (民法典 Art. 201), 26–27 Sep, 1–7 Oct (holidays), Sun 11 Oct. Working days: 28 (1), 29 (2),
    // 30 (3), 8 Oct (4), 9 (5), Sat 10 Oct 调休上班 (6), 12–16 (7–11), 19–22 (12–15): due at the end
    // of Thu 22 Oct 2026, 24:00 Shanghai = 16:00 UTC.
    const { input, workflowId } = await dutyRow(
      db,
      'wjw',
      [{ id: resource.id, code }],
      '2026-09-25',
      await env.currentTimeMs(),
    );
    const handle = suite.track(
      await env.client.workflow.start(catalogUpdateDutyWorkflow, { workflowId, taskQueue: h.taskQueue, args: [input] }),
    );
    const task = await h.openTask(workflowId, 'CATALOG_UPDATE', 'wjw');
    expect(task.dueAt!.toISOString()).toBe('2026-10-22T16:00:00.000Z');
    expect(task.deadlineFrom!.toISOString()).toBe('2026-09-24T16:00:00.000Z');
    expect(task.title).toContain('第十八条');
    // Recorded long after the deadline: overdue at once, escalated to the head and the supervisors.
    const actions = await eventually(async () => {
      const a = (await db.auditLog.findMany({ where: { entityType: 'Task', entityId: task.id } })).map((x) => x.action);
      return a.includes('TASK_ESCALATED') && a;
    }, 'the duty to be escalated');
    expect(actions).toEqual(expect.arrayContaining(['TASK_CREATED', 'TASK_ESCALATED']));
    await eventually(
      async () => (await handle.describe()).typedSearchAttributes.get(SA.Overdue) === true,
      'the Overdue search attribute',
    );

    // Confirming before the entry is republished is refused, naming it.
    expect(await rejection(h.decide(workflowId, 'CATALOG_UPDATE', 'wjw.staff', 'UPDATED'))).toBe(
      'CATALOG_NOT_PUBLISHED',
    );
    const revision = await submit(
      'wjw',
      { code, shareClass: 'CONDITIONAL', shareLegalBasis: '《基本医疗卫生与健康促进法》第四十九条' },
      {
        resourceId: resource.id,
      },
    );
    await h.decide(revision.workflowId, 'CATALOG_REVIEW', 'dsj.reviewer', 'PUBLISH');
    await revision.handle.result();
    await eventually(
      async () => (await rejection(h.decide(workflowId, 'CATALOG_UPDATE', 'wjw.staff', 'UPDATED'))) === undefined,
      'the duty to accept the confirmation',
    );
    expect(await handle.result()).toEqual({ fulfilled: true, updated: { [code]: 2 } });
    expect(await db.catalogUpdateDuty.findUniqueOrThrow({ where: { id: input.dutyId } })).toMatchObject({
      status: 'FULFILLED',
    });
    await recordHistory('catalog-update-duty-fulfilled', handle);
  });

  it('Art. 18 duty recorded on the day it occurs: warned, overdue, reminded and escalated as working days pass, never closed by silence', async () => {
    const { resource, code } = await publishNew('ybj');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(
      new Date(await env.currentTimeMs()),
    );
    const { input, workflowId } = await dutyRow(
      db,
      'ybj',
      [{ id: resource.id, code }],
      today,
      await env.currentTimeMs(),
    );
    suite.track(
      await env.client.workflow.start(catalogUpdateDutyWorkflow, { workflowId, taskQueue: h.taskQueue, args: [input] }),
    );
    const task = await h.openTask(workflowId, 'CATALOG_UPDATE', 'ybj');
    expect(task.dueAt!.getTime()).toBe(h.calendar.deadline(new Date(input.occurredAtMs), 15).deadlineAt.getTime());
    await env.sleep('45 days');
    const actions = await eventually(async () => {
      const a = (await db.auditLog.findMany({ where: { entityType: 'Task', entityId: task.id } })).map((x) => x.action);
      return a.includes('TASK_ESCALATED') && a;
    }, 'the duty to be escalated');
    expect(actions).toEqual(expect.arrayContaining(['TASK_CREATED', 'TASK_WARNING', 'TASK_OVERDUE', 'TASK_ESCALATED']));
    const mails = await db.notification.findMany({ where: { dedupeKey: { startsWith: `task:${task.id}:overdue:` } } });
    expect(mails.map((m) => m.recipient)).toEqual(
      expect.arrayContaining([
        'ybj.staff@liaocheng.example',
        'ybj.head@liaocheng.example',
        'dsj.supervisor@liaocheng.example',
      ]),
    );
    expect(await db.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({
      status: 'OPEN',
      overdue: true,
    });
  });
});
