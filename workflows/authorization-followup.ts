/**
 * 跟踪管理 of an authorisation awarded by tender (Art. 27 ¶4: 市政务数据主管部门应当定期跟踪了解
 * 开发利用情况). For the whole term the operator files a use report every period and a yearly
 * disclosure by the end of March; each duty runs as its own child workflow (`useReportWorkflow`:
 * due date, overdue reminders, the authority's review), so this workflow's history grows only by
 * a few events per period. The authority may suspend, reinstate or revoke with reasons, directly
 * or when reviewing a report. At the end of the term the authorisation expires and the authority
 * is asked whether to re-tender (a new round linked to the tender).
 */
import {
  allHandlersFinished, CancellationScope, condition, isCancellation, ParentClosePolicy, setCurrentDetails,
  setHandler, startChild, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ReportDutyRef } from '../activities/tenders';
import type { ProcedurePolicy } from '../domain/policy';
import { TaskRuntime } from './kit/tasks';
import { SA } from './search-attributes';
import { AuthorizationAction, ChangeAuthorizationInput, changeAuthorizationUpdate, submitUseReportUpdate } from './tender-messages';
import type { commercialTenderWorkflow } from './tender';
import { acts } from './kit/procedure';
import { reject } from './kit/reject';
import { answered } from './kit/settle';


const PROCEDURE_NAME = '授权开发利用跟踪管理';

export interface FollowUpInput {
  authorizationId: string;
  authorizationNo: string;
  tenderId: string;
  operatorId: string;
  authorityDeptId: string;
  startsAtMs: number;
  endsAtMs: number;
}

export type AuthorizationState = 'ACTIVE' | 'SUSPENDED' | 'REVOKED' | 'EXPIRED';

export interface FollowUpResult {
  outcome: 'EXPIRED' | 'REVOKED';
  /** The re-tender the authority started at expiry, if any. */
  nextRoundWorkflowId?: string;
}


