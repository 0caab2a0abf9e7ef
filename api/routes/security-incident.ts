/**
 * Security incidents (Art. 32 ¶2): a department or the data authority reports a leak, damage,
 * loss or risk — and a citizen or company a suspected leak, which the authority triages; the
 * report is recorded with its time and starts the incident procedure. The department's
 * measures and the authority's closing are inbox tasks (generic task API). Suspending grants
 * is decided by each affected resource's provider or by the data authority (Art. 13): a
 * reporter who is neither only asks, and the provider decides in an hour-limited task
 * (`suspension-decision`, which may name the grants); the authority and the providers may
 * suspend named grants while the incident runs.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import { newId } from '../../lib/ids';
import { suspendIncidentGrantsUpdate } from '../../workflows/objection-messages';
import { Access, authorizeSignedIn, incidentScope } from '../access';
import type { Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { documented } from '../openapi';
import { actorOf, decideTask, decisionAnswerSchema, decisionPendingSchema } from '../kit/decisions';
import { startIncident } from '../kit/starters';
import { temporalClient } from '../kit/temporal';
import { executeBounded } from '../kit/updates';
import { idempotencyKeySchema } from '../submissions';
import { checkCursor, pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';

const CLOCK_SKEW_MS = 60_000;
const grantIdsSchema = z
  .array(z.string().trim().min(1).max(64))
  .min(1)
  .max(500)
  .refine((ids) => new Set(ids).size === ids.length, fieldText('访问权限不得重复', 'must not repeat a grant'));

const reportBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    kind: z.enum(['LEAK', 'DAMAGE', 'LOSS', 'RISK']),
    description: z.string().trim().min(4).max(4000),
    resourceCodes: z
      .array(z.string().trim().min(1).max(64))
      .min(1)
      .max(50)
      .refine(
        (codes) => new Set(codes).size === codes.length,
        fieldText('数据资源不得重复', 'must not repeat a resource'),
      ),
    affectedUsers: z.string().trim().max(2000).optional(),
    // When it happened: not in the future (a minute's clock difference is tolerated).
    occurredAt: z.iso
      .datetime({ offset: true })
      .refine(
        (v) => Date.parse(v) <= Date.now() + CLOCK_SKEW_MS,
        fieldText('不能晚于当前时间', 'must not be in the future'),
      )
      .optional(),
    suspendGrants: z
      .boolean()
      .default(false)
      .describe(
        "Ask for the affected resources' grants to be suspended: at once where the reporter is the provider or the " +
          'authority, otherwise the provider decides (DECIDE_SUSPENSION task). The answer keeps what was asked; ' +
          'grantsSuspended says what holds',
      ),
    // The authority may report an incident at another department, which then owes the measures.
    responsibleDeptId: z.string().trim().min(1).max(64).optional(),
  })
  .strict();

const listQuery = z
  .object({
    status: z.enum(['REPORTED', 'REMEDIATED', 'CLOSED']).optional(),
    ...pageQuery,
  })
  .strict();
const noParam = z.object({ no: z.string().min(1).max(64) });
const suspendBody = z
  .object({
    reason: z.string().trim().max(2000).optional(),
    grantIds: grantIdsSchema.optional().describe('Only these grants (ids from GET /api/incidents/{no} grants)'),
  })
  .strict();
const suspensionDecisionBody = z
  .object({
    decision: z.enum(['SUSPEND', 'NO_SUSPENSION']),
    grantIds: grantIdsSchema.optional(),
    reasons: z.string().trim().max(4000).optional(),
  })
  .strict()
  .refine((b) => !b.grantIds || b.decision === 'SUSPEND', {
    message: fieldText('grantIds 仅适用于 SUSPEND（暂停）决定', 'grantIds go with the decision SUSPEND'),
    path: ['grantIds'],
  });

const isAuthority = (p: Principal) => p.departmentKind === 'AUTHORITY';
/** Decides suspensions on every resource: a reviewer of the data authority (ACCESS_MATRIX.incidentSuspend `all`). */
const decidesAll = (p: Principal) => isAuthority(p) && p.roles.includes('AUTHORITY_REVIEWER');

