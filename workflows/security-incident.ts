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
 */
import {
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { HourAlert, IncidentStep } from '../activities/security-incident';
import type { ProcedurePolicy } from '../domain/policy';
import { MovableDeadline } from './kit/deadline';
import { TaskRuntime } from './kit/tasks';
import type { CompleteTaskInput } from './messages';
import { SecurityIncidentInput, suspendIncidentGrantsUpdate } from './objection-messages';
import { SA } from './search-attributes';
import { acts } from './kit/procedure';
import { reject } from './kit/reject';
import { answered } from './kit/settle';

export type IncidentStage = 'REPORTED' | 'REMEDIATION' | 'REVIEW' | 'CLOSED';

const PROCEDURE_NAME = '数据安全事件处置';
const HOUR_MS = 3_600_000;

export async function securityIncidentWorkflow(
  input: SecurityIncidentInput,
): Promise<{ outcome: 'CLOSED'; suspendedGrants: boolean }> {
  const wfId = workflowInfo().workflowId;
  let stage: IncidentStage = 'REPORTED';
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: input.reportedAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  let suspension: Promise<{ suspended: number }> | undefined;
  const hourDeadlines = new Map<string, number>();
  const overdueHourTasks = new Set<string>();

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

  const suspendOnce = (actorUserId: string) => {
    suspension ??= acts.suspendIncidentGrants({ incidentId: input.incidentId, actorUserId });
    return suspension;
  };

  setHandler(
    suspendIncidentGrantsUpdate,
    answered(async (u) => {
      const { suspended } = await suspendOnce(u.actor.userId);
      return { suspended, stage };
    }),
    {
      validator: (u) => {
        if (u.actor.departmentId !== input.authorityDeptId || !u.actor.roles.includes('AUTHORITY_REVIEWER')) {
          reject('FORBIDDEN', 'Only the data authority may suspend grants during an incident');
        }
        if (stage === 'CLOSED') reject('CONFLICT', 'The incident is closed');
      },
    },
  );

  /** One measure Art. 32 demands, as an inbox task with an hour deadline the workflow times itself. */
  async function hourStep(step: IncidentStep, title: string, decisionName: string, hours: number): Promise<void> {
    const task = await tasks.open({
      taskKey: `${wfId}:${step.toLowerCase()}`,
      procedure: 'SECURITY_INCIDENT',
      step,
      title: `${title}（${input.incidentNo}，限${hours}小时内）`,
      subjectRef: input.incidentId,
      candidateDeptId: input.responsibleDeptId,
      candidateRole: 'DEPT_STAFF',
      // The reasons field carries the record: measures taken, how users were told, the report's reference.
      allowedDecisions: [decisionName],
      reasonsRequiredFor: [decisionName],
      workingDays: null,
      procedureName: PROCEDURE_NAME,
      applicationNo: input.incidentNo,
    });
    const clock = await acts.startHourDeadline({
      taskId: task.taskId,
      hours,
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
      if ((await limit.wait(() => decided !== undefined)) === 'done') break;
      await acts.hourTaskAlert({ taskId: task.taskId, alert, incidentNo: input.incidentNo });
      if (alert !== 'WARNING') overdueHourTasks.add(task.taskId);
      publishHours();
    }
    const d = await pending;
    hourDeadlines.delete(task.taskId);
    overdueHourTasks.delete(task.taskId);
    publishHours();
    await acts.recordIncidentStep({
      incidentId: input.incidentId,
      step,
      text: d.reasons ?? '',
      actorUserId: d.actor.userId,
    });
  }

  await acts.recordIncidentReported({ incidentId: input.incidentId });
  if (input.suspendGrants) await suspendOnce(input.reporterUserId);
  await acts.notifyIncidentUsers({ incidentId: input.incidentId });

  enter('REMEDIATION', '立即采取补救措施、告知用户并向网信部门报告');
  await Promise.all([
    hourStep('REMEDIATE', '立即采取补救措施', 'REMEDIATED', policy.incidentRemediationHours),
    hourStep('NOTIFY_USERS', '告知受影响的用户', 'USERS_NOTIFIED', policy.incidentNotifyUsersHours),
    hourStep('REPORT_CYBERSPACE', '向网信部门报告', 'REPORTED', policy.incidentCyberspaceReportHours),
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
  const closing = await tasks.decision(review);
  // A suspension the authority asked for while closing must finish before the grants are restored.
  if (suspension) await suspension;
  enter('CLOSED', '已结案，暂停的访问权限已恢复');
  await acts.closeIncident({
    incidentId: input.incidentId,
    conclusion: closing.reasons ?? '',
    actorUserId: closing.actor.userId,
  });
  tasks.closeAll();
  publishHours();
  await condition(allHandlersFinished);
  return { outcome: 'CLOSED', suspendedGrants: suspension !== undefined };
}
