/**
 * Authorisations awarded by tender (Art. 27 ¶3–4): the public register of authorised operators
 * and resources, the authority's list with every report duty, the operator's own view and its
 * report filing, and the authority's suspension, reinstatement and revocation with reasons.
 * The report reviews themselves are inbox tasks (generic task API).
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import { changeAuthorizationUpdate, submitUseReportUpdate } from '../../workflows/tender-messages';
import { authorizeSignedIn } from '../access';
import { requirePrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, noQuery, parse } from '../errors';
import { documented } from '../openapi';
import { temporalClient } from '../kit/temporal';
import { executeBounded } from '../kit/updates';
import { checkCursor, pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';
import { requireAuthority, staffActor } from './tender';

const listQuery = z
  .object({ status: z.enum(['ACTIVE', 'SUSPENDED', 'REVOKED', 'EXPIRED']).optional(), ...pageQuery })
  .strict();
const registerQuery = z.object(pageQuery).strict();
const noParam = z.object({ no: z.string().min(1).max(100) });
const reportParams = z.object({ no: z.string().min(1).max(100), reportId: z.string().min(1).max(64) });
const reportBody = z
  .object({ summary: z.string().trim().min(1).max(20000), securityIncidents: z.string().trim().max(20000).optional() })
  .strict();
const changeBody = z.object({ reasons: z.string().trim().min(1).max(4000) }).strict();

const reportSelect = {
  id: true,
  kind: true,
  periodNo: true,
  periodStart: true,
  periodEnd: true,
  dueAt: true,
  status: true,
  submittedAt: true,
  late: true,
  overdueNotices: true,
  reviewDecision: true,
  reviewReasons: true,
  reviewedAt: true,
  useReportId: true,
} satisfies Prisma.AuthorizationReportSelect;

/** One report duty as reportSelect reads it. */
const reportSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    periodNo: z.number(),
    periodStart: z.string(),
    periodEnd: z.string(),
    dueAt: z.string(),
    status: z.string(),
    submittedAt: z.string().nullable(),
    late: z.boolean(),
  })
  .loose();
/** An authorisation as view() answers it: the row, its operator, resources, tender and report duties. */
const authorizationSchema = z
  .object({
    id: z.string(),
    authorizationNo: z.string().nullable(),
    status: z.string(),
    scope: z.string(),
    feeCap: z.number().nullable(),
    operator: z.object({ id: z.string(), name: z.string(), unifiedCreditCode: z.string().nullable() }).nullable(),
    resources: z.array(z.object({ code: z.string(), name: z.string() })),
    tender: z.object({ tenderNo: z.string(), title: z.string() }).nullable(),
    reports: z.array(reportSchema),
  })
  .loose();

