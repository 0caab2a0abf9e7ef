/**
 * The human-task framework every procedure uses. A step that needs a person opens an inbox task
 * (activity), then waits for the `completeTask` Update with the deadline timer beside it:
 * yellow warning, red overdue with reminders every working day, escalation after a further
 * threshold — and never an approval by silence. A calendar change or a pause (补正) moves the
 * deadline; the timer follows.
 */
import {
  ApplicationFailure, condition, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { OpenTaskInput, TaskTiming } from '../activities/inbox';
import type { ProcedurePolicy } from '../domain/policy';
import { calendarChangedSignal, completeTaskUpdate, CompleteTaskInput, CompleteTaskResult } from './messages';
import { SA } from './search-attributes';
import { acts } from './procedure-kit';


export type TaskSpec = Omit<OpenTaskInput, 'workflowId' | 'warningWorkingDaysBefore'> & {
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
  /** Set while an accepted decision is being recorded, so a second one is rejected at once. */
  deciding: boolean;
  closed: boolean;
  decisions: CompleteTaskInput[];
  /**
   * Extra checks of a procedure, run by the update validator after the common ones: e.g. a task
   * meant for ONE evaluator (user id in subjectRef) or a payload that must be complete. Throws to reject.
   */
  validate?: (input: CompleteTaskInput) => void;
}

function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

export class TaskRuntime {
  private readonly tasks = new Map<string, OpenTask>();
  private calendarVersion = 0;

  private readonly calendarPolicy: { countMakeupWorkdays: boolean };

  constructor(private readonly policy: ProcedurePolicy, private readonly stage: () => string) {
    this.calendarPolicy = { countMakeupWorkdays: policy.countMakeupWorkdays };
    setHandler(calendarChangedSignal, () => { this.calendarVersion += 1; });
    setHandler(completeTaskUpdate, (input) => this.complete(input), { validator: (input) => this.validate(input) });
  }

  /** The update validator: rejects before anything is recorded in history. */
  private validate(input: CompleteTaskInput): void {
    const task = this.tasks.get(input.taskId);
    if (!task || task.closed || task.deciding) reject('TASK_NOT_OPEN', `Task ${input.taskId} is not open in this procedure`);
    if (task.paused) reject('TASK_NOT_OPEN', `Task ${input.taskId} is paused until the applicant supplements the application`);
    if (!task.allowedDecisions.includes(input.decision)) {
      reject('DECISION_NOT_ALLOWED', `Decision ${input.decision} is not allowed at step ${task.spec.step}; allowed: ${task.allowedDecisions.join(', ')}`);
    }
    if ((task.spec.reasonsRequiredFor ?? []).includes(input.decision) && !input.reasons?.trim()) {
      reject('REASONS_REQUIRED', `Decision ${input.decision} needs reasons`);
    }
    if (input.actor.departmentId !== task.spec.candidateDeptId || !input.actor.roles.includes(task.spec.candidateRole)) {
      reject('FORBIDDEN', `Only ${task.spec.candidateRole} of department ${task.spec.candidateDeptId} may decide this task`);
    }
    task.validate?.(input);
  }

  private async complete(input: CompleteTaskInput): Promise<CompleteTaskResult> {
    const task = this.tasks.get(input.taskId)!;
    task.deciding = true;
    try {
      const pauses = (task.spec.pausingDecisions ?? []).includes(input.decision);
      if (!pauses) {
        await acts.recordTaskDecision({ taskId: task.taskId, decision: input.decision, reasons: input.reasons, comment: input.comment, actorUserId: input.actor.userId });
        task.closed = true;
      } else {
        await acts.pauseTask({ taskId: task.taskId, reason: input.reasons ?? input.decision });
        task.paused = true;
      }
      task.decisions.push(input);
    } finally {
      task.deciding = false;
    }
    this.publish();
    return { taskId: input.taskId, decision: input.decision, stage: this.stage() };
  }

  async open(spec: TaskSpec, options: { validate?: (input: CompleteTaskInput) => void } = {}): Promise<OpenTask> {
    const timing = await acts.openTask({ ...spec, workflowId: workflowInfo().workflowId, warningWorkingDaysBefore: this.policy.warningWorkingDaysBefore, calendarPolicy: this.calendarPolicy });
    const task: OpenTask = {
      spec, taskId: timing.taskId, allowedDecisions: [...spec.allowedDecisions], dueAtMs: null, warningAtMs: null, provisional: false,
      warned: false, overdue: false, overdueRound: 0, nextReminderAtMs: null, paused: false, deciding: false, closed: false, decisions: [],
      validate: options.validate,
    };
    this.apply(task, timing);
    this.tasks.set(task.taskId, task);
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
      if (task.paused) {
        await condition(() => !task.paused || task.decisions.length > 0);
        continue;
      }
      const seen = this.calendarVersion;
      const wakeAt = this.nextTimerAt(task);
      const woken = () => task.decisions.length > 0 || task.paused || this.calendarVersion !== seen;
      if (wakeAt === null) await condition(woken);
      else await condition(woken, Math.max(1, wakeAt - Date.now()));
      if (task.decisions.length > 0 || task.paused) continue;
      if (this.calendarVersion !== seen) {
        this.apply(task, await acts.recomputeTaskDeadline({ taskId: task.taskId, warningWorkingDaysBefore: this.policy.warningWorkingDaysBefore, calendarPolicy: this.calendarPolicy }));
        this.publish();
        continue;
      }
      await this.fireDueTimers(task);
    }
  }

  private nextTimerAt(task: OpenTask): number | null {
    if (task.dueAtMs === null) return null;
    if (!task.overdue) {
      if (!task.warned && task.warningAtMs !== null && task.warningAtMs < task.dueAtMs) return Math.min(task.warningAtMs, task.dueAtMs);
      return task.dueAtMs;
    }
    return task.nextReminderAtMs;
  }

  private async fireDueTimers(task: OpenTask): Promise<void> {
    const now = Date.now();
    const event = { taskId: task.taskId, applicationNo: task.spec.applicationNo, procedureName: task.spec.procedureName };
    if (task.dueAtMs === null) return;
    if (!task.warned && task.warningAtMs !== null && now >= task.warningAtMs && now < task.dueAtMs) {
      await acts.sendTaskWarning(event);
      task.warned = true;
    }
    if (now >= task.dueAtMs && (task.nextReminderAtMs === null || now >= task.nextReminderAtMs)) {
      task.overdue = true;
      task.warned = true;
      await acts.sendTaskOverdue({ ...event, round: task.overdueRound, escalateAfterOverdueWorkingDays: this.policy.escalateAfterOverdueWorkingDays, calendarPolicy: this.calendarPolicy });
      task.overdueRound += 1;
      task.nextReminderAtMs = await acts.nextWorkingDayStart({ afterMs: now, workingDays: this.policy.overdueReminderEveryWorkingDays, calendarPolicy: this.calendarPolicy });
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
    this.apply(task, await acts.resumeTask({ taskId: task.taskId, warningWorkingDaysBefore: this.policy.warningWorkingDaysBefore, calendarPolicy: this.calendarPolicy }));
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
    const updates: Parameters<typeof upsertSearchAttributes>[0] = [{ key: SA.Overdue, value: open.some((t) => t.overdue) }];
    if (deadlines.length > 0) updates.push({ key: SA.DeadlineAt, value: new Date(Math.min(...deadlines)) });
    upsertSearchAttributes(updates);
  }
}
