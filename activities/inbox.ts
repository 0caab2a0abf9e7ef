/**
 * Inbox tasks: the query model of every human step. Rows are keyed by a natural task key so a
 * retried activity never creates a second task, reminder or escalation mail.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Prisma, type Procedure, type Role, type Task } from '../generated/prisma/client';
import type { DeadlineResult } from '../domain/calendar';
import { DrillCalendar, drillCalendarFor, TaskCalendar } from '../domain/drill-time';
import { insertOnce } from '../lib/db';
import { auditOnce } from './audit';
import { activityNow, ActivityDeps, CalendarPolicyInput } from './deps';
import { notificationActivities } from './notifications';
import { escalationRecipients, usersWithRole } from './recipients';

export interface OpenTaskInput {
  /** Chosen by the workflow, so it knows the task before this row exists. */
  taskId: string;
  taskKey: string;
  workflowId: string;
  procedure: Procedure;
  step: string;
  title: string;
  applicationId?: string;
  subjectRef?: string;
  candidateDeptId: string;
  candidateRole: Role;
  allowedDecisions: string[];
  /** Deadline in working days from the task's creation; null = no deadline (e.g. the applicant's own answer). */
  workingDays: number | null;
  /**
   * Count the working days from this instant (epoch ms) instead of the task's creation, e.g.
   * Art. 33 "从收到异议材料之日起": a step opened later still ends N working days after receipt.
   */
  countFromMs?: number;
  /**
   * A limit in HOURS from the task's creation (incident steps, Art. 32): stored on the row and
   * shown in the assignment mail, but timed by the procedure itself, not by the task framework
   * (which counts working days only), so the framework sees no deadline on such a task.
   */
  hours?: { dueInHours: number; warningHoursBefore: number };
  warningWorkingDaysBefore: number;
  calendarPolicy?: CalendarPolicyInput;
  procedureName: string;
  applicationNo: string;
}

export interface TaskTiming {
  taskId: string;
  /** Epoch milliseconds, so the workflow can wait on them without parsing dates. */
  dueAtMs: number | null;
  warningAtMs: number | null;
  provisional: boolean;
}

export interface TaskEventInput {
  taskId: string;
  applicationNo: string;
  procedureName: string;
}

const SHANGHAI = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  dateStyle: 'medium',
  timeStyle: 'short',
  hour12: false,
});
/**
 * An instant as people read it, in Beijing time. A deadline is the end of its last day, so an
 * instant at midnight is written as 24时 of the day before ("2026年12月15日24时", not "12月16日
 * 00:00", which reads as one day more); any other instant with its minutes.
 */
export function shanghaiText(d: Date | null | undefined): string {
  if (!d) return '无';
  const local = new Date(d.getTime() + 8 * 3_600_000);
  const midnight = local.getUTCHours() === 0 && local.getUTCMinutes() === 0 && local.getUTCSeconds() === 0;
  if (midnight) {
    const day = new Date(local.getTime() - 86_400_000);
    return `${day.getUTCFullYear()}年${day.getUTCMonth() + 1}月${day.getUTCDate()}日24时（北京时间）`;
  }
  return `${SHANGHAI.format(d)}（北京时间）`;
}

const HOUR_MS = 3_600_000;

/** An hour limit from `from`: the warning only if it falls after the start. */
export function hourDeadline(
  from: Date,
  hours: number,
  warningHoursBefore: number,
): { deadlineAt: Date; warningAt: Date | null; provisional: false } {
  const deadlineAt = new Date(from.getTime() + hours * HOUR_MS);
  const warningMs = deadlineAt.getTime() - warningHoursBefore * HOUR_MS;
  return { deadlineAt, warningAt: warningMs > from.getTime() ? new Date(warningMs) : null, provisional: false };
}

