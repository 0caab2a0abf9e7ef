/**
 * Deciding an inbox task, for every procedure: one decision per task.
 *
 * The decision is first claimed on the task row (a compare-and-set on `pendingDecision`), then
 * sent as the workflow's `completeTask` Update whose id is the task id, so a repeat is applied
 * once. The workflow answers with the state after the decision. If it does not answer within
 * `UPDATE_TIMEOUT_MS` the decision stays pending (202): exactly that decision is applied later,
 * by Temporal when the worker is back or by `resendPendingDecisions`; a different one meanwhile
 * is refused. Nothing answered as an error is applied later: a rejection releases the claim.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { Prisma, type Task } from '../../generated/prisma/client';
import { completeTaskUpdate, type CompleteTaskResult, type TaskActor } from '../../workflows/messages';
import type { Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { temporalClient } from './temporal';
import { executeBounded } from './updates';

export interface DecisionRequest {
  decision: string;
  reasons?: string;
  comment?: string;
  /** Structured input some decisions carry (a tender score sheet). */
  payload?: Record<string, unknown>;
}

interface PendingDecision extends DecisionRequest {
  actor: TaskActor;
  round: number;
}

export type DecisionOutcome =
  | { status: 200; body: Record<string, unknown> }
  | {
      status: 202;
      body: { code: 'DECISION_PENDING'; message: string; messageEn: string; task: Record<string, unknown> };
    };

/** What the inbox and a task's page show of a task (a pending decision included). */
export const taskSummary = {
  id: true,
  procedure: true,
  step: true,
  title: true,
  status: true,
  dueAt: true,
  warningAt: true,
  deadlineProvisional: true,
  overdue: true,
  pausedAt: true,
  pausedWorkingDays: true,
  allowedDecisions: true,
  claimedById: true,
  claimedAt: true,
  createdAt: true,
  completedAt: true,
  decision: true,
  candidateDeptId: true,
  candidateRole: true,
  subjectRef: true,
  pendingDecision: true,
  pendingDecisionAt: true,
  application: {
    select: {
      applicationNo: true,
      procedure: true,
      status: true,
      purpose: true,
      applicantDept: { select: { id: true, name: true } },
    },
  },
} satisfies Prisma.TaskSelect;

/** The documented shape of a `taskSummary` row as JSON. */
export const taskSummarySchema = z
  .object({
    id: z.string(),
    procedure: z.string(),
    step: z.string(),
    title: z.string(),
    status: z.string(),
    dueAt: z.string().nullable(),
    overdue: z.boolean(),
    allowedDecisions: z.array(z.string()),
    claimedById: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    decision: z.string().nullable(),
    candidateDeptId: z.string(),
    candidateRole: z.string(),
    application: z
      .object({
        applicationNo: z.string(),
        procedure: z.string(),
        status: z.string(),
        purpose: z.string(),
        applicantDept: z.object({ id: z.string(), name: z.string() }),
      })
      .nullable(),
  })
  .loose();

/** The bodies of DecisionOutcome: 200 the state after the procedure acted, 202 the pending decision. */
export const decisionAnswerSchema = z.object({
  task: taskSummarySchema,
  stage: z.string().nullable(),
  status: z.string().nullable(),
  application: z.object({ applicationNo: z.string(), status: z.string() }).nullable(),
  openedTasks: z.array(
    z.object({
      taskId: z.string(),
      step: z.string(),
      candidateDeptId: z.string(),
      candidateRole: z.string(),
      dueAtMs: z.number().nullable(),
    }),
  ),
});
export const decisionPendingSchema = z.object({
  code: z.literal('DECISION_PENDING'),
  /** In Chinese, as every error's message; messageEn beside it. */
  message: z.string(),
  messageEn: z.string(),
  task: taskSummarySchema,
});

type Deps = Pick<ApiDeps, 'db' | 'config' | 'temporal'>;

export function actorOf(p: Principal): TaskActor {
  return { userId: p.userId, login: p.login, departmentId: p.departmentId, roles: p.roles };
}

/** The Update id: the task id, and a round number after each 补正 request that kept the task open. */
export function decisionUpdateId(taskId: string, round: number): string {
  return round === 0 ? taskId : `${taskId}:${round}`;
}

