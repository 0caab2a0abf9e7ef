/**
 * 非政务部门申请 (Art. 22 ¶3): a non-government unit applies to the data authority with its use
 * scenario and security measures. The authority and every provider give opinions in parallel
 * within 10 working days → the authority compiles them and reports to the municipal government
 * → the government decides → feedback to the applicant → if approved, an access grant with an
 * expiry that becomes usable once the authority and the applicant have signed the agreement.
 *
 * "十个工作日内提出意见并报市人民政府确定" is one case-level deadline, counted from receipt: the
 * opinions are due early enough to leave the report its working days, and the report is due at
 * the case deadline itself, however late the last opinion came.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProcedurePolicy } from '../domain/policy';
import { SA } from './search-attributes';
import { TaskRuntime } from './kit/tasks';
import { acceptWithdrawal, acts, endWithdrawn, recordStage, StageExtra, useGrantsUntilExpiry } from './kit/procedure';
import type { StatusChange } from '../activities/applications';

export interface NonGovernmentAccessInput {
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
  /** The municipal government department (市人民政府) that decides. */
  governmentDeptId: string;
  providerDeptIds: string[];
  usePeriodDays: number;
  /** When the authority received the application (epoch ms); the case deadline counts from it. */
  receivedAtMs?: number;
}

export type NonGovernmentOutcome = 'APPROVED_AND_EXPIRED' | 'REFUSED' | 'WITHDRAWN';

export type NonGovernmentStage =
  'OPINIONS' | 'REPORT' | 'GOVERNMENT_DECISION' | 'AGREEMENT' | 'IN_USE' | 'REFUSED' | 'WITHDRAWN' | 'EXPIRED';

const PROCEDURE_NAME = '非政务部门使用政务数据申请';

/** Cases started before the case-level deadline keep their step deadlines (opinions 10, report 3 more). */
const CASE_DEADLINE_SEARCH_ATTRIBUTE_PATCH = 'non-government-case-deadline-search-attribute';
export const CASE_DEADLINE_PATCH = 'non-government-case-deadline';

export interface Opinion {
  deptId: string;
  decision: string;
  reasons?: string;
  comment?: string;
}

