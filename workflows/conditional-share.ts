/**
 * 有条件共享申请 (Art. 22 ¶2): provider reply within 10 working days → data-authority review →
 * feedback → access grant, active only once the share agreement is confirmed by both
 * departments → expiry. One provider task per provider department, in parallel.
 *
 * Every reply, a refusal as much as an agreement, is reviewed by the authority before the
 * applicant hears of it ("经市政务数据主管部门审议后反馈"): the authority upholds a refusal or
 * sends it back to the providers for reconsideration with reasons (Art. 21: 共享为原则，不共享为例外).
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProcedurePolicy } from '../domain/policy';
import { OpenTask, TaskRuntime } from './kit/tasks';
import { acceptWithdrawal, acts, endWithdrawn, recordStage, StageExtra, useGrantsUntilExpiry } from './kit/procedure';
import type { StatusChange } from '../activities/applications';

export interface ConditionalShareInput {
  /**
   * The policy in force at the start, read by the API when it starts the case: the procedure then
   * sets its handlers and opens its first task in its first workflow task. Cases started without
   * it (before, or by hand) load it as their first activity.
   */
  policy?: ProcedurePolicy;
  applicationId: string;
  applicationNo: string;
  applicantDeptId: string;
  authorityDeptId: string;
  providerDeptIds: string[];
  /** Department names for what people read (`理由：市公安局：…`); cases started before it show codes. */
  deptNames?: Record<string, string>;
  usePeriodDays: number;
}

export type ConditionalShareOutcome = 'APPROVED_AND_EXPIRED' | 'REFUSED' | 'WITHDRAWN';

export type Stage =
  'PROVIDER_REVIEW' | 'SUPPLEMENT' | 'AUTHORITY_REVIEW' | 'AGREEMENT' | 'IN_USE' | 'REFUSED' | 'WITHDRAWN' | 'EXPIRED';

const PROCEDURE_NAME = '有条件共享申请';

/**
 * Cases started before this change ended at once on a refusal by every provider, and a return
 * went back to the agreeing providers only; their histories keep that path.
 */
export const REFUSALS_REVIEWED_PATCH = 'conditional-share-refusals-reviewed';

interface ProviderReply {
  providerDeptId: string;
  decision: string;
  reasons?: string;
}