export async function authorizationFollowUpWorkflow(input: FollowUpInput): Promise<FollowUpResult> {
  const wfId = workflowInfo().workflowId;
  let status: AuthorizationState = 'ACTIVE';
  const revoked = () => status === 'REVOKED';
  let changing = false;
  let changes = 0;
  let nextRoundWorkflowId: string | undefined;

  const show = (message: string) => {
    upsertSearchAttributes([{ key: SA.Stage, value: status }]);
    setCurrentDetails(`**${PROCEDURE_NAME} ${input.authorizationNo}** — \`${status}\`: ${message}`);
  };
  upsertSearchAttributes([{ key: SA.Procedure, value: 'AUTHORIZATION_FOLLOWUP' }, { key: SA.ApplicationNo, value: input.authorizationNo }]);
  show(`授权期至 ${new Date(input.endsAtMs).toISOString()}`);

  const allowed: Record<AuthorizationAction, AuthorizationState[]> = { SUSPEND: ['ACTIVE'], REINSTATE: ['SUSPENDED'], REVOKE: ['ACTIVE', 'SUSPENDED'] };
  const target: Record<AuthorizationAction, AuthorizationState> = { SUSPEND: 'SUSPENDED', REINSTATE: 'ACTIVE', REVOKE: 'REVOKED' };

  async function apply(action: AuthorizationAction, reasons: string, actorUserId: string): Promise<void> {
    if (!allowed[action].includes(status)) return;
    changes += 1;
    await acts.setAuthorizationStatus({
      authorizationId: input.authorizationId, status: target[action], reasons, actorUserId, eventKey: `${action.toLowerCase()}:${changes}`, authorityDeptId: input.authorityDeptId,
    });
    status = target[action];
    show(reasons);
  }

  setHandler(changeAuthorizationUpdate, answered(async (u: ChangeAuthorizationInput) => {
    changing = true;
    try {
      await apply(u.action, u.reasons, u.actor.userId);
      return { status };
    } finally {
      changing = false;
    }
  }), {
    validator: (u: ChangeAuthorizationInput) => {
      if (u.actor.departmentId !== input.authorityDeptId || !(u.actor.roles.includes('AUTHORITY_REVIEWER') || u.actor.roles.includes('ADMIN'))) reject('FORBIDDEN', 'Only a reviewer of the data authority may suspend, reinstate or revoke an authorisation');
      if (!u.reasons?.trim()) reject('REASONS_REQUIRED', `${u.action} needs reasons`);
      if (changing) reject('CONFLICT', 'Another change to this authorisation is being applied; retry');
      if (!allowed[u.action]?.includes(status)) reject('CONFLICT', `Cannot ${u.action} an authorisation that is ${status}`);
    },
  });

  // Installed above before the first await, so an early Update finds its handler.
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: Date.now() });
  const tasks = new TaskRuntime(policy, () => status);
  const duties: ReportDutyRef[] = await acts.planAuthorizationReports({
    authorizationId: input.authorizationId, periodMonths: policy.useReportPeriodMonths, dueWorkingDays: policy.useReportDueWorkingDays,
    disclosureDueMonth: policy.yearlyDisclosureDueMonth,
  });
  const reportScope = new CancellationScope();
  const running: Array<Promise<void>> = [];

  function startReport(d: ReportDutyRef): void {
    running.push(reportScope.run(async () => {
      const child = await startChild(useReportWorkflow, {
        workflowId: `${wfId}/report/${d.kind.toLowerCase()}-${d.periodNo}`,
        args: [{ reportId: d.reportId, authorizationId: input.authorizationId, authorizationNo: input.authorizationNo, operatorId: input.operatorId, authorityDeptId: input.authorityDeptId, kind: d.kind, periodNo: d.periodNo, dueAtMs: d.dueAtMs }],
      });
      const review = await child.result();
      // A review may end in suspension or revocation (with the reviewer's reasons).
      if (review.decision === 'SUSPEND' || review.decision === 'REVOKE') {
        await CancellationScope.nonCancellable(() => apply(review.decision as AuthorizationAction, review.reasons ?? '', review.actorUserId ?? 'system'));
      }
    }).catch((err) => {
      if (!isCancellation(err)) throw err;
    }));
  }

  let next = 0;
  let expired = false;
  let retender: Promise<void> | undefined;
  for (;;) {
    if (revoked()) break;
    const nextOpen = next < duties.length ? duties[next].opensAtMs : Infinity;
    const wakeAt = Math.min(nextOpen, expired ? Infinity : input.endsAtMs);
    if (wakeAt === Infinity) break;
    if (wakeAt > Date.now()) await condition(revoked, Math.max(1, wakeAt - Date.now()));
    if (revoked()) break;
    if (!expired && Date.now() >= input.endsAtMs) {
      expired = true;
      await CancellationScope.nonCancellable(async () => {
        await acts.setAuthorizationStatus({ authorizationId: input.authorizationId, status: 'EXPIRED', reasons: '授权期限届满，授权自动终止', actorUserId: 'system', eventKey: 'expired', authorityDeptId: input.authorityDeptId });
      });
      status = 'EXPIRED';
      show('授权期限届满；待数据主管部门决定是否重新招标，并收取最后一期报告');
      retender = promptRetender();
    }
    while (next < duties.length && duties[next].opensAtMs <= Date.now()) startReport(duties[next++]);
  }

  if (revoked()) {
    // No further reports are owed; open report procedures end and their inbox tasks are cancelled.
    reportScope.cancel();
    await Promise.allSettled(running);
    await acts.waiveAuthorizationReports({ authorizationId: input.authorizationId });
    await acts.cancelOpenTasks({ workflowId: wfId, reason: '授权已撤销' });
  } else {
    await Promise.all(running);
    await retender;
  }
  tasks.closeAll();
  await condition(allHandlersFinished);
  return { outcome: revoked() ? 'REVOKED' : 'EXPIRED', nextRoundWorkflowId };

  async function promptRetender(): Promise<void> {
    const task = await tasks.open({
      taskKey: `${wfId}:retender`, procedure: 'COMMERCIAL_TENDER', step: 'RETENDER_DECISION', title: `授权 ${input.authorizationNo} 已到期，是否重新招标`,
      subjectRef: input.tenderId, candidateDeptId: input.authorityDeptId, candidateRole: 'AUTHORITY_REVIEWER', allowedDecisions: ['RETENDER', 'NO_RETENDER'],
      reasonsRequiredFor: ['NO_RETENDER'], workingDays: policy.tenderRerunDecisionWorkingDays, procedureName: PROCEDURE_NAME, applicationNo: input.authorizationNo,
    });
    const d = await tasks.decision(task);
    if (d.decision !== 'RETENDER') return;
    const round = await acts.createNextRound({ tenderId: input.tenderId, actorUserId: d.actor.userId });
    await startChild<typeof commercialTenderWorkflow>('commercialTenderWorkflow', {
      workflowId: round.workflowId, parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ tenderId: round.tenderId, tenderNo: round.tenderNo, authorityDeptId: input.authorityDeptId, round: round.round }],
    });
    nextRoundWorkflowId = round.workflowId;
  }
}

export interface UseReportInput {
  reportId: string;
  authorizationId: string;
  authorizationNo: string;
  operatorId: string;
  authorityDeptId: string;
  kind: 'PERIODIC' | 'YEARLY';
  periodNo: number;
  dueAtMs: number;
}

