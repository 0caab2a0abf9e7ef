/**
 * 有条件开放申请 (Art. 27 ¶1–2): a public applicant applies for CONDITIONAL open data. Each
 * provider agrees or refuses with reasons (policy deadline) → the applicant accepts the
 * open-use agreement (an Update from the applicant-facing API, since a citizen has no inbox) →
 * authorisation through the platform with an expiry → periodic use reports until it expires,
 * unless the data authority revokes it with reasons (Art. 27 ¶4). Commercial use never gets here:
 * the API sends it to the tender procedure (Art. 27 ¶3).
 */
import { allHandlersFinished, condition, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ProcedurePolicy } from '../domain/policy';
import { TaskRuntime } from './kit/tasks';
import { answerOpenAgreementUpdate, revokeOpenAuthorizationUpdate } from './open-messages';
import { SA } from './search-attributes';
import { acts, recordStage, StageExtra } from './kit/procedure';
import type { StatusChange } from '../activities/applications';
import { reject } from './kit/reject';
import { answered } from './kit/settle';

export interface ConditionalOpenInput {
  /**
   * The policy in force at the start, read by the API when it starts the case: the procedure then
   * sets its handlers and opens its first task in its first workflow task. Cases started without
   * it (before, or by hand) load it as their first activity.
   */
  policy?: ProcedurePolicy;
  applicationId: string;
  applicationNo: string;
  applicantPublicId: string;
  authorityDeptId: string;
  providerDeptIds: string[];
  /** Department names for what people read; cases started before it show codes. */
  deptNames?: Record<string, string>;
  usePeriodDays: number;
}

export type ConditionalOpenOutcome =
  'AUTHORIZED_AND_EXPIRED' | 'REVOKED' | 'REFUSED' | 'AGREEMENT_DECLINED' | 'AGREEMENT_LAPSED';

export type ConditionalOpenStage =
  | 'PROVIDER_DECISION'
  | 'AGREEMENT'
  | 'AUTHORIZED'
  | 'REFUSED'
  | 'AGREEMENT_DECLINED'
  | 'AGREEMENT_LAPSED'
  | 'REVOKED'
  | 'EXPIRED';

const PROCEDURE_NAME = '有条件开放数据申请';
const DAY_MS = 24 * 3600_000;

