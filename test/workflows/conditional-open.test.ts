import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../../lib/db';
import { MailTemplates } from '../../lib/mailer';
import { conditionalOpenWorkflow, ConditionalOpenInput } from '../../workflows/conditional-open';
import { answerOpenAgreementUpdate, revokeOpenAuthorizationUpdate } from '../../workflows/open-messages';
import { SA } from '../../workflows/search-attributes';
import { eventually } from '../support/env';
import { answerAgreement, openApplication } from '../support/open-data';
import { ProcedureHarness, procedureSuite, recordHistory } from '../support/procedures';

const ZHANG = 'zhang.wei@liaocheng.example';

describe('conditional open (Art. 27 ¶1–2) on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function start(resourceCodes: string[], applicant = 'pa-zhang', fieldOfUse = 'SOCIAL_SERVICE') {
    const app = await openApplication(db, applicant, resourceCodes, fieldOfUse);
    const input: ConditionalOpenInput = {
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantPublicId: applicant,
      authorityDeptId: 'dsj',
      providerDeptIds: app.providerDeptIds,
      usePeriodDays: 200,
    };
    const handle = await env.client.workflow.start(conditionalOpenWorkflow, {
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
      orderBy: { createdAt: 'asc' },
    });

  it('agreed, accepted and authorised: grants to the citizen with an expiry, use reports asked for each period, then it expires', async () => {
    const app = await start(['WJW-004']);
    const task = await h.openTask(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw');
    expect(task.workingDays).toBe(10);
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw.reviewer', 'AGREE');
    await statusBecomes(app.id, 'AGREEMENT_PENDING');
    const agreement = await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } });
    expect(agreement).toMatchObject({ kind: 'OPEN_USE', status: 'PENDING', partyA: 'dsj', partyB: 'pa-zhang' });
    expect(agreement.terms).toContain('不得用于商业开发');
    const offer = await eventually(
      async () => (await mailsTo(ZHANG, 'open-agreement', app.applicationNo))[0],
      'the agreement mail to the citizen',
    );
    expect((offer.data as { terms: string }).terms).toBe(agreement.terms);

    expect(await answerAgreement(db, app.handle, app.id, 'citizen.zhang', true)).toMatchObject({
      accepted: true,
      agreementNo: agreement.agreementNo,
    });
    await statusBecomes(app.id, 'APPROVED');
    const grant = await db.accessGrant.findFirstOrThrow({ where: { applicationId: app.id } });
    expect(grant).toMatchObject({
      status: 'ACTIVE',
      granteePublicId: 'pa-zhang',
      granteeDeptId: null,
      accessMode: 'DOWNLOAD',
    });
    const authorization = await db.authorization.findFirstOrThrow({ where: { applicationId: app.id } });
    expect(authorization).toMatchObject({ status: 'ACTIVE', operatorId: 'pa-zhang', resourceIds: [grant.resourceId] });
    expect(authorization.endsAt.getTime()).toBe(grant.expiresAt!.getTime());
    expect(authorization.endsAt.getTime() - authorization.startsAt.getTime()).toBe(200 * 24 * 3600_000);
    expect((await db.agreement.findUniqueOrThrow({ where: { id: agreement.id } })).status).toBe('CONFIRMED');
    expect(await mailsTo(ZHANG, 'open-authorized', app.applicationNo)).toHaveLength(1);

    expect(await app.handle.result()).toEqual({ outcome: 'AUTHORIZED_AND_EXPIRED' });
    await recordHistory('conditional-open-authorized-expired', app.handle);
    // 200 days with a report every 90 days: asked twice.
    expect(await mailsTo(ZHANG, 'open-use-report-due', app.applicationNo)).toHaveLength(2);
    expect((await db.authorization.findUniqueOrThrow({ where: { id: authorization.id } })).status).toBe('EXPIRED');
    expect((await db.accessGrant.findUniqueOrThrow({ where: { id: grant.id } })).status).toBe('EXPIRED');
    const kinds = (await db.timelineEvent.findMany({ where: { applicationId: app.id }, orderBy: { id: 'asc' } })).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(['PROVIDER_REVIEW', 'AGREEMENT_PENDING', 'APPROVED', 'EXPIRED']);
    // Every mail the citizen gets renders (templates are strict: a missing variable would stop it in the outbox).
    const templates = new MailTemplates();
    const mine = await db.notification.findMany({
      where: { recipient: ZHANG, data: { path: ['applicationNo'], equals: app.applicationNo } },
    });
    expect(new Set(mine.map((n) => n.template))).toEqual(
      new Set(['open-agreement', 'open-authorized', 'open-use-report-due']),
    );
    for (const n of mine)
      expect(templates.render(n.template, n.data as Record<string, unknown>).text).toContain(app.applicationNo);
  });

  it('survives worker restarts before the provider decides and while the agreement waits for the citizen', async () => {
    await h.restartWorker([]);
    const app = await start(['WJW-004']);
    await h.openTask(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw');
    await h.restartWorker([app.workflowId]);
    // Each Update answers once the procedure has carried it through (its mail queued included),
    // so what follows is checked at once, without waiting for the query model to catch up.
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw.reviewer', 'AGREE');
    expect(await status(app.id)).toBe('AGREEMENT_PENDING');
    await h.restartWorker([app.workflowId]);
    expect(await answerAgreement(db, app.handle, app.id, 'citizen.zhang', true)).toMatchObject({ accepted: true });
    expect(await status(app.id)).toBe('APPROVED');
    expect(await db.accessGrant.count({ where: { applicationId: app.id, status: 'ACTIVE' } })).toBe(1);
    expect(await db.agreement.count({ where: { applicationId: app.id } })).toBe(1);
    expect(await db.task.count({ where: { workflowId: app.workflowId } })).toBe(1);
    expect(await mailsTo(ZHANG, 'open-agreement', app.applicationNo)).toHaveLength(1);
    expect(await mailsTo(ZHANG, 'open-authorized', app.applicationNo)).toHaveLength(1);
  });
  it('refused by the provider: reasons are mandatory and reach the applicant by mail', async () => {
    const app = await start(['ZRZY-004']);
    await expect(decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'zrzyj.reviewer', 'REFUSE')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'zrzyj.reviewer', 'REFUSE', {
      reasons: '大比例尺测绘成果涉及地理信息安全',
    });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
    expect(await db.application.findUniqueOrThrow({ where: { id: app.id } })).toMatchObject({
      status: 'REFUSED',
      outcomeReasons: 'zrzyj：大比例尺测绘成果涉及地理信息安全',
    });
    const mail = await mailsTo(ZHANG, 'decision', app.applicationNo);
    expect(mail).toHaveLength(1);
    expect((mail[0].data as { reasons: string }).reasons).toContain('地理信息安全');
    expect(await db.accessGrant.count({ where: { applicationId: app.id } })).toBe(0);
  });

  it("two providers, one refuses: only the agreeing provider's data is offered and authorised", async () => {
    const app = await start(['SCJG-004', 'YBJ-003'], 'pa-hengxin', 'INNOVATION');
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'ybj.reviewer', 'REFUSE', { reasons: '基金数据暂不开放' });
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'scjgj.reviewer', 'AGREE');
    await answerAgreement(db, app.handle, app.id, 'company.hengxin', true);
    await statusBecomes(app.id, 'APPROVED');
    const grants = await db.accessGrant.findMany({ where: { applicationId: app.id }, include: { resource: true } });
    expect(grants.map((g) => [g.resource.code, g.status])).toEqual([['SCJG-004', 'ACTIVE']]);
  });

  it('only the applicant may answer the agreement: another applicant and a staff member are rejected', async () => {
    const app = await start(['RSJ-003']);
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'rsj.reviewer', 'AGREE');
    await expect(answerAgreement(db, app.handle, app.id, 'company.hengxin', true)).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await expect(answerAgreement(db, app.handle, app.id, 'dsj.reviewer', true)).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await expect(answerAgreement(db, app.handle, app.id, 'citizen.zhang', true, 'KF-OTHER-KF')).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    expect(await status(app.id)).toBe('AGREEMENT_PENDING');
    await answerAgreement(db, app.handle, app.id, 'citizen.zhang', true);
    await statusBecomes(app.id, 'APPROVED');
    // A second answer finds nothing to answer.
    const zhang = await db.user.findUniqueOrThrow({ where: { login: 'citizen.zhang' } });
    const agreement = await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } });
    await expect(
      app.handle.executeUpdate(answerOpenAgreementUpdate, {
        args: [
          {
            agreementNo: agreement.agreementNo,
            accept: false,
            actor: { userId: zhang.id, login: zhang.login, publicApplicantId: zhang.publicApplicantId },
          },
        ],
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
  });

  it('declined by the applicant: the agreement is cancelled and nothing is authorised', async () => {
    const app = await start(['WJW-004']);
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw.reviewer', 'AGREE');
    await answerAgreement(db, app.handle, app.id, 'citizen.zhang', false);
    expect(await app.handle.result()).toEqual({ outcome: 'AGREEMENT_DECLINED' });
    expect((await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('CANCELLED');
    expect((await db.accessGrant.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('REVOKED');
    expect(await db.authorization.count({ where: { applicationId: app.id } })).toBe(0);
    expect(await status(app.id)).toBe('WITHDRAWN');
  });

  it('the applicant never answers: the offer lapses after the policy period, it is never authorised by silence', async () => {
    const app = await start(['WJW-004']);
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw.reviewer', 'AGREE');
    await statusBecomes(app.id, 'AGREEMENT_PENDING');
    expect(await app.handle.result()).toEqual({ outcome: 'AGREEMENT_LAPSED' });
    expect(await db.application.findUniqueOrThrow({ where: { id: app.id } })).toMatchObject({
      status: 'WITHDRAWN',
      outcomeReasons: '申请人未在期限内接受开放利用协议，申请终止',
    });
    expect(await db.authorization.count({ where: { applicationId: app.id } })).toBe(0);
    expect((await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('CANCELLED');
    expect(await mailsTo(ZHANG, 'decision', app.applicationNo)).toHaveLength(1);
  });

  it('revoked by the data authority with reasons: grants end at once and the applicant is told', async () => {
    const app = await start(['WJW-004']);
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw.reviewer', 'AGREE');
    await answerAgreement(db, app.handle, app.id, 'citizen.zhang', true);
    await statusBecomes(app.id, 'APPROVED');
    // Skip time only once the workflow waits in its use period (the same workflow task sets the deadline attribute and the timer).
    const { endsAt } = await eventually(
      () => db.authorization.findFirst({ where: { applicationId: app.id } }),
      'the authorisation',
    );
    await eventually(
      async () =>
        (await app.handle.describe()).typedSearchAttributes.get(SA.DeadlineAt)?.getTime() === endsAt.getTime(),
      'the use period to begin',
    );
    await env.sleep('100 days');
    await eventually(
      async () => (await mailsTo(ZHANG, 'open-use-report-due', app.applicationNo)).length === 1,
      'the first use-report request',
    );
    await expect(
      app.handle.executeUpdate(revokeOpenAuthorizationUpdate, {
        args: [{ reasons: '越权', actor: await h.actor('wjw.reviewer') }],
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(
      app.handle.executeUpdate(revokeOpenAuthorizationUpdate, {
        args: [{ reasons: ' ', actor: await h.actor('dsj.reviewer') }],
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await app.handle.executeUpdate(revokeOpenAuthorizationUpdate, {
      args: [{ reasons: '未按协议报告开发利用情况', actor: await h.actor('dsj.reviewer') }],
    });
    expect(await app.handle.result()).toEqual({ outcome: 'REVOKED' });
    await recordHistory('conditional-open-revoked', app.handle);
    const authorization = await db.authorization.findFirstOrThrow({ where: { applicationId: app.id } });
    expect(authorization).toMatchObject({ status: 'REVOKED', endedReason: '未按协议报告开发利用情况' });
    expect(authorization.revokedAt).not.toBeNull();
    expect((await db.accessGrant.findFirstOrThrow({ where: { applicationId: app.id } })).status).toBe('REVOKED');
    expect(await db.application.findUniqueOrThrow({ where: { id: app.id } })).toMatchObject({
      status: 'REVOKED',
      outcomeReasons: '未按协议报告开发利用情况',
    });
    const mail = await mailsTo(ZHANG, 'open-revoked', app.applicationNo);
    expect(new MailTemplates().render('open-revoked', mail[0].data as Record<string, unknown>).text).toContain(
      '未按协议报告开发利用情况',
    );
  });

  it('provider silent past the policy deadline: overdue and escalated, never agreed by silence; a late decision still counts', async () => {
    const app = await start(['RSJ-003']);
    const task = await h.openTask(app.workflowId, 'OPEN_PROVIDER_DECISION', 'rsj');
    await env.sleep('35 days');
    await eventually(
      async () => (await db.task.findUniqueOrThrow({ where: { id: task.id } })).overdue,
      'the provider decision to become overdue',
    );
    expect((await db.auditLog.findMany({ where: { entityId: task.id } })).map((a) => a.action)).toEqual(
      expect.arrayContaining(['TASK_OVERDUE', 'TASK_ESCALATED']),
    );
    expect(await status(app.id)).toBe('PROVIDER_REVIEW');
    expect(await db.agreement.count({ where: { applicationId: app.id } })).toBe(0);
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'rsj.reviewer', 'REFUSE', { reasons: '迟到的答复' });
    expect(await app.handle.result()).toEqual({ outcome: 'REFUSED' });
  });

  it('research use by a university: the agreement limits it to non-profit research and education (Art. 27 ¶2)', async () => {
    const app = await start(['WJW-004'], 'pa-lcu', 'RESEARCH');
    await decide(app.workflowId, 'OPEN_PROVIDER_DECISION', 'wjw.reviewer', 'AGREE');
    await statusBecomes(app.id, 'AGREEMENT_PENDING');
    const agreement = await db.agreement.findFirstOrThrow({ where: { applicationId: app.id } });
    expect(agreement.terms).toContain('仅限用于科研教育等公益性活动');
    expect(agreement.terms).toContain('不得用于任何营利性目的');
  });
});