export function inboxActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);
  /** A drill case's own "working days" of fixed length (README "Drills"), or the working-day calendar. */
  const drillCalendar = (policy?: CalendarPolicyInput): DrillCalendar | null => {
    try {
      return drillCalendarFor(policy);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'INVALID_POLICY');
    }
  };
  const calendar = async (policy?: CalendarPolicyInput): Promise<TaskCalendar> => {
    const drill = drillCalendar(policy);
    if (drill) return drill;
    if (!deps.calendar) throw ApplicationFailure.nonRetryable('No working-day calendar configured for activities');
    return deps.calendar(policy);
  };

  function timing(task: {
    id: string;
    workingDays: number | null;
    dueAt: Date | null;
    warningAt: Date | null;
    deadlineProvisional: boolean;
  }): TaskTiming {
    // A task without working days has no deadline the framework runs (an hour limit is the procedure's).
    const framework = task.workingDays !== null;
    return {
      taskId: task.id,
      dueAtMs: framework ? (task.dueAt?.getTime() ?? null) : null,
      warningAtMs: framework ? (task.warningAt?.getTime() ?? null) : null,
      provisional: task.deadlineProvisional,
    };
  }

  async function deadlineFor(
    createdAt: Date,
    workingDays: number,
    pausedWorkingDays: number,
    warningBefore: number,
    policy?: CalendarPolicyInput,
  ): Promise<DeadlineResult> {
    // The procedure's calendar policy (e.g. whether 调休 makeup days count) reaches every deadline.
    return (await calendar(policy)).deadline(createdAt, workingDays + pausedWorkingDays, {
      warningWorkingDaysBefore: warningBefore,
    });
  }

  async function audit(
    auditKey: string,
    actor: string,
    action: string,
    taskId: string,
    details: Record<string, unknown> = {},
  ) {
    await auditOnce(db, { auditKey, actor, action, entityType: 'Task', entityId: taskId, details });
  }

  async function createTask(input: OpenTaskInput) {
    const createdAt = now();
    const deadlineFrom = input.countFromMs !== undefined ? new Date(input.countFromMs) : null;
    const d = input.workingDays
      ? await deadlineFor(
          deadlineFrom ?? createdAt,
          input.workingDays,
          0,
          input.warningWorkingDaysBefore,
          input.calendarPolicy,
        )
      : input.hours
        ? hourDeadline(createdAt, input.hours.dueInHours, input.hours.warningHoursBefore)
        : null;
    // One INSERT: a retry (the row exists) reads the row it wrote the first time (an upsert was
    // five statements on every open).
    let created: Task | undefined;
    await insertOnce(async () => {
      created = await db.task.create({
        data: {
          id: input.taskId,
          taskKey: input.taskKey,
          workflowId: input.workflowId,
          procedure: input.procedure,
          step: input.step,
          title: input.title,
          applicationId: input.applicationId,
          subjectRef: input.subjectRef,
          candidateDeptId: input.candidateDeptId,
          candidateRole: input.candidateRole,
          allowedDecisions: input.allowedDecisions,
          workingDays: input.workingDays,
          dueAt: d?.deadlineAt ?? null,
          warningAt: d?.warningAt ?? null,
          deadlineProvisional: d?.provisional ?? false,
          createdAt,
          deadlineFrom,
        },
      });
    });
    return created ?? db.task.findUniqueOrThrow({ where: { taskKey: input.taskKey } });
  }

  return {
    /**
     * The inbox row, its audit row and the mail to the candidates, each written once. A retry
     * after a crash between them finds the row and still writes what is missing (the audit row
     * and the outbox rows are keyed by the task), so nothing is lost and nothing doubled.
     */
    async openTask(input: OpenTaskInput): Promise<TaskTiming> {
      const task = await createTask(input);
      // Both keyed by the task, so they run side by side: a retry writes whichever is missing.
      await Promise.all([
        audit(`task:${task.id}:created`, 'system', 'TASK_CREATED', task.id, {
          step: task.step,
          candidateDeptId: task.candidateDeptId,
          candidateRole: task.candidateRole,
          dueAt: task.dueAt,
        }),
        usersWithRole(db, task.candidateDeptId, [task.candidateRole]).then((recipients) =>
          notify({
            eventKey: `task:${task.id}:assigned`,
            template: 'task-assigned',
            recipients,
            data: {
              procedureName: input.procedureName,
              taskTitle: task.title,
              applicationNo: input.applicationNo,
              dueAt: shanghaiText(task.dueAt),
              warningAt: shanghaiText(task.warningAt),
              provisional: task.deadlineProvisional,
            },
          }),
        ),
      ]);
      return timing(task);
    },

    /** Records a decision the workflow accepted. Idempotent: a DONE task stays as it was. */
    async recordTaskDecision(input: {
      taskId: string;
      decision: string;
      reasons?: string;
      comment?: string;
      actorUserId: string;
    }): Promise<void> {
      const at = now();
      // Side by side: each is idempotent on its own, and a retry completes whichever is missing.
      await Promise.all([
        db.task.updateMany({
          where: { id: input.taskId, status: { in: ['OPEN', 'CLAIMED'] } },
          data: {
            status: 'DONE',
            decision: input.decision,
            reasons: input.reasons ?? null,
            comment: input.comment ?? null,
            completedById: input.actorUserId,
            completedAt: at,
            pausedAt: null,
            pendingDecision: Prisma.DbNull,
            pendingDecisionAt: null,
          },
        }),
        audit(`task:${input.taskId}:decided`, input.actorUserId, 'TASK_DECIDED', input.taskId, {
          decision: input.decision,
          reasons: input.reasons,
        }),
      ]);
    },

    /** The deadline from the task's creation, plus every working day the clock was stopped. */
    async recomputeTaskDeadline(input: {
      taskId: string;
      warningWorkingDaysBefore: number;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<TaskTiming> {
      const task = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      if (!task.workingDays || task.status === 'DONE' || task.status === 'CANCELLED') return timing(task);
      const d = await deadlineFor(
        task.deadlineFrom ?? task.createdAt,
        task.workingDays,
        task.pausedWorkingDays,
        input.warningWorkingDaysBefore,
        input.calendarPolicy,
      );
      const overdue = task.overdue && d.deadlineAt.getTime() <= now().getTime();
      const updated = await db.task.update({
        where: { id: task.id },
        data: { dueAt: d.deadlineAt, warningAt: d.warningAt, deadlineProvisional: d.provisional, overdue },
      });
      if (task.dueAt?.getTime() !== d.deadlineAt.getTime()) {
        await audit(
          `task:${task.id}:recomputed:${d.deadlineAt.toISOString()}`,
          'system',
          'TASK_DEADLINE_RECOMPUTED',
          task.id,
          { from: task.dueAt, to: d.deadlineAt, provisional: d.provisional },
        );
      }
      return timing(updated);
    },

    /** 补正: the step's clock stops while the applicant supplements (行政许可法 Art. 32 by analogy). */
    async pauseTask(input: { taskId: string; reason: string }): Promise<void> {
      await db.task.updateMany({
        where: { id: input.taskId, pausedAt: null, status: { in: ['OPEN', 'CLAIMED'] } },
        data: { pausedAt: now(), pendingDecision: Prisma.DbNull, pendingDecisionAt: null },
      });
      await audit(`task:${input.taskId}:paused`, 'system', 'TASK_PAUSED', input.taskId, { reason: input.reason });
    },

    async resumeTask(input: {
      taskId: string;
      warningWorkingDaysBefore: number;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<TaskTiming> {
      const task = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      if (task.pausedAt && task.workingDays) {
        const cal = await calendar(input.calendarPolicy);
        const paused = Math.max(0, cal.workingDaysBetween(task.pausedAt, now()));
        const d = cal.deadline(
          task.deadlineFrom ?? task.createdAt,
          task.workingDays + task.pausedWorkingDays + paused,
          { warningWorkingDaysBefore: input.warningWorkingDaysBefore },
        );
        const updated = await db.task.update({
          where: { id: task.id },
          data: {
            pausedAt: null,
            pausedWorkingDays: task.pausedWorkingDays + paused,
            dueAt: d.deadlineAt,
            warningAt: d.warningAt,
            deadlineProvisional: d.provisional,
            overdue: false,
            decisionRound: task.decisionRound + 1,
          },
        });
        await audit(`task:${task.id}:resumed:${task.pausedAt.toISOString()}`, 'system', 'TASK_RESUMED', task.id, {
          pausedWorkingDays: paused,
          dueAt: d.deadlineAt,
        });
        return timing(updated);
      }
      if (task.pausedAt)
        await db.task.update({
          where: { id: task.id },
          data: { pausedAt: null, decisionRound: task.decisionRound + 1 },
        });
      return timing(task);
    },

    async sendTaskWarning(input: TaskEventInput): Promise<void> {
      const task = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      if (task.status === 'DONE' || task.status === 'CANCELLED') return;
      await audit(`task:${task.id}:warning:${task.dueAt?.toISOString()}`, 'system', 'TASK_WARNING', task.id, {
        dueAt: task.dueAt,
      });
      await notify({
        eventKey: `task:${task.id}:warning:${task.dueAt?.toISOString()}`,
        template: 'reminder',
        recipients: await usersWithRole(db, task.candidateDeptId, [task.candidateRole]),
        data: { taskTitle: task.title, applicationNo: input.applicationNo, dueAt: shanghaiText(task.dueAt) },
      });
    },

    /**
     * Red warning at the deadline and every reminder after it: the task stays open (no approval
     * by silence); from the escalation threshold on, the head and supervisors are told too.
     */
    async sendTaskOverdue(
      input: TaskEventInput & {
        round: number;
        escalateAfterOverdueWorkingDays: number;
        calendarPolicy?: CalendarPolicyInput;
      },
    ): Promise<{ overdueWorkingDays: number }> {
      const task = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      if (task.status === 'DONE' || task.status === 'CANCELLED' || !task.dueAt) return { overdueWorkingDays: 0 };
      if (!task.overdue) await db.task.update({ where: { id: task.id }, data: { overdue: true } });
      const overdueWorkingDays = Math.max(
        0,
        (await calendar(input.calendarPolicy)).workingDaysBetween(task.dueAt, now()),
      );
      const escalate = overdueWorkingDays >= input.escalateAfterOverdueWorkingDays;
      await audit(
        `task:${task.id}:overdue:${input.round}`,
        'system',
        escalate ? 'TASK_ESCALATED' : 'TASK_OVERDUE',
        task.id,
        { dueAt: task.dueAt, overdueWorkingDays },
      );
      const assignees = await usersWithRole(db, task.candidateDeptId, [task.candidateRole]);
      const recipients =
        input.round === 0 || escalate
          ? [...assignees, ...(await escalationRecipients(db, task.candidateDeptId))]
          : assignees;
      await notify({
        eventKey: `task:${task.id}:overdue:${input.round}`,
        template: 'overdue',
        recipients,
        data: {
          taskTitle: task.title,
          applicationNo: input.applicationNo,
          dueAt: shanghaiText(task.dueAt),
          overdueWorkingDays,
        },
      });
      return { overdueWorkingDays };
    },

    /** Start of the working day after `afterMs` (Shanghai): when the next overdue reminder goes out. */
    async nextWorkingDayStart(input: {
      afterMs: number;
      workingDays: number;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<number> {
      const drill = drillCalendar(input.calendarPolicy);
      if (drill) return drill.nextWorkingDayStart(input.afterMs, input.workingDays);
      // The end of the N-th working day is 24:00 Shanghai; China has no DST, so its start is 24 h earlier.
      return (
        (await calendar(input.calendarPolicy))
          .deadline(new Date(input.afterMs), input.workingDays)
          .deadlineAt.getTime() -
        24 * 3600_000
      );
    },

    async cancelOpenTasks(input: { workflowId: string; reason: string }): Promise<number> {
      const open = await db.task.findMany({
        where: { workflowId: input.workflowId, status: { in: ['OPEN', 'CLAIMED'] } },
      });
      await db.task.updateMany({
        where: { id: { in: open.map((t) => t.id) } },
        data: { status: 'CANCELLED', completedAt: now(), comment: input.reason },
      });
      for (const t of open)
        await audit(`task:${t.id}:cancelled`, 'system', 'TASK_CANCELLED', t.id, { reason: input.reason });
      return open.length;
    },
  };
}
