/**
 * The open-data side the public uses (Art. 23–27): the open catalogue (anonymous), online
 * fetching of UNCONDITIONAL open data (Art. 26, every download recorded), conditional open
 * applications by public applicants (Art. 27 ¶1–2) with the applicant's answer to the open-use
 * agreement, and the data authority's follow-up of authorised uses (Art. 27 ¶4).
 *
 * Downloads of UNCONDITIONAL open data need no account (Art. 26: anyone may fetch them online);
 * each is recorded with the resource, the time, the request id and, when a token is sent, the
 * user and public applicant. CONDITIONAL data can be downloaded only by a public applicant
 * holding an active DOWNLOAD grant from this procedure.
 */
import { Router } from 'express';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import { DEFAULT_POLICY } from '../../domain/policy';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { answerOpenAgreementUpdate, revokeOpenAuthorizationUpdate } from '../../workflows/open-messages';
import { Principal, requirePrincipal, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { citedVersionSchema, citedVersions, refuseRetired } from '../catalog-citations';
import { actorOf } from '../kit/decisions';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { auditExport } from '../kit/audit';
import { documented } from '../openapi';
import { startApplication } from '../kit/starters';
import { temporalClient } from '../kit/temporal';
import { executeBounded } from '../kit/updates';
import {
  hashRequest,
  idempotencyKeySchema as idempotencyKey,
  newApplicationNo,
  submitOnce,
  unknownResources,
} from '../submissions';
import { pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';

/** The workflow records the outcome right after accepting an Update; wait briefly for the query model. */
export async function waitForStatus(db: Db, applicationId: string, statuses: string[]): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const app = await db.application.findUniqueOrThrow({ where: { id: applicationId }, select: { status: true } });
    if (statuses.includes(app.status)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const OPEN_CLASSES = ['UNCONDITIONAL', 'CONDITIONAL'] as const;

/** The documented shape of a conditional open application (the handlers build the value). */
const openApplicationSchema = z
  .object({
    applicationNo: z.string(),
    status: z.string(),
    fieldOfUse: z.string(),
    scenario: z.string(),
    securityMeasures: z.string(),
    nonProfitResearch: z.boolean(),
    agreementAcceptBy: z.iso
      .datetime()
      .nullable()
      .describe('While an open-use agreement awaits the answer: the end of the last day to accept it'),
    agreements: z.array(
      z.object({ agreementNo: z.string(), status: z.string(), acceptBy: z.iso.datetime().nullable() }).loose(),
    ),
    resources: z.array(
      z.object({ code: z.string(), name: z.string(), openClass: z.string(), citedVersion: citedVersionSchema }).loose(),
    ),
    timeline: z.array(z.object({ kind: z.string(), message: z.string(), at: z.iso.datetime() }).loose()),
  })
  .loose();

/** A use report row (model UseReport) as JSON. */
const useReportSchema = z.object({
  id: z.string(),
  authorizationId: z.string(),
  period: z.string(),
  summary: z.string(),
  securityIncidents: z.string().nullable(),
  submittedById: z.string(),
  submittedAt: z.string(),
});
/** An authorisation row (model Authorization) as JSON, with its use reports. */
const authorizationRowSchema = z
  .object({
    id: z.string(),
    authorizationNo: z.string().nullable(),
    applicationId: z.string().nullable(),
    operatorId: z.string(),
    status: z.string(),
    scope: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    useReports: z.array(useReportSchema),
  })
  .loose();

const catalogQuery = z
  .object({
    q: z.string().trim().min(1).max(100).optional(),
    provider: z.string().trim().min(1).max(64).optional(),
    openClass: z.enum(OPEN_CLASSES).optional(),
    ...pageQuery,
  })
  .strict();

const codeParam = z.object({ code: z.string().min(1).max(64) });
const noParam = z.object({ no: z.string().min(1).max(64) });
const idParam = z.object({ id: z.string().min(1).max(64) });

const applyBody = z
  .object({
    idempotencyKey,
    resourceCodes: z
      .array(z.string().trim().min(1).max(64))
      .min(1)
      .max(50)
      .refine(
        (codes) => new Set(codes).size === codes.length,
        fieldText('数据资源不得重复', 'must not repeat a resource'),
      ),
    /** Art. 27 ¶1–2: 创新发展 / 城市治理 / 社会服务, or research by a university or research institute. */
    fieldOfUse: z.enum(['INNOVATION', 'CITY_GOVERNANCE', 'SOCIAL_SERVICE', 'RESEARCH']),
    purpose: z.string().trim().min(4).max(2000),
    scenario: z.string().trim().min(4).max(4000),
    /** The data needed: fields of the requested resources. */
    fieldsRequested: z.array(z.string().trim().min(1).max(100)).min(1).max(200),
    securityMeasures: z.string().trim().min(4).max(4000),
    securityPledgeAccepted: z.literal(true, {
      error: fieldText('须接受安全承诺书', 'the security pledge (安全承诺书) must be accepted'),
    }),
    /** Commercial development is awarded only through a tender (Art. 27 ¶3), never through this application. */
    commercialUse: z.boolean(),
    /** Research only: a statement that the use is limited to non-profit research and education (Art. 27 ¶2). */
    nonProfitResearch: z.boolean().optional(),
    usePeriodDays: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_POLICY.maxUsePeriodDays)
      .default(DEFAULT_POLICY.defaultUsePeriodDays),
    accessMode: z.enum(['DOWNLOAD', 'INTERFACE']).default('DOWNLOAD'),
  })
  .strict();

const answerBody = z.object({ accept: z.boolean(), comment: z.string().trim().max(2000).optional() }).strict();
const revokeBody = z.object({ reasons: z.string().trim().min(4).max(4000) }).strict();
const useReportBody = z
  .object({
    period: z
      .string()
      .trim()
      .regex(
        /^\d{4}(-(Q[1-4]|H[12]|\d{2}))?$/,
        fieldText(
          '须为年、半年、季度或月份，如 2026、2026-H2、2026-Q4 或 2026-11',
          'a year, half-year, quarter or month such as 2026, 2026-H2, 2026-Q4 or 2026-11',
        ),
      ),
    summary: z.string().trim().min(10).max(8000),
    securityIncidents: z.string().trim().max(4000).optional(),
  })
  .strict();
const authorizationsQuery = z
  .object({
    status: z.enum(['ACTIVE', 'SUSPENDED', 'REVOKED', 'EXPIRED']).optional(),
    operator: z.string().trim().min(1).max(64).optional(),
    ...pageQuery,
  })
  .strict();
const statsQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

function requirePublicApplicant(
  req: Parameters<typeof requirePrincipal>[0],
): Principal & { publicApplicantId: string } {
  const p = requirePrincipal(req);
  if (!p.roles.includes('PUBLIC_APPLICANT') || !p.publicApplicantId) {
    throw new AppError('FORBIDDEN', {
      zh: '只有已注册的公众申请人（POST /api/public/accounts）可以申请有条件开放的数据',
      en: 'Only registered public applicants (POST /api/public/accounts) may apply for conditionally open data',
    });
  }
  return p as Principal & { publicApplicantId: string };
}

function requireAuthority(
  req: Parameters<typeof requirePrincipal>[0],
  ...roles: Array<'AUTHORITY_REVIEWER' | 'SUPERVISOR' | 'ADMIN'>
): Principal {
  const p = requireRole(req, ...roles);
  if (p.departmentKind !== 'AUTHORITY')
    throw new AppError('FORBIDDEN', {
      zh: '只有政务数据主管部门可以跟踪授权使用情况（第二十七条第四款）',
      en: 'Only the data authority follows up authorised uses (Art. 27 ¶4)',
    });
  return p;
}

export function openDataRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'get',
    path: '/api/open/catalog',
    summary: 'The open catalogue (UNCONDITIONAL and CONDITIONAL open data), searchable; no sign-in needed',
    tags: ['open data'],
    auth: 'optional',
    query: catalogQuery,
    response: pageSchema(
      z
        .object({
          code: z.string(),
          name: z.string(),
          provider: z.object({ id: z.string(), name: z.string() }),
          openClass: z.string(),
          fields: z.array(z.string()),
          disputed: z.boolean(),
          access: z.object({ kind: z.enum(['DOWNLOAD', 'APPLY']), href: z.string() }),
        })
        .loose(),
    ),
  });
  documented({
    method: 'get',
    path: '/api/open/resources/{code}/download',
    summary: 'Fetch open data online (Art. 26); every download is recorded',
    tags: ['open data'],
    auth: 'optional',
    errors: ['NOT_FOUND', 'FORBIDDEN'],
    files: ['text/csv'],
    responses: {
      200: 'CSV data',
      403: 'CONDITIONAL data without an active authorisation',
      404: 'Not in the open catalogue',
    },
  });
  documented({
    method: 'get',
    path: '/api/open/downloads/stats',
    summary:
      'Download statistics per resource (data authority); the whole answer, not paged (one figure per open resource, for a period)',
    tags: ['open data'],
    auth: 'required',
    query: statsQuery,
    errors: ['FORBIDDEN'],
    response: z.object({
      items: z.array(
        z.object({
          code: z.string(),
          name: z.string(),
          downloads: z.number(),
          anonymous: z.number(),
          signedIn: z.number(),
        }),
      ),
    }),
  });
  documented({
    method: 'post',
    path: '/api/open/applications',
    summary: 'Apply for CONDITIONAL open data (Art. 27 ¶1–2; public applicants)',
    tags: ['open data'],
    auth: 'required',
    body: applyBody,
    response: openApplicationSchema,
    errors: [
      'FORBIDDEN',
      'COMMERCIAL_USE_REQUIRES_TENDER',
      'RESEARCH_USE_NOT_ELIGIBLE',
      'IDEMPOTENCY_KEY_REUSED',
      'RESOURCE_NOT_OPEN',
      'CATALOG_ENTRY_RETIRED',
      'UNKNOWN_RESOURCE',
      'RESOURCE_CLASS_MISMATCH',
      'START_PENDING',
      'SERVICE_UNAVAILABLE',
    ],
    responses: {
      201: 'Submitted; answered once the first step is done, or after START_ANSWER_WAIT_MS',
      200: 'Repeat of an earlier submission',
      403: 'Not a public applicant',
      409: 'Idempotency key reused with other content',
      422: 'Commercial use (COMMERCIAL_USE_REQUIRES_TENDER: details.tenders.href is the public tender list), research not eligible, a resource code unknown (UNKNOWN_RESOURCE, details.codes), or a resource that is not conditionally open',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'get',
    path: '/api/open/applications',
    summary: "The signed-in public applicant's applications",
    tags: ['open data'],
    auth: 'required',
    query: z.object(pageQuery),
    errors: ['FORBIDDEN'],
    response: pageSchema(z.object({ applicationNo: z.string(), status: z.string() }).loose()),
  });
  documented({
    method: 'get',
    path: '/api/open/applications/{no}',
    summary:
      'A conditional open application with its agreement (and the deadline to accept it), grants, authorisation and timeline',
    tags: ['open data'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: openApplicationSchema,
  });
  documented({
    method: 'post',
    path: '/api/open/applications/{no}/agreement',
    summary: 'The applicant accepts or declines the open-use agreement',
    tags: ['open data'],
    auth: 'required',
    body: answerBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE'],
    response: openApplicationSchema,
    responses: {
      200: 'Answer accepted',
      403: 'Not the applicant',
      409: 'No agreement awaiting an answer',
      503: 'Procedure did not answer in time; retry',
    },
  });
  documented({
    method: 'get',
    path: '/api/open/authorizations',
    summary: 'Authorised uses with their use reports (Art. 27 ¶4; data authority)',
    tags: ['open data'],
    auth: 'required',
    query: authorizationsQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(
      authorizationRowSchema.extend({
        applicationNo: z.string().nullable(),
        operator: z.object({ id: z.string(), name: z.string().optional(), kind: z.string().optional() }),
        resources: z.array(z.object({ id: z.string(), code: z.string(), name: z.string() })),
        lastReportAt: z.string().nullable(),
      }),
    ),
  });
  documented({
    method: 'post',
    path: '/api/open/authorizations/{id}/use-reports',
    summary: 'The operator reports its use of authorised data, once per period',
    tags: ['open data'],
    auth: 'required',
    body: useReportBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT'],
    response: useReportSchema,
    responses: {
      201: 'Recorded',
      200: 'Repeat of an earlier report',
      409: 'A different report for this period exists',
    },
  });
  documented({
    method: 'post',
    path: '/api/open/authorizations/{id}/revoke',
    summary: 'The data authority revokes an authorised use with reasons; the applicant is told',
    tags: ['open data'],
    auth: 'required',
    body: revokeBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'REASONS_REQUIRED', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE'],
    response: authorizationRowSchema,
    responses: {
      200: 'Revoked',
      409: 'Not active, or ended through its tender',
      503: 'Procedure did not answer in time; retry',
    },
  });

  const router = Router();

  router.get('/api/open/catalog', async (req, res) => {
    const q = parse(catalogQuery, req.query, 'query');
    const where: Prisma.DataResourceWhereInput = {
      openClass: q.openClass ?? { in: [...OPEN_CLASSES] },
      catalog: { status: 'PUBLISHED' },
      // A retired entry (撤销/停用) has left the open catalogue.
      retiredAt: null,
      ...(q.provider ? { providerId: q.provider } : {}),
      ...(q.q
        ? {
            OR: [
              { name: { contains: q.q, mode: 'insensitive' } },
              { description: { contains: q.q, mode: 'insensitive' } },
              { code: { contains: q.q, mode: 'insensitive' } },
            ],
          }
        : {}),
    };
    const rows = await db.dataResource.findMany({
      where,
      orderBy: [{ code: 'asc' }, { id: 'asc' }],
      ...pageArgs(q),
      include: {
        provider: { select: { id: true, name: true } },
        disputeMarks: { where: { clearedAt: null }, select: { note: true, markedAt: true } },
      },
    });
    const page = toPage(q, rows, (r) => ({
      code: r.code,
      name: r.name,
      description: r.description,
      provider: r.provider,
      openClass: r.openClass,
      openLegalBasis: r.openClass === 'CONDITIONAL' ? r.openLegalBasis : null,
      fields: r.fields,
      updateFrequency: r.updateFrequency,
      updatedAt: r.updatedAt,
      disputed: r.disputeMarks.length > 0,
      disputeMarks: r.disputeMarks,
      access:
        r.openClass === 'UNCONDITIONAL'
          ? { kind: 'DOWNLOAD', href: `/api/open/resources/${encodeURIComponent(r.code)}/download` }
          : { kind: 'APPLY', href: '/api/open/applications' },
    }));
    res.json(page);
  });

  router.get('/api/open/resources/:code/download', async (req, res) => {
    noQuery(req.query);
    const { code } = parse(codeParam, req.params, 'params');
    const resource = await db.dataResource.findUnique({
      where: { code },
      include: { catalog: true, disputeMarks: { where: { clearedAt: null } } },
    });
    if (
      !resource ||
      resource.openClass === 'NOT_OPEN' ||
      resource.catalog.status !== 'PUBLISHED' ||
      // Retired: only a grant its provider kept still reaches the data.
      (resource.retiredAt !== null && resource.openClass === 'UNCONDITIONAL')
    )
      throw new AppError('NOT_FOUND', { zh: `开放数据资源 ${code} 不存在`, en: `No open data resource ${code}` });
    const p = req.principal;
    let grantId: string | null = null;
    if (resource.openClass === 'CONDITIONAL') {
      const grant = p?.publicApplicantId
        ? await db.accessGrant.findFirst({
            where: {
              resourceId: resource.id,
              granteePublicId: p.publicApplicantId,
              status: 'ACTIVE',
              accessMode: 'DOWNLOAD',
              OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
            },
          })
        : null;
      if (!grant)
        throw new AppError('FORBIDDEN', {
          zh: `${code} 为有条件开放的数据（第二十七条）：请先通过 POST /api/open/applications 提出申请并接受开放利用协议`,
          en: `${code} is conditionally open (Art. 27): apply through POST /api/open/applications and accept the open-use agreement first`,
        });
      grantId = grant.id;
    }
    const download = await db.openDataDownload.create({
      data: {
        id: newId(),
        resourceId: resource.id,
        userId: p?.userId ?? null,
        publicApplicantId: p?.publicApplicantId ?? null,
        grantId,
        requestId: String(req.id),
      },
    });
    await auditExport(db, req, 'DataResource', resource.id, { code: resource.code, downloadId: download.id, grantId });
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="${encodeURIComponent(resource.code)}.csv"`);
    res.setHeader('x-download-id', download.id);
    // A dispute mark travels with the data (Art. 33): whoever uses it sees it is contested.
    if (resource.disputeMarks.length) res.setHeader('x-data-disputed', 'true');
    res.send(`${resource.fields.join(',')}\n`);
  });

  router.get('/api/open/downloads/stats', async (req, res) => {
    requireAuthority(req, 'AUTHORITY_REVIEWER', 'SUPERVISOR', 'ADMIN');
    const q = parse(statsQuery, req.query, 'query');
    const where: Prisma.OpenDataDownloadWhereInput = {
      downloadedAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) },
    };
    const [all, anonymous, resources] = await Promise.all([
      db.openDataDownload.groupBy({ by: ['resourceId'], where, _count: { _all: true } }),
      db.openDataDownload.groupBy({ by: ['resourceId'], where: { ...where, userId: null }, _count: { _all: true } }),
      db.dataResource.findMany({ select: { id: true, code: true, name: true } }),
    ]);
    const items = all
      .map((g) => {
        const r = resources.find((x) => x.id === g.resourceId)!;
        const anon = anonymous.find((a) => a.resourceId === g.resourceId)?._count._all ?? 0;
        return {
          code: r.code,
          name: r.name,
          downloads: g._count._all,
          anonymous: anon,
          signedIn: g._count._all - anon,
        };
      })
      .sort((a, b) => b.downloads - a.downloads || a.code.localeCompare(b.code));
    res.json({ items });
  });

  router.post('/api/open/applications', async (req, res) => {
    const p = requirePublicApplicant(req);
    const body = parse(applyBody, req.body, 'body');
    if (body.commercialUse) {
      // Point the applicant to where it can take part: the public list of tenders.
      throw new AppError(
        'COMMERCIAL_USE_REQUIRES_TENDER',
        {
          zh: '有条件开放数据的商业开发只能通过公开招标或其他竞争性方式授权（第二十七条第三款），不能通过开放数据申请办理：请查看 GET /api/tenders 中的公开招标列表',
          en: 'Commercial development of conditionally open data is authorised only through public tender or another competitive procedure (Art. 27 ¶3), not through an open-data application: see the public tender list at GET /api/tenders',
        },
        {
          procedure: 'COMMERCIAL_TENDER',
          article: 'Art. 27 ¶3',
          tenders: { href: '/api/tenders', method: 'GET', auth: 'none' },
        },
      );
    }
    const applicant = await db.publicApplicant.findUniqueOrThrow({ where: { id: p.publicApplicantId } });
    if (body.fieldOfUse === 'RESEARCH') {
      if (applicant.kind !== 'UNIVERSITY' && applicant.kind !== 'RESEARCH_INSTITUTE') {
        throw new AppError(
          'RESEARCH_USE_NOT_ELIGIBLE',
          {
            zh: '有条件开放数据的科研使用仅向高等院校和科研机构开放（第二十七条第二款）',
            en: 'Research use of conditionally open data is open to universities and research institutes only (Art. 27 ¶2)',
          },
          { kind: applicant.kind },
        );
      }
      if (body.nonProfitResearch !== true) {
        throw new AppError(
          'RESEARCH_USE_NOT_ELIGIBLE',
          {
            zh: '科研使用限于非营利性的科研和教学（第二十七条第二款）：请声明 nonProfitResearch: true',
            en: 'Research use is limited to non-profit research and education (Art. 27 ¶2): state nonProfitResearch: true',
          },
          [{ path: 'nonProfitResearch', message: '科研使用时须为 true' }],
        );
      }
    }
    const applicantKey = `public:${applicant.id}`;
    const requestHash = hashRequest(body);
    const { applicationId, created } = await submitOnce({
      db,
      applicantKey,
      idempotencyKey: body.idempotencyKey,
      requestHash,
      start: (id) => startApplication(deps, id),
      create: async () => {
        const resources = await db.dataResource.findMany({
          where: { code: { in: body.resourceCodes } },
          include: { catalog: true },
        });
        // A NOT_OPEN resource is answered like an unknown one as to existence, but says why it cannot be applied for.
        const notOpen = resources.filter((r) => r.openClass === 'NOT_OPEN' || r.catalog.status !== 'PUBLISHED');
        if (notOpen.length) {
          throw new AppError(
            'RESOURCE_NOT_OPEN',
            {
              zh: `不予开放（第二十四条）：${notOpen.map((r) => r.code).join(', ')} 不能申请`,
              en: `不予开放 (Art. 24): ${notOpen.map((r) => r.code).join(', ')} cannot be applied for`,
            },
            { resources: notOpen.map((r) => r.code) },
          );
        }
        unknownResources(body.resourceCodes, resources, 'open data resource');
        refuseRetired(resources);
        const unconditional = resources.filter((r) => r.openClass === 'UNCONDITIONAL');
        if (unconditional.length) {
          throw new AppError('RESOURCE_CLASS_MISMATCH', {
            zh: `${unconditional.map((r) => r.code).join(', ')} 为无条件开放的数据：请直接在线下载（第二十六条），无需申请`,
            en: `${unconditional.map((r) => r.code).join(', ')} are unconditionally open: download them online (Art. 26) instead of applying`,
          });
        }
        const unknownFields = body.fieldsRequested.filter((f) => !resources.some((r) => r.fields.includes(f)));
        if (unknownFields.length) {
          throw new AppError(
            'VALIDATION_FAILED',
            {
              zh: `请求体有误：fieldsRequested：${unknownFields.join(', ')} 不属于所申请的数据资源`,
              en: `Invalid body: fieldsRequested: ${unknownFields.join(', ')} not in the requested resources`,
            },
            [{ path: 'fieldsRequested', message: `未知的字段：${unknownFields.join(', ')}` }],
          );
        }
        const applicationNo = newApplicationNo('KF');
        const id = newId();
        await db.$transaction([
          db.application.create({
            data: {
              id,
              applicationNo,
              procedure: 'CONDITIONAL_OPEN',
              workflowId: `conditional-open/${applicationNo}`,
              idempotencyKey: body.idempotencyKey,
              applicantKey,
              applicantPublicId: applicant.id,
              submittedById: p.userId,
              purpose: body.purpose,
              fieldsRequested: body.fieldsRequested,
              usePeriodDays: body.usePeriodDays,
              accessMode: body.accessMode,
              details: {
                requestHash,
                fieldOfUse: body.fieldOfUse,
                scenario: body.scenario,
                securityMeasures: body.securityMeasures,
                securityPledgeAccepted: true,
                commercialUse: false,
                nonProfitResearch: body.nonProfitResearch ?? false,
              },
              resources: { create: resources.map((r) => ({ resourceId: r.id })) },
              events: { create: [{ eventKey: 'submitted', kind: 'SUBMITTED', message: '有条件开放申请已提交' }] },
            },
          }),
          db.auditLog.create({
            data: {
              auditKey: `application:${id}:submitted`,
              actor: p.userId,
              action: 'APPLICATION_SUBMITTED',
              entityType: 'Application',
              entityId: id,
              details: { applicationNo, resources: body.resourceCodes, fieldOfUse: body.fieldOfUse },
            },
          }),
        ]);
        return id;
      },
    });
    res.status(created ? 201 : 200).json(await view(applicationId));
  });

  async function view(id: string) {
    const app = await db.application.findUniqueOrThrow({
      where: { id },
      include: {
        resources: { include: { resource: { select: { code: true, name: true, openClass: true, providerId: true } } } },
        tasks: {
          orderBy: { createdAt: 'asc' },
          select: {
            step: true,
            candidateDeptId: true,
            status: true,
            dueAt: true,
            overdue: true,
            decision: true,
            reasons: true,
            completedAt: true,
          },
        },
        agreements: {
          select: {
            agreementNo: true,
            kind: true,
            status: true,
            terms: true,
            partyAConfirmedAt: true,
            partyBConfirmedAt: true,
            createdAt: true,
          },
        },
        grants: {
          select: {
            resource: { select: { code: true } },
            status: true,
            accessMode: true,
            activatedAt: true,
            expiresAt: true,
            endReason: true,
          },
        },
        events: { orderBy: { id: 'asc' }, select: { kind: true, message: true, at: true, data: true } },
      },
    });
    const authorization = await db.authorization.findFirst({
      where: { applicationId: id },
      include: { useReports: { orderBy: { submittedAt: 'asc' } } },
    });
    const {
      details,
      idempotencyKey: _key,
      applicantKey: _ak,
      workflowId: _wf,
      events,
      grants,
      resources,
      ...rest
    } = app;
    const d = details as Record<string, unknown>;
    // The workflow records the deadline to accept each open-use agreement on entering the agreement stage.
    const acceptByOf = (agreementNo: string) => {
      const ms = events
        .map((e) => e.data as { agreementNo?: string; acceptByMs?: number } | null)
        .find((x) => x?.agreementNo === agreementNo && typeof x.acceptByMs === 'number')?.acceptByMs;
      return ms === undefined ? null : new Date(ms).toISOString();
    };
    const agreements = rest.agreements.map((a) => ({
      ...a,
      acceptBy: a.kind === 'OPEN_USE' ? acceptByOf(a.agreementNo) : null,
    }));
    const pending = agreements.find((a) => a.kind === 'OPEN_USE' && a.status === 'PENDING');
    const cited = await citedVersions(db, resources);
    return {
      ...rest,
      agreements,
      agreementAcceptBy: pending?.acceptBy ?? null,
      fieldOfUse: d.fieldOfUse,
      scenario: d.scenario,
      securityMeasures: d.securityMeasures,
      nonProfitResearch: d.nonProfitResearch,
      resources: resources.map((r) => ({ ...r.resource, citedVersion: cited.get(r.resourceId) ?? null })),
      grants: grants.map(({ resource, ...g }) => ({ resourceCode: resource.code, ...g })),
      authorization,
      timeline: events.map(({ data: _data, ...e }) => e),
    };
  }

  async function ownApplication(req: Parameters<typeof requirePrincipal>[0]) {
    const p = requirePublicApplicant(req);
    const { no } = parse(noParam, req.params, 'params');
    const app = await db.application.findUnique({ where: { applicationNo: no } });
    if (!app || app.procedure !== 'CONDITIONAL_OPEN' || app.applicantPublicId !== p.publicApplicantId)
      throw new AppError('NOT_FOUND', {
        zh: `您不存在有条件开放申请 ${no}`,
        en: `No conditional open application ${no} of yours`,
      });
    return { p, app };
  }

  router.get('/api/open/applications', async (req, res) => {
    const p = requirePublicApplicant(req);
    const q = parse(z.object(pageQuery).strict(), req.query, 'query');
    const where = { applicantPublicId: p.publicApplicantId, procedure: 'CONDITIONAL_OPEN' as const };
    const rows = await db.application.findMany({
      where,
      orderBy: [{ submittedAt: 'desc' }, { id: 'asc' }],
      ...pageArgs(q),
      select: {
        id: true,
        applicationNo: true,
        status: true,
        purpose: true,
        submittedAt: true,
        decidedAt: true,
        outcomeReasons: true,
      },
    });
    res.json(toPage(q, rows, ({ id: _id, ...item }) => item));
  });

  router.get('/api/open/applications/:no', async (req, res) => {
    noQuery(req.query);
    const { app } = await ownApplication(req);
    res.json(await view(app.id));
  });

  router.post('/api/open/applications/:no/agreement', async (req, res) => {
    const { p, app } = await ownApplication(req);
    const body = parse(answerBody, req.body, 'body');
    const agreement = await db.agreement.findFirst({ where: { applicationId: app.id, kind: 'OPEN_USE' } });
    if (!agreement || agreement.status !== 'PENDING' || app.status !== 'AGREEMENT_PENDING') {
      throw new AppError('CONFLICT', {
        zh: `申请 ${app.applicationNo} 没有待答复的开放利用协议（状态 ${app.status}）`,
        en: `Application ${app.applicationNo} has no open-use agreement awaiting an answer (status ${app.status})`,
      });
    }
    const client = await temporalClient(deps);
    await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(app.workflowId).executeUpdate(answerOpenAgreementUpdate, {
        args: [
          {
            agreementNo: agreement.agreementNo,
            accept: body.accept,
            comment: body.comment,
            actor: { userId: p.userId, login: p.login, publicApplicantId: p.publicApplicantId },
          },
        ],
        updateId: `${agreement.id}:answer`,
      }),
    );
    await waitForStatus(db, app.id, body.accept ? ['APPROVED'] : ['WITHDRAWN']);
    res.json(await view(app.id));
  });

  router.get('/api/open/authorizations', async (req, res) => {
    requireAuthority(req, 'AUTHORITY_REVIEWER', 'SUPERVISOR', 'ADMIN');
    const q = parse(authorizationsQuery, req.query, 'query');
    const where: Prisma.AuthorizationWhereInput = { status: q.status, operatorId: q.operator };
    const fetched = await db.authorization.findMany({
      where,
      orderBy: [{ startsAt: 'desc' }, { id: 'asc' }],
      ...pageArgs(q),
      include: { useReports: { orderBy: { submittedAt: 'asc' } } },
    });
    const { items: rows, nextCursor } = toPage(q, fetched);
    const [operators, resources, applications] = await Promise.all([
      db.publicApplicant.findMany({
        where: { id: { in: rows.map((r) => r.operatorId) } },
        select: { id: true, name: true, kind: true },
      }),
      db.dataResource.findMany({
        where: { id: { in: rows.flatMap((r) => r.resourceIds) } },
        select: { id: true, code: true, name: true },
      }),
      db.application.findMany({
        where: { id: { in: rows.map((r) => r.applicationId).filter((x): x is string => !!x) } },
        select: { id: true, applicationNo: true },
      }),
    ]);
    const items = rows.map((r) => ({
      ...r,
      applicationNo: applications.find((a) => a.id === r.applicationId)?.applicationNo ?? null,
      operator: operators.find((o) => o.id === r.operatorId) ?? { id: r.operatorId },
      resources: r.resourceIds.map((id) => resources.find((x) => x.id === id)).filter(Boolean),
      lastReportAt: r.useReports.at(-1)?.submittedAt ?? null,
    }));
    res.json({ items, nextCursor });
  });

  router.post('/api/open/authorizations/:id/use-reports', async (req, res) => {
    const p = requirePublicApplicant(req);
    const { id } = parse(idParam, req.params, 'params');
    const authorization = await db.authorization.findUnique({ where: { id } });
    if (!authorization || authorization.operatorId !== p.publicApplicantId)
      throw new AppError('NOT_FOUND', { zh: `您不存在授权 ${id}`, en: `No authorisation ${id} of yours` });
    const body = parse(useReportBody, req.body, 'body');
    if (authorization.tenderId)
      throw new AppError('CONFLICT', {
        zh: `授权 ${id} 经招标授予：请通过其招标后续跟踪程序报告`,
        en: `Authorisation ${id} was awarded by tender: report through its tender follow-up`,
      });
    const same = (r: { summary: string; securityIncidents: string | null }) =>
      r.summary === body.summary && (r.securityIncidents ?? undefined) === body.securityIncidents;
    const existing = await db.useReport.findUnique({
      where: { authorizationId_period: { authorizationId: id, period: body.period } },
    });
    if (existing) {
      if (!same(existing))
        throw new AppError('CONFLICT', {
          zh: `期间 ${body.period} 已提交过内容不同的使用情况报告`,
          en: `A different use report for period ${body.period} was already submitted`,
        });
      return res.status(200).json(existing);
    }
    try {
      const [report] = await db.$transaction([
        db.useReport.create({
          data: {
            id: newId(),
            authorizationId: id,
            period: body.period,
            summary: body.summary,
            securityIncidents: body.securityIncidents ?? null,
            submittedById: p.userId,
          },
        }),
        db.auditLog.create({
          data: {
            auditKey: `authorization:${id}:use-report:${body.period}`,
            actor: p.userId,
            action: 'USE_REPORT_SUBMITTED',
            entityType: 'Authorization',
            entityId: id,
            details: { period: body.period },
          },
        }),
      ]);
      res.status(201).json(report);
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        const winner = await db.useReport.findUniqueOrThrow({
          where: { authorizationId_period: { authorizationId: id, period: body.period } },
        });
        if (same(winner)) return res.status(200).json(winner);
        throw new AppError('CONFLICT', {
          zh: `期间 ${body.period} 已提交过内容不同的使用情况报告`,
          en: `A different use report for period ${body.period} was already submitted`,
        });
      }
      throw err;
    }
  });

  router.post('/api/open/authorizations/:id/revoke', async (req, res) => {
    const p = requireAuthority(req, 'AUTHORITY_REVIEWER');
    const { id } = parse(idParam, req.params, 'params');
    const body = parse(revokeBody, req.body, 'body');
    const authorization = await db.authorization.findUnique({ where: { id } });
    if (!authorization) throw new AppError('NOT_FOUND', { zh: `授权 ${id} 不存在`, en: `No authorisation ${id}` });
    const app = authorization.applicationId
      ? await db.application.findUnique({ where: { id: authorization.applicationId } })
      : null;
    if (authorization.tenderId || !app || app.procedure !== 'CONDITIONAL_OPEN')
      throw new AppError('CONFLICT', {
        zh: `授权 ${id} 经招标授予，须通过其招标程序终止`,
        en: `Authorisation ${id} was awarded by tender and is ended through its tender procedure`,
      });
    if (authorization.status !== 'ACTIVE')
      throw new AppError('CONFLICT', {
        zh: `授权 ${id} 的状态为 ${authorization.status}`,
        en: `Authorisation ${id} is ${authorization.status}`,
      });
    const client = await temporalClient(deps);
    await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(app.workflowId).executeUpdate(revokeOpenAuthorizationUpdate, {
        args: [
          {
            reasons: body.reasons,
            actor: actorOf(p),
          },
        ],
        updateId: `${id}:revoke`,
      }),
    );
    await waitForStatus(db, app.id, ['REVOKED']);
    res.json(await db.authorization.findUniqueOrThrow({ where: { id }, include: { useReports: true } }));
  });

  return router;
}