/** JSON with sorted keys: a payload read back from jsonb has its keys in another order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function sameDecision(a: DecisionRequest, b: DecisionRequest): boolean {
  return (
    a.decision === b.decision &&
    (a.reasons ?? null) === (b.reasons ?? null) &&
    (a.comment ?? null) === (b.comment ?? null) &&
    canonical(a.payload) === canonical(b.payload)
  );
}

function alreadyDecided(taskId: string, standing: string, pending: boolean): AppError {
  return new AppError(
    'TASK_ALREADY_DECIDED',
    {
      zh: pending
        ? `任务 ${taskId} 已有待生效的决定 ${standing}，将以该决定为准`
        : `任务 ${taskId} 已作出决定：${standing}`,
      en: pending
        ? `Task ${taskId} already has the decision ${standing} pending; it is the one that will be applied`
        : `Task ${taskId} is already decided: ${standing}`,
    },
    { decision: standing, pending },
  );
}

/** Checks the API can make before anything is claimed or sent; the workflow checks again. */
function assertDecidable(p: Principal, task: Task, request: DecisionRequest): void {
  if (task.status === 'CANCELLED')
    throw new AppError('TASK_NOT_OPEN', { zh: `任务 ${task.id} 已取消`, en: `Task ${task.id} is cancelled` });
  if (task.status === 'CLAIMED' && task.claimedById !== p.userId) {
    throw new AppError('TASK_CLAIMED_BY_OTHER', {
      zh: `任务 ${task.id} 已由其他审核人员认领，只有认领人可以办结`,
      en: `Task ${task.id} is claimed by another reviewer; only the claimer can complete it`,
    });
  }
  if (task.pausedAt)
    throw new AppError('TASK_NOT_OPEN', {
      zh: `任务 ${task.id} 已暂停，待申请方补正申请材料后继续`,
      en: `Task ${task.id} is paused until the applicant supplements the application`,
    });
  if (!task.allowedDecisions.includes(request.decision)) {
    throw new AppError('DECISION_NOT_ALLOWED', {
      zh: `环节 ${task.step} 不允许作出决定 ${request.decision}；允许的决定：${task.allowedDecisions.join(', ')}`,
      en: `Decision ${request.decision} is not allowed at step ${task.step}; allowed: ${task.allowedDecisions.join(', ')}`,
    });
  }
}

export async function decideTask(
  deps: Deps,
  p: Principal,
  task: Task,
  request: DecisionRequest,
): Promise<DecisionOutcome> {
  if (task.status === 'DONE') return repeatOfDecided(deps, task, request);
  assertDecidable(p, task, request);
  const pending: PendingDecision = { ...request, actor: actorOf(p), round: task.decisionRound };
  const claimed = await deps.db.task.updateMany({
    where: {
      id: task.id,
      status: { in: ['OPEN', 'CLAIMED'] },
      pendingDecision: { equals: Prisma.DbNull },
      decisionRound: task.decisionRound,
    },
    data: { pendingDecision: pending as unknown as Prisma.InputJsonObject, pendingDecisionAt: new Date() },
  });
  if (claimed.count === 0) {
    const now = await deps.db.task.findUniqueOrThrow({ where: { id: task.id } });
    if (now.status === 'DONE') return repeatOfDecided(deps, now, request);
    const standing = now.pendingDecision as unknown as PendingDecision | null;
    if (!standing)
      throw new AppError('TASK_NOT_OPEN', {
        zh: `任务 ${task.id} 已发生变化，请重新读取`,
        en: `Task ${task.id} changed meanwhile; load it again`,
      });
    if (!sameDecision(standing, request)) throw alreadyDecided(task.id, standing.decision, true);
    return send(deps, now, standing);
  }
  return send(deps, task, pending);
}

/** A decided task: the same decision gets the original answer, another one a 409. */
async function repeatOfDecided(deps: Deps, task: Task, request: DecisionRequest): Promise<DecisionOutcome> {
  const stored = { decision: task.decision!, reasons: task.reasons ?? undefined, comment: task.comment ?? undefined };
  if (stored.decision !== request.decision || !sameDecision({ ...stored, payload: request.payload }, request)) {
    throw alreadyDecided(task.id, stored.decision, false);
  }
  if (task.decisionAnswer) return { status: 200, body: task.decisionAnswer as Record<string, unknown> };
  // Decided but never answered (the API died, or the decision was pending): ask the workflow,
  // which keeps the Update's result; a closed procedure is answered from the query model.
  const client = await temporalClient(deps);
  const actor: TaskActor = { userId: task.completedById ?? '', login: '', departmentId: null, roles: [] };
  const result = await sendUpdate(client, deps.config.UPDATE_TIMEOUT_MS, task, {
    ...stored,
    payload: request.payload,
    actor,
    round: task.decisionRound,
  }).catch(() => undefined);
  return { status: 200, body: await storeAnswer(deps, task.id, result) };
}

async function send(deps: Deps, task: Task, decision: PendingDecision): Promise<DecisionOutcome> {
  let result: CompleteTaskResult;
  try {
    result = await sendUpdate(await temporalClient(deps), deps.config.UPDATE_TIMEOUT_MS, task, decision);
  } catch (err) {
    if (notConfirmed(err)) return pendingAnswer(deps, task.id);
    await release(deps, task.id, decision);
    throw err;
  }
  return { status: 200, body: await storeAnswer(deps, task.id, result) };
}

