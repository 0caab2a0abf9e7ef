/**
 * The reviewer inbox, shared by every procedure: tasks of the signed-in user's department and
 * role, claim/unclaim, and completion through the procedure workflow's `completeTask` Update.
 * The API checks eligibility first so a stranger gets 403 without touching the workflow; the
 * workflow's validator checks the same again and has the last word.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Prisma, Task } from '../../generated/prisma/client';
import { Principal, requirePrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, parse } from '../errors';
import { documented } from '../openapi';
import { decideTask, taskSummary } from '../kit/decisions';

const inboxQuery = z
  .object({
    status: z.enum(['open', 'claimed', 'done']).default('open'),
    procedure: z
      .enum([
        'UNCONDITIONAL_SHARE',
        'CONDITIONAL_SHARE',
        'NON_GOVERNMENT_ACCESS',
        'CONDITIONAL_OPEN',
        'COMMERCIAL_TENDER',
        'OBJECTION',
        'SECURITY_INCIDENT',
        'CATALOG_REVIEW',
        'CATALOG_UPDATE',
      ])
      .optional(),
    step: z.string().trim().min(1).max(64).optional(),
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    dueBefore: z.iso.datetime({ offset: true }).optional(),
    sort: z.enum(['due', 'created']).default('due'),
    cursor: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

const idParam = z.object({ id: z.uuid('task id must be a UUID') });
const completeBody = z
  .object({
    decision: z.string().trim().min(1).max(64),
    reasons: z.string().trim().max(4000).optional(),
    comment: z.string().trim().max(4000).optional(),
  })
  .strict();

export function isCandidate(p: Principal, task: Pick<Task, 'candidateDeptId' | 'candidateRole'>): boolean {
  return p.departmentId === task.candidateDeptId && p.roles.includes(task.candidateRole);
}

export function tasksRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'get',
    path: '/api/inbox',
    summary: "Tasks for the signed-in reviewer's department and role",
    tags: ['inbox'],
    auth: 'required',
    query: inboxQuery,
  });
  documented({
    method: 'get',
    path: '/api/tasks/{id}',
    summary: 'A task with its application, resources and full history',
    tags: ['inbox'],
    auth: 'required',
    responses: { 200: 'OK', 403: 'Not your task', 404: 'Unknown task' },
  });
  documented({
    method: 'post',
    path: '/api/tasks/{id}/claim',
    summary: 'Claim a task (hidden from the rest of the group)',
    tags: ['inbox'],
    auth: 'required',
    responses: { 200: 'Claimed', 409: 'Claimed by someone else or not open' },
  });
  documented({
    method: 'post',
    path: '/api/tasks/{id}/unclaim',
    summary: 'Give a claimed task back to the group',
    tags: ['inbox'],
    auth: 'required',
    responses: { 200: 'Unclaimed', 409: 'Not claimed by you' },
  });
  documented({
    method: 'post',
    path: '/api/tasks/{id}/complete',
    summary: 'Decide a task (one decision per task); answers with the state after the procedure acted on it',
    tags: ['inbox'],
    auth: 'required',
    body: completeBody,
    responses: {
      200: 'Decided (a repeat of the same decision gets the same answer)',
      202: 'DECISION_PENDING: recorded, the procedure has not confirmed it yet; it is applied as sent',
      403: 'Not your task',
      409: 'TASK_ALREADY_DECIDED (another decision stands or is pending), paused, or claimed by another',
      422: 'Decision not allowed or reasons missing',
    },
  });

  const router = Router();

  async function loadTask(req: Parameters<typeof requirePrincipal>[0]): Promise<{ p: Principal; task: Task }> {
    const p = requirePrincipal(req);
    const { id } = parse(idParam, req.params, 'params');
    const task = await db.task.findUnique({ where: { id } });
    if (!task) throw new AppError('NOT_FOUND', `No task ${id}`);
    if (!isCandidate(p, task))
      throw new AppError('FORBIDDEN', `Task ${id} is for ${task.candidateRole} of department ${task.candidateDeptId}`);
    return { p, task };
  }

  router.get('/api/inbox', async (req, res) => {
    const p = requirePrincipal(req);
    const q = parse(inboxQuery, req.query, 'query');
    if (!p.departmentId) return res.json({ items: [], nextCursor: null });
    const status: Prisma.TaskWhereInput =
      q.status === 'open'
        ? { OR: [{ status: 'OPEN' }, { status: 'CLAIMED', claimedById: p.userId }] }
        : q.status === 'claimed'
          ? { status: 'CLAIMED', claimedById: p.userId }
          : { status: 'DONE' };
    const where: Prisma.TaskWhereInput = {
      AND: [
        { candidateDeptId: p.departmentId, candidateRole: { in: p.roles } },
        status,
        q.procedure ? { procedure: q.procedure } : {},
        q.step ? { step: q.step } : {},
        q.overdue !== undefined ? { overdue: q.overdue } : {},
        q.dueBefore ? { dueAt: { lt: new Date(q.dueBefore) } } : {},
      ],
    };
    const orderBy: Prisma.TaskOrderByWithRelationInput[] =
      q.sort === 'due'
        ? [{ dueAt: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }]
        : [{ createdAt: 'asc' }, { id: 'asc' }];
    const rows = await db.task.findMany({
      where,
      orderBy,
      take: q.limit + 1,
      select: taskSummary,
      ...(q.cursor ? { cursor: { id: q.cursor }, skip: 1 } : {}),
    });
    const items = rows.slice(0, q.limit);
    res.json({ items, nextCursor: rows.length > q.limit ? items[items.length - 1].id : null });
  });

  router.get('/api/tasks/:id', async (req, res) => {
    const { task } = await loadTask(req);
    const [full, audit] = await Promise.all([
      db.task.findUniqueOrThrow({
        where: { id: task.id },
        select: {
          ...taskSummary,
          reasons: true,
          comment: true,
          completedById: true,
          workflowId: true,
          application: {
            select: {
              applicationNo: true,
              procedure: true,
              status: true,
              purpose: true,
              legalDuty: true,
              fieldsRequested: true,
              usePeriodDays: true,
              accessMode: true,
              submittedAt: true,
              applicantDept: { select: { id: true, name: true } },
              resources: {
                select: {
                  resource: {
                    select: {
                      code: true,
                      name: true,
                      shareClass: true,
                      openClass: true,
                      shareLegalBasis: true,
                      providerId: true,
                    },
                  },
                },
              },
              events: { orderBy: { id: 'asc' }, select: { kind: true, message: true, at: true, data: true } },
            },
          },
        },
      }),
      db.auditLog.findMany({
        where: { entityType: 'Task', entityId: task.id },
        orderBy: { id: 'asc' },
        select: { at: true, actor: true, action: true, details: true },
      }),
    ]);
    res.json({ ...full, history: audit });
  });

  router.post('/api/tasks/:id/claim', async (req, res) => {
    const { p, task } = await loadTask(req);
    if (task.status === 'CLAIMED' && task.claimedById === p.userId)
      return res.json({ id: task.id, status: 'CLAIMED', claimedById: p.userId });
    if (task.status === 'CLAIMED')
      throw new AppError('TASK_CLAIMED_BY_OTHER', `Task ${task.id} is claimed by another reviewer`);
    const at = new Date();
    const { count } = await db.task.updateMany({
      where: { id: task.id, status: 'OPEN' },
      data: { status: 'CLAIMED', claimedById: p.userId, claimedAt: at },
    });
    if (count === 0) throw new AppError('TASK_NOT_OPEN', `Task ${task.id} is no longer open`);
    await db.auditLog.create({
      data: {
        auditKey: `task:${task.id}:claim:${at.toISOString()}`,
        actor: p.userId,
        action: 'TASK_CLAIMED',
        entityType: 'Task',
        entityId: task.id,
      },
    });
    res.json({ id: task.id, status: 'CLAIMED', claimedById: p.userId });
  });

  router.post('/api/tasks/:id/unclaim', async (req, res) => {
    const { p, task } = await loadTask(req);
    const at = new Date();
    const { count } = await db.task.updateMany({
      where: { id: task.id, status: 'CLAIMED', claimedById: p.userId },
      data: { status: 'OPEN', claimedById: null, claimedAt: null },
    });
    if (count === 0) throw new AppError('CONFLICT', `Task ${task.id} is not claimed by you`);
    await db.auditLog.create({
      data: {
        auditKey: `task:${task.id}:unclaim:${at.toISOString()}`,
        actor: p.userId,
        action: 'TASK_UNCLAIMED',
        entityType: 'Task',
        entityId: task.id,
      },
    });
    res.json({ id: task.id, status: 'OPEN' });
  });

  router.post('/api/tasks/:id/complete', async (req, res) => {
    const { p, task } = await loadTask(req);
    const body = parse(completeBody, req.body, 'body');
    const outcome = await decideTask(deps, p, task, body);
    res.status(outcome.status).json(outcome.body);
  });

  return router;
}