/**
 * An incident as view() answers it: a public reporter reads its report and outcome only; a
 * supervisor the procedure's facts (`view: 'metadata'`); the departments concerned the whole case
 * with the grants they could suspend and its audit trail.
 */
const incidentSchema = z
  .object({
    incidentNo: z.string(),
    kind: z.string(),
    status: z.string(),
    description: z.string().optional(),
    occurredAt: z.string().nullable(),
    reportedAt: z.string(),
    closedAt: z.string().nullable(),
    conclusion: z.string().nullable(),
    resources: z.array(z.object({ code: z.string(), name: z.string(), providerId: z.string() })).optional(),
    steps: z
      .array(z.object({ id: z.string(), step: z.string(), title: z.string(), status: z.string() }).loose())
      .optional(),
    suspensions: z
      .array(z.object({ grantId: z.string(), suspendedAt: z.string(), releasedAt: z.string().nullable() }).loose())
      .optional(),
    grantsSuspended: z.number().optional(),
    grants: z
      .array(
        z.object({
          id: z.string(),
          status: z.string(),
          granteeDeptId: z.string().nullable(),
          granteePublicId: z.string().nullable(),
          resourceCode: z.string(),
        }),
      )
      .optional(),
    audit: z
      .array(z.object({ at: z.string(), actor: z.string(), action: z.string(), details: z.unknown() }))
      .optional(),
    view: z.literal('metadata').optional(),
  })
  .loose();

function newIncidentNo(): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replace(/-/g, '');
  return `AQ-${day}-${newId().slice(0, 8).toUpperCase()}`;
}

