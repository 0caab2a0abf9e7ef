/**
 * 跟踪管理 of an authorisation awarded by tender (Art. 27 ¶4: 市政务数据主管部门应当定期跟踪了解
 * 开发利用情况). For the whole term the operator files a use report every period and a yearly
 * disclosure by the end of March; each duty runs as its own child workflow (`useReportWorkflow`:
 * due date, overdue reminders, the authority's review). The authority may suspend, reinstate or
 * revoke with reasons, directly or when reviewing a report. At the end of the term the
 * authorisation expires and the authority is asked whether to re-tender (a new round linked to
 * the tender).
 *
 * Bounded history: a term runs for years, so the follow-up continues as new once the duties it
 * opened have ended (see `handOverWanted`), carrying what the next run needs in
 * `FollowUpInput.carried`; every run holds one reporting period or so, whatever the term. A report
 * left overdue for months continues as new on its own (see `useReportWorkflow`).
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReportDutyRef } from '../activities/tender';
import type { ProcedurePolicy } from '../domain/policy';
import type { CalendarPolicyInput } from '../activities/deps';
import { activitiesInFlight } from './kit/activities';
import { MovableDeadline } from './kit/deadline';
import { TaskRuntime } from './kit/tasks';
import { SA } from './search-attributes';
import {
  AuthorizationAction,
  ChangeAuthorizationInput,
  changeAuthorizationUpdate,
  submitUseReportUpdate,
} from './tender-messages';
import type { commercialTenderWorkflow } from './tender';
import { acts } from './kit/procedure';
import { reject } from './kit/reject';
import { answered } from './kit/settle';

const PROCEDURE_NAME = '授权开发利用跟踪管理';

/**
 * A run continues as new at its next quiet moment once its history passes this many events even
 * if it opened no duty (e.g. many suspensions and reinstatements within one long period). Far
 * below the server's own suggestion (`continueAsNewSuggested`, by default at 4,096 events),
 * which is honoured too.
 */
const FOLLOW_UP_HISTORY_BOUND = 1000;

/** What a run hands to the next when it continues as new: enough to resume exactly. */
export interface FollowUpCarried {
  /** When the follow-up began: the policy in force then stays in force for the whole term. */
  policyAtMs: number;
  /** Never REVOKED or EXPIRED: those runs end the follow-up rather than continue it. */
  status: 'ACTIVE' | 'SUSPENDED';
  /** Status changes so far; they number the notification keys, which must never repeat. */
  changes: number;
  /** The duties not opened yet, in order; the earlier ones ran, and ended, in earlier runs. */
  duties: ReportDutyRef[];
  /** How many runs came before this one. */
  run: number;
}

export interface FollowUpInput {
  authorizationId: string;
  authorizationNo: string;
  tenderId: string;
  operatorId: string;
  authorityDeptId: string;
  startsAtMs: number;
  endsAtMs: number;
  /** Set by the previous run only; the tender starts the first run without it. */
  carried?: FollowUpCarried;
  /** A drill (演练): the drill PolicyVersion of its tender (months of the term last minutes). */
  drillPolicyId?: string;
}

export type AuthorizationState = 'ACTIVE' | 'SUSPENDED' | 'REVOKED' | 'EXPIRED';

export interface FollowUpResult {
  outcome: 'EXPIRED' | 'REVOKED';
  /** The re-tender the authority started at expiry, if any. */
  nextRoundWorkflowId?: string;
}