export async function conditionalShareWorkflow(
  input: ConditionalShareInput,
): Promise<{ outcome: ConditionalShareOutcome }> {
  const wfId = workflowInfo().workflowId;
  let stage: Stage = 'PROVIDER_REVIEW';
  const policy: ProcedurePolicy = input.policy ?? (await acts.loadPolicy({ atMs: Date.now() }));
  const tasks = new TaskRuntime(policy, () => stage);
  const main = new CancellationScope();

  const withdrawn = acceptWithdrawal({
    applicantDeptId: input.applicantDeptId,
    withdrawableStages: ['PROVIDER_REVIEW', 'SUPPLEMENT', 'AUTHORITY_REVIEW', 'AGREEMENT'],
    stage: () => stage,
    scope: main,
  });

  const enter = async (next: Stage, status: StatusChange['status'], message: string, extra: StageExtra = {}) => {
    stage = next;
    await recordStage(PROCEDURE_NAME, input, next, status, message, extra);
  };

  // Outbox keys are global: every mail of this procedure is keyed by its workflow id.
  const mailKey = (event: string) => `${wfId}:${event}`;

  const feedback = (event: string, outcomeText: string, reasons?: string) =>
    acts.notifyParties({
      eventKey: mailKey(event),
      template: 'decision',
      departmentIds: [input.applicantDeptId],
      roles: ['DEPT_STAFF'],
      data: { procedureName: PROCEDURE_NAME, applicationNo: input.applicationNo, outcomeText, reasons: reasons ?? '' },
    });

  /** One provider's reply, with at most one request to supplement (补正) that stops its clock. */
  async function providerReply(providerDeptId: string, round: number, note?: string): Promise<ProviderReply> {
    const task: OpenTask = await tasks.open({
      taskKey: `${wfId}:provider-reply:${providerDeptId}:${round}`,
      procedure: 'CONDITIONAL_SHARE',
      step: 'PROVIDER_REPLY',
      title: round === 1 ? '答复有条件共享申请' : `复议有条件共享申请（数据主管部门退回${note ? `：${note}` : ''}）`,
      applicationId: input.applicationId,
      candidateDeptId: providerDeptId,
      candidateRole: 'PROVIDER_REVIEWER',
      allowedDecisions: round === 1 ? ['AGREE', 'REFUSE', 'REQUEST_SUPPLEMENT'] : ['AGREE', 'REFUSE'],
      reasonsRequiredFor: ['REFUSE', 'REQUEST_SUPPLEMENT'],
      pausingDecisions: ['REQUEST_SUPPLEMENT'],
      workingDays: policy.providerReplyWorkingDays,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.applicationNo,
    });
    for (;;) {
      const d = await tasks.decision(task);
      if (d.decision !== 'REQUEST_SUPPLEMENT') return { providerDeptId, decision: d.decision, reasons: d.reasons };
      // 补正 may be asked once; the provider's clock stands still until the applicant answers.
      task.allowedDecisions = task.allowedDecisions.filter((x) => x !== 'REQUEST_SUPPLEMENT');
      await enter('SUPPLEMENT', 'SUPPLEMENT_REQUESTED', `提供部门要求补正材料，办理时限暂停：${d.reasons ?? ''}`, {
        eventKey: `supplement-requested:${providerDeptId}`,
      });
      const supplement = await tasks.open({
        taskKey: `${wfId}:supplement:${providerDeptId}`,
        procedure: 'CONDITIONAL_SHARE',
        step: 'SUPPLEMENT',
        title: `补正申请材料：${d.reasons ?? ''}`,
        applicationId: input.applicationId,
        candidateDeptId: input.applicantDeptId,
        candidateRole: 'DEPT_STAFF',
        allowedDecisions: ['SUPPLEMENT'],
        reasonsRequiredFor: [],
        workingDays: null,
        procedureName: PROCEDURE_NAME,
        applicationNo: input.applicationNo,
      });
      const answer = await tasks.decision(supplement);
      await tasks.resume(task);
      await enter('PROVIDER_REVIEW', 'PROVIDER_REVIEW', `申请方已补正，提供部门继续办理：${answer.comment ?? ''}`, {
        eventKey: `supplement-answered:${providerDeptId}`,
      });
    }
  }

  /**
   * The authority's 审议 of the replies. With no provider agreeing there is nothing to approve:
   * it upholds the refusal (REFUSE) or, the first time, returns it for reconsideration.
   */
  async function authorityReview(
    returnAllowed: boolean,
    anyAgreed: boolean,
  ): Promise<{ decision: string; reasons?: string; comment?: string }> {
    const allowed = [...(anyAgreed ? ['APPROVE'] : []), 'REFUSE', ...(returnAllowed ? ['RETURN'] : [])];
    const task = await tasks.open({
      taskKey: `${wfId}:authority-review:${returnAllowed ? 1 : 2}`,
      procedure: 'CONDITIONAL_SHARE',
      step: 'AUTHORITY_REVIEW',
      title: anyAgreed
        ? '审议有条件共享申请'
        : returnAllowed
          ? '审议提供部门不予共享的答复（维持不予共享，或退回提供部门复议）'
          : '审议提供部门复议后不予共享的答复',
      applicationId: input.applicationId,
      candidateDeptId: input.authorityDeptId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: allowed,
      reasonsRequiredFor: ['REFUSE', 'RETURN'],
      workingDays: policy.authorityReviewWorkingDays,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.applicationNo,
    });
    const d = await tasks.decision(task);
    return { decision: d.decision, reasons: d.reasons, comment: d.comment };
  }

  interface Result {
    outcome: ConditionalShareOutcome;
    expiresAtMs?: number;
  }

  async function refuse(reasons: string, by: string): Promise<Result> {
    await enter('REFUSED', 'REFUSED', `${by}不予共享`, { reasons, final: true });
    await feedback('refused', '不予共享', reasons);
    return { outcome: 'REFUSED' };
  }

  async function procedure(): Promise<Result> {
    await enter('PROVIDER_REVIEW', 'PROVIDER_REVIEW', '等待提供部门答复');
    let replies = await Promise.all(input.providerDeptIds.map((p) => providerReply(p, 1)));
    const agreeing = () => replies.filter((r) => r.decision === 'AGREE').map((r) => r.providerDeptId);
    let agreed = agreeing();
    const refusals = () =>
      replies
        .filter((r) => r.decision === 'REFUSE')
        .map((r) => `${input.deptNames?.[r.providerDeptId] ?? r.providerDeptId}：${r.reasons}`)
        .join('；');
    const tally = () => `同意 ${agreed.length}，不予共享 ${replies.length - agreed.length}`;
    if (agreed.length === 0 && !patched(REFUSALS_REVIEWED_PATCH)) return refuse(refusals(), '提供部门');

    await enter('AUTHORITY_REVIEW', 'AUTHORITY_REVIEW', `提供部门已答复（${tally()}），等待数据主管部门审议`, {
      data: { replies },
    });
    let review = await authorityReview(true, agreed.length > 0);
    if (review.decision === 'RETURN') {
      // Returned once for reconsideration; the second review cannot return again.
      const returnedTo = patched(REFUSALS_REVIEWED_PATCH) ? input.providerDeptIds : agreed;
      await enter('PROVIDER_REVIEW', 'PROVIDER_REVIEW', `数据主管部门退回提供部门复议：${review.reasons}`, {
        eventKey: 'returned',
        data: { returnReasons: review.reasons, returnedTo: patched(REFUSALS_REVIEWED_PATCH) ? 'ALL' : 'AGREED' },
      });
      replies = await Promise.all(returnedTo.map((p) => providerReply(p, 2, review.reasons)));
      agreed = agreeing();
      if (agreed.length === 0 && !patched(REFUSALS_REVIEWED_PATCH)) return refuse(refusals(), '提供部门复议后');
      await enter(
        'AUTHORITY_REVIEW',
        'AUTHORITY_REVIEW',
        `提供部门复议后已答复（${tally()}），等待数据主管部门再次审议`,
        {
          eventKey: 'authority-review:2',
          data: { replies },
        },
      );
      review = await authorityReview(false, agreed.length > 0);
    }
    if (review.decision === 'REFUSE') {
      if (agreed.length > 0) return refuse(review.reasons ?? '', '数据主管部门');
      // The authority upholds the providers' refusal: the applicant gets both reasons.
      return refuse(`${refusals()}；数据主管部门审议意见：${review.reasons ?? ''}`, '经数据主管部门审议，提供部门');
    }

    await enter('AGREEMENT', 'AGREEMENT_PENDING', '审议通过，待双方确认共享协议');
    const partial = agreed.length < input.providerDeptIds.length ? `（部分资源不予共享：${refusals()}）` : '';
    await feedback('approved', `同意共享${partial}`, review.comment);
    const { agreements, expiresAtMs } = await acts.createShareGrants({
      applicationId: input.applicationId,
      providerDeptIds: agreed,
      usePeriodDays: input.usePeriodDays,
    });
    await Promise.all(
      agreements.map(async (a) => {
        await acts.notifyParties({
          eventKey: mailKey(`agreement:${a.agreementNo}`),
          template: 'agreement',
          departmentIds: [a.providerDeptId, input.applicantDeptId],
          roles: ['PROVIDER_REVIEWER', 'DEPT_STAFF'],
          data: { agreementNo: a.agreementNo, applicationNo: input.applicationNo, agreementKindName: '数据共享协议' },
        });
        const confirm = async (party: 'A' | 'B', deptId: string, role: 'PROVIDER_REVIEWER' | 'DEPT_STAFF') => {
          const t = await tasks.open({
            taskKey: `${wfId}:agreement:${a.agreementNo}:${party}`,
            procedure: 'CONDITIONAL_SHARE',
            step: 'AGREEMENT_CONFIRM',
            title: `确认数据共享协议 ${a.agreementNo}`,
            applicationId: input.applicationId,
            subjectRef: a.agreementId,
            candidateDeptId: deptId,
            candidateRole: role,
            allowedDecisions: ['CONFIRM'],
            reasonsRequiredFor: [],
            workingDays: policy.agreementConfirmWorkingDays,
            procedureName: PROCEDURE_NAME,
            applicationNo: input.applicationNo,
          });
          await tasks.decision(t);
          await acts.confirmAgreement({ agreementId: a.agreementId, party });
        };
        await Promise.all([
          confirm('A', a.providerDeptId, 'PROVIDER_REVIEWER'),
          confirm('B', input.applicantDeptId, 'DEPT_STAFF'),
        ]);
      }),
    );
    return { outcome: 'APPROVED_AND_EXPIRED', expiresAtMs };
  }

  let result: Result;
  try {
    result = await main.run(procedure);
  } catch (err) {
    if (!isCancellation(err) || !withdrawn()) throw err;
    result = { outcome: 'WITHDRAWN' };
  }

  if (result.outcome === 'WITHDRAWN') {
    await endWithdrawn({
      closeTasks: () => tasks.closeAll(),
      workflowId: wfId,
      applicationId: input.applicationId,
      enter,
      message: '申请方撤回申请',
      reason: withdrawn()?.reason,
      notice: {
        eventKey: mailKey('withdrawn'),
        departmentIds: [...input.providerDeptIds, input.authorityDeptId, input.applicantDeptId],
        roles: ['PROVIDER_REVIEWER', 'AUTHORITY_REVIEWER', 'DEPT_STAFF'],
        data: { procedureName: PROCEDURE_NAME, applicationNo: input.applicationNo },
      },
    });
  } else if (result.outcome === 'APPROVED_AND_EXPIRED' && result.expiresAtMs !== undefined) {
    await useGrantsUntilExpiry({
      applicationId: input.applicationId,
      expiresAtMs: result.expiresAtMs,
      enter,
      mailKey: mailKey,
      inUseMessage: '共享协议已确认，访问权限已开通',
      granted: {
        departmentIds: [input.applicantDeptId, ...input.providerDeptIds],
        roles: ['DEPT_STAFF', 'PROVIDER_REVIEWER'],
      },
      applicantDeptId: input.applicantDeptId,
      expiringTitle: '共享访问权限即将到期，如需继续使用请申请续期',
      reminderWorkingDays: policy.grantExpiryReminderWorkingDays,
      calendarPolicy: { countMakeupWorkdays: policy.countMakeupWorkdays },
    });
  }
  tasks.closeAll();
  await condition(allHandlersFinished);
  return { outcome: result.outcome };
}
