/**
 * Share applications by government departments (Art. 22 ¶1–2): submission with an idempotency
 * key (a repeat returns the same application and starts nothing new), status with timeline,
 * the department's list, and withdrawal.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DEFAULT_POLICY } from '../../domain/policy';
import { newId } from '../../lib/ids';
import { withdrawUpdate } from '../../workflows/messages';
import type { Prisma } from '../../generated/prisma/client';
import { applicationScope, authorizeSignedIn } from '../access';
import { Principal, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import type { ErrorCode } from '../../domain/error-codes';
import { citedVersionSchema, citedVersions, refuseRetired } from '../catalog-citations';
import { actorOf } from '../kit/decisions';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { documented } from '../openapi';
import { temporalClient } from '../kit/temporal';
import { startApplication } from '../kit/starters';
import { executeBounded } from '../kit/updates';
import { hashRequest, idempotencyKeySchema, newApplicationNo, submitOnce, unknownResources } from '../submissions';
import { pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';

const submitBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    resourceCodes: z
      .array(z.string().trim().min(1).max(64))
      .min(1)
      .max(50)
      .refine(
        (codes) => new Set(codes).size === codes.length,
        fieldText('数据资源不得重复', 'must not repeat a resource'),
      ),
    purpose: z.string().trim().min(4).max(2000),
    legalDuty: z.string().trim().min(4).max(2000).optional(),
    fieldsRequested: z.array(z.string().trim().min(1).max(100)).max(200).default([]),
    usePeriodDays: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_POLICY.maxUsePeriodDays)
      .default(DEFAULT_POLICY.defaultUsePeriodDays),
    accessMode: z.enum(['INTERFACE', 'DATA_COPY']).default('INTERFACE'),
  })
  .strict();

const listQuery = z
  .object({
    status: z
      .enum([
        'SUBMITTED',
        'PROVIDER_REVIEW',
        'SUPPLEMENT_REQUESTED',
        'AUTHORITY_REVIEW',
        'GOVERNMENT_DECISION',
        'AGREEMENT_PENDING',
        'APPROVED',
        'REFUSED',
        'WITHDRAWN',
        'EXPIRED',
      ])
      .optional(),
    ...pageQuery,
  })
  .strict();

const withdrawBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();
const noParam = z.object({ no: z.string().min(1).max(64) });

const GOVERNMENT_KINDS = ['GOVERNMENT', 'AUTHORITY', 'MUNICIPAL_GOVERNMENT'];

function requireGovernmentStaff(req: Parameters<typeof requireRole>[0]): Principal {
  const p = requireRole(req, 'DEPT_STAFF');
  if (!p.departmentId || !p.departmentKind)
    throw new AppError('FORBIDDEN', {
      zh: '只有部门工作人员可以提交共享申请',
      en: 'Only department staff may submit share applications',
    });
  if (!GOVERNMENT_KINDS.includes(p.departmentKind)) {
    throw new AppError('PROCEDURE_NOT_ALLOWED', {
      zh: '非政务部门应向政务数据主管部门提出申请（第二十二条第三款）：请使用 POST /api/non-government-applications',
      en: 'Non-government units apply to the data authority (Art. 22 ¶3): use POST /api/non-government-applications',
    });
  }
  return p;
}

/** The case-level deadline some procedures have (Art. 22 ¶3: opinions and report within ten working days). */
export interface CaseDeadline {
  dueAt: string;
  countedFrom: string;
  workingDays: number;
  covers: string;
  provisional: boolean;
}

/**
 * What the applicant submitted, beyond the common columns: the use scenario and security
 * measures (Art. 22 ¶3, Art. 27), the field of use and the research statement (Art. 27 ¶2).
 * Whoever decides sees all of it (task detail and application answer alike).
 */
export function applicationParticulars(app: { procedure: string; legalDuty: string | null; details: unknown }) {
  const d = (app.details ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : null);
  const flag = (key: string) => (typeof d[key] === 'boolean' ? (d[key] as boolean) : null);
  return {
    ...(app.procedure === 'NON_GOVERNMENT_ACCESS' ? { dutyBasis: app.legalDuty } : {}),
    scenario: text('scenario'),
    securityMeasures: text('securityMeasures'),
    ...(app.procedure === 'CONDITIONAL_OPEN'
      ? {
          fieldOfUse: text('fieldOfUse'),
          nonProfitResearch: flag('nonProfitResearch'),
          securityPledgeAccepted: flag('securityPledgeAccepted'),
          commercialUse: flag('commercialUse'),
        }
      : {}),
    caseDeadline: (d.caseDeadline as CaseDeadline | undefined) ?? null,
  };
}

