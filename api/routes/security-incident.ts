/**
 * Security incidents (Art. 32 ¶2): a department or the data authority reports a leak, damage,
 * loss or risk; the report is recorded with its time and starts the incident procedure. The
 * department's measures and the authority's closing are inbox tasks (generic task API); the
 * authority may suspend the grants on the affected resources while it runs.
 */
import { Router } from 'express';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import { newId } from '../../lib/ids';
import { suspendIncidentGrantsUpdate } from '../../workflows/objection-messages';
import { Access, authorizeSignedIn, incidentScope } from '../access';
import { Principal, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, parse } from '../errors';
import { documented } from '../openapi';
import { startIncident } from '../kit/starters';
import { temporalClient } from '../kit/temporal';
import { executeBounded } from '../kit/updates';
import { idempotencyKeySchema } from '../submissions';
import { paginationQuery } from './catalog';

const reportBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    kind: z.enum(['LEAK', 'DAMAGE', 'LOSS', 'RISK']),
    description: z.string().trim().min(4).max(4000),
    resourceCodes: z
      .array(z.string().trim().min(1).max(64))
      .min(1)
      .max(50)
      .refine((codes) => new Set(codes).size === codes.length, 'must not repeat a resource'),
    affectedUsers: z.string().trim().max(2000).optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    suspendGrants: z.boolean().default(false),
    // The authority may report an incident at another department, which then owes the measures.
    responsibleDeptId: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

const listQuery = z
  .object({
    status: z.enum(['REPORTED', 'REMEDIATED', 'CLOSED']).optional(),
    ...paginationQuery,
  })
  .strict();
const noParam = z.object({ no: z.string().min(1).max(64) });
const suspendBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();

const isAuthority = (p: Principal) => p.departmentKind === 'AUTHORITY';

function newIncidentNo(): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replace(/-/g, '');
  return `AQ-${day}-${newId().slice(0, 8).toUpperCase()}`;
}