export function incidentsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'post',
    path: '/api/incidents',
    summary:
      'Report a data security incident (Art. 32 ¶2): department staff or the data authority; a citizen or company ' +
      '(PUBLIC_APPLICANT) reports a suspected leak, which the authority triages first. suspendGrants suspends at once ' +
      "only where the reporter is the resource's provider or the authority; otherwise each provider gets a " +
      'DECIDE_SUSPENSION task (hour limit) and the grants stay ACTIVE until it decides',
    tags: ['incidents'],
    auth: 'required',
    body: reportBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED', 'SERVICE_UNAVAILABLE', 'START_PENDING'],
    response: incidentSchema,
    responses: {
      201: 'Reported',
      200: 'Repeat of an earlier report',
      400: 'VALIDATION_FAILED (e.g. occurredAt in the future)',
      403: 'FORBIDDEN: not a department, the authority or a public applicant; responsibleDeptId set by a non-authority',
      404: 'Unknown resource or department',
      409: 'Idempotency key reused',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'get',
    path: '/api/incidents',
    summary:
      "Incidents the signed-in user's department reported, owes or whose data it provides; a public reporter's own; " +
      'the authority sees all; newest first, in pages of cursor/limit',
    tags: ['incidents'],
    auth: 'required',
    query: listQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(
      z.object({ incidentNo: z.string(), kind: z.string(), status: z.string(), reportedAt: z.string() }).loose(),
    ),
  });
  documented({
    method: 'get',
    path: '/api/incidents/{no}',
    summary: 'One incident with its steps, suspensions and audit trail',
    tags: ['incidents'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: incidentSchema,
  });
  documented({
    method: 'post',
    path: '/api/incidents/{no}/suspend-grants',
    summary:
      'Suspend grants on the affected resources until the incident is closed: the data authority (any affected ' +
      'resource) or the PROVIDER_REVIEWER of an affected resource (its own); grantIds names the grants, absent = ' +
      'every grant on those resources. Answers how many grants this suspension covers',
    tags: ['incidents'],
    auth: 'required',
    body: suspendBody,
    errors: [
      'FORBIDDEN',
      'NOT_FOUND',
      'INCIDENT_CLOSED',
      'UNKNOWN_GRANT',
      'SERVICE_UNAVAILABLE',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
    ],
    response: z.object({ suspended: z.number(), stage: z.string() }),
    responses: {
      200: '{"suspended": N, "stage": …}',
      403: "FORBIDDEN: neither the authority nor an affected resource's provider",
      404: 'Unknown incident',
      409: 'INCIDENT_CLOSED: nothing is suspended',
      422: 'UNKNOWN_GRANT: a named grant is not on a resource of this incident the caller may decide on',
    },
  });
  documented({
    method: 'post',
    path: '/api/incidents/{no}/suspension-decision',
    summary:
      "The provider decides its DECIDE_SUSPENSION task (opened when a reporter who is neither the resource's " +
      'provider nor the authority asked for a suspension): SUSPEND, optionally only the named grantIds, or ' +
      'NO_SUSPENSION with reasons',
    tags: ['incidents'],
    auth: 'required',
    body: suspensionDecisionBody,
    errors: [
      'FORBIDDEN',
      'NOT_FOUND',
      'INCIDENT_CLOSED',
      'UNKNOWN_GRANT',
      'TASK_ALREADY_DECIDED',
      'SERVICE_UNAVAILABLE',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
      'TASK_NOT_OPEN',
      'TASK_CLAIMED_BY_OTHER',
      'DECISION_NOT_ALLOWED',
      'REASONS_REQUIRED',
    ],
    response: decisionAnswerSchema,
    bodies: { 202: decisionPendingSchema },
    responses: {
      200: 'Decided (the task decision answer)',
      202: 'DECISION_PENDING',
      403: 'FORBIDDEN: no suspension decision of your department on this incident',
      404: 'Unknown incident',
      409: 'TASK_NOT_OPEN / TASK_ALREADY_DECIDED / INCIDENT_CLOSED',
      422: 'UNKNOWN_GRANT, REASONS_REQUIRED',
    },
  });

  const router = Router();

  router.post('/api/incidents', async (req, res) => {
    const { p } = authorizeSignedIn(req, 'incidentReport');
    const publicReporter = !p.departmentId;
    if (publicReporter && !p.roles.includes('PUBLIC_APPLICANT'))
      throw new AppError('FORBIDDEN', {
        zh: '安全事件由部门、政务数据主管部门或公众申请人报告',
        en: 'Incidents are reported by a department, the data authority or a public applicant',
      });
    const body = parse(reportBody, req.body, 'body');
    if (body.responsibleDeptId && body.responsibleDeptId !== p.departmentId && !isAuthority(p))
      throw new AppError('FORBIDDEN', {
        zh: '只有政务数据主管部门可以报告其他部门的安全事件',
        en: 'Only the data authority may report an incident at another department',
      });
    if (body.responsibleDeptId && !(await db.department.findUnique({ where: { id: body.responsibleDeptId } })))
      throw new AppError('NOT_FOUND', {
        zh: `部门 ${body.responsibleDeptId} 不存在`,
        en: `Unknown department ${body.responsibleDeptId}`,
      });

    const previous = await db.securityIncident.findUnique({
      where: { reporterUserId_idempotencyKey: { reporterUserId: p.userId, idempotencyKey: body.idempotencyKey } },
    });
    if (previous) {
      if (previous.description !== body.description || previous.kind !== body.kind) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', {
          zh: `该幂等键已用于安全事件 ${previous.incidentNo}，但请求内容不同`,
          en: `Idempotency key was already used for incident ${previous.incidentNo} with different content`,
        });
      }
      await startIncident(deps, previous.id);
      return res.status(200).json(await view(authorizeSignedIn(req, 'incidents'), previous.incidentNo));
    }
    const resources = await db.dataResource.findMany({
      where: { code: { in: body.resourceCodes } },
      orderBy: { code: 'asc' },
    });
    const missing = body.resourceCodes.filter((c) => !resources.some((r) => r.code === c));
    if (missing.length)
      throw new AppError('NOT_FOUND', {
        zh: `数据资源不存在：${missing.join(', ')}`,
        en: `Unknown data resource(s): ${missing.join(', ')}`,
      });
    // A public report: the provider of the (first) affected resource owes the measures once the authority confirms it.
    const responsibleDeptId = body.responsibleDeptId ?? p.departmentId ?? resources[0].providerId;

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
          details: {
            incidentNo,
            kind: body.kind,
            resources: body.resourceCodes,
            suspendGrants: body.suspendGrants,
            publicReport: publicReporter,
          },
        },
      }),
    ]);
    await startIncident(deps, id);
    res.status(201).json(await view(authorizeSignedIn(req, 'incidents'), incidentNo));
  });

  async function view(a: Access, incidentNo: string) {
    const scope = await incidentScope(db, a);
    const i = await db.securityIncident.findFirst({ where: { AND: [{ incidentNo }, scope.where] } });
    if (!i) throw new AppError('NOT_FOUND', { zh: `安全事件 ${incidentNo} 不存在`, en: `No incident ${incidentNo}` });
    const p = a.p!;
    if (!p.departmentId) {
      // A citizen or company follows its report; the handling inside the administration is not theirs to read.
      return {
        incidentNo: i.incidentNo,
        kind: i.kind,
        status: i.status,
        description: i.description,
        occurredAt: i.occurredAt,
        reportedAt: i.reportedAt,
        closedAt: i.closedAt,
        conclusion: i.conclusion,
      };
    }
    const full = (await db.securityIncident.count({ where: { AND: [{ id: i.id }, scope.full] } })) > 0;
    const [resources, steps, suspensions, audit] = await Promise.all([
      db.dataResource.findMany({
        where: { id: { in: i.resourceIds } },
        select: { id: true, code: true, name: true, providerId: true },
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
    // The grants a suspension could name: to the authority all, to a provider those on its resources.
    const decidable = resources.filter((r) => decidesAll(p) || r.providerId === p.departmentId);
    const grants = decidable.length
      ? await db.accessGrant.findMany({
          where: { resourceId: { in: i.resourceIds.filter((id) => decidable.some((r) => r.id === id)) } },
          orderBy: { id: 'asc' },
          select: {
            id: true,
            status: true,
            granteeDeptId: true,
            granteePublicId: true,
            resource: { select: { code: true } },
          },
        })
      : [];
    const { id: _id, idempotencyKey: _key, resourceIds: _ids, ...rest } = i;
    if (!full) {
      // A supervisor's view (督办): the procedure's facts and deadlines; no description, affected
      // users, reasons or audit details.
      const { description: _d, affectedUsers: _u, reporterUserId: _r, ...meta } = rest;
      return {
        ...meta,
        resources: resources.map(({ id: _r, ...r }) => r),
        steps: steps.map(({ reasons: _reasons, ...s }) => s),
        suspensions: suspensions.map(({ grant: _g, ...s }) => s),
        grantsSuspended: suspensions.filter((x) => x.releasedAt === null).length,
        view: 'metadata',
      };
    }
    return {
      ...rest,
      resources: resources.map(({ id: _r, ...r }) => r),
      steps,
      suspensions,
      grantsSuspended: suspensions.filter((x) => x.releasedAt === null).length,
      grants: grants.map(({ resource, ...g }) => ({ ...g, resourceCode: resource.code })),
      audit,
    };
  }

  router.get('/api/incidents', async (req, res) => {
    const a = authorizeSignedIn(req, 'incidents');
    const q = parse(listQuery, req.query, 'query');
    const scope = await incidentScope(db, a);
    const where: Prisma.SecurityIncidentWhereInput = { AND: [scope.where, q.status ? { status: q.status } : {}] };
    await checkCursor(q, (id) => db.securityIncident.count({ where: { AND: [where, { id }] } }));
    const rows = await db.securityIncident.findMany({
      where,
      orderBy: [{ reportedAt: 'desc' }, { id: 'asc' }],
      ...pageArgs(q),
      select: {
        id: true,
        incidentNo: true,
        kind: true,
        status: true,
        responsibleDeptId: true,
        reportedAt: true,
        cyberspaceReportedAt: true,
        closedAt: true,
        suspendGrants: true,
      },
    });
    res.json(toPage(q, rows, ({ id: _id, ...item }) => item));
  });

  router.get('/api/incidents/:no', async (req, res) => {
    const a = authorizeSignedIn(req, 'incidents');
    noQuery(req.query);
    const { no } = parse(noParam, req.params, 'params');
    res.json(await view(a, no));
  });

  /**
   * The incident and the resources of it on which the caller decides suspensions: every one with
   * `everyResource` (a grant on `all`: the authority's reviewers), otherwise those its department provides.
   */
  async function decidableResources(p: Principal, no: string, everyResource: boolean) {
    const i = await db.securityIncident.findUnique({ where: { incidentNo: no } });
    if (!i) throw new AppError('NOT_FOUND', { zh: `安全事件 ${no} 不存在`, en: `No incident ${no}` });
    const resources = await db.dataResource.findMany({ where: { id: { in: i.resourceIds } } });
    const mine = everyResource ? resources : resources.filter((r) => r.providerId === p.departmentId);
    if (mine.length === 0)
      throw new AppError('FORBIDDEN', {
        zh: `只有政务数据主管部门或安全事件 ${no} 所涉数据资源的提供部门可以决定暂停访问权限`,
        en: `Only the data authority or the provider of a resource of incident ${no} decides suspensions on it`,
      });
    if (i.status === 'CLOSED')
      throw new AppError('INCIDENT_CLOSED', {
        zh: `安全事件 ${no} 已关闭：其访问权限不再暂停`,
        en: `Incident ${no} is closed: its grants are no longer suspended`,
      });
    return { incident: i, resourceIds: mine.map((r) => r.id) };
  }

  /** Named grants must be on resources the caller decides on; 422 UNKNOWN_GRANT names the others. */
  async function checkGrants(no: string, resourceIds: string[], grantIds: string[] | undefined) {
    if (!grantIds) return;
    const found = await db.accessGrant.findMany({
      where: { id: { in: grantIds }, resourceId: { in: resourceIds } },
      select: { id: true },
    });
    const unknown = grantIds.filter((g) => !found.some((f) => f.id === g));
    if (unknown.length)
      throw new AppError(
        'UNKNOWN_GRANT',
        {
          zh: `以下不是安全事件 ${no} 中由您决定的数据资源的访问权限：${unknown.join(', ')}`,
          en: `Not a grant on a resource of incident ${no} you decide on: ${unknown.join(', ')}`,
        },
        unknown.map((g) => ({ path: 'body.grantIds', message: g })),
      );
  }

  router.post('/api/incidents/:no/suspend-grants', async (req, res) => {
    const a = authorizeSignedIn(req, 'incidentSuspend');
    const p = a.p;
    const { no } = parse(noParam, req.params, 'params');
    // Who decides comes before the body: a caller outside it learns nothing from a 400.
    const { incident: i, resourceIds } = await decidableResources(p, no, a.scopes.has('all'));
    const body = parse(suspendBody, req.body, 'body');
    await checkGrants(no, resourceIds, body.grantIds);
    const grantKey = body.grantIds ? [...body.grantIds].sort().join(',') : 'all';
    const client = await temporalClient(deps);
    const result = await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(i.workflowId).executeUpdate(suspendIncidentGrantsUpdate, {
        args: [
          {
            actor: actorOf(p),
            reason: body.reason,
            grantIds: body.grantIds,
          },
        ],
        // One suspension per caller and set of grants: a repeat gets the same answer, another set is a new one.
        updateId: `${i.id}:suspend-grants:${createHash('sha256').update(`${p.userId}|${grantKey}`).digest('hex').slice(0, 32)}`,
      }),
    );
    res.json(result);
  });

  router.post('/api/incidents/:no/suspension-decision', async (req, res) => {
    const a = authorizeSignedIn(req, 'incidentSuspensionDecision');
    const p = a.p;
    const { no } = parse(noParam, req.params, 'params');
    // Only the provider's reviewers holding the incident's DECIDE_SUSPENSION task, before the body.
    const { incident: i, resourceIds } = await decidableResources(p, no, false);
    const task = await db.task.findFirst({
      where: {
        workflowId: i.workflowId,
        step: 'DECIDE_SUSPENSION',
        candidateDeptId: p.departmentId ?? '',
        candidateRole: { in: p.roles },
      },
    });
    if (!task)
      throw new AppError('FORBIDDEN', {
        zh: `安全事件 ${no} 没有需由本部门作出的暂停决定`,
        en: `Incident ${no} has no suspension decision for your department`,
      });
    const body = parse(suspensionDecisionBody, req.body, 'body');
    await checkGrants(no, resourceIds, body.grantIds);
    const outcome = await decideTask(deps, p, task, {
      decision: body.decision,
      reasons: body.reasons,
      ...(body.grantIds ? { payload: { grantIds: body.grantIds } } : {}),
    });
    res.status(outcome.status).json(outcome.body);
  });

  return router;
}
