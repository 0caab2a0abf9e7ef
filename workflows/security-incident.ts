/**
 * 数据安全事件 (Art. 32 ¶2): "应当立即采取补救措施，告知用户并及时向市政务数据主管部门和网信部门
 * 报告". The filing is the report to the data authority (recorded with its time); grants on the
 * affected resources can be suspended at once or later by the authority, until closed; three
 * steps for the responsible department run in parallel with deadlines in HOURS — remediation,
 * telling the affected users, the report to the cyberspace administration — then the authority
 * reviews and closes, which restores the grants. Everything lands in the audit log.
 *
 * Hour deadlines: the inbox framework counts working days, so these tasks are opened without a
 * working-day deadline and this workflow runs their clock itself — an activity stores
 * dueAt = creation + hours on the task row (the inbox shows it), and durable timers here fire
 * the warning, the overdue alert and the escalation. No deadline decides anything by itself.
 *
 * Since `incident-owner-decides-suspension` (older histories keep the old path): suspending
 * grants is decided by each affected resource's provider or the data authority (Art. 13) — at
 * once when the reporter is one of them, otherwise in an hour-limited task for the provider,
 * whose decision may name the grants; the authority and the provider can also suspend named
 * grants at any time until closing. The platform itself sends the report to the configured 网信
 * contact (then the department's report task is not opened) and its notice to the users it
 * knows; a citizen's or company's report is first triaged by the authority.
 */
import {
  allHandlersFinished,
  condition,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { HourAlert, IncidentStep, SuspensionGroup } from '../activities/security-incident';
import type { Role } from '../generated/prisma/client';
import type { ProcedurePolicy } from '../domain/policy';
import { MovableDeadline } from './kit/deadline';
import { TaskRuntime } from './kit/tasks';
import type { CompleteTaskInput } from './messages';
import { SecurityIncidentInput, SuspendGrantsInput, suspendIncidentGrantsUpdate } from './objection-messages';
import { SA } from './search-attributes';
import { acts } from './kit/procedure';
import { reject } from './kit/reject';
import { answered } from './kit/settle';

export type IncidentStage = 'REPORTED' | 'TRIAGE' | 'REMEDIATION' | 'REVIEW' | 'CLOSED';

const PROCEDURE_NAME = '数据安全事件处置';
const HOUR_MS = 3_600_000;
/** Owners decide suspensions, the platform reports and notifies itself, public reports are triaged. */
export const INCIDENT_OWNER_DECIDES = 'incident-owner-decides-suspension';

/** `payload.grantIds` of a suspension decision: absent, or a non-empty list of grant ids. */
function namedGrants(input: { decision: string; payload?: Record<string, unknown>; grantIds?: unknown }) {
  const ids = input.grantIds ?? input.payload?.grantIds;
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 500 || ids.some((x) => typeof x !== 'string' || !x))
    reject('VALIDATION_FAILED', {
      zh: 'grantIds 须为非空的访问权限编号列表（最多 500 个）',
      en: 'grantIds must be a non-empty list of grant ids (at most 500)',
    });
  return [...new Set(ids as string[])].sort();
}