export async function nonGovernmentAccessWorkflow(
  input: NonGovernmentAccessInput,
): Promise<{ outcome: NonGovernmentOutcome }> {
  const wfId = workflowInfo().workflowId;
  let stage: NonGovernmentStage = 'OPINIONS';
  const policy: ProcedurePolicy = input.policy ?? (await acts.loadPolicy({ atMs: Date.now() }));
  const tasks = new TaskRuntime(policy, () => stage);
  const main = new CancellationScope();
  // The authority gives its own opinion; a resource it provides itself needs no second task.
  const providers = input.providerDeptIds.filter((d) => d !== input.authorityDeptId);
  const receivedAtMs = input.receivedAtMs ?? workflowInfo().startTime.getTime();
  const caseDeadline = patched(CASE_DEADLINE_PATCH)
    ? await acts.recordCaseDeadline({
        applicationId: input.applicationId,
        fromMs: receivedAtMs,
        workingDays: policy.nonGovernmentOpinionWorkingDays,
        covers: 'OPINIONS_AND_REPORT',
        calendarPolicy: { countMakeupWorkdays: policy.countMakeupWorkdays },
      })
    : undefined;
  // Supervisors find the case by its deadline for the whole case (CaseDeadlineAt).
  if (caseDeadline && patched(CASE_DEADLINE_SEARCH_ATTRIBUTE_PATCH))
    upsertSearchAttributes([{ key: SA.CaseDeadlineAt, value: new Date(caseDeadline.deadlineAtMs) }]);
  // Inside the case deadline: the opinions leave the report its working days.
  const opinionTiming = caseDeadline
    ? {
        workingDays: Math.max(1, policy.nonGovernmentOpinionWorkingDays - policy.nonGovernmentReportWorkingDays),
        countFromMs: receivedAtMs,
      }
    : { workingDays: policy.nonGovernmentOpinionWorkingDays };
  const reportTiming = caseDeadline
    ? { workingDays: policy.nonGovernmentOpinionWorkingDays, countFromMs: receivedAtMs }
    : { workingDays: policy.nonGovernmentReportWorkingDays };

  const withdrawn = acceptWithdrawal({
    applicantDeptId: input.applicantDeptId,
    withdrawableStages: ['OPINIONS', 'REPORT', 'GOVERNMENT_DECISION', 'AGREEMENT'],
    stage: () => stage,
    scope: main,
  });

  const enter = async (
    next: NonGovernmentStage,
    status: StatusChange['status'],
    message: string,
    extra: StageExtra = {},
  ) => {
    stage = next;
    await recordStage(PROCEDURE_NAME, input, next, status, message, extra);
  };

  const feedback = (eventKey: string, outcomeText: string, reasons?: string) =>
    acts.notifyParties({
      eventKey: `${input.applicationNo}:${eventKey}`,
      template: 'decision',
      departmentIds: [input.applicantDeptId, input.authorityDeptId],
      roles: ['DEPT_STAFF', 'AUTHORITY_REVIEWER'],
      data: { procedureName: PROCEDURE_NAME, applicationNo: input.applicationNo, outcomeText, reasons: reasons ?? '' },
    });

  async function opinion(deptId: string): Promise<Opinion> {
    const isAuthority = deptId === input.authorityDeptId;
    const task = await tasks.open({
      taskKey: `${wfId}:opinion:${deptId}`,
      procedure: 'NON_GOVERNMENT_ACCESS',
      step: 'OPINION',
      title: isAuthority
        ? '对非政务部门使用政务数据申请提出意见（数据主管部门）'
        : '对非政务部门使用政务数据申请提出意见（数据提供部门）',
      applicationId: input.applicationId,
      candidateDeptId: deptId,
      candidateRole: isAuthority ? 'AUTHORITY_REVIEWER' : 'PROVIDER_REVIEWER',
      allowedDecisions: ['SUPPORT', 'OPPOSE'],
      reasonsRequiredFor: ['OPPOSE'],
      ...opinionTiming,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.applicationNo,
    });
    const d = await tasks.decision(task);
    return { deptId, decision: d.decision, reasons: d.reasons, comment: d.comment };
  }

  interface Result {
    outcome: NonGovernmentOutcome;
    expiresAtMs?: number;
  }

  async function refuse(reasons: string): Promise<Result> {
    await enter('REFUSED', 'REFUSED', '市人民政府确定不予提供', { reasons, final: true });
    await feedback('refused', '不予提供', reasons);
    return { outcome: 'REFUSED' };
  }

  async function procedure(): Promise<Result> {
    await enter('OPINIONS', 'PROVIDER_REVIEW', '数据主管部门会同数据提供部门提出意见');
    // Opinions are advice, not decisions: even unanimous opposition goes to the government, which decides.
    const opinions = await Promise.all([input.authorityDeptId, ...providers].map(opinion));
    const opposed = opinions.filter((o) => o.decision === 'OPPOSE');

    await enter(
      'REPORT',
      'AUTHORITY_REVIEW',
      `意见已齐备（同意 ${opinions.length - opposed.length}，不同意 ${opposed.length}），数据主管部门汇总报市人民政府`,
      { data: { opinions } },
    );
    const reportTask = await tasks.open({
      taskKey: `${wfId}:report`,
      procedure: 'NON_GOVERNMENT_ACCESS',
      step: 'REPORT',
      title: `汇总意见报市人民政府确定（同意 ${opinions.length - opposed.length}，不同意 ${opposed.length}）`,
      applicationId: input.applicationId,
      candidateDeptId: input.authorityDeptId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['RECOMMEND_APPROVE', 'RECOMMEND_REFUSE'],
      reasonsRequiredFor: ['RECOMMEND_REFUSE'],
      ...reportTiming,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.applicationNo,
    });
    const report = await tasks.decision(reportTask);

    await enter(
      'GOVERNMENT_DECISION',
      'GOVERNMENT_DECISION',
      `已报市人民政府确定（数据主管部门建议：${report.decision === 'RECOMMEND_APPROVE' ? '同意' : '不同意'}）`,
      {
        data: { opinions, recommendation: report.decision, report: report.comment ?? report.reasons ?? '' },
      },
    );
    const decisionTask = await tasks.open({
      taskKey: `${wfId}:government-decision`,
      procedure: 'NON_GOVERNMENT_ACCESS',
      step: 'GOVERNMENT_DECISION',
      title: `确定非政务部门使用政务数据申请（数据主管部门建议：${report.decision === 'RECOMMEND_APPROVE' ? '同意' : '不同意'}）`,
      applicationId: input.applicationId,
      candidateDeptId: input.governmentDeptId,
      candidateRole: 'MUNICIPAL_REVIEWER',
      allowedDecisions: ['APPROVE', 'REFUSE'],
      reasonsRequiredFor: ['REFUSE'],
      workingDays: policy.governmentDecisionWorkingDays,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.applicationNo,
    });
    const decision = await tasks.decision(decisionTask);
    if (decision.decision === 'REFUSE') return refuse(decision.reasons ?? '');

    await enter('AGREEMENT', 'AGREEMENT_PENDING', '市人民政府确定同意，待数据主管部门与申请单位签署协议');
    await feedback('approved', '同意提供，待签署数据使用协议', decision.comment);
    const agreement = await acts.createNonGovernmentAgreement({
      applicationId: input.applicationId,
      authorityDeptId: input.authorityDeptId,
      usePeriodDays: input.usePeriodDays,
    });
    await acts.notifyParties({
      eventKey: `${input.applicationNo}:agreement:${agreement.agreementNo}`,
      template: 'agreement',
      departmentIds: [input.authorityDeptId, input.applicantDeptId],
      roles: ['AUTHORITY_REVIEWER', 'DEPT_STAFF'],
      data: {
        agreementNo: agreement.agreementNo,
        applicationNo: input.applicationNo,
        agreementKindName: '政务数据使用协议',
      },
    });
    const sign = async (party: 'A' | 'B', deptId: string, role: 'AUTHORITY_REVIEWER' | 'DEPT_STAFF') => {
      const t = await tasks.open({
        taskKey: `${wfId}:agreement:${party}`,
        procedure: 'NON_GOVERNMENT_ACCESS',
        step: 'AGREEMENT_SIGN',
        title: `签署政务数据使用协议 ${agreement.agreementNo}`,
        applicationId: input.applicationId,
        subjectRef: agreement.agreementId,
        candidateDeptId: deptId,
        candidateRole: role,
        allowedDecisions: ['SIGN'],
        reasonsRequiredFor: [],
        workingDays: policy.agreementConfirmWorkingDays,
        procedureName: PROCEDURE_NAME,
        applicationNo: input.applicationNo,
      });
      await tasks.decision(t);
      await acts.confirmAgreement({ agreementId: agreement.agreementId, party });
    };
    await Promise.all([
      sign('A', input.authorityDeptId, 'AUTHORITY_REVIEWER'),
      sign('B', input.applicantDeptId, 'DEPT_STAFF'),
    ]);
    return { outcome: 'APPROVED_AND_EXPIRED', expiresAtMs: agreement.expiresAtMs };
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
      message: '申请单位撤回申请',
      reason: withdrawn()?.reason,
      notice: {
        eventKey: `${input.applicationNo}:withdrawn`,
        departmentIds: [...providers, input.authorityDeptId, input.governmentDeptId, input.applicantDeptId],
        roles: ['PROVIDER_REVIEWER', 'AUTHORITY_REVIEWER', 'MUNICIPAL_REVIEWER', 'DEPT_STAFF'],
        data: { procedureName: PROCEDURE_NAME, applicationNo: input.applicationNo },
      },
    });
  } else if (result.outcome === 'APPROVED_AND_EXPIRED' && result.expiresAtMs !== undefined) {
    await useGrantsUntilExpiry({
      applicationId: input.applicationId,
      expiresAtMs: result.expiresAtMs,
      enter,
      mailKey: (event: string) => `${input.applicationNo}:${event}`,
      inUseMessage: '协议已签署，访问权限已开通',
      granted: { departmentIds: [input.applicantDeptId, ...providers], roles: ['DEPT_STAFF', 'PROVIDER_REVIEWER'] },
      applicantDeptId: input.applicantDeptId,
      expiringTitle: '政务数据访问权限即将到期，如需继续使用请重新申请',
      reminderWorkingDays: policy.grantExpiryReminderWorkingDays,
      calendarPolicy: { countMakeupWorkdays: policy.countMakeupWorkdays },
    });
  }
  tasks.closeAll();
  await condition(allHandlersFinished);
  return { outcome: result.outcome };
}