export async function conditionalOpenWorkflow(
  input: ConditionalOpenInput,
): Promise<{ outcome: ConditionalOpenOutcome }> {
  const wfId = workflowInfo().workflowId;
  let stage: ConditionalOpenStage = 'PROVIDER_DECISION';
  const policy: ProcedurePolicy = input.policy ?? (await acts.loadPolicy({ atMs: Date.now() }));
  const tasks = new TaskRuntime(policy, () => stage);

  let agreement: { agreementId: string; agreementNo: string; terms: string } | undefined;
  let answering = false;
  let answer: { accept: boolean; actorUserId: string } | undefined;
  let revoking = false;
  let revocation: { reasons: string; actorUserId: string } | undefined;

  setHandler(
    answerOpenAgreementUpdate,
    answered(async (a) => {
      answering = true;
      try {
        await acts.recordOpenAgreementAnswer({
          agreementId: agreement!.agreementId,
          accept: a.accept,
          actorUserId: a.actor.userId,
          reason: a.accept ? undefined : (a.comment ?? '申请人不接受开放利用协议'),
        });
        answer = { accept: a.accept, actorUserId: a.actor.userId };
      } finally {
        answering = false;
      }
      return { agreementNo: a.agreementNo, accepted: a.accept, stage };
    }),
    {
      validator: (a) => {
        if (!a.actor.publicApplicantId || a.actor.publicApplicantId !== input.applicantPublicId)
          reject('FORBIDDEN', {
            zh: '只有申请人可以答复其开放利用协议',
            en: 'Only the applicant may answer its open-use agreement',
          });
        if (stage !== 'AGREEMENT' || !agreement || answering || answer)
          reject('CONFLICT', {
            zh: `当前没有待答复的开放利用协议（阶段 ${stage}）`,
            en: `No open-use agreement is awaiting an answer (stage ${stage})`,
          });
        if (a.agreementNo !== agreement.agreementNo)
          reject('NOT_FOUND', {
            zh: `协议 ${a.agreementNo} 不属于申请 ${input.applicationNo}`,
            en: `Agreement ${a.agreementNo} does not belong to application ${input.applicationNo}`,
          });
      },
    },
  );

  setHandler(
    revokeOpenAuthorizationUpdate,
    answered(async (r) => {
      revoking = true;
      try {
        await acts.endOpenUseAuthorization({
          applicationId: input.applicationId,
          status: 'REVOKED',
          reason: r.reasons,
          actorUserId: r.actor.userId,
        });
        revocation = { reasons: r.reasons, actorUserId: r.actor.userId };
      } finally {
        revoking = false;
      }
      return { stage: 'REVOKED' };
    }),
    {
      validator: (r) => {
        if (r.actor.departmentId !== input.authorityDeptId || !r.actor.roles.includes('AUTHORITY_REVIEWER'))
          reject('FORBIDDEN', {
            zh: '只有政务数据主管部门的审核人员可以撤销授权',
            en: "Only the data authority's reviewers may revoke an authorisation",
          });
        if (!r.reasons?.trim())
          reject('REASONS_REQUIRED', { zh: '撤销授权须说明理由', en: 'A revocation needs reasons' });
        if (stage !== 'AUTHORIZED' || revoking || revocation)
          reject('CONFLICT', {
            zh: `该授权未处于有效状态（阶段 ${stage}）`,
            en: `The authorisation is not active (stage ${stage})`,
          });
      },
    },
  );

  const enter = async (
    next: ConditionalOpenStage,
    status: StatusChange['status'],
    message: string,
    extra: StageExtra = {},
  ) => {
    stage = next;
    await recordStage(PROCEDURE_NAME, input, next, status, message, extra);
  };

  const tellApplicant = (eventKey: string, outcomeText: string, reasons?: string) =>
    acts.notifyPublicApplicant({
      eventKey,
      applicationId: input.applicationId,
      template: 'decision',
      data: { procedureName: PROCEDURE_NAME, outcomeText, reasons: reasons ?? '' },
    });

  const outcome = await procedure();
  tasks.closeAll();
  await condition(allHandlersFinished);
  return { outcome };

  async function procedure(): Promise<ConditionalOpenOutcome> {
    await enter('PROVIDER_DECISION', 'PROVIDER_REVIEW', '等待数据提供单位同意');
    const decisions = await Promise.all(
      input.providerDeptIds.map(async (providerDeptId) => {
        const task = await tasks.open({
          taskKey: `${wfId}:provider-decision:${providerDeptId}`,
          procedure: 'CONDITIONAL_OPEN',
          step: 'OPEN_PROVIDER_DECISION',
          title: '审核有条件开放数据申请',
          applicationId: input.applicationId,
          candidateDeptId: providerDeptId,
          candidateRole: 'PROVIDER_REVIEWER',
          allowedDecisions: ['AGREE', 'REFUSE'],
          reasonsRequiredFor: ['REFUSE'],
          workingDays: policy.openProviderDecisionWorkingDays,
          procedureName: PROCEDURE_NAME,
          applicationNo: input.applicationNo,
        });
        const d = await tasks.decision(task);
        return { providerDeptId, decision: d.decision, reasons: d.reasons };
      }),
    );
    const agreed = decisions.filter((d) => d.decision === 'AGREE').map((d) => d.providerDeptId);
    const refusals = decisions
      .filter((d) => d.decision === 'REFUSE')
      .map((d) => `${input.deptNames?.[d.providerDeptId] ?? d.providerDeptId}：${d.reasons}`)
      .join('；');
    if (agreed.length === 0) {
      // Art. 27 ¶1: a provider that does not agree must state its reasons; they reach the applicant.
      await enter('REFUSED', 'REFUSED', '数据提供单位不同意开放', { reasons: refusals, final: true });
      await tellApplicant('refused', '不予开放', refusals);
      return 'REFUSED';
    }

    agreement = await acts.createOpenUseAgreement({
      applicationId: input.applicationId,
      authorityDeptId: input.authorityDeptId,
      providerDeptIds: agreed,
      usePeriodDays: input.usePeriodDays,
    });
    const acceptBy = await acts.openWorkingDayDeadline({
      fromMs: Date.now(),
      workingDays: policy.openAgreementAcceptWorkingDays,
      calendarPolicy: { countMakeupWorkdays: policy.countMakeupWorkdays },
    });
    const partial = refusals ? `（部分数据不予开放：${refusals}）` : '';
    await enter('AGREEMENT', 'AGREEMENT_PENDING', `数据提供单位同意${partial}，待申请人接受开放利用协议`, {
      data: { agreementNo: agreement.agreementNo, acceptByMs: acceptBy.deadlineAtMs },
    });
    await acts.notifyPublicApplicant({
      eventKey: `agreement:${agreement.agreementNo}`,
      applicationId: input.applicationId,
      template: 'open-agreement',
      data: { agreementNo: agreement.agreementNo, terms: agreement.terms, acceptByAtMs: acceptBy.deadlineAtMs },
    });
    upsertSearchAttributes([{ key: SA.DeadlineAt, value: new Date(acceptBy.deadlineAtMs) }]);

    const answered = await condition(() => answer !== undefined, Math.max(1, acceptBy.deadlineAtMs - Date.now()));
    if (!answered && answering) await condition(() => answer !== undefined);
    if (!answer) {
      // The applicant's silence is not acceptance: the offer lapses (never an authorisation by silence).
      stage = 'AGREEMENT_LAPSED';
      const reasons = '申请人未在期限内接受开放利用协议，申请终止';
      await acts.recordOpenAgreementAnswer({
        agreementId: agreement.agreementId,
        accept: false,
        actorUserId: 'system',
        reason: reasons,
      });
      await enter('AGREEMENT_LAPSED', 'WITHDRAWN', reasons, { reasons, final: true });
      await tellApplicant('lapsed', '申请终止', reasons);
      return 'AGREEMENT_LAPSED';
    }
    if (!answer.accept) {
      await enter('AGREEMENT_DECLINED', 'WITHDRAWN', '申请人不接受开放利用协议，申请终止', {
        reasons: '申请人不接受开放利用协议',
        final: true,
      });
      return 'AGREEMENT_DECLINED';
    }

    const { authorizationId, expiresAtMs } = await acts.authorizeOpenUse({
      applicationId: input.applicationId,
      usePeriodDays: input.usePeriodDays,
    });
    await enter('AUTHORIZED', 'APPROVED', '申请人已接受开放利用协议，已通过开放平台授权', {
      final: true,
      data: { authorizationId, expiresAtMs },
    });
    await acts.notifyPublicApplicant({
      eventKey: 'authorized',
      applicationId: input.applicationId,
      template: 'open-authorized',
      data: { expiresAtMs, authorizationId, reportEveryDays: policy.openUseReportEveryDays },
    });
    await acts.notifyParties({
      eventKey: `${input.applicationNo}:authorized:providers`,
      template: 'grant',
      departmentIds: agreed,
      roles: ['PROVIDER_REVIEWER'],
      applicationId: input.applicationId,
      data: { expiresAtMs },
    });
    upsertSearchAttributes([
      { key: SA.DeadlineAt, value: new Date(expiresAtMs) },
      { key: SA.Overdue, value: false },
    ]);

    // Art. 27 ¶4: the authority follows up periodically; the operator is asked for a use report each period.
    let round = 1;
    let nextReportAtMs = Date.now() + policy.openUseReportEveryDays * DAY_MS;
    for (;;) {
      const wakeAtMs = Math.min(nextReportAtMs, expiresAtMs);
      const revoked = await condition(() => revocation !== undefined, Math.max(1, wakeAtMs - Date.now()));
      if (revoked) break;
      if (revoking) {
        await condition(() => revocation !== undefined || !revoking);
        if (revocation) break;
      }
      if (Date.now() >= expiresAtMs) break;
      await acts.notifyPublicApplicant({
        eventKey: `use-report-due:${round}`,
        applicationId: input.applicationId,
        template: 'open-use-report-due',
        data: { authorizationId, round, expiresAtMs },
      });
      round += 1;
      nextReportAtMs += policy.openUseReportEveryDays * DAY_MS;
    }
    if (revocation) {
      await enter('REVOKED', 'REVOKED', '市政务数据主管部门撤销授权', { reasons: revocation.reasons });
      await acts.notifyPublicApplicant({
        eventKey: 'revoked',
        applicationId: input.applicationId,
        template: 'open-revoked',
        data: { reasons: revocation.reasons },
      });
      await acts.notifyParties({
        eventKey: `${input.applicationNo}:revoked:providers`,
        template: 'decision',
        departmentIds: agreed,
        roles: ['PROVIDER_REVIEWER'],
        data: {
          procedureName: PROCEDURE_NAME,
          applicationNo: input.applicationNo,
          outcomeText: '开放授权已撤销',
          reasons: revocation.reasons,
        },
      });
      return 'REVOKED';
    }
    stage = 'EXPIRED';
    await acts.endOpenUseAuthorization({
      applicationId: input.applicationId,
      status: 'EXPIRED',
      reason: '使用期限届满',
      actorUserId: 'system',
    });
    await enter('EXPIRED', 'EXPIRED', '开放授权到期自动终止');
    return 'AUTHORIZED_AND_EXPIRED';
  }
}