export function incidentsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'post',
    path: '/api/incidents',
    summary: 'Report a data security incident (Art. 32 ¶2); department staff or the data authority',
    tags: ['incidents'],
    auth: 'required',
    body: reportBody,
    responses: {
      201: 'Reported',
      200: 'Repeat of an earlier report',
      404: 'Unknown resource or department',
      409: 'Idempotency key reused',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'get',
    path: '/api/incidents',
    summary: "Incidents of the signed-in user's department (the authority sees all)",
    tags: ['incidents'],
    auth: 'required',
    query: listQuery,
  });
  documented({
    method: 'get',
    path: '/api/incidents/{no}',
    summary: 'One incident with its steps, suspensions and audit trail',
    tags: ['incidents'],
    auth: 'required',
  });
  documented({
    method: 'post',
    path: '/api/incidents/{no}/suspend-grants',
    summary: 'Suspend the grants on the affected resources until the incident is closed; the data authority only',
    tags: ['incidents'],
    auth: 'required',
    body: suspendBody,
    responses: { 200: 'Suspended', 409: 'Incident closed' },
  });

  const router = Router();

  router.post('/api/incidents', async (req, res) => {
    const p = requireRole(req, 'DEPT_STAFF', 'AUTHORITY_REVIEWER');
    if (!p.departmentId) throw new AppError('FORBIDDEN', 'Incidents are reported by a department');
    const body = parse(reportBody, req.body, 'body');
    const responsibleDeptId = body.responsibleDeptId ?? p.departmentId;
    if (responsibleDeptId !== p.departmentId && !isAuthority(p))
      throw new AppError('FORBIDDEN', 'Only the data authority may report an incident at another department');
    if (!(await db.department.findUnique({ where: { id: responsibleDeptId } })))
      throw new AppError('NOT_FOUND', `Unknown department ${responsibleDeptId}`);

    const previous = await db.securityIncident.findUnique({
      where: { reporterUserId_idempotencyKey: { reporterUserId: p.userId, idempotencyKey: body.idempotencyKey } },
    });
    if (previous) {
      if (previous.description !== body.description || previous.kind !== body.kind) {
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          `Idempotency key was already used for incident ${previous.incidentNo} with different content`,
        );
      }
      await startIncident(deps, previous.id);
      return res.status(200).json(await view(authorizeSignedIn(req, 'incidents'), previous.incidentNo));
    }
    const resources = await db.dataResource.findMany({ where: { code: { in: body.resourceCodes } } });
    const missing = body.resourceCodes.filter((c) => !resources.some((r) => r.code === c));
    if (missing.length) throw new AppError('NOT_FOUND', `Unknown data resource(s): ${missing.join(', ')}`);

    const incidentNo = newIncidentNo();
    const id = newId();
    const at = new Date();
    await db.$transaction([
      db.securityIncident.create({
        data: {
          id,
          incidentNo,
          workflowId: `security-incident/${incidentNo}`,
          kind: body.kind,
          description: body.description,
          affectedUsers: body.affectedUsers,
          resourceIds: resources.map((r) => r.id),
          reporterUserId: p.userId,
          reporterDeptId: p.departmentId,
          responsibleDeptId,
          suspendGrants: body.suspendGrants,
          idempotencyKey: body.idempotencyKey,
          occurredAt: body.occurredAt ? new Date(body.occurredAt) : null,
          reportedAt: at,
        },
      }),
      db.auditLog.create({
        data: {
          auditKey: `incident:${id}:filed`,
          actor: p.userId,
          action: 'INCIDENT_FILED',
          entityType: 'SecurityIncident',
          entityId: id,
          details: { incidentNo, kind: body.kind, resources: body.resourceCodes, suspendGrants: body.suspendGrants },
        },
      }),
    ]);
    await startIncident(deps, id);
    res.status(201).json(await view(authorizeSignedIn(req, 'incidents'), incidentNo));
  });

  async function view(a: Access, incidentNo: string) {
    const scope = await incidentScope(db, a);
    const i = await db.securityIncident.findFirst({ where: { AND: [{ incidentNo }, scope.where] } });
    if (!i) throw new AppError('NOT_FOUND', `No incident ${incidentNo}`);
    const full = (await db.securityIncident.count({ where: { AND: [{ id: i.id }, scope.full] } })) > 0;
    const [resources, steps, suspensions, audit] = await Promise.all([
      db.dataResource.findMany({
        where: { id: { in: i.resourceIds } },
        select: { code: true, name: true, providerId: true },
      }),
      db.task.findMany({
        where: { workflowId: i.workflowId },
        orderBy: { createdAt: 'asc' },
        select: {
          id: true,
          step: true,
          title: true,
          status: true,
          dueAt: true,
          overdue: true,
          createdAt: true,
          completedAt: true,
          decision: true,
          reasons: true,
        },
      }),
      db.incidentGrantSuspension.findMany({
        where: { incidentId: i.id },
        select: {
          grantId: true,
          suspendedAt: true,
          releasedAt: true,
          grant: { select: { status: true, granteeDeptId: true } },
        },
      }),
      db.auditLog.findMany({
        where: { entityType: 'SecurityIncident', entityId: i.id },
        orderBy: { id: 'asc' },
        select: { at: true, actor: true, action: true, details: true },
      }),
    ]);
    const { id: _id, idempotencyKey: _key, resourceIds: _ids, ...rest } = i;
    if (!full) {
      // A supervisor's view (督办): the procedure's facts and deadlines; no description, affected
      // users, reasons or audit details.
      const { description: _d, affectedUsers: _u, reporterUserId: _r, ...meta } = rest;
      return {
        ...meta,
        resources,
        steps: steps.map(({ reasons: _reasons, ...s }) => s),
        suspensions: suspensions.map(({ grant: _g, ...s }) => s),
        view: 'metadata',
      };
    }
    return { ...rest, resources, steps, suspensions, audit };
  }

  router.get('/api/incidents', async (req, res) => {
    const a = authorizeSignedIn(req, 'incidents');
    const q = parse(listQuery, req.query, 'query');
    const scope = await incidentScope(db, a);
    const where: Prisma.SecurityIncidentWhereInput = { AND: [scope.where, q.status ? { status: q.status } : {}] };
    const [total, items] = await Promise.all([
      db.securityIncident.count({ where }),
      db.securityIncident.findMany({
        where,
        orderBy: [{ reportedAt: 'desc' }, { id: 'asc' }],
        skip: (q.page - 1) * q.pageSize,
        take: q.pageSize,
        select: {
          incidentNo: true,
          kind: true,
          status: true,
          responsibleDeptId: true,
          reportedAt: true,
          cyberspaceReportedAt: true,
          closedAt: true,
          suspendGrants: true,
        },
      }),
    ]);
    res.json({ items, page: q.page, pageSize: q.pageSize, total });
  });

  router.get('/api/incidents/:no', async (req, res) => {
    const a = authorizeSignedIn(req, 'incidents');
    const { no } = parse(noParam, req.params, 'params');
    res.json(await view(a, no));
  });

  router.post('/api/incidents/:no/suspend-grants', async (req, res) => {
    const p = requireRole(req, 'AUTHORITY_REVIEWER');
    const { no } = parse(noParam, req.params, 'params');
    const body = parse(suspendBody, req.body, 'body');
    const i = await db.securityIncident.findUnique({ where: { incidentNo: no } });
    if (!i) throw new AppError('NOT_FOUND', `No incident ${no}`);
    const client = await temporalClient(deps);
    const result = await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(i.workflowId).executeUpdate(suspendIncidentGrantsUpdate, {
        args: [
          {
            actor: { userId: p.userId, login: p.login, departmentId: p.departmentId, roles: p.roles },
            reason: body.reason,
          },
        ],
        updateId: `${i.id}:suspend-grants`,
      }),
    );
    res.json(result);
  });

  return router;
}