/**
 * One application as a whole, for every procedure: what was applied for and why (with the
 * particulars above), the resources, every task with its decision, reasons and answer (a 补正 is
 * a task's comment), grants, agreements, the case deadline and the timeline.
 */
export async function applicationDetail(db: ApiDeps['db'], id: string) {
  const app = await db.application.findUniqueOrThrow({
    where: { id },
    include: {
      applicantDept: { select: { id: true, name: true } },
      applicantPublic: { select: { id: true, name: true, kind: true } },
      resources: {
        include: {
          resource: {
            select: {
              code: true,
              name: true,
              shareClass: true,
              openClass: true,
              shareLegalBasis: true,
              openLegalBasis: true,
              fields: true,
              providerId: true,
              disputeMarks: { where: { clearedAt: null }, select: { note: true, markedAt: true } },
            },
          },
        },
      },
      tasks: {
        orderBy: { createdAt: 'asc' },
        select: {
          id: true,
          step: true,
          title: true,
          status: true,
          candidateDeptId: true,
          dueAt: true,
          warningAt: true,
          deadlineProvisional: true,
          overdue: true,
          pausedAt: true,
          pausedWorkingDays: true,
          decision: true,
          reasons: true,
          comment: true,
          completedAt: true,
        },
      },
      grants: { select: { resource: { select: { code: true } }, status: true, expiresAt: true, activatedAt: true } },
      agreements: {
        select: {
          agreementNo: true,
          kind: true,
          status: true,
          partyA: true,
          partyB: true,
          terms: true,
          partyAConfirmedAt: true,
          partyBConfirmedAt: true,
        },
      },
      events: { orderBy: { id: 'asc' }, select: { kind: true, message: true, at: true, data: true } },
    },
  });
  const {
    details: _details,
    idempotencyKey: _key,
    applicantKey: _ak,
    applicantPublic,
    events,
    resources,
    grants,
    ...rest
  } = app;
  const cited = await citedVersions(db, resources);
  return {
    ...rest,
    ...(applicantPublic ? { applicantPublic } : {}),
    ...applicationParticulars(app),
    resources: resources.map(({ resourceId, resource: { disputeMarks, ...r } }) => ({
      ...r,
      disputed: disputeMarks.length > 0,
      disputeMarks,
      citedVersion: cited.get(resourceId) ?? null,
    })),
    grants: grants.map(({ resource, ...g }) => ({ resourceCode: resource.code, ...g })),
    timeline: events,
  };
}

const caseDeadlineSchema = z
  .object({
    dueAt: z.iso.datetime().describe('The end of the last working day (24:00 Beijing time)'),
    countedFrom: z.iso.datetime().describe('Receipt of the application'),
    workingDays: z.number().int(),
    covers: z.string().describe('OPINIONS_AND_REPORT (Art. 22 ¶3)'),
    provisional: z.boolean(),
  })
  .nullable()
  .describe('The case-level deadline, for procedures that have one (non-government access); else null');

/** The documented shape of `applicationDetail` (for /docs; the handlers build the value). */
export const applicationDetailSchema = z
  .object({
    applicationNo: z.string(),
    procedure: z.enum(['UNCONDITIONAL_SHARE', 'CONDITIONAL_SHARE', 'NON_GOVERNMENT_ACCESS', 'CONDITIONAL_OPEN']),
    status: z.string(),
    purpose: z.string(),
    legalDuty: z.string().nullable(),
    dutyBasis: z.string().nullable().optional().describe('Non-government access: 履职需要'),
    scenario: z.string().nullable().describe('应用场景 (non-government access, conditional open)'),
    securityMeasures: z.string().nullable().describe('安全保障措施'),
    fieldOfUse: z.string().nullable().optional().describe('Conditional open: field of use (Art. 27)'),
    nonProfitResearch: z.boolean().nullable().optional().describe('Conditional open: research statement'),
    fieldsRequested: z.array(z.string()),
    caseDeadline: caseDeadlineSchema,
    resources: z.array(
      z
        .object({ code: z.string(), name: z.string(), providerId: z.string(), citedVersion: citedVersionSchema })
        .loose(),
    ),
    tasks: z.array(z.object({ id: z.string(), step: z.string(), status: z.string() }).loose()),
    grants: z.array(z.object({ resourceCode: z.string(), status: z.string() }).loose()),
    agreements: z.array(z.object({ agreementNo: z.string(), status: z.string() }).loose()),
    timeline: z.array(z.object({ kind: z.string(), message: z.string(), at: z.iso.datetime() }).loose()),
  })
  .loose();