export async function authorizationFollowUpWorkflow(input: FollowUpInput): Promise<FollowUpResult> {
  const wfId = workflowInfo().workflowId;
  const { carried } = input;
  let status: AuthorizationState = carried?.status ?? 'ACTIVE';
  const revoked = () => status === 'REVOKED';
  let changing = false;
  let changes = carried?.changes ?? 0;
  let nextRoundWorkflowId: string | undefined;

  const show = (message: string) => {
    upsertSearchAttributes([{ key: SA.Stage, value: status }]);
    setCurrentDetails(
      `${input.drillPolicyId ? '【演练】' : ''}**${PROCEDURE_NAME} ${input.authorizationNo}** — \`${status}\`: ${message}`,
    );
  };
  upsertSearchAttributes([
    { key: SA.Procedure, value: 'AUTHORIZATION_FOLLOWUP' },
    { key: SA.ApplicationNo, value: input.authorizationNo },
  ]);
  const until = `授权期至 ${new Date(input.endsAtMs).toISOString()}`;
  show(carried ? `${until}（第${carried.run + 1}段跟踪记录）` : until);

  const allowed: Record<AuthorizationAction, AuthorizationState[]> = {
    SUSPEND: ['ACTIVE'],
    REINSTATE: ['SUSPENDED'],
    REVOKE: ['ACTIVE', 'SUSPENDED'],
  };
  const target: Record<AuthorizationAction, AuthorizationState> = {
    SUSPEND: 'SUSPENDED',
    REINSTATE: 'ACTIVE',
    REVOKE: 'REVOKED',
  };

  async function apply(action: AuthorizationAction, reasons: string, actorUserId: string): Promise<void> {
    if (!allowed[action].includes(status)) return;
    changes += 1;
    await acts.setAuthorizationStatus({
      authorizationId: input.authorizationId,
      status: target[action],
      reasons,
      actorUserId,
      eventKey: `${action.toLowerCase()}:${changes}`,
      authorityDeptId: input.authorityDeptId,
    });
    status = target[action];
    show(reasons);
  }

  setHandler(
    changeAuthorizationUpdate,
    answered(async (u: ChangeAuthorizationInput) => {
      changing = true;
      try {
        await apply(u.action, u.reasons, u.actor.userId);
        return { status };
      } finally {
        changing = false;
      }
    }),
    {
      validator: (u: ChangeAuthorizationInput) => {
        if (
          u.actor.departmentId !== input.authorityDeptId ||
          !(u.actor.roles.includes('AUTHORITY_REVIEWER') || u.actor.roles.includes('ADMIN'))
        )
          reject('FORBIDDEN', {
            zh: '只有政务数据主管部门的审核人员可以暂停、恢复或撤销授权',
            en: 'Only a reviewer of the data authority may suspend, reinstate or revoke an authorisation',
          });
        if (!u.reasons?.trim())
          reject('REASONS_REQUIRED', { zh: `${u.action} 操作须说明理由`, en: `${u.action} needs reasons` });
        if (changing)
          reject('CONFLICT', {
            zh: '该授权的另一项变更正在处理中，请稍后重试',
            en: 'Another change to this authorisation is being applied; retry',
          });
        if (!allowed[u.action]?.includes(status))
          reject('CONFLICT', {
            zh: `授权当前状态为 ${status}，不能执行 ${u.action} 操作`,
            en: `Cannot ${u.action} an authorisation that is ${status}`,
          });
      },
    },
  );

  // Installed above before the first await, so an early Update finds its handler (in every run:
  // an Update refused by a closing run is sent again by the client to this one).
  const policyAtMs = carried?.policyAtMs ?? Date.now();
  const policy: ProcedurePolicy = input.drillPolicyId
    ? await acts.loadDrillPolicy({ policyVersionId: input.drillPolicyId })
    : await acts.loadPolicy({ atMs: policyAtMs });
  const tasks = new TaskRuntime(policy, () => status);
  const duties: ReportDutyRef[] =
    carried?.duties ??
    (await acts.planAuthorizationReports({
      authorizationId: input.authorizationId,
      periodMonths: policy.useReportPeriodMonths,
      dueWorkingDays: policy.useReportDueWorkingDays,
      disclosureDueMonth: policy.yearlyDisclosureDueMonth,
      calendarPolicy: calendarPolicyOf(policy),
      ...(input.drillPolicyId && policy.drillMonth ? { drillMonth: policy.drillMonth } : {}),
    }));
  const running: Array<Promise<void>> = [];
  let reportsRunning = 0;
  /** Report workflows being started, and those started and not ended, by workflow id. */
  let reportsStarting = 0;
  const reportsStarted = new Set<string>();

  function startReport(d: ReportDutyRef): void {
    const workflowId = `${wfId}/report/${d.kind.toLowerCase()}-${d.periodNo}`;
    reportsRunning += 1;
    reportsStarting += 1;
    const report = async () => {
      const child = await startChild(useReportWorkflow, {
        workflowId,
        args: [
          {
            reportId: d.reportId,
            authorizationId: input.authorizationId,
            authorizationNo: input.authorizationNo,
            operatorId: input.operatorId,
            authorityDeptId: input.authorityDeptId,
            kind: d.kind,
            periodNo: d.periodNo,
            dueAtMs: d.dueAtMs,
          },
        ],
      }).finally(() => {
        reportsStarting -= 1;
      });
      reportsStarted.add(workflowId);
      const review = await child.result();
      // A review may end in suspension or revocation (with the reviewer's reasons).
      if (review.decision === 'SUSPEND' || review.decision === 'REVOKE') {
        await apply(review.decision, review.reasons ?? '', review.actorUserId ?? 'system');
      }
    };
    running.push(
      report()
        .catch((err) => {
          if (!isCancellation(err)) throw err;
        })
        .finally(() => {
          reportsStarted.delete(workflowId);
          reportsRunning -= 1;
        }),
    );
  }

  let next = 0;
  let opened = 0;
  let expired = false;
  let retender: Promise<void> | undefined;
  /**
   * Continue as new once this run has opened a duty (one reporting period per run), or its
   * history has grown anyway; never after expiry, whose short tail (the last reports, the
   * re-tender prompt) has an inbox task that cannot move to another run.
   */
  const handOverWanted = () =>
    !expired &&
    (opened > 0 || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > FOLLOW_UP_HISTORY_BOUND);
  /**
   * Only when nothing is under way: the report children (the server would terminate them with
   * this run; a report overdue for months keeps the follow-up in this run, which then grows by
   * a dozen events per period only), a change being applied, or an Update being answered.
   */
  const quiet = () => reportsRunning === 0 && !changing && activitiesInFlight() === 0 && allHandlersFinished();
  // The one movable deadline: the next duty to open or the end of the term.
  const wake = new MovableDeadline(null);
  let handOver = false;
  for (;;) {
    if (revoked()) break;
    if (!expired && Date.now() >= input.endsAtMs) {
      expired = true;
      await CancellationScope.nonCancellable(async () => {
        await acts.setAuthorizationStatus({
          authorizationId: input.authorizationId,
          status: 'EXPIRED',
          reasons: '授权期限届满，授权自动终止',
          actorUserId: 'system',
          eventKey: 'expired',
          authorityDeptId: input.authorityDeptId,
        });
      });
      status = 'EXPIRED';
      show('授权期限届满；待数据主管部门决定是否重新招标，并收取最后一期报告');
      retender = promptRetender();
    }
    while (next < duties.length && duties[next].opensAtMs <= Date.now()) {
      startReport(duties[next++]);
      opened += 1;
    }
    const nextOpen = next < duties.length ? duties[next].opensAtMs : Infinity;
    const wakeAt = Math.min(nextOpen, expired ? Infinity : input.endsAtMs);
    if (wakeAt === Infinity) break;
    wake.move(wakeAt);
    const woke = await wake.wait(() => revoked() || (handOverWanted() && quiet()));
    // Checked again with nothing awaited in between: no Update can slip in before continueAsNew.
    if (woke === 'done' && !revoked() && handOverWanted() && quiet()) {
      handOver = true;
      break;
    }
  }

  if (handOver) {
    await continueAsNew<typeof authorizationFollowUpWorkflow>({
      ...input,
      carried: {
        policyAtMs,
        status: status === 'SUSPENDED' ? 'SUSPENDED' : 'ACTIVE',
        changes,
        duties: duties.slice(next),
        run: (carried?.run ?? 0) + 1,
      },
    });
  }

  if (revoked()) {
    // No further reports are owed; open report procedures end and their inbox tasks are cancelled.
    // Each is cancelled by its workflow id, not through a cancellation scope: the SDK cancels a
    // child by the run it started, and a report overdue for months has continued as new since, so
    // only a request without a run id reaches the run that waits (temporalio/features#503). The
    // report then waives itself, closes its tasks and returns.
    await condition(() => reportsStarting === 0);
    await Promise.allSettled([...reportsStarted].map((id) => getExternalWorkflowHandle(id).cancel()));
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
      taskKey: `${wfId}:retender`,
      procedure: 'COMMERCIAL_TENDER',
      step: 'RETENDER_DECISION',
      title: `授权 ${input.authorizationNo} 已到期，是否重新招标`,
      subjectRef: input.tenderId,
      candidateDeptId: input.authorityDeptId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['RETENDER', 'NO_RETENDER'],
      reasonsRequiredFor: ['NO_RETENDER'],
      workingDays: policy.tenderRerunDecisionWorkingDays,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.authorizationNo,
    });
    const d = await tasks.decision(task);
    if (d.decision !== 'RETENDER') return;
    const round = await acts.createNextRound({ tenderId: input.tenderId, actorUserId: d.actor.userId });
    await startChild<typeof commercialTenderWorkflow>('commercialTenderWorkflow', {
      workflowId: round.workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          tenderId: round.tenderId,
          tenderNo: round.tenderNo,
          authorityDeptId: input.authorityDeptId,
          round: round.round,
        },
      ],
    });
    nextRoundWorkflowId = round.workflowId;
  }
}