export async function securityIncidentWorkflow(
  input: SecurityIncidentInput,
): Promise<{ outcome: 'CLOSED' | 'DISMISSED'; suspendedGrants: boolean }> {
  // Decided before the first command, so a history from before the change replays its own path.
  const ownersDecide = patched(INCIDENT_OWNER_DECIDES);
  const wfId = workflowInfo().workflowId;
  let stage: IncidentStage = 'REPORTED';
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: input.reportedAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  let suspension: Promise<{ suspended: number }> | undefined;
  const hourDeadlines = new Map<string, number>();
  const overdueHourTasks = new Set<string>();
  // New path: who decides suspensions where, the suspensions under way, and whether any held.
  let groups: SuspensionGroup[] | undefined;
  let closing = false;
  let suspending = 0;
  let suspendedAny = false;

  const enter = (next: IncidentStage, message: string) => {
    stage = next;
    upsertSearchAttributes([{ key: SA.Stage, value: next }]);
    setCurrentDetails(`**${PROCEDURE_NAME} ${input.incidentNo}** — stage \`${next}\`: ${message}`);
  };

  /** The framework publishes working-day tasks only; add the hour clocks on top. */
  const publishHours = () => {
    tasks.publish();
    const deadlines = [
      ...hourDeadlines.values(),
      ...tasks
        .openTasks()
        .map((t) => t.dueAtMs)
        .filter((d): d is number => d !== null),
    ];
    const updates: Parameters<typeof upsertSearchAttributes>[0] = [
      { key: SA.Overdue, value: overdueHourTasks.size > 0 || tasks.openTasks().some((t) => t.overdue) },
    ];
    if (deadlines.length > 0) updates.push({ key: SA.DeadlineAt, value: new Date(Math.min(...deadlines)) });
    upsertSearchAttributes(updates);
  };

  /** Before the change: one suspension of every grant on the affected resources. */
  const suspendOnce = (actorUserId: string) => {
    suspension ??= acts.suspendIncidentGrants({ incidentId: input.incidentId, actorUserId });
    return suspension;
  };

  /** One owner's decision to suspend (some) grants; closing waits for those under way. */
  async function suspend(args: { key: string; actorUserId: string; resourceIds?: string[]; grantIds?: string[] }) {
    suspending += 1;
    try {
      const r = await acts.suspendIncidentGrants({ incidentId: input.incidentId, ...args });
      if (r.suspended > 0) suspendedAny = true;
      return r;
    } finally {
      suspending -= 1;
    }
  }

  const isAuthority = (actor: SuspendGrantsInput['actor']) =>
    actor.departmentId === input.authorityDeptId && actor.roles.includes('AUTHORITY_REVIEWER');

  setHandler(
    suspendIncidentGrantsUpdate,
    answered(async (u) => {
      if (!ownersDecide) {
        const { suspended } = await suspendOnce(u.actor.userId);
        return { suspended, stage };
      }
      const grantIds = namedGrants({ decision: 'SUSPEND', grantIds: u.grantIds });
      // The authority: every affected resource; a provider: its own.
      const resourceIds = isAuthority(u.actor)
        ? undefined
        : (groups ?? []).filter((g) => g.providerDeptId === u.actor.departmentId).flatMap((g) => g.resourceIds);
      const { suspended } = await suspend({
        key: `update:${u.actor.userId}:${grantIds?.join(',') ?? 'all'}`,
        actorUserId: u.actor.userId,
        resourceIds,
        grantIds,
      });
      return { suspended, stage };
    }),
    {
      validator: (u) => {
        const provider =
          ownersDecide &&
          u.actor.roles.includes('PROVIDER_REVIEWER') &&
          (groups ?? []).some((g) => g.providerDeptId === u.actor.departmentId);
        if (!isAuthority(u.actor) && !provider) {
          reject('FORBIDDEN', {
            zh: ownersDecide
              ? '安全事件期间，只有政务数据主管部门或受影响数据资源的提供部门可以暂停访问权限'
              : '安全事件期间，只有政务数据主管部门可以暂停访问权限',
            en: ownersDecide
              ? "Only the data authority or an affected resource's provider may suspend grants during an incident"
              : 'Only the data authority may suspend grants during an incident',
          });
        }
        if (stage === 'CLOSED' || closing)
          reject(ownersDecide ? 'INCIDENT_CLOSED' : 'CONFLICT', {
            zh: '该安全事件已关闭',
            en: 'The incident is closed',
          });
        if (ownersDecide) namedGrants({ decision: 'SUSPEND', grantIds: u.grantIds });
      },
    },
  );

  interface HourTaskSpec {
    key: string;
    step: string;
    title: string;
    hours: number;
    candidateDeptId: string;
    candidateRole: Role;
    allowedDecisions: string[];
    reasonsRequiredFor: string[];
    validate?: (d: CompleteTaskInput) => void;
  }

  /** An inbox task with an hour deadline the workflow times itself; answers its decision. */
  async function hourTask(spec: HourTaskSpec): Promise<CompleteTaskInput> {
    const task = await tasks.open(
      {
        taskKey: `${wfId}:${spec.key}`,
        procedure: 'SECURITY_INCIDENT',
        step: spec.step,
        title: spec.title,
        subjectRef: input.incidentId,
        candidateDeptId: spec.candidateDeptId,
        candidateRole: spec.candidateRole,
        allowedDecisions: spec.allowedDecisions,
        reasonsRequiredFor: spec.reasonsRequiredFor,
        workingDays: null,
        // Stored on the row at creation, so the assignment mail shows the limit.
        hours: { dueInHours: spec.hours, warningHoursBefore: policy.incidentWarningHoursBefore },
        procedureName: PROCEDURE_NAME,
        applicationNo: input.incidentNo,
      },
      { validate: spec.validate },
    );
    const clock = await acts.startHourDeadline({
      taskId: task.taskId,
      hours: spec.hours,
      warningHoursBefore: policy.incidentWarningHoursBefore,
    });
    hourDeadlines.set(task.taskId, clock.dueAtMs);
    publishHours();
    let decided: CompleteTaskInput | undefined;
    const pending = tasks.decision(task).then((d) => {
      decided = d;
      return d;
    });
    const alerts: Array<[HourAlert, number]> = [];
    if (clock.warningAtMs !== null) alerts.push(['WARNING', clock.warningAtMs]);
    alerts.push(
      ['OVERDUE', clock.dueAtMs],
      ['ESCALATION', clock.dueAtMs + policy.incidentEscalateAfterOverdueHours * HOUR_MS],
    );
    // Hour limits are not working days: the deadline moves with nothing but the procedure.
    const limit = new MovableDeadline(null);
    for (const [alert, atMs] of alerts) {
      limit.move(atMs);
      if ((await limit.wait(() => decided !== undefined || closing)) === 'done') break;
      await acts.hourTaskAlert({ taskId: task.taskId, alert, incidentNo: input.incidentNo });
      if (alert !== 'WARNING') overdueHourTasks.add(task.taskId);
      publishHours();
    }
    const d = await pending;
    hourDeadlines.delete(task.taskId);
    overdueHourTasks.delete(task.taskId);
    publishHours();
    return d;
  }

  /** One measure Art. 32 demands, for the responsible department; the reasons field carries the record. */
  async function hourStep(step: IncidentStep, title: string, decisionName: string, hours: number): Promise<void> {
    const d = await hourTask({
      key: step.toLowerCase(),
      step,
      title: `${title}（${input.incidentNo}，限${hours}小时内）`,
      hours,
      candidateDeptId: input.responsibleDeptId,
      candidateRole: 'DEPT_STAFF',
      allowedDecisions: [decisionName],
      reasonsRequiredFor: [decisionName],
    });
    await acts.recordIncidentStep({
      incidentId: input.incidentId,
      step,
      text: d.reasons ?? '',
      actorUserId: d.actor.userId,
    });
  }

  /** The provider decides whether to suspend grants on its resources (and which), within hours. */
  async function providerDecides(g: SuspensionGroup): Promise<void> {
    const hours = policy.incidentSuspensionDecisionHours;
    const d = await hourTask({
      key: `suspension:${g.providerDeptId}`,
      step: 'DECIDE_SUSPENSION',
      title: `决定是否暂停相关数据访问权限（${input.incidentNo}，限${hours}小时内）`,
      hours,
      candidateDeptId: g.providerDeptId,
      candidateRole: 'PROVIDER_REVIEWER',
      allowedDecisions: ['SUSPEND', 'NO_SUSPENSION'],
      reasonsRequiredFor: ['NO_SUSPENSION'],
      validate: (x) => {
        const named = namedGrants(x);
        if (named && x.decision !== 'SUSPEND')
          reject('VALIDATION_FAILED', {
            zh: 'grantIds 仅适用于 SUSPEND（暂停）决定',
            en: 'grantIds go with the decision SUSPEND',
          });
      },
    });
    // Closed meanwhile: nothing is suspended any more.
    if (closing) return;
    suspending += 1;
    try {
      await acts.recordSuspensionDecision({
        incidentId: input.incidentId,
        providerDeptId: g.providerDeptId,
        decision: d.decision === 'SUSPEND' ? 'SUSPEND' : 'NO_SUSPENSION',
        reasons: d.reasons ?? '',
        actorUserId: d.actor.userId,
      });
      if (d.decision === 'SUSPEND')
        await suspend({
          key: `task:${d.taskId}`,
          actorUserId: d.actor.userId,
          resourceIds: g.resourceIds,
          grantIds: namedGrants(d),
        });
    } finally {
      suspending -= 1;
    }
  }

  await acts.recordIncidentReported({ incidentId: input.incidentId });
  let cyberspaceSent = false;
  if (!ownersDecide) {
    if (input.suspendGrants) await suspendOnce(input.reporterUserId);
    await acts.notifyIncidentUsers({ incidentId: input.incidentId });
  } else {
    groups = (await acts.planIncidentSuspension({ incidentId: input.incidentId })).groups;
    if (input.triage) {
      enter('TRIAGE', '公众报告的疑似数据安全事件，由数据主管部门核实');
      const hours = policy.incidentTriageHours;
      const triage = await hourTask({
        key: 'triage',
        step: 'TRIAGE_REPORT',
        title: `核实公众报告的疑似数据安全事件（${input.incidentNo}，限${hours}小时内）`,
        hours,
        candidateDeptId: input.authorityDeptId,
        candidateRole: 'AUTHORITY_REVIEWER',
        allowedDecisions: ['CONFIRM', 'DISMISS'],
        reasonsRequiredFor: ['DISMISS'],
      });
      if (triage.decision === 'DISMISS') {
        closing = true;
        enter('CLOSED', '经核实不属于数据安全事件，已结案');
        await acts.dismissIncident({
          incidentId: input.incidentId,
          reasons: triage.reasons ?? '',
          actorUserId: triage.actor.userId,
        });
        tasks.closeAll();
        publishHours();
        await condition(allHandlersFinished);
        return { outcome: 'DISMISSED', suspendedGrants: false };
      }
    }
    if (input.suspendGrants) {
      for (const g of groups.filter((x) => x.immediate)) {
        await suspend({
          key: `reporter:${g.providerDeptId}`,
          actorUserId: input.reporterUserId,
          resourceIds: g.resourceIds,
        });
      }
      // Asked for by someone who does not own the data: each provider decides, beside the measures.
      for (const g of groups.filter((x) => !x.immediate)) void providerDecides(g);
    }
    await acts.notifyIncidentUsers({ incidentId: input.incidentId });
    cyberspaceSent = (await acts.reportIncidentToCyberspace({ incidentId: input.incidentId })).sent;
  }

  enter('REMEDIATION', '立即采取补救措施、告知用户并向网信部门报告');
  await Promise.all([
    hourStep('REMEDIATE', '立即采取补救措施', 'REMEDIATED', policy.incidentRemediationHours),
    hourStep('NOTIFY_USERS', '告知受影响的用户', 'USERS_NOTIFIED', policy.incidentNotifyUsersHours),
    ...(cyberspaceSent
      ? []
      : [hourStep('REPORT_CYBERSPACE', '向网信部门报告', 'REPORTED', policy.incidentCyberspaceReportHours)]),
  ]);

  enter('REVIEW', '数据主管部门审核处置情况并结案');
  const review = await tasks.open({
    taskKey: `${wfId}:close`,
    procedure: 'SECURITY_INCIDENT',
    step: 'CLOSE_INCIDENT',
    title: `审核处置情况并结案（${input.incidentNo}）`,
    subjectRef: input.incidentId,
    candidateDeptId: input.authorityDeptId,
    candidateRole: 'AUTHORITY_REVIEWER',
    allowedDecisions: ['CLOSE'],
    reasonsRequiredFor: ['CLOSE'],
    workingDays: policy.incidentCloseReviewWorkingDays,
    procedureName: PROCEDURE_NAME,
    applicationNo: input.incidentNo,
  });
  const closingDecision = await tasks.decision(review);
  if (ownersDecide) {
    // No more suspensions; those under way finish before the grants are restored, and a
    // provider's decision task still open is cancelled (its limit no longer runs).
    closing = true;
    const undecided = tasks.openTasks().some((t) => t.spec.step === 'DECIDE_SUSPENSION');
    tasks.closeAll();
    await condition(() => suspending === 0);
    if (undecided) await acts.cancelOpenTasks({ workflowId: wfId, reason: '事件已结案，无需再决定暂停' });
  } else if (suspension) {
    // A suspension the authority asked for while closing must finish before the grants are restored.
    await suspension;
  }
  enter('CLOSED', '已结案，暂停的访问权限已恢复');
  await acts.closeIncident({
    incidentId: input.incidentId,
    conclusion: closingDecision.reasons ?? '',
    actorUserId: closingDecision.actor.userId,
  });
  tasks.closeAll();
  publishHours();
  await condition(allHandlersFinished);
  return { outcome: 'CLOSED', suspendedGrants: ownersDecide ? suspendedAny : suspension !== undefined };
}