export interface UseReportResult {
  decision: 'ACCEPT' | 'SUSPEND' | 'REVOKE' | 'WAIVED';
  reasons?: string;
  actorUserId?: string;
  late: boolean;
}

/**
 * One reporting duty: the operator is asked for the report, reminded once it is overdue (never
 * waived by silence), files it through the API, and the authority reviews it in its inbox.
 */
export async function useReportWorkflow(input: UseReportInput): Promise<UseReportResult> {
  const wfId = workflowInfo().workflowId;
  let stage: 'DUE' | 'OVERDUE' | 'REVIEW' | 'DONE' = 'DUE';
  let filing = false;
  let filed = false;
  let late = false;
  const label = input.kind === 'YEARLY' ? `${input.periodNo}年度披露` : `第${input.periodNo}期利用情况报告`;

  setHandler(submitUseReportUpdate, answered(async (u) => {
    filing = true;
    try {
      const r = await acts.fileAuthorizationReport({ reportId: input.reportId, summary: u.summary, securityIncidents: u.securityIncidents, submittedById: u.actor.userId, submittedAtMs: Date.now() });
      late = r.late;
      filed = true;
      return { reportId: input.reportId, late };
    } finally {
      filing = false;
    }
  }), {
    validator: (u) => {
      if (u.actor.publicApplicantId !== input.operatorId) reject('FORBIDDEN', 'Only the authorised operator files its use reports');
      if (filed || filing) reject('CONFLICT', 'This report has already been filed');
      if (!u.summary?.trim()) reject('VALIDATION_FAILED', 'summary: the report needs a summary of the use');
    },
  });

  const show = (message: string) => {
    upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
    setCurrentDetails(`**${label} ${input.authorizationNo}** — \`${stage}\`: ${message}`);
  };
  upsertSearchAttributes([
    { key: SA.Procedure, value: 'AUTHORIZATION_REPORT' }, { key: SA.ApplicationNo, value: input.authorizationNo },
    { key: SA.DeadlineAt, value: new Date(input.dueAtMs) }, { key: SA.Overdue, value: false },
  ]);

  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: Date.now() });
  const tasks = new TaskRuntime(policy, () => stage);
  try {
    await acts.openAuthorizationReport({ reportId: input.reportId, workflowId: wfId });
    show(`应于 ${new Date(input.dueAtMs).toISOString()} 前报送`);
    let wakeAt = input.dueAtMs;
    for (let round = 0; !filed; round++) {
      if (wakeAt > Date.now() && await condition(() => filed, Math.max(1, wakeAt - Date.now()))) break;
      if (filed) break;
      stage = 'OVERDUE';
      upsertSearchAttributes([{ key: SA.Overdue, value: true }]);
      show(`已逾期，第${round + 1}次催报`);
      await acts.markAuthorizationReportOverdue({ reportId: input.reportId, round, authorityDeptId: input.authorityDeptId });
      wakeAt = await acts.nextWorkingDayStart({ afterMs: Date.now(), workingDays: policy.useReportReminderEveryWorkingDays });
    }
    stage = 'REVIEW';
    upsertSearchAttributes([{ key: SA.Overdue, value: false }]);
    show(late ? '逾期报送，待审查' : '已报送，待审查');
    const task = await tasks.open({
      taskKey: `${wfId}:review`, procedure: 'COMMERCIAL_TENDER', step: 'REVIEW_USE_REPORT', title: `审查${label}（授权 ${input.authorizationNo}${late ? '，逾期报送' : ''}）`,
      subjectRef: input.reportId, candidateDeptId: input.authorityDeptId, candidateRole: 'AUTHORITY_REVIEWER', allowedDecisions: ['ACCEPT', 'SUSPEND', 'REVOKE'],
      reasonsRequiredFor: ['SUSPEND', 'REVOKE'], workingDays: policy.useReportReviewWorkingDays, procedureName: PROCEDURE_NAME, applicationNo: input.authorizationNo,
    });
    const d = await tasks.decision(task);
    await acts.reviewAuthorizationReport({ reportId: input.reportId, decision: d.decision, reasons: d.reasons, actorUserId: d.actor.userId });
    stage = 'DONE';
    show(`审查结论 ${d.decision}`);
    tasks.closeAll();
    await condition(allHandlersFinished);
    return { decision: d.decision as UseReportResult['decision'], reasons: d.reasons, actorUserId: d.actor.userId, late };
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The authorisation was revoked: this duty lapses.
    await CancellationScope.nonCancellable(async () => {
      tasks.closeAll();
      await acts.cancelOpenTasks({ workflowId: wfId, reason: '授权已撤销，报告义务终止' });
      await acts.waiveAuthorizationReports({ authorizationId: input.authorizationId, reportIds: [input.reportId] });
    });
    return { decision: 'WAIVED', late };
  }
}
