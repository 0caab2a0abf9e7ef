/**
 * The reviewer inbox, shared by every procedure: tasks of the signed-in user's department and
 * role, claim/unclaim, and completion through the procedure workflow's `completeTask` Update.
 * The API checks eligibility first so a stranger gets 403 without touching the workflow; the
 * workflow's validator checks the same again and has the last word.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Task } from '../../generated/prisma/client';
import { Principal, requirePrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { documented } from '../openapi';
import {
  decideTask,
  decisionAnswerSchema,
  decisionPendingSchema,
  taskSummary,
  taskSummarySchema,
} from '../kit/decisions';
import { applicationDetail, applicationDetailSchema } from './applications';
import { pageQuery, pageSchema, toPage } from '../kit/paging';
import { InboxFilter, inboxPageSql } from '../kit/inbox-query';

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
        'CATALOG_PROJECT',
      ])
      .optional(),
    step: z.string().trim().min(1).max(64).optional(),
    /** The case number (application, objection, incident or tender no.) the tasks belong to. */
    caseNo: z.string().trim().min(1).max(80).optional().describe('Only the tasks of this case number'),
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    dueBefore: z.iso.datetime({ offset: true }).optional(),
    sort: z.enum(['due', 'created']).default('due'),
    ...pageQuery,
  })
  .strict();

