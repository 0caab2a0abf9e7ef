/**
 * The human-task framework every procedure uses. A step that needs a person opens an inbox task
 * (activity), then waits for the `completeTask` Update with the deadline timer beside it:
 * yellow warning, red overdue with reminders every working day, escalation after a further
 * threshold — and never an approval by silence. A calendar change or a pause (补正) moves the
 * deadline; the timer follows.
 */
import { condition, patched, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { CalendarPolicyInput } from '../../activities/deps';
import type { OpenTaskInput, TaskTiming } from '../../activities/inbox';
import type { ProcedurePolicy } from '../../domain/policy';
import { completeTaskUpdate, CompleteTaskInput, CompleteTaskResult, stepDoneUpdate, TaskRef } from '../messages';
import { SA } from '../search-attributes';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { acts, activitiesInFlight, LOCAL_ACTIVITIES_PATCH } from './activities';
import { listenForCalendarChanges } from './calendar';
import { MovableDeadline } from './deadline';
import { currentStatus } from './procedure';
import { reject } from './reject';
import { upsertChanged, withCarriedProcedure } from './search';
import { afterOneDrain, settle } from './settle';

export type TaskSpec = Omit<OpenTaskInput, 'taskId' | 'workflowId' | 'warningWorkingDaysBefore'> & {
  /** Decisions that must carry reasons (Art. 21: a refusal must cite a basis). */
  reasonsRequiredFor?: string[];
  /** Decisions that stop the clock instead of completing the task (补正). */
  pausingDecisions?: string[];
};

export interface OpenTask {
  readonly spec: TaskSpec;
  readonly taskId: string;
  allowedDecisions: string[];
  dueAtMs: number | null;
  warningAtMs: number | null;
  provisional: boolean;
  warned: boolean;
  overdue: boolean;
  overdueRound: number;
  nextReminderAtMs: number | null;
  paused: boolean;
  /** The inbox row exists (the openTask activity has returned). */
  opened: boolean;
  /** The decision that closed the task, or is being recorded: one decision per task. */
  decidedBy?: CompleteTaskInput;
  /** True while the procedure waits in `decision()` for this task. */
  awaited: boolean;
  /** The next of the task's timers (warning, deadline, reminder); moves with the calendar and pauses. */
  clock: MovableDeadline;
  closed: boolean;
  decisions: CompleteTaskInput[];
  /**
   * Extra checks of a procedure, run by the update validator after the common ones: e.g. a task
   * meant for ONE evaluator (user id in subjectRef) or a payload that must be complete. Throws to reject.
   */
  validate?: (input: CompleteTaskInput) => void;
}

export class TaskRuntime {
  private readonly tasks = new Map<string, OpenTask>();

  private readonly calendarPolicy: CalendarPolicyInput;

  constructor(
    private readonly policy: ProcedurePolicy,
    private readonly stage: () => string,
  ) {
    this.calendarPolicy = {
      countMakeupWorkdays: policy.countMakeupWorkdays,
      // A drill (演练) policy's working day of fixed length; a real policy never has one (mergePolicy).
      ...(policy.drillWorkingDay ? { drillWorkingDay: policy.drillWorkingDay } : {}),
    };
    listenForCalendarChanges();
    setHandler(completeTaskUpdate, (input) => this.complete(input), {
      validator: (input) => this.validate(input, { unknownMayOpen: true }),
    });
    setHandler(stepDoneUpdate, async () => {
      await settle();
      return { stage: this.stage(), status: currentStatus(), openTasks: this.openTasks().map(taskRef) };
    });
  }

  /**
   * The update validator: rejects before anything is recorded in history. A task this procedure
   * does not know (yet) is let through: a worker that died during a step (local activities) had
   * written the task's row, which the decision names, in a workflow task that never completed,
   * and the procedure opens the same task again (same id) when it runs the step anew — it may not
   * even have its handlers yet when the decision arrives. `complete` waits for the task until the
   * procedure has nothing in flight, and checks again (refusing it then, as here).
   */
  private validate(input: CompleteTaskInput, opts: { unknownMayOpen?: boolean } = {}): void {
    const task = this.tasks.get(input.taskId);
    if (!task && opts.unknownMayOpen) return;
    if (task?.decidedBy && !task.paused) {
      reject(
        'TASK_ALREADY_DECIDED',
        {
          zh: `任务 ${input.taskId} 已作出决定：${task.decidedBy.decision}`,
          en: `Task ${input.taskId} is already decided: ${task.decidedBy.decision}`,
        },
        {
          decision: task.decidedBy.decision,
        },
      );
    }
    if (!task || task.closed)
      reject('TASK_NOT_OPEN', {
        zh: `任务 ${input.taskId} 在本办理程序中未处于待办状态`,
        en: `Task ${input.taskId} is not open in this procedure`,
      });
    if (task.paused)
      reject('TASK_NOT_OPEN', {
        zh: `任务 ${input.taskId} 已暂停，待申请方补正申请材料后继续`,
        en: `Task ${input.taskId} is paused until the applicant supplements the application`,
      });
    if (!task.allowedDecisions.includes(input.decision)) {
      reject('DECISION_NOT_ALLOWED', {
        zh: `环节 ${task.spec.step} 不允许作出决定 ${input.decision}；允许的决定：${task.allowedDecisions.join(', ')}`,
        en: `Decision ${input.decision} is not allowed at step ${task.spec.step}; allowed: ${task.allowedDecisions.join(', ')}`,
      });
    }
    if ((task.spec.reasonsRequiredFor ?? []).includes(input.decision) && !input.reasons?.trim()) {
      reject('REASONS_REQUIRED', {
        zh: `作出决定 ${input.decision} 须说明理由`,
        en: `Decision ${input.decision} needs reasons`,
      });
    }
    if (
      input.actor.departmentId !== task.spec.candidateDeptId ||
      !input.actor.roles.includes(task.spec.candidateRole)
    ) {
      reject('FORBIDDEN', {
        zh: `只有部门 ${task.spec.candidateDeptId} 的 ${task.spec.candidateRole} 可以处理该任务`,
        en: `Only ${task.spec.candidateRole} of department ${task.spec.candidateDeptId} may decide this task`,
      });
    }
    task.validate?.(input);
  }

  /**
   * The decision is recorded once the inbox row exists, handed to the procedure, and answered
   * with the state after the procedure has acted on it (the tasks it opened included).
   */
  private async complete(input: CompleteTaskInput): Promise<CompleteTaskResult> {
    if (!this.tasks.has(input.taskId)) {
      // Let through by the validator: the step that opens it runs again, or the task is not ours.
      await condition(afterOneDrain(() => this.tasks.has(input.taskId) || activitiesInFlight() === 0));
      this.validate(input);
    }
    const task = this.tasks.get(input.taskId)!;
    const before = new Set(this.openTasks().map((t) => t.taskId));
    task.decidedBy = input;
    await condition(() => task.opened);
    const pauses = (task.spec.pausingDecisions ?? []).includes(input.decision);
    if (!pauses) {
      await acts.recordTaskDecision({
        taskId: task.taskId,
        decision: input.decision,
        reasons: input.reasons,
        comment: input.comment,
        actorUserId: input.actor.userId,
      });
      task.closed = true;
    } else {
      await acts.pauseTask({ taskId: task.taskId, reason: input.reasons ?? input.decision });
      task.paused = true;
    }
    task.decisions.push(input);
    // Published once the procedure has reacted (the tasks it opens publish the same attributes),
    // so a step upserts its search attributes once; cases started before publish here too.
    const publishNow = !patched(LOCAL_ACTIVITIES_PATCH);
    if (publishNow) this.publish();
    // Taken in: the procedure's own wait consumed it, or nothing waits for it right now.
    await settle(() => task.decisions.length === 0 || !task.awaited);
    if (!publishNow) this.publish();
    if (pauses) task.decidedBy = undefined;
    const open = this.openTasks();
    return {
      taskId: input.taskId,
      decision: input.decision,
      stage: this.stage(),
      status: currentStatus(),
      openedTasks: open.filter((t) => !before.has(t.taskId)).map(taskRef),
      openTasks: open.map(taskRef),
    };
  }

  async open(spec: TaskSpec, options: { validate?: (input: CompleteTaskInput) => void } = {}): Promise<OpenTask> {
    // The workflow chooses the id (deterministically), so it knows the task before the row exists.
    const task: OpenTask = {
      spec,
      taskId: uuid4(),
      allowedDecisions: [...spec.allowedDecisions],
      dueAtMs: null,
      warningAtMs: null,
      provisional: false,
      warned: false,
      overdue: false,
      overdueRound: 0,
      nextReminderAtMs: null,
      paused: false,
      opened: false,
      awaited: false,
      closed: false,
      decisions: [],
      validate: options.validate,
      clock: new MovableDeadline(null, { recompute: () => this.recompute(task) }),
    };
    this.tasks.set(task.taskId, task);
    const timing = await acts.openTask({
      ...spec,
      taskId: task.taskId,
      workflowId: workflowInfo().workflowId,
      warningWorkingDaysBefore: this.policy.warningWorkingDaysBefore,
      calendarPolicy: this.calendarPolicy,
    });
    this.apply(task, timing);
    task.opened = true;
    this.publish();
    return task;
  }

  private apply(task: OpenTask, timing: TaskTiming): void {
    const moved = timing.dueAtMs !== task.dueAtMs;
    task.dueAtMs = timing.dueAtMs;
    task.warningAtMs = timing.warningAtMs;
    task.provisional = timing.provisional;
    if (moved) {
      task.warned = false;
      if (task.dueAtMs !== null && task.dueAtMs > Date.now()) {
        task.overdue = false;
        task.nextReminderAtMs = null;
      }
    }
  }

  /** Waits for the next decision on the task, running its warning and overdue timers meanwhile. */
  async decision(task: OpenTask): Promise<CompleteTaskInput> {
    for (;;) {
      const next = task.decisions.shift();
      if (next) return next;
      const paused = task.paused;
      // While paused (补正) the clock stands still; resuming moves the deadline.
      task.clock.move(paused ? null : this.nextTimerAt(task));
      const woke = await this.awaiting(
        task,
        task.clock.wait(() => task.decisions.length > 0 || task.paused !== paused),
      );
      if (woke === 'due') await this.fireDueTimers(task);
    }
  }

  /** A calendar change: the deadline from the task's start, counted on the new calendar. */
  private async recompute(task: OpenTask): Promise<number | null> {
    if (task.paused) return null;
    this.apply(
      task,
      await acts.recomputeTaskDeadline({
        taskId: task.taskId,
        warningWorkingDaysBefore: this.policy.warningWorkingDaysBefore,
        calendarPolicy: this.calendarPolicy,
      }),
    );
    this.publish();
    return this.nextTimerAt(task);
  }

  private async awaiting<T>(task: OpenTask, wait: Promise<T>): Promise<T> {
    task.awaited = true;
    try {
      return await wait;
    } finally {
      task.awaited = false;
    }
  }

  private nextTimerAt(task: OpenTask): number | null {
    if (task.dueAtMs === null) return null;
    if (!task.overdue) {
      if (!task.warned && task.warningAtMs !== null && task.warningAtMs < task.dueAtMs)
        return Math.min(task.warningAtMs, task.dueAtMs);
      return task.dueAtMs;
    }
    return task.nextReminderAtMs;
  }

  private async fireDueTimers(task: OpenTask): Promise<void> {
    const now = Date.now();
    const event = {
      taskId: task.taskId,
      applicationNo: task.spec.applicationNo,
      procedureName: task.spec.procedureName,
    };
    if (task.dueAtMs === null) return;
    if (!task.warned && task.warningAtMs !== null && now >= task.warningAtMs && now < task.dueAtMs) {
      await acts.sendTaskWarning(event);
      task.warned = true;
    }
    if (now >= task.dueAtMs && (task.nextReminderAtMs === null || now >= task.nextReminderAtMs)) {
      task.overdue = true;
      task.warned = true;
      await acts.sendTaskOverdue({
        ...event,
        round: task.overdueRound,
        escalateAfterOverdueWorkingDays: this.policy.escalateAfterOverdueWorkingDays,
        calendarPolicy: this.calendarPolicy,
      });
      task.overdueRound += 1;
      task.nextReminderAtMs = await acts.nextWorkingDayStart({
        afterMs: now,
        workingDays: this.policy.overdueReminderEveryWorkingDays,
        calendarPolicy: this.calendarPolicy,
      });
      this.publish();
    }
  }

  async pause(task: OpenTask, reason: string): Promise<void> {
    if (!task.paused) {
      await acts.pauseTask({ taskId: task.taskId, reason });
      task.paused = true;
    }
  }

  /** Resumes a paused task; its deadline moves by the working days the clock stood still. */
  async resume(task: OpenTask): Promise<void> {
    this.apply(
      task,
      await acts.resumeTask({
        taskId: task.taskId,
        warningWorkingDaysBefore: this.policy.warningWorkingDaysBefore,
        calendarPolicy: this.calendarPolicy,
      }),
    );
    task.overdue = task.dueAtMs !== null && Date.now() >= task.dueAtMs;
    task.paused = false;
    this.publish();
  }

  /** Withdrawal or an ended procedure: nothing open may be decided any more. */
  closeAll(): void {
    for (const t of this.tasks.values()) t.closed = true;
    this.publish();
  }

  openTasks(): OpenTask[] {
    return [...this.tasks.values()].filter((t) => !t.closed);
  }

  /** Keeps the supervisors' search attributes current: earliest open deadline, any overdue. */
  publish(): void {
    const open = this.openTasks().filter((t) => !t.paused);
    const deadlines = open.map((t) => t.dueAtMs).filter((d): d is number => d !== null);
    const updates: SearchAttributeUpdatePair[] = [
      { key: SA.Overdue, value: open.some((t) => t.overdue) },
      { key: SA.ActingDepts, value: [...new Set(open.map((t) => t.spec.candidateDeptId))].sort() },
    ];
    if (deadlines.length > 0) updates.push({ key: SA.DeadlineAt, value: new Date(Math.min(...deadlines)) });
    upsertChanged(withCarriedProcedure(updates));
  }
}

function taskRef(t: OpenTask): TaskRef {
  return {
    taskId: t.taskId,
    step: t.spec.step,
    candidateDeptId: t.spec.candidateDeptId,
    candidateRole: t.spec.candidateRole,
    dueAtMs: t.dueAtMs,
  };
}