/**
 * A report overdue this many rounds in one run continues as new: about 20 events a round and a
 * round every few working days, so a run holds some 400 events, a few months of reminders. The
 * follow-up cancels such a report by its workflow id (see the revocation there); a filing sent
 * while it switches is refused by the closing run and sent again by the client to the new one.
 */
export const OVERDUE_ROUNDS_PER_RUN = 20;

export interface UseReportInput {
  reportId: string;
  authorizationId: string;
  authorizationNo: string;
  operatorId: string;
  authorityDeptId: string;
  kind: 'PERIODIC' | 'YEARLY';
  periodNo: number;
  dueAtMs: number;
  /**
   * Set by the previous run of an overdue report only: the next reminder round, when it falls,
   * and when the report's first run began (its policy stays in force).
   */
  overdue?: { round: number; nextReminderAtMs: number; policyAtMs: number };
}

export interface UseReportResult {
  decision: 'ACCEPT' | 'SUSPEND' | 'REVOKE' | 'WAIVED';
  reasons?: string;
  actorUserId?: string;
  late: boolean;
}

/**
 * One reporting duty: the operator is asked for the report, reminded once it is overdue (never
 * waived by silence), files it through the API, and the authority reviews it in its inbox. The
 * follow-up awaits the whole chain of runs as one child.
 */