export function authorizationsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  const tag = ['authorizations'];
  documented({
    method: 'get',
    path: '/api/authorizations/register',
    summary:
      'Public register of commercial authorisations in force (operator, resources, scope, term); newest first, ' +
      'in pages of cursor/limit',
    tags: tag,
    auth: 'optional',
    query: registerQuery,
    response: pageSchema(
      z
        .object({
          authorizationNo: z.string(),
          operator: z.string(),
          scope: z.string(),
          status: z.string(),
          startsAt: z.string(),
          endsAt: z.string(),
          resources: z.array(z.object({ code: z.string(), name: z.string() })),
        })
        .loose(),
    ),
  });
  documented({
    method: 'get',
    path: '/api/authorizations',
    summary:
      'Authorisations awarded by tender with their report duties (authority: all; operator: its own; provider: ' +
      'those on its data); newest first, in pages of cursor/limit',
    tags: tag,
    auth: 'required',
    query: listQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(authorizationSchema),
  });
  documented({
    method: 'get',
    path: '/api/authorizations/{no}',
    summary: 'One authorisation with its reports',
    tags: tag,
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: authorizationSchema,
  });
  documented({
    method: 'post',
    path: '/api/authorizations/{no}/reports/{reportId}',
    summary: 'The operator files a due use report or yearly disclosure',
    tags: tag,
    auth: 'required',
    body: reportBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'SERVICE_UNAVAILABLE', 'WORKFLOW_TIMEOUT'],
    response: z.object({ reportId: z.string(), late: z.boolean() }),
    responses: { 200: 'Filed', 403: 'Not the operator', 409: 'Not open or already filed' },
  });
  for (const action of ['suspend', 'reinstate', 'revoke']) {
    documented({
      method: 'post',
      path: `/api/authorizations/{no}/${action}`,
      summary: `The data authority ${action}s the authorisation, with reasons`,
      tags: tag,
      auth: 'required',
      body: changeBody,
      errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'SERVICE_UNAVAILABLE', 'WORKFLOW_TIMEOUT', 'REASONS_REQUIRED'],
      response: authorizationSchema,
    });
  }
  const router = Router();

  /** Authorisations within the caller's grants: the authority all, an operator its own, a provider those on its data. */
  async function visibleWhere(req: Request): Promise<Prisma.AuthorizationWhereInput> {
    const a = authorizeSignedIn(req, 'authorizations');
    if (a.scopes.has('all')) return {};
    const or: Prisma.AuthorizationWhereInput[] = [];
    if (a.scopes.has('own') && a.p.publicApplicantId) or.push({ operatorId: a.p.publicApplicantId });
    if (a.scopes.has('provider') && a.p.departmentId) {
      const provided = await db.dataResource.findMany({
        where: { providerId: a.p.departmentId },
        select: { id: true },
      });
      or.push({ resourceIds: { hasSome: provided.map((r) => r.id) } });
    }
    return { OR: or };
  }

  async function loadVisible(req: Request) {
    const p = requirePrincipal(req);
    const { no } = parse(noParam, req.params, 'params');
    const auth = await db.authorization.findFirst({
      where: { AND: [{ authorizationNo: no }, await visibleWhere(req)] },
    });
    if (!auth) throw new AppError('NOT_FOUND', { zh: `授权 ${no} 不存在`, en: `No authorisation ${no}` });
    return { p, auth };
  }

  async function view(id: string) {
    const a = await db.authorization.findUniqueOrThrow({
      where: { id },
      include: { reports: { select: reportSelect, orderBy: [{ dueAt: 'asc' }, { kind: 'asc' }] } },
    });
    const [operator, resources, tender] = await Promise.all([
      db.publicApplicant.findUnique({
        where: { id: a.operatorId },
        select: { id: true, name: true, unifiedCreditCode: true },
      }),
      db.dataResource.findMany({ where: { id: { in: a.resourceIds } }, select: { code: true, name: true } }),
      a.tenderId ? db.tender.findUnique({ where: { id: a.tenderId }, select: { tenderNo: true, title: true } }) : null,
    ]);
    const { resourceIds: _r, ...rest } = a;
    return { ...rest, feeCap: a.feeCap === null ? null : Number(a.feeCap), operator, resources, tender };
  }

  router.get('/api/authorizations/register', async (req, res) => {
    const q = parse(registerQuery, req.query, 'query');
    const where: Prisma.AuthorizationWhereInput = {
      authorizationNo: { not: null },
      status: { in: ['ACTIVE', 'SUSPENDED'] },
    };
    await checkCursor(q, (id) => db.authorization.count({ where: { AND: [where, { id }] } }));
    const { items: rows, nextCursor } = toPage(
      q,
      await db.authorization.findMany({ where, orderBy: [{ startsAt: 'desc' }, { id: 'asc' }], ...pageArgs(q) }),
    );
    const operators = new Map(
      (await db.publicApplicant.findMany({ where: { id: { in: rows.map((r) => r.operatorId) } } })).map((o) => [
        o.id,
        o.name,
      ]),
    );
    const resources = new Map(
      (await db.dataResource.findMany({ where: { id: { in: rows.flatMap((r) => r.resourceIds) } } })).map((r) => [
        r.id,
        { code: r.code, name: r.name },
      ]),
    );
    res.json({
      items: rows.map((r) => ({
        authorizationNo: r.authorizationNo,
        operator: operators.get(r.operatorId),
        scope: r.scope,
        status: r.status,
        startsAt: r.startsAt,
        endsAt: r.endsAt,
        resources: r.resourceIds.map((id) => resources.get(id)).filter(Boolean),
      })),
      nextCursor,
    });
  });

  router.get('/api/authorizations', async (req, res) => {
    const visible = await visibleWhere(req);
    const q = parse(listQuery, req.query, 'query');
    const where: Prisma.AuthorizationWhereInput = {
      AND: [visible, { authorizationNo: { not: null }, status: q.status }],
    };
    await checkCursor(q, (id) => db.authorization.count({ where: { AND: [where, { id }] } }));
    const rows = await db.authorization.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      ...pageArgs(q),
      select: { id: true },
    });
    const page = toPage(q, rows);
    res.json({ items: await Promise.all(page.items.map((r) => view(r.id))), nextCursor: page.nextCursor });
  });

  router.get('/api/authorizations/:no', async (req, res) => {
    noQuery(req.query);
    const { auth } = await loadVisible(req);
    res.json(await view(auth.id));
  });

  router.post('/api/authorizations/:no/reports/:reportId', async (req, res) => {
    const p = requirePrincipal(req);
    const { no, reportId } = parse(reportParams, req.params, 'params');
    const auth = await db.authorization.findUnique({ where: { authorizationNo: no } });
    if (!auth || p.publicApplicantId !== auth.operatorId)
      throw new AppError('FORBIDDEN', {
        zh: '只有被授权的运营单位可以提交其报告',
        en: 'Only the authorised operator files its reports',
      });
    const body = parse(reportBody, req.body, 'body');
    const report = await db.authorizationReport.findFirst({ where: { id: reportId, authorizationId: auth.id } });
    if (!report)
      throw new AppError('NOT_FOUND', {
        zh: `授权 ${no} 下不存在报告 ${reportId}`,
        en: `No report ${reportId} for authorisation ${no}`,
      });
    if (!report.workflowId || report.status === 'SCHEDULED')
      throw new AppError('CONFLICT', {
        zh: `该报告自 ${report.periodEnd.toISOString()} 起方可提交`,
        en: `This report can be filed from ${report.periodEnd.toISOString()} on`,
      });
    if (report.submittedAt || report.status === 'WAIVED')
      throw new AppError('CONFLICT', {
        zh: '该报告已提交或已无需提交',
        en: 'This report is already filed or no longer owed',
      });
    const client = await temporalClient(deps);
    const r = await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(report.workflowId!).executeUpdate(submitUseReportUpdate, {
        args: [
          {
            actor: { userId: p.userId, login: p.login, publicApplicantId: p.publicApplicantId! },
            summary: body.summary,
            securityIncidents: body.securityIncidents,
          },
        ],
        updateId: `report:${report.id}`,
      }),
    );
    res.json({ reportId: r.reportId, late: r.late });
  });

  for (const [path, action] of [
    ['suspend', 'SUSPEND'],
    ['reinstate', 'REINSTATE'],
    ['revoke', 'REVOKE'],
  ] as const) {
    router.post(`/api/authorizations/:no/${path}`, async (req, res) => {
      const p = requireAuthority(req);
      const { reasons } = parse(changeBody, req.body, 'body');
      const { auth } = await loadVisible(req);
      if (!auth.workflowId)
        throw new AppError('CONFLICT', {
          zh: '该授权不是经招标程序授予的，无需在此跟踪',
          en: 'This authorisation is not followed up by a tender procedure',
        });
      const client = await temporalClient(deps);
      await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
        c.workflow
          .getHandle(auth.workflowId!)
          .executeUpdate(changeAuthorizationUpdate, { args: [{ actor: staffActor(p), action, reasons }] }),
      );
      res.json(await view(auth.id));
    });
  }
  return router;
}