/** Temporal was unreachable or did not answer in time: the decision may still be applied, so it stays pending. */
function notConfirmed(err: unknown): boolean {
  return err instanceof AppError && (err.code === 'WORKFLOW_TIMEOUT' || err.code === 'SERVICE_UNAVAILABLE');
}

function sendUpdate(client: Client, timeoutMs: number, task: Task, d: PendingDecision): Promise<CompleteTaskResult> {
  return executeBounded(client, timeoutMs, (c) =>
    c.workflow.getHandle(task.workflowId).executeUpdate(completeTaskUpdate, {
      args: [
        {
          taskId: task.id,
          decision: d.decision,
          reasons: d.reasons,
          comment: d.comment,
          payload: d.payload,
          actor: d.actor,
        },
      ],
      updateId: decisionUpdateId(task.id, d.round),
    }),
  );
}

/** The workflow refused the decision: it will never be applied, so the task is free again. */
async function release(deps: Deps, taskId: string, decision: PendingDecision): Promise<void> {
  const row = await deps.db.task.findUnique({ where: { id: taskId }, select: { pendingDecision: true } });
  if (row?.pendingDecision && sameDecision(row.pendingDecision as unknown as PendingDecision, decision)) {
    await deps.db.task.updateMany({
      where: { id: taskId, status: { in: ['OPEN', 'CLAIMED'] } },
      data: { pendingDecision: Prisma.DbNull, pendingDecisionAt: null },
    });
  }
}

async function pendingAnswer(deps: Deps, taskId: string): Promise<DecisionOutcome> {
  const task = await deps.db.task.findUniqueOrThrow({ where: { id: taskId }, select: taskSummary });
  return {
    status: 202,
    body: {
      code: 'DECISION_PENDING',
      message: `办理程序尚未确认对任务 ${taskId} 的决定；该决定已记录，将按所提交的内容生效`,
      messageEn: `The procedure has not confirmed the decision on task ${taskId} yet; it is recorded and will be applied as sent`,
      task,
    },
  };
}

/** The answer to a decision, kept on the task so a repeat gets the same body. */
async function storeAnswer(
  deps: Deps,
  taskId: string,
  result: CompleteTaskResult | undefined,
): Promise<Record<string, unknown>> {
  // One read: the summary carries the application's number and status already.
  const summary = await deps.db.task.findUniqueOrThrow({ where: { id: taskId }, select: taskSummary });
  const application = summary.application
    ? { applicationNo: summary.application.applicationNo, status: summary.application.status }
    : null;
  const answer = {
    task: summary,
    stage: result?.stage ?? null,
    status: result?.status ?? application?.status ?? null,
    application,
    openedTasks: result?.openedTasks ?? [],
  };
  const body = JSON.parse(JSON.stringify(answer)) as Record<string, unknown>;
  // Only the decision that closed the task has a lasting answer (a 补正 request keeps it open).
  if (summary.status === 'DONE') {
    const stored = await deps.db.task.updateMany({
      where: { id: taskId, decisionAnswer: { equals: Prisma.DbNull } },
      data: { decisionAnswer: body as Prisma.InputJsonObject },
    });
    if (stored.count === 1) return body;
    // Another request stored its answer first: that one stands.
    const kept = await deps.db.task.findUniqueOrThrow({ where: { id: taskId }, select: { decisionAnswer: true } });
    return kept.decisionAnswer as Record<string, unknown>;
  }
  return body;
}

/**
 * Sends again every decision still pending after `olderThanMs` (e.g. Temporal was down when it
 * was sent): the same Update id, so one that already reached the workflow is not applied twice.
 */
export async function resendPendingDecisions(deps: Deps, olderThanMs: number): Promise<string[]> {
  const stale = await deps.db.task.findMany({
    where: { pendingDecisionAt: { lt: new Date(Date.now() - olderThanMs) }, status: { in: ['OPEN', 'CLAIMED'] } },
    orderBy: { pendingDecisionAt: 'asc' },
    take: 100,
  });
  const client = await temporalClient(deps);
  const applied: string[] = [];
  for (const task of stale) {
    const decision = task.pendingDecision as unknown as PendingDecision;
    try {
      await storeAnswer(deps, task.id, await sendUpdate(client, deps.config.UPDATE_TIMEOUT_MS, task, decision));
      applied.push(task.id);
    } catch (err) {
      if (notConfirmed(err)) continue;
      await release(deps, task.id, decision);
      await deps.db.auditLog.createMany({
        data: [
          {
            auditKey: `task:${task.id}:pending-rejected:${task.pendingDecisionAt?.toISOString()}`,
            actor: 'system',
            action: 'TASK_DECISION_REJECTED',
            entityType: 'Task',
            entityId: task.id,
            details: { decision: decision.decision, reason: (err as Error).message },
          },
        ],
        skipDuplicates: true,
      });
    }
  }
  return applied;
}
