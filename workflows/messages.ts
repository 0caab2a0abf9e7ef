/**
 * Messages shared by the API and the workflows: updates (validated human decisions), signals
 * (fire-and-forget facts that must be accepted even with no worker running) and their payloads.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';

/** A calendar year was (re)loaded: every open deadline in it must be recomputed. */
export interface CalendarChanged {
  year: number;
  loadedAt: string;
}
export const calendarChangedSignal = defineSignal<[CalendarChanged]>('calendarChanged');
/**
 * The same news as an Update, answered once the procedure has recomputed its deadlines (and moved
 * its timers): a sender with a few of them in flight never queues more re-times ahead of a
 * reviewer's decision than that. The signal stays for procedures that cannot take it yet.
 */
export const calendarChangedUpdate = defineUpdate<{ calendarVersion: number }, [CalendarChanged]>('calendarChanged');

export interface TaskActor {
  userId: string;
  login: string;
  departmentId: string | null;
  roles: string[];
}

/** A signed-in public applicant (公民、法人和其他组织): no department, so no inbox. */
export interface PublicActor {
  userId: string;
  login: string;
  publicApplicantId: string | null;
}

/** A legal person taking part in a tender: always a registered public applicant. */
export interface BidderActor extends PublicActor {
  publicApplicantId: string;
}

export interface CompleteTaskInput {
  taskId: string;
  decision: string;
  reasons?: string;
  comment?: string;
  /** Extra structured input some decisions need (e.g. the supplement answer). */
  payload?: Record<string, unknown>;
  actor: TaskActor;
}

/** An open inbox task as the procedure knows it. */
export interface TaskRef {
  taskId: string;
  step: string;
  candidateDeptId: string;
  candidateRole: string;
  dueAtMs: number | null;
}

/** The state after the decision: where the procedure stands and which tasks it opened. */
export interface CompleteTaskResult {
  taskId: string;
  decision: string;
  stage: string;
  status?: string;
  openedTasks: TaskRef[];
  openTasks: TaskRef[];
}

/** Completes the open human task; the validator rejects anything that is not allowed now. */
export const completeTaskUpdate = defineUpdate<CompleteTaskResult, [CompleteTaskInput]>('completeTask');

/** Where a procedure stands once it has carried its current step through: its open tasks. */
export interface StepResult {
  stage: string;
  status?: string;
  openTasks: TaskRef[];
}

/**
 * Answers once the procedure has nothing in flight: sent right after a start, so a submission is
 * answered with the first step done (its inbox tasks open), the way a decision is answered.
 */
export const stepDoneUpdate = defineUpdate<StepResult, []>('stepDone');

export interface WithdrawInput {
  actor: TaskActor;
  reason?: string;
}
export const withdrawUpdate = defineUpdate<{ stage: string; status?: string }, [WithdrawInput]>('withdraw');