const idParam = z.object({ id: z.uuid(fieldText('任务编号须为 UUID', 'task id must be a UUID')) });
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
    summary:
      "Tasks for the signed-in reviewer's department and role, filtered (caseNo: one case's tasks), in pages of cursor/limit",
    tags: ['inbox'],
    auth: 'required',
    query: inboxQuery,
    response: pageSchema(taskSummarySchema),
  });
  documented({
    method: 'get',
    path: '/api/tasks/{id}',
    summary:
      'A task with the complete case it is about (application: as GET /api/applications/{no}; objection: with its attachments) and its full history',
    tags: ['inbox'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: taskSummarySchema
      .extend({
        application: applicationDetailSchema.nullable().describe('The whole application; null for other cases'),
        objection: z
          .object({
            objectionNo: z.string(),
            attachments: z.array(z.object({ id: z.string(), fileName: z.string(), href: z.string() }).loose()),
          })
          .loose()
          .optional(),
        history: z.array(z.object({ at: z.string(), actor: z.string(), action: z.string(), details: z.unknown() })),
      })
      .loose(),
    responses: { 200: 'OK', 403: 'Not your task', 404: 'Unknown task' },
  });
  documented({
    method: 'post',
    path: '/api/tasks/{id}/claim',
    summary: 'Claim a task (hidden from the rest of the group)',
    tags: ['inbox'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND', 'TASK_CLAIMED_BY_OTHER', 'TASK_NOT_OPEN'],
    response: z.object({ id: z.string(), status: z.literal('CLAIMED'), claimedById: z.string() }),
    responses: { 200: 'Claimed', 409: 'Claimed by someone else or not open' },
  });
  documented({
    method: 'post',
    path: '/api/tasks/{id}/unclaim',
    summary: 'Give a claimed task back to the group',
    tags: ['inbox'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    response: z.object({ id: z.string(), status: z.literal('OPEN') }),
    responses: { 200: 'Unclaimed', 409: 'Not claimed by you' },
  });
  documented({
    method: 'post',
    path: '/api/tasks/{id}/complete',
    summary: 'Decide a task (one decision per task); answers with the state after the procedure acted on it',
    tags: ['inbox'],
    auth: 'required',
    body: completeBody,
    errors: [
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      'TASK_NOT_OPEN',
      'TASK_CLAIMED_BY_OTHER',
      'TASK_ALREADY_DECIDED',
      'DECISION_NOT_ALLOWED',
      'REASONS_REQUIRED',
      'WORKFLOW_TIMEOUT',
      'SERVICE_UNAVAILABLE',
    ],
    response: decisionAnswerSchema,
    bodies: { 202: decisionPendingSchema },
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
    if (!task) throw new AppError('NOT_FOUND', { zh: `任务 ${id} 不存在`, en: `No task ${id}` });
    if (!isCandidate(p, task))
      throw new AppError('FORBIDDEN', {
        zh: `任务 ${id} 由部门 ${task.candidateDeptId} 的 ${task.candidateRole} 办理`,
        en: `Task ${id} is for ${task.candidateRole} of department ${task.candidateDeptId}`,
      });
    return { p, task };
  }

  router.get('/api/inbox', async (req, res) => {
    const p = requirePrincipal(req);
    const q = parse(inboxQuery, req.query, 'query');
    if (!p.departmentId) return res.json({ items: [], nextCursor: null });
    let after: InboxFilter['after'];
    if (q.cursor) {
      const last = await db.task.findUnique({
        where: { id: q.cursor },
        select: { id: true, dueAt: true, createdAt: true },
      });
      if (!last)
        throw new AppError(
          'VALIDATION_FAILED',
          {
            zh: 'cursor 未指向任何任务：请从第一页重新开始',
            en: 'cursor names no task: start again from the first page',
          },
          [{ path: 'query.cursor', message: '未知的游标' }],
        );
      after = last;
    }
    // Two steps: the page's ids by keyset on the inbox index, then their rows.
    const ids = (
      await db.$queryRaw<Array<{ id: string }>>(
        inboxPageSql({
          departmentId: p.departmentId,
          roles: p.roles,
          userId: p.userId,
          status: q.status,
          procedure: q.procedure,
          step: q.step,
          overdue: q.overdue,
          dueBefore: q.dueBefore ? new Date(q.dueBefore) : undefined,
          caseNo: q.caseNo,
          sort: q.sort,
          after,
          limit: q.limit,
        }),
      )
    ).map((r) => r.id);
    const byId = new Map(
      (await db.task.findMany({ where: { id: { in: ids } }, select: taskSummary })).map((t) => [t.id, t]),
    );
    const rows = ids.map((id) => byId.get(id)).filter((t) => t !== undefined);
    res.json(toPage(q, rows));
  });

  /**
   * The case a task is about, as a whole: whoever decides sees everything they judge. An
   * application task carries the complete application (scenario, security measures, field of use,
   * research statement, every earlier decision); an objection task the objection with its
   * attachments.
   */
  async function subjectOf(task: { applicationId: string | null; procedure: string; subjectRef: string | null }) {
    if (task.applicationId) return { application: await applicationDetail(db, task.applicationId) };
    if (task.procedure === 'OBJECTION' && task.subjectRef) {
      const objection = await db.objection.findUnique({
        where: { id: task.subjectRef },
        include: {
          resource: { select: { code: true, name: true, providerId: true } },
          attachments: {
            orderBy: { createdAt: 'asc' },
            select: { id: true, fileName: true, mediaType: true, sizeBytes: true, sha256: true, createdAt: true },
          },
        },
      });
      if (!objection) return {};
      const { idempotencyKey: _key, workflowId: _wf, ...rest } = objection;
      return {
        objection: {
          ...rest,
          attachments: objection.attachments.map((a) => ({
            ...a,
            href: `/api/objections/${encodeURIComponent(objection.objectionNo)}/attachments/${a.id}`,
          })),
        },
      };
    }
    return {};
  }

  router.get('/api/tasks/:id', async (req, res) => {
    noQuery(req.query);
    const { task } = await loadTask(req);
    const [full, audit, subject] = await Promise.all([
      db.task.findUniqueOrThrow({
        where: { id: task.id },
        select: {
          ...taskSummary,
          reasons: true,
          comment: true,
          completedById: true,
          workflowId: true,
        },
      }),
      db.auditLog.findMany({
        where: { entityType: 'Task', entityId: task.id },
        orderBy: { id: 'asc' },
        select: { at: true, actor: true, action: true, details: true },
      }),
      subjectOf(task),
    ]);
    res.json({ ...full, ...subject, history: audit });
  });

  router.post('/api/tasks/:id/claim', async (req, res) => {
    const { p, task } = await loadTask(req);
    if (task.status === 'CLAIMED' && task.claimedById === p.userId)
      return res.json({ id: task.id, status: 'CLAIMED', claimedById: p.userId });
    if (task.status === 'CLAIMED')
      throw new AppError('TASK_CLAIMED_BY_OTHER', {
        zh: `任务 ${task.id} 已由其他审核人员认领`,
        en: `Task ${task.id} is claimed by another reviewer`,
      });
    const at = new Date();
    const { count } = await db.task.updateMany({
      where: { id: task.id, status: 'OPEN' },
      data: { status: 'CLAIMED', claimedById: p.userId, claimedAt: at },
    });
    if (count === 0)
      throw new AppError('TASK_NOT_OPEN', {
        zh: `任务 ${task.id} 已不再处于待办状态`,
        en: `Task ${task.id} is no longer open`,
      });
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
    if (count === 0)
      throw new AppError('CONFLICT', {
        zh: `任务 ${task.id} 不是由您认领的`,
        en: `Task ${task.id} is not claimed by you`,
      });
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