/** What a supervisor reads of an application (metadataView): no content, only its course. */
export const applicationMetadataSchema = z.object({
  applicationNo: z.string(),
  procedure: z.string(),
  status: z.string(),
  applicantDept: z.object({ id: z.string(), name: z.string() }).loose().nullable(),
  submittedAt: z.string(),
  decidedAt: z.string().nullable(),
  resources: z.array(z.object({ code: z.string(), name: z.string(), providerId: z.string() })),
  tasks: z.array(z.object({ id: z.string(), step: z.string(), status: z.string() }).loose()),
  timeline: z.array(z.object({ kind: z.string(), at: z.string() })),
  view: z.literal('metadata'),
});

/** Errors a submission can answer with (the workflow's start included). */
export const SUBMISSION_ERRORS: ErrorCode[] = [
  'FORBIDDEN',
  'PROCEDURE_NOT_ALLOWED',
  'IDEMPOTENCY_KEY_REUSED',
  'UNKNOWN_RESOURCE',
  'RESOURCE_NOT_SHAREABLE',
  'CATALOG_ENTRY_RETIRED',
  'START_PENDING',
  'SERVICE_UNAVAILABLE',
];

/** Errors of an Update sent to a procedure: its own refusals, and a workflow that does not answer in time. */
export const UPDATE_ERRORS: ErrorCode[] = ['FORBIDDEN', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE'];

export function applicationsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'post',
    path: '/api/applications',
    summary: 'Submit a share application (UNCONDITIONAL: granted at once; CONDITIONAL: Art. 22 ¶2 procedure)',
    tags: ['applications'],
    auth: 'required',
    body: submitBody,
    response: applicationDetailSchema,
    errors: [...SUBMISSION_ERRORS, 'RESOURCE_CLASS_MISMATCH'],
    responses: {
      201: 'Submitted; answered once the first step is done (its inbox tasks listed), or after START_ANSWER_WAIT_MS',
      200: 'Repeat of an earlier submission',
      409: 'Idempotency key reused with other content',
      422: 'A resource code unknown (UNKNOWN_RESOURCE, details.codes), or a resource that cannot be applied for',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'get',
    path: '/api/applications',
    summary:
      "Applications the caller may read (README access matrix): its department's, those on its resources, those it has a task of; supervisors see metadata only; newest first, in pages of cursor/limit",
    tags: ['applications'],
    auth: 'required',
    query: listQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(
      z
        .object({ applicationNo: z.string(), procedure: z.string(), status: z.string(), submittedAt: z.string() })
        .loose(),
    ),
  });
  documented({
    method: 'get',
    path: '/api/applications/{no}',
    summary:
      'One application of any procedure, complete: scenario, security measures, field of use, resources, tasks with decisions, grants, agreements, case deadline, timeline',
    tags: ['applications'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: z.union([applicationDetailSchema, applicationMetadataSchema]).describe('Supervisors: the metadata only'),
  });
  documented({
    method: 'post',
    path: '/api/applications/{no}/withdraw',
    summary: 'Withdraw an open application',
    tags: ['applications'],
    auth: 'required',
    body: withdrawBody,
    errors: [...UPDATE_ERRORS, 'NOT_FOUND'],
    response: applicationDetailSchema,
    responses: { 200: 'Withdrawn', 409: 'No longer open' },
  });

  const router = Router();

  router.post('/api/applications', async (req, res) => {
    const p = requireGovernmentStaff(req);
    const body = parse(submitBody, req.body, 'body');
    const applicantKey = `dept:${p.departmentId}`;
    const requestHash = hashRequest(body);
    const { applicationId, created } = await submitOnce({
      db,
      applicantKey,
      idempotencyKey: body.idempotencyKey,
      requestHash,
      start: (id) => startApplication(deps, id),
      create: () => createShareApplication(p, body, applicantKey, requestHash),
    });
    res.status(created ? 201 : 200).json(await applicationView(applicationId));
  });

  async function createShareApplication(
    p: Principal,
    body: z.infer<typeof submitBody>,
    applicantKey: string,
    requestHash: string,
  ): Promise<string> {
    const resources = await db.dataResource.findMany({
      where: { code: { in: body.resourceCodes } },
      include: { provider: true },
    });
    unknownResources(body.resourceCodes, resources);
    refuseRetired(resources);
    const notShared = resources.filter((r) => r.shareClass === 'NOT_SHARED');
    if (notShared.length) {
      throw new AppError(
        'RESOURCE_NOT_SHAREABLE',
        {
          zh: `不予共享（第二十一条）：${notShared.map((r) => `${r.code} ${r.name}，法律法规依据：${r.shareLegalBasis}`).join('；')}`,
          en: `不予共享 (Art. 21): ${notShared.map((r) => `${r.code} ${r.name}, legal basis: ${r.shareLegalBasis}`).join('; ')}`,
        },
        { resources: notShared.map((r) => ({ code: r.code, legalBasis: r.shareLegalBasis })) },
      );
    }
    const own = resources.filter((r) => r.providerId === p.departmentId);
    if (own.length)
      throw new AppError('PROCEDURE_NOT_ALLOWED', {
        zh: `数据资源 ${own.map((r) => r.code).join(', ')} 属于本部门`,
        en: `Resource(s) ${own.map((r) => r.code).join(', ')} are your own department's`,
      });
    const classes = new Set(resources.map((r) => r.shareClass));
    if (classes.size > 1) {
      throw new AppError('RESOURCE_CLASS_MISMATCH', {
        zh: '无条件共享和有条件共享的数据资源适用不同的办理程序：请分别提交申请',
        en: 'UNCONDITIONAL and CONDITIONAL resources follow different procedures: submit them as separate applications',
      });
    }
    const conditional = classes.has('CONDITIONAL');
    if (conditional && !body.legalDuty)
      throw new AppError(
        'VALIDATION_FAILED',
        {
          zh: '请求体有误：legalDuty：申请有条件共享的数据资源须填写（第二十二条第二款）',
          en: 'Invalid body: legalDuty: required for CONDITIONAL resources (Art. 22 ¶2)',
        },
        [{ path: 'legalDuty', message: '申请有条件共享的数据资源须填写' }],
      );

    const procedure = conditional ? 'CONDITIONAL_SHARE' : 'UNCONDITIONAL_SHARE';
    const applicationNo = newApplicationNo(conditional ? 'GX' : 'WX');
    const id = newId();
    await db.$transaction([
      db.application.create({
        data: {
          id,
          applicationNo,
          procedure,
          workflowId: `${conditional ? 'conditional-share' : 'unconditional-share'}/${applicationNo}`,
          idempotencyKey: body.idempotencyKey,
          applicantKey,
          applicantDeptId: p.departmentId,
          submittedById: p.userId,
          purpose: body.purpose,
          legalDuty: body.legalDuty,
          fieldsRequested: body.fieldsRequested,
          usePeriodDays: body.usePeriodDays,
          accessMode: body.accessMode,
          details: { requestHash },
          resources: { create: resources.map((r) => ({ resourceId: r.id })) },
          events: { create: [{ eventKey: 'submitted', kind: 'SUBMITTED', message: '申请已提交' }] },
        },
      }),
      db.auditLog.create({
        data: {
          auditKey: `application:${id}:submitted`,
          actor: p.userId,
          action: 'APPLICATION_SUBMITTED',
          entityType: 'Application',
          entityId: id,
          details: { applicationNo, resources: body.resourceCodes },
        },
      }),
    ]);
    return id;
  }

  const applicationView = (id: string) => applicationDetail(db, id);

  /** What a supervisor sees (督办): the procedure's facts and deadlines, no purpose, reasons, parties or data. */
  function metadataView(view: Awaited<ReturnType<typeof applicationView>>) {
    return {
      applicationNo: view.applicationNo,
      procedure: view.procedure,
      status: view.status,
      applicantDept: view.applicantDept,
      submittedAt: view.submittedAt,
      decidedAt: view.decidedAt,
      resources: view.resources.map((r) => ({ code: r.code, name: r.name, providerId: r.providerId })),
      tasks: view.tasks.map(({ reasons: _r, ...t }) => t),
      timeline: view.timeline.map((e) => ({ kind: e.kind, at: e.at })),
      view: 'metadata' as const,
    };
  }

  // Every application the caller's grants reach (ACCESS_MATRIX.applications): its department's own,
  // those on its resources, those it holds a task of; the authority's reviewers all; supervisors all, as metadata.
  router.get('/api/applications', async (req, res) => {
    const a = authorizeSignedIn(req, 'applications');
    const q = parse(listQuery, req.query, 'query');
    const scope = applicationScope(a);
    const where: Prisma.ApplicationWhereInput = { AND: [scope.where, q.status ? { status: q.status } : {}] };
    const rows = await db.application.findMany({
      where,
      orderBy: [{ submittedAt: 'desc' }, { id: 'asc' }],
      ...pageArgs(q),
      select: {
        id: true,
        applicationNo: true,
        procedure: true,
        status: true,
        purpose: true,
        submittedAt: true,
        decidedAt: true,
        outcomeReasons: true,
      },
    });
    const full = new Set(
      (
        await db.application.findMany({
          where: { AND: [scope.full, { id: { in: rows.map((r) => r.id) } }] },
          select: { id: true },
        })
      ).map((r) => r.id),
    );
    res.json(
      toPage(q, rows, ({ id, purpose, outcomeReasons, ...r }) =>
        full.has(id) ? { ...r, purpose, outcomeReasons } : { ...r, view: 'metadata' as const },
      ),
    );
  });

  router.get('/api/applications/:no', async (req, res) => {
    const a = authorizeSignedIn(req, 'applications');
    noQuery(req.query);
    const { no } = parse(noParam, req.params, 'params');
    const scope = applicationScope(a);
    const app = await db.application.findFirst({ where: { AND: [{ applicationNo: no }, scope.where] } });
    // An application outside the caller's scopes does not exist for them.
    if (!app) throw new AppError('NOT_FOUND', { zh: `申请 ${no} 不存在`, en: `No application ${no}` });
    const full = await db.application.count({ where: { AND: [{ id: app.id }, scope.full] } });
    const view = await applicationView(app.id);
    res.json(full ? view : metadataView(view));
  });

  router.post('/api/applications/:no/withdraw', async (req, res) => {
    const p = requireRole(req, 'DEPT_STAFF');
    const { no } = parse(noParam, req.params, 'params');
    const app = await db.application.findUnique({ where: { applicationNo: no } });
    if (!app) throw new AppError('NOT_FOUND', { zh: `申请 ${no} 不存在`, en: `No application ${no}` });
    if (app.applicantDeptId !== p.departmentId)
      throw new AppError('FORBIDDEN', {
        zh: `只有申请部门可以撤回申请 ${no}`,
        en: `Only the applicant department may withdraw ${no}`,
      });
    const body = parse(withdrawBody, req.body, 'body');
    if (app.procedure !== 'CONDITIONAL_SHARE')
      throw new AppError('CONFLICT', {
        zh: `申请 ${no} 没有可撤回的办理程序`,
        en: `Application ${no} has no open procedure to withdraw`,
      });
    if (['APPROVED', 'REFUSED', 'WITHDRAWN', 'EXPIRED'].includes(app.status))
      throw new AppError('CONFLICT', {
        zh: `申请 ${no} 的状态为 ${app.status}，已不能撤回`,
        en: `Application ${no} is ${app.status} and can no longer be withdrawn`,
      });
    const client = await temporalClient(deps);
    await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(app.workflowId).executeUpdate(withdrawUpdate, {
        args: [
          {
            actor: actorOf(p),
            reason: body.reason,
          },
        ],
        updateId: `${app.id}:withdraw`,
      }),
    );
    res.json(await applicationView(app.id));
  });

  return router;
}