export async function useReportWorkflow(input: UseReportInput): Promise<UseReportResult> {
  const wfId = workflowInfo().workflowId;
  let stage: 'DUE' | 'OVERDUE' | 'REVIEW' | 'DONE' = input.overdue ? 'OVERDUE' : 'DUE';
  let filing = false;
  let filed = false;
  let late = false;
  const label = input.kind === 'YEARLY' ? `${input.periodNo}年度披露` : `第${input.periodNo}期利用情况报告`;

  setHandler(
    submitUseReportUpdate,
    answered(async (u) => {
      filing = true;
      try {
        const r = await acts.fileAuthorizationReport({
          reportId: input.reportId,
          summary: u.summary,
          securityIncidents: u.securityIncidents,
          submittedById: u.actor.userId,
          submittedAtMs: Date.now(),
        });
        late = r.late;
        filed = true;
        return { reportId: input.reportId, late };
      } finally {
        filing = false;
      }
    }),
    {
      validator: (u) => {
        if (u.actor.publicApplicantId !== input.operatorId)
          reject('FORBIDDEN', {
            zh: '只有被授权的运营单位可以提交使用情况报告',
            en: 'Only the authorised operator files its use reports',
          });
        if (filed || filing) reject('CONFLICT', { zh: '该报告已经提交', en: 'This report has already been filed' });
        if (!u.summary?.trim())
          reject('VALIDATION_FAILED', {
            zh: 'summary：报告须包含使用情况概要',
            en: 'summary: the report needs a summary of the use',
          });
      },
    },
  );

  const show = (message: string) => {
    upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
    setCurrentDetails(`**${label} ${input.authorizationNo}** — \`${stage}\`: ${message}`);
  };
  upsertSearchAttributes([
    { key: SA.Procedure, value: 'AUTHORIZATION_REPORT' },
    { key: SA.ApplicationNo, value: input.authorizationNo },
    { key: SA.DeadlineAt, value: new Date(input.dueAtMs) },
    { key: SA.Overdue, value: input.overdue !== undefined },
  ]);

  const policyAtMs = input.overdue?.policyAtMs ?? Date.now();
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: policyAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  try {
    if (!input.overdue) {
      await acts.openAuthorizationReport({ reportId: input.reportId, workflowId: wfId });
      show(`应于 ${new Date(input.dueAtMs).toISOString()} 前报送`);
    } else {
      show(`已逾期，第${input.overdue.round}次催报后仍未报送`);
    }
    // The due date, then each reminder round: one movable deadline.
    const clock = new MovableDeadline(input.overdue?.nextReminderAtMs ?? input.dueAtMs);
    const firstRound = input.overdue?.round ?? 0;
    for (let round = firstRound; !filed; round++) {
      if ((await clock.wait(() => filed)) === 'done') break;
      if (round - firstRound >= OVERDUE_ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested) {
        // A filing under way finishes here first (its Update is answered by this run).
        await condition(() => !filing && allHandlersFinished() && activitiesInFlight() === 0);
        if (filed) break;
        await continueAsNew<typeof useReportWorkflow>({
          ...input,
          overdue: { round, nextReminderAtMs: clock.atMs ?? Date.now(), policyAtMs },
        });
      }
      stage = 'OVERDUE';
      upsertSearchAttributes([{ key: SA.Overdue, value: true }]);
      show(`已逾期，第${round + 1}次催报`);
      await acts.markAuthorizationReportOverdue({
        reportId: input.reportId,
        round,
        authorityDeptId: input.authorityDeptId,
      });
      clock.move(
        await acts.nextWorkingDayStart({
          afterMs: Date.now(),
          workingDays: policy.useReportReminderEveryWorkingDays,
          calendarPolicy: calendarPolicyOf(policy),
        }),
      );
    }
    stage = 'REVIEW';
    upsertSearchAttributes([{ key: SA.Overdue, value: false }]);
    show(late ? '逾期报送，待审查' : '已报送，待审查');
    const task = await tasks.open({
      taskKey: `${wfId}:review`,
      procedure: 'COMMERCIAL_TENDER',
      step: 'REVIEW_USE_REPORT',
      title: `审查${label}（授权 ${input.authorizationNo}${late ? '，逾期报送' : ''}）`,
      subjectRef: input.reportId,
      candidateDeptId: input.authorityDeptId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['ACCEPT', 'SUSPEND', 'REVOKE'],
      reasonsRequiredFor: ['SUSPEND', 'REVOKE'],
      workingDays: policy.useReportReviewWorkingDays,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.authorizationNo,
    });
    const d = await tasks.decision(task);
    await acts.reviewAuthorizationReport({
      reportId: input.reportId,
      decision: d.decision,
      reasons: d.reasons,
      actorUserId: d.actor.userId,
    });
    stage = 'DONE';
    show(`审查结论 ${d.decision}`);
    tasks.closeAll();
    await condition(allHandlersFinished);
    return {
      decision: d.decision as UseReportResult['decision'],
      reasons: d.reasons,
      actorUserId: d.actor.userId,
      late,
    };
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

/** The calendar a policy asks for: 调休上班日 counted or not, and a drill's working day of fixed length. */
function calendarPolicyOf(policy: ProcedurePolicy): CalendarPolicyInput {
  return {
    countMakeupWorkdays: policy.countMakeupWorkdays,
    ...(policy.drillWorkingDay ? { drillWorkingDay: policy.drillWorkingDay } : {}),
  };
}
