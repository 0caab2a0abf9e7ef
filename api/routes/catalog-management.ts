/**
 * Catalog management (Chapter 3): a department's staff compile entries of their 政务信息资源目录
 * and submit them; the data authority reviews and publishes them into the city-level catalog or
 * returns them with reasons (Art. 16, the review is an inbox task of the CATALOG_REVIEW
 * procedure). Published entries are versioned with who changed what. Recording an Art. 18
 * situation opens the update duty (CATALOG_UPDATE); registering an Art. 17 information-system
 * project opens its approval (CATALOG_PROJECT), which waits for its entries to be published; Art. 25 open lists are derived per department.
 */
import { Router } from 'express';
import { z } from 'zod';
import { legalBasisProblems, openListOf } from '../../domain/catalog-rules';
import { joinTexts } from '../../domain/error-codes';
import { Prisma, type CatalogDraft } from '../../generated/prisma/client';
import { newId } from '../../lib/ids';
import { detectDuplicates } from '../../activities/catalog';
import { refuseRetired } from '../catalog-citations';
import { requirePrincipal, type Principal } from '../auth';
import { authorize } from '../access';
import type { ApiDeps } from '../deps';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { checkCursor, pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';
import { startCatalogProject, startCatalogReview, startCatalogUpdateDuty } from '../kit/starters';
import { documented } from '../openapi';
import { createOnce, hashRequest, idempotencyKeySchema, newApplicationNo } from '../submissions';

const text = (max: number) => z.string().trim().min(1).max(max);
const shareClass = z.enum(['UNCONDITIONAL', 'CONDITIONAL', 'NOT_SHARED']);
const openClass = z.enum(['UNCONDITIONAL', 'CONDITIONAL', 'NOT_OPEN']);

const entryContent = {
  name: text(200),
  description: text(4000),
  fields: z.array(text(100)).min(1).max(200),
  shareClass,
  openClass,
  shareLegalBasis: text(1000).optional(),
  openLegalBasis: text(1000).optional(),
  updateFrequency: text(50),
  sourceSystem: text(200),
  changeNote: text(2000).optional(),
};

const draftBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    /** A new code creates an entry; the code of one of the department's published entries revises it. */
    code: z
      .string()
      .trim()
      .min(2)
      .max(64)
      .regex(/^[A-Z0-9][A-Z0-9-]*$/, fieldText('只能包含大写字母、数字和 -', 'upper-case letters, digits and - only')),
    ...entryContent,
    /** The Art. 18 update duty this revision answers. */
    dutyNo: text(64).optional(),
    /** Submit for review at once (the legal basis is checked before anything is stored). */
    submit: z.boolean().default(false),
  })
  .strict();
const editBody = z.object(entryContent).strict();

const draftsQuery = z
  .object({
    status: z.enum(['DRAFT', 'SUBMITTED', 'RETURNED', 'PUBLISHED', 'WITHDRAWN']).optional(),
    department: text(64).optional(),
    ...pageQuery,
  })
  .strict();
/** Update duties (Art. 18) and information system projects (Art. 17), a page at a time. */
const dutiesQuery = z
  .object({ status: z.enum(['OPEN', 'FULFILLED']).optional(), department: text(64).optional(), ...pageQuery })
  .strict();
const projectsQuery = z
  .object({
    status: z.enum(['REGISTERED', 'APPROVED', 'RETURNED']).optional(),
    department: text(64).optional(),
    ...pageQuery,
  })
  .strict();
/** An entry's published versions, newest first, a page at a time (they grow with every revision). */
const historyQuery = z.object(pageQuery).strict();

const dutyBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    /** The department that must update: the caller's own, or any when the data authority records it. */
    departmentId: text(64).optional(),
    kind: z.enum(['LEGAL_BASIS_CHANGED', 'FUNCTION_CHANGED', 'SYSTEM_UPDATED', 'DATA_CHANGED']),
    description: z.string().trim().min(4).max(4000),
    occurredOn: z.iso.date(),
    resourceCodes: z.array(text(64)).min(1).max(100),
  })
  .strict();

const projectBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    name: text(200),
    description: z.string().trim().min(4).max(4000),
    draftNos: z.array(text(64)).min(1).max(100),
  })
  .strict();

const retireBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    /** Why the entry is retired (撤销/停用): the data authority reviews them. */
    reasons: z.string().trim().min(4).max(2000),
  })
  .strict();

const listsQuery = z.object({ provider: text(64).optional() }).strict();
const noParam = z.object({ no: text(64) });
const codeParam = z.object({ code: text(64) });

/** The data authority's reviewers read every department's drafts, duties and projects (README access matrix). */
const isAuthority = (p: Principal) => p.departmentKind === 'AUTHORITY' && p.roles.includes('AUTHORITY_REVIEWER');

function requireStaff(p: Principal): string {
  // Art. 15–16: the catalogs are those of government departments (政务部门), not of non-government units.
  if (!p.departmentId || !p.roles.includes('DEPT_STAFF') || p.departmentKind !== 'GOVERNMENT')
    throw new AppError('FORBIDDEN', {
      zh: '只有政务部门的工作人员（DEPT_STAFF）可以编制目录条目',
      en: "Only a government department's staff (DEPT_STAFF) compile catalog entries",
    });
  return p.departmentId;
}

function assertLegalBasis(e: Parameters<typeof legalBasisProblems>[0]): void {
  const problems = legalBasisProblems(e);
  if (problems.length)
    throw new AppError(
      'LEGAL_BASIS_REQUIRED',
      {
        zh: `缺少法律法规依据，不能提交：${joinTexts(problems).zh}`,
        en: `Cannot submit without a legal basis: ${joinTexts(problems).en}`,
      },
      problems.map((p) => ({ path: `body.${p.path}`, message: p.zh })),
    );
}

/** Today in Asia/Shanghai, YYYY-MM-DD. */
const shanghaiToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

/** A catalog draft row as JSON (model CatalogDraft, without its request hash and idempotency key). */
const draftRowSchema = z
  .object({
    id: z.string(),
    draftNo: z.string(),
    workflowId: z.string(),
    departmentId: z.string(),
    kind: z.string(),
    resourceId: z.string().nullable(),
    code: z.string(),
    name: z.string(),
    description: z.string(),
    fields: z.array(z.string()),
    shareClass: z.string(),
    openClass: z.string(),
    shareLegalBasis: z.string().nullable(),
    openLegalBasis: z.string().nullable(),
    updateFrequency: z.string(),
    sourceSystem: z.string(),
    status: z.string(),
    duplicates: z.array(z.unknown()),
    returnReasons: z.string().nullable(),
    round: z.number(),
  })
  .loose();
/** draftView(): the draft with its review steps. */
const draftSchema = draftRowSchema.extend({
  steps: z.array(
    z
      .object({ id: z.string(), step: z.string(), title: z.string(), status: z.string(), dueAt: z.string().nullable() })
      .loose(),
  ),
});
const userRef = z.object({ id: z.string(), login: z.string().nullable(), displayName: z.string().nullable() });
const historySchema = z.object({
  code: z.string(),
  version: z.number(),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
  items: z.array(
    z.object({
      version: z.number(),
      draftNo: z.string().nullable(),
      publishedAt: z.string(),
      submittedBy: userRef,
      publishedBy: userRef,
      changeNote: z.string().nullable(),
      changes: z.unknown(),
      entry: z.unknown().describe('The entry as published in this version'),
      citedByApplications: z.number(),
    }),
  ),
});
/** dutyView(): an Art. 18 update duty, its entries and its CATALOG_UPDATE task. */
const dutySchema = z
  .object({
    id: z.string(),
    dutyNo: z.string(),
    workflowId: z.string(),
    departmentId: z.string(),
    kind: z.string(),
    description: z.string(),
    occurredOn: z.string().describe('YYYY-MM-DD'),
    resourceIds: z.array(z.string()),
    status: z.string(),
    recordedAt: z.string(),
    fulfilledAt: z.string().nullable(),
    article: z.string(),
    entries: z.array(z.object({ code: z.string(), version: z.number() })),
    task: z
      .object({
        id: z.string(),
        status: z.string(),
        dueAt: z.string().nullable(),
        warningAt: z.string().nullable(),
        overdue: z.boolean(),
        completedAt: z.string().nullable(),
      })
      .nullable(),
  })
  .loose();
/** projectView(): an Art. 17 information system project and the state of its entries. */
const projectSchema = z
  .object({
    id: z.string(),
    projectNo: z.string(),
    departmentId: z.string(),
    name: z.string(),
    description: z.string(),
    status: z.string(),
    workflowId: z.string(),
    createdAt: z.string(),
    article: z.string(),
    entries: z.array(
      z.object({ draftNo: z.string(), code: z.string(), status: z.string(), publishedVersion: z.number().nullable() }),
    ),
    catalogPublished: z.boolean(),
    task: z
      .object({
        id: z.string(),
        status: z.string(),
        decision: z.string().nullable(),
        reasons: z.string().nullable(),
        completedAt: z.string().nullable(),
      })
      .nullable(),
  })
  .loose();
/** A row of the update-duty list: the duty and its inbox task's deadline. */
const dutyRowSchema = dutySchema.omit({ article: true, entries: true });
/** A row of the project list: the project and its approval task. */
const projectRowSchema = projectSchema.omit({ article: true, entries: true, catalogPublished: true });
const openListEntry = z
  .object({
    code: z.string(),
    name: z.string(),
    openClass: z.string(),
    openLegalBasis: z.string().nullable(),
    version: z.number(),
    updateFrequency: z.string(),
  })
  .loose();
const openListsSchema = z.object({
  article: z.literal('第二十五条'),
  departments: z.array(
    z.object({
      department: z.object({ id: z.string(), name: z.string() }),
      无条件开放清单: z.array(openListEntry),
      有条件开放清单: z.array(openListEntry),
    }),
  ),
});

export function catalogManagementRouter(deps: ApiDeps): Router {
  const { db } = deps;
  const tags = ['catalog management'];
  documented({
    method: 'post',
    path: '/api/catalog/drafts',
    summary:
      'Compile a catalog entry (new, or a revision of a published one); submit: true submits it for review (Art. 16)',
    tags,
    auth: 'required',
    body: draftBody,
    errors: [
      'FORBIDDEN',
      'IDEMPOTENCY_KEY_REUSED',
      'NOT_FOUND',
      'LEGAL_BASIS_REQUIRED',
      'CONFLICT',
      'CATALOG_DRAFT_OPEN',
      'CATALOG_ENTRY_RETIRED',
      'SERVICE_UNAVAILABLE',
      'START_PENDING',
    ],
    response: draftSchema,
    responses: {
      201: 'Stored (and submitted)',
      200: 'Repeat of an earlier request',
      400: 'LEGAL_BASIS_REQUIRED: CONDITIONAL / NOT_SHARED / NOT_OPEN without a legal basis (Art. 21, 24); nothing stored',
      403: 'Not department staff',
      404: 'Unknown update duty',
      409: "CONFLICT: another department's code; CATALOG_DRAFT_OPEN: the entry already has a draft under way",
      503: 'START_PENDING: stored, the start of its review not yet confirmed',
    },
  });
  documented({
    method: 'put',
    path: '/api/catalog/drafts/{no}',
    summary: 'Edit a compiled or returned entry; a returned one is then resubmitted through its CATALOG_RESUBMIT task',
    tags,
    auth: 'required',
    body: editBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'LEGAL_BASIS_REQUIRED'],
    response: draftSchema,
    responses: { 200: 'Edited', 400: 'LEGAL_BASIS_REQUIRED (returned entries)', 409: 'Not editable now' },
  });
  documented({
    method: 'post',
    path: '/api/catalog/drafts/{no}/submit',
    summary: 'Submit a compiled entry for review (Art. 16): duplicates of other departments are detected (Art. 17)',
    tags,
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'LEGAL_BASIS_REQUIRED', 'SERVICE_UNAVAILABLE', 'START_PENDING'],
    response: draftSchema,
    responses: { 200: 'Submitted', 400: 'LEGAL_BASIS_REQUIRED; nothing changed', 409: 'Not a compiled draft' },
  });
  documented({
    method: 'get',
    path: '/api/catalog/drafts',
    summary:
      "Catalog drafts, last submitted first, a page at a time (cursor/limit): the department's own; the data authority sees every department's",
    tags,
    auth: 'required',
    query: draftsQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(draftRowSchema),
  });
  documented({
    method: 'get',
    path: '/api/catalog/drafts/{no}',
    summary: 'One draft with suspected duplicates, review steps and the version it became',
    tags,
    auth: 'required',
    errors: ['NOT_FOUND'],
    response: draftSchema,
    responses: { 200: 'OK', 404: 'Unknown or not visible' },
  });
  documented({
    method: 'get',
    path: '/api/catalog/entries/{code}/history',
    summary:
      'Published versions of an entry, newest first, a page at a time (cursor/limit; `items`, `nextCursor`, beside the `code` and current `version`): what changed, who submitted and who published each, how many applications cite it',
    tags,
    auth: 'required',
    query: historyQuery,
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: historySchema,
    responses: { 200: 'OK', 404: 'Unknown entry' },
  });
  documented({
    method: 'post',
    path: '/api/catalog/entries/{code}/retire',
    summary:
      "Ask to retire (撤销/停用) one of the department's published entries, with reasons: the data authority reviews it (CATALOG_REVIEW task: RETIRE or RETURN)",
    tags,
    auth: 'required',
    body: retireBody,
    errors: [
      'FORBIDDEN',
      'NOT_FOUND',
      'IDEMPOTENCY_KEY_REUSED',
      'CATALOG_DRAFT_OPEN',
      'CATALOG_ENTRY_RETIRED',
      'SERVICE_UNAVAILABLE',
      'START_PENDING',
    ],
    response: draftSchema,
    responses: {
      201: 'Requested, review opened',
      200: 'Repeat of an earlier request',
      400: 'VALIDATION_FAILED: reasons missing',
      403: 'Not government department staff',
      404: 'No published entry of your department with that code',
      409: 'CATALOG_DRAFT_OPEN: the entry already has a draft or request under way; IDEMPOTENCY_KEY_REUSED',
      422: 'CATALOG_ENTRY_RETIRED: already retired',
      503: 'START_PENDING: stored, the start of its review not yet confirmed',
    },
  });
  documented({
    method: 'post',
    path: '/api/catalog/update-duties',
    summary:
      'Record an Art. 18 situation: opens the duty to update and publish the entries within 15 working days of the day it occurred',
    tags,
    auth: 'required',
    body: dutyBody,
    errors: [
      'FORBIDDEN',
      'IDEMPOTENCY_KEY_REUSED',
      'NOT_FOUND',
      'PROCEDURE_NOT_ALLOWED',
      'SERVICE_UNAVAILABLE',
      'START_PENDING',
    ],
    response: dutySchema,
    responses: {
      201: 'Recorded, duty opened',
      200: 'Repeat of an earlier request',
      403: "Not the department's staff or the data authority",
      404: 'Unknown entry',
      422: 'An entry of another department, or an occurrence date in the future',
      503: 'START_PENDING',
    },
  });
  documented({
    method: 'get',
    path: '/api/catalog/update-duties',
    summary:
      "Catalog update duties (Art. 18), last recorded first, each with its task's deadline, a page at a time (cursor/limit): the department's own; the data authority sees every department's",
    tags,
    auth: 'required',
    query: dutiesQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(dutyRowSchema),
  });
  documented({
    method: 'get',
    path: '/api/catalog/update-duties/{no}',
    summary: 'One update duty with its deadline and the versions published for it',
    tags,
    auth: 'required',
    errors: ['NOT_FOUND'],
    response: dutySchema,
    responses: { 200: 'OK', 404: 'Unknown or not visible' },
  });
  documented({
    method: 'post',
    path: '/api/catalog/projects',
    summary:
      "Register a new or expanded information system project with its catalog drafts (Art. 17): opens the data authority's PROJECT_APPROVAL task (CATALOG_PROJECT), whose APPROVE is refused with CATALOG_NOT_PUBLISHED until all the drafts are published",
    tags,
    auth: 'required',
    body: projectBody,
    errors: [
      'FORBIDDEN',
      'IDEMPOTENCY_KEY_REUSED',
      'NOT_FOUND',
      'PROCEDURE_NOT_ALLOWED',
      'SERVICE_UNAVAILABLE',
      'START_PENDING',
    ],
    response: projectSchema,
    responses: {
      201: 'Registered, approval task opened',
      200: 'Repeat',
      403: 'Not government department staff',
      404: 'Unknown draft',
      409: 'IDEMPOTENCY_KEY_REUSED',
      422: 'A draft of another department, or a retirement request',
      503: 'START_PENDING: stored, the start of its approval procedure not yet confirmed',
    },
  });
  documented({
    method: 'get',
    path: '/api/catalog/projects',
    summary:
      "Information system projects (Art. 17), last registered first, each with its approval task, a page at a time (cursor/limit): the department's own; the data authority sees every department's",
    tags,
    auth: 'required',
    query: projectsQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(projectRowSchema),
  });
  documented({
    method: 'get',
    path: '/api/catalog/projects/{no}',
    summary: 'One information system project and the state of its entries',
    tags,
    auth: 'required',
    errors: ['NOT_FOUND'],
    response: projectSchema,
    responses: { 200: 'OK', 404: 'Unknown or not visible' },
  });
  documented({
    method: 'get',
    path: '/api/open/catalog/lists',
    summary:
      "Art. 25: each department's 无条件开放清单 and 有条件开放清单, derived from its published entries; no sign-in needed. The whole published lists in one answer (a publication, filtered by provider), not paged: GET /api/open/catalog pages the same entries",
    tags: ['open data'],
    auth: 'optional',
    query: listsQuery,
    response: openListsSchema,
  });

  const router = Router();

  async function draftView(p: Principal, draftNo: string) {
    const d = await db.catalogDraft.findUnique({ where: { draftNo } });
    if (!d || (!isAuthority(p) && d.departmentId !== p.departmentId))
      throw new AppError('NOT_FOUND', { zh: `目录草稿 ${draftNo} 不存在`, en: `No catalog draft ${draftNo}` });
    const steps = await db.task.findMany({
      where: { workflowId: d.workflowId },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        step: true,
        title: true,
        status: true,
        candidateDeptId: true,
        dueAt: true,
        overdue: true,
        decision: true,
        reasons: true,
        completedAt: true,
      },
    });
    const { requestHash: _h, idempotencyKey: _k, ...rest } = d;
    return { ...rest, steps };
  }

  /** The open draft of an entry code, if any (one change at a time per entry). */
  const openDraftOf = (code: string, exceptId?: string) =>
    db.catalogDraft.findFirst({
      where: {
        code,
        status: { in: ['DRAFT', 'SUBMITTED', 'RETURNED'] },
        ...(exceptId ? { id: { not: exceptId } } : {}),
      },
    });

  /** A new draft (or retirement request), reviewed by its own workflow, and its audit row, in one transaction. */
  const writeDraft = (
    p: Principal,
    draft: Omit<Prisma.CatalogDraftUncheckedCreateInput, 'workflowId' | 'createdById'> & {
      id: string;
      draftNo: string;
    },
    audit: { event: string; action: string; details: Record<string, unknown> },
  ) =>
    db.$transaction([
      db.catalogDraft.create({
        data: { ...draft, workflowId: `catalog-review/${draft.draftNo}`, createdById: p.userId },
      }),
      db.auditLog.create({
        data: {
          auditKey: `catalog-draft:${draft.id}:${audit.event}`,
          actor: p.userId,
          action: audit.action,
          entityType: 'CatalogDraft',
          entityId: draft.id,
          details: audit.details as object,
        },
      }),
    ]);
  const draftOfKey = (departmentId: string, idempotencyKey: string) =>
    db.catalogDraft.findUnique({ where: { departmentId_idempotencyKey: { departmentId, idempotencyKey } } });
  const draftKeyReused = (d: { draftNo: string }) =>
    new AppError('IDEMPOTENCY_KEY_REUSED', {
      zh: `该幂等键已用于目录草稿 ${d.draftNo}，但请求内容不同`,
      en: `Idempotency key was already used for catalog draft ${d.draftNo} with different content`,
    });
  /** Another draft of the code got in first (the open-draft index), after the check before the write. */
  const draftUnderWay = (code: string) =>
    new AppError('CATALOG_DRAFT_OPEN', {
      zh: `目录条目 ${code} 已有正在办理的草稿或申请`,
      en: `Entry ${code} already has a draft under way`,
    });

  router.post('/api/catalog/drafts', async (req, res) => {
    const p = requirePrincipal(req);
    const departmentId = requireStaff(p);
    const body = parse(draftBody, req.body, 'body');
    const draftNo = newApplicationNo('ML');
    const id = newId();
    const requestHash = hashRequest(body);
    const previous = await createOnce<CatalogDraft>({
      requestHash,
      find: () => draftOfKey(departmentId, body.idempotencyKey),
      reused: draftKeyReused,
      taken: () => draftUnderWay(body.code),
      create: async () => {
        if (body.submit) assertLegalBasis(body);
        const entry = await db.dataResource.findUnique({ where: { code: body.code } });
        if (entry && entry.providerId !== departmentId)
          throw new AppError('CONFLICT', {
            zh: `编码 ${body.code} 是其他部门（${entry.providerId}）的目录条目`,
            en: `Code ${body.code} is an entry of another department (${entry.providerId})`,
          });
        if (entry) refuseRetired([entry]);
        const open = await openDraftOf(body.code);
        if (open)
          throw new AppError(
            'CATALOG_DRAFT_OPEN',
            {
              zh: `目录条目 ${body.code} 已有正在办理的草稿 ${open.draftNo}`,
              en: `Entry ${body.code} already has draft ${open.draftNo} under way`,
            },
            {
              draftNo: open.draftNo,
            },
          );
        let dutyId: string | null = null;
        if (body.dutyNo) {
          const duty = await db.catalogUpdateDuty.findUnique({ where: { dutyNo: body.dutyNo } });
          if (!duty || duty.departmentId !== departmentId)
            throw new AppError('NOT_FOUND', {
              zh: `本部门不存在更新任务 ${body.dutyNo}`,
              en: `No update duty ${body.dutyNo} of your department`,
            });
          dutyId = duty.id;
        }
        const content = {
          code: body.code,
          name: body.name,
          description: body.description,
          fields: body.fields,
          shareClass: body.shareClass,
          openClass: body.openClass,
          shareLegalBasis: body.shareLegalBasis ?? null,
          openLegalBasis: body.openLegalBasis ?? null,
          updateFrequency: body.updateFrequency,
          sourceSystem: body.sourceSystem,
          changeNote: body.changeNote ?? null,
        };
        const duplicates = body.submit ? await detectDuplicates(db, { ...content, departmentId }) : [];
        await writeDraft(
          p,
          {
            id,
            draftNo,
            departmentId,
            resourceId: entry?.id ?? null,
            ...content,
            dutyId,
            status: body.submit ? 'SUBMITTED' : 'DRAFT',
            duplicates: duplicates as object[],
            idempotencyKey: body.idempotencyKey,
            requestHash,
          },
          {
            event: 'compiled',
            action: body.submit ? 'CATALOG_DRAFT_SUBMITTED' : 'CATALOG_DRAFT_COMPILED',
            details: { draftNo, code: body.code, revises: entry?.version ?? null, duplicates },
          },
        );
      },
    });
    if (previous) {
      if (previous.status !== 'DRAFT') await startCatalogReview(deps, previous.id);
      return res.status(200).json(await draftView(p, previous.draftNo));
    }
    if (body.submit) await startCatalogReview(deps, id);
    res.status(201).json(await draftView(p, draftNo));
  });

  router.put('/api/catalog/drafts/:no', async (req, res) => {
    const p = requirePrincipal(req);
    const departmentId = requireStaff(p);
    const { no } = parse(noParam, req.params, 'params');
    // Whose draft it is comes before the body: another department learns nothing from a 400.
    const d = await db.catalogDraft.findUnique({ where: { draftNo: no } });
    if (!d || d.departmentId !== departmentId)
      throw new AppError('NOT_FOUND', {
        zh: `本部门不存在目录草稿 ${no}`,
        en: `No catalog draft ${no} of your department`,
      });
    const body = parse(editBody, req.body, 'body');
    if (d.status !== 'DRAFT' && d.status !== 'RETURNED')
      throw new AppError('CONFLICT', {
        zh: `草稿 ${no} 的状态为 ${d.status}：只有已编制或被退回的草稿可以修改`,
        en: `Draft ${no} is ${d.status}: only compiled or returned drafts can be edited`,
      });
    if (d.kind === 'RETIREMENT')
      throw new AppError('CONFLICT', {
        zh: `${no} 是停用申请，没有可修改的内容：在待办中重新提交或撤回`,
        en: `${no} is a retirement request: resubmit or withdraw it through its task`,
      });
    // A returned draft goes back to review as it is now: it must be submittable.
    if (d.status === 'RETURNED') assertLegalBasis(body);
    const data = {
      ...body,
      shareLegalBasis: body.shareLegalBasis ?? null,
      openLegalBasis: body.openLegalBasis ?? null,
      changeNote: body.changeNote ?? null,
    };
    const updated = await db.catalogDraft.updateMany({
      where: { id: d.id, status: d.status, round: d.round },
      data,
    });
    if (updated.count === 0)
      throw new AppError('CONFLICT', {
        zh: `草稿 ${no} 已发生变化，请重新读取`,
        en: `Draft ${no} changed meanwhile; read it again`,
      });
    await db.auditLog.create({
      data: {
        auditKey: `catalog-draft:${d.id}:edited:${newId()}`,
        actor: p.userId,
        action: 'CATALOG_DRAFT_EDITED',
        entityType: 'CatalogDraft',
        entityId: d.id,
        details: { round: d.round, fields: Object.keys(body) },
      },
    });
    res.json(await draftView(p, no));
  });

  router.post('/api/catalog/drafts/:no/submit', async (req, res) => {
    const p = requirePrincipal(req);
    const departmentId = requireStaff(p);
    const { no } = parse(noParam, req.params, 'params');
    const d = await db.catalogDraft.findUnique({ where: { draftNo: no } });
    if (!d || d.departmentId !== departmentId)
      throw new AppError('NOT_FOUND', {
        zh: `本部门不存在目录草稿 ${no}`,
        en: `No catalog draft ${no} of your department`,
      });
    if (d.status === 'SUBMITTED' && !d.workflowStartedAt) {
      await startCatalogReview(deps, d.id);
      return res.json(await draftView(p, no));
    }
    if (d.status !== 'DRAFT')
      throw new AppError('CONFLICT', {
        zh: `草稿 ${no} 的状态为 ${d.status}，不是已编制的草稿`,
        en: `Draft ${no} is ${d.status}, not a compiled draft`,
      });
    assertLegalBasis(d);
    const duplicates = await detectDuplicates(db, d);
    const moved = await db.catalogDraft.updateMany({
      where: { id: d.id, status: 'DRAFT' },
      data: { status: 'SUBMITTED', submittedAt: new Date(), duplicates: duplicates as object[] },
    });
    if (moved.count > 0)
      await db.auditLog.create({
        data: {
          auditKey: `catalog-draft:${d.id}:submitted`,
          actor: p.userId,
          action: 'CATALOG_DRAFT_SUBMITTED',
          entityType: 'CatalogDraft',
          entityId: d.id,
          details: { draftNo: d.draftNo, duplicates } as object,
        },
      });
    await startCatalogReview(deps, d.id);
    res.json(await draftView(p, no));
  });

  /**
   * Which departments' rows a catalog list shows: the data authority's reviewers every one (or the
   * one it asks for), anyone else their own department's; a caller with no department none.
   */
  function listScope(p: Principal, department: string | undefined, what: { zh: string; en: string }) {
    if (isAuthority(p)) return department ? { departmentId: department } : {};
    if (!p.departmentId)
      throw new AppError('FORBIDDEN', { zh: `${what.zh}仅供部门使用`, en: `${what.en} are for departments` });
    return { departmentId: p.departmentId };
  }

  router.get('/api/catalog/drafts', async (req, res) => {
    const p = requirePrincipal(req);
    const q = parse(draftsQuery, req.query, 'query');
    const where: Prisma.CatalogDraftWhereInput = {
      ...listScope(p, q.department, { zh: '目录草稿', en: 'Catalog drafts' }),
      ...(q.status ? { status: q.status } : {}),
    };
    await checkCursor(q, (id) => db.catalogDraft.count({ where: { AND: [where, { id }] } }));
    const rows = await db.catalogDraft.findMany({
      where,
      orderBy: [{ submittedAt: 'desc' }, { id: 'desc' }],
      ...pageArgs(q),
      omit: { requestHash: true, idempotencyKey: true },
    });
    res.json(toPage(q, rows));
  });

  router.get('/api/catalog/drafts/:no', async (req, res) => {
    const p = requirePrincipal(req);
    noQuery(req.query);
    const { no } = parse(noParam, req.params, 'params');
    res.json(await draftView(p, no));
  });

  router.get('/api/catalog/entries/:code/history', async (req, res) => {
    // The internal catalogue's history (every share and open class): department accounts only.
    authorize(req, 'catalogHistory');
    const { code } = parse(codeParam, req.params, 'params');
    const q = parse(historyQuery, req.query, 'query');
    const entry = await db.dataResource.findUnique({ where: { code } });
    if (!entry) throw new AppError('NOT_FOUND', { zh: `目录条目 ${code} 不存在`, en: `No catalog entry ${code}` });
    await checkCursor(q, (id) => db.dataResourceVersion.count({ where: { resourceId: entry.id, id } }));
    const page = toPage(
      q,
      await db.dataResourceVersion.findMany({
        where: { resourceId: entry.id },
        orderBy: [{ version: 'desc' }, { id: 'desc' }],
        ...pageArgs(q),
      }),
    );
    const versions = page.items;
    const users = await db.user.findMany({
      where: { id: { in: versions.flatMap((v) => [v.submittedById, v.publishedById]) } },
      select: { id: true, login: true, displayName: true },
    });
    // Applications cite the version in force when they were submitted (application_resource.resource_version).
    const cited = await db.applicationResource.groupBy({
      by: ['resourceVersion'],
      where: { resourceId: entry.id, resourceVersion: { in: versions.map((v) => v.version) } },
      _count: { _all: true },
    });
    const citedBy = (version: number) => cited.find((c) => c.resourceVersion === version)?._count._all ?? 0;
    const who = (id: string) => users.find((u) => u.id === id) ?? { id, login: null, displayName: null };
    const drafts = await db.catalogDraft.findMany({
      where: { id: { in: versions.map((v) => v.draftId) } },
      select: { id: true, draftNo: true },
    });
    res.json({
      code,
      version: entry.version,
      items: versions.map((v) => ({
        version: v.version,
        draftNo: drafts.find((d) => d.id === v.draftId)?.draftNo ?? null,
        publishedAt: v.publishedAt,
        submittedBy: who(v.submittedById),
        publishedBy: who(v.publishedById),
        changeNote: v.changeNote,
        changes: v.changes,
        entry: v.snapshot,
        citedByApplications: citedBy(v.version),
      })),
      nextCursor: page.nextCursor,
    });
  });

  router.post('/api/catalog/entries/:code/retire', async (req, res) => {
    const p = requirePrincipal(req);
    const departmentId = requireStaff(p);
    const { code } = parse(codeParam, req.params, 'params');
    // Whose entry it is comes before the body: another department learns nothing from a 400.
    const entry = await db.dataResource.findUnique({ where: { code } });
    if (!entry || entry.providerId !== departmentId)
      throw new AppError('NOT_FOUND', {
        zh: `本部门没有目录条目 ${code}`,
        en: `No catalog entry ${code} of your department`,
      });
    const body = parse(retireBody, req.body, 'body');
    const draftNo = newApplicationNo('ML');
    const id = newId();
    const requestHash = hashRequest({ ...body, code });
    const previous = await createOnce<CatalogDraft>({
      requestHash,
      find: () => draftOfKey(departmentId, body.idempotencyKey),
      reused: draftKeyReused,
      taken: () => draftUnderWay(code),
      create: async () => {
        refuseRetired([entry]);
        const open = await openDraftOf(code);
        if (open)
          throw new AppError(
            'CATALOG_DRAFT_OPEN',
            {
              zh: `目录条目 ${code} 已有办理中的草稿或申请 ${open.draftNo}`,
              en: `Entry ${code} already has draft ${open.draftNo} under way`,
            },
            { draftNo: open.draftNo },
          );
        const last = await db.dataResourceVersion.findFirst({
          where: { resourceId: entry.id },
          orderBy: { version: 'desc' },
        });
        await writeDraft(
          p,
          {
            id,
            draftNo,
            departmentId,
            kind: 'RETIREMENT',
            resourceId: entry.id,
            code,
            name: entry.name,
            description: entry.description,
            fields: entry.fields,
            shareClass: entry.shareClass,
            openClass: entry.openClass,
            shareLegalBasis: entry.shareLegalBasis,
            openLegalBasis: entry.openLegalBasis,
            updateFrequency: entry.updateFrequency,
            sourceSystem: (last?.snapshot as { sourceSystem?: string } | null)?.sourceSystem ?? '—',
            changeNote: body.reasons,
            status: 'SUBMITTED',
            idempotencyKey: body.idempotencyKey,
            requestHash,
          },
          {
            event: 'retirement-requested',
            action: 'CATALOG_RETIREMENT_REQUESTED',
            details: { draftNo, code, version: entry.version, reasons: body.reasons },
          },
        );
      },
    });
    await startCatalogReview(deps, previous?.id ?? id);
    res.status(previous ? 200 : 201).json(await draftView(p, previous?.draftNo ?? draftNo));
  });

  router.post('/api/catalog/update-duties', async (req, res) => {
    const p = requirePrincipal(req);
    const authority = isAuthority(p);
    if (!authority && !(p.departmentId && p.roles.includes('DEPT_STAFF')))
      throw new AppError('FORBIDDEN', {
        zh: '第十八条所列情形由本部门工作人员或政务数据主管部门登记',
        en: "Art. 18 situations are recorded by the department's staff or the data authority",
      });
    const body = parse(dutyBody, req.body, 'body');
    const departmentId = authority ? (body.departmentId ?? null) : p.departmentId!;
    if (!departmentId)
      throw new AppError(
        'VALIDATION_FAILED',
        {
          zh: '请求体有误：departmentId：政务数据主管部门登记时须指明部门',
          en: 'Invalid body: departmentId: the data authority names the department',
        },
        [{ path: 'body.departmentId', message: '政务数据主管部门登记时须填写' }],
      );
    if (!authority && body.departmentId && body.departmentId !== departmentId)
      throw new AppError('FORBIDDEN', {
        zh: '部门只能登记本部门目录条目的情形',
        en: 'A department records situations of its own entries only',
      });
    const dutyNo = newApplicationNo('GX18');
    const id = newId();
    const requestHash = hashRequest({ ...body, departmentId });
    const previous = await createOnce({
      requestHash,
      find: () =>
        db.catalogUpdateDuty.findUnique({
          where: { recordedById_idempotencyKey: { recordedById: p.userId, idempotencyKey: body.idempotencyKey } },
        }),
      reused: (d) =>
        new AppError('IDEMPOTENCY_KEY_REUSED', {
          zh: `该幂等键已用于更新任务 ${d.dutyNo}，但请求内容不同`,
          en: `Idempotency key was already used for update duty ${d.dutyNo} with different content`,
        }),
      create: async () => {
        if (body.occurredOn > shanghaiToday())
          throw new AppError('PROCEDURE_NOT_ALLOWED', {
            zh: `发生日期 ${body.occurredOn} 晚于今天：请在情形发生后再登记`,
            en: `occurredOn ${body.occurredOn} is in the future: record a situation once it occurred`,
          });
        const codes = [...new Set(body.resourceCodes)];
        const entries = await db.dataResource.findMany({ where: { code: { in: codes } } });
        const unknown = codes.filter((c) => !entries.some((e) => e.code === c));
        if (unknown.length)
          throw new AppError('NOT_FOUND', {
            zh: `目录条目不存在：${unknown.join(', ')}`,
            en: `Unknown catalog entries: ${unknown.join(', ')}`,
          });
        const foreign = entries.filter((e) => e.providerId !== departmentId);
        if (foreign.length)
          throw new AppError('PROCEDURE_NOT_ALLOWED', {
            zh: `目录条目 ${foreign.map((e) => e.code).join(', ')} 不在 ${departmentId} 的目录中`,
            en: `Entries ${foreign.map((e) => e.code).join(', ')} are not in the catalog of ${departmentId}`,
          });
        await db.$transaction([
          db.catalogUpdateDuty.create({
            data: {
              id,
              dutyNo,
              workflowId: `catalog-update/${dutyNo}`,
              departmentId,
              kind: body.kind,
              description: body.description,
              occurredOn: new Date(`${body.occurredOn}T00:00:00Z`),
              resourceIds: codes.map((c) => entries.find((e) => e.code === c)!.id),
              recordedById: p.userId,
              idempotencyKey: body.idempotencyKey,
              requestHash,
            },
          }),
          db.auditLog.create({
            data: {
              auditKey: `catalog-duty:${id}:recorded`,
              actor: p.userId,
              action: 'CATALOG_CHANGE_RECORDED',
              entityType: 'CatalogUpdateDuty',
              entityId: id,
              details: { dutyNo, kind: body.kind, occurredOn: body.occurredOn, resourceCodes: codes },
            },
          }),
        ]);
      },
    });
    await startCatalogUpdateDuty(deps, previous?.id ?? id);
    res.status(previous ? 200 : 201).json(await dutyView(p, previous?.dutyNo ?? dutyNo));
  });

  async function dutyView(p: Principal, dutyNo: string) {
    const d = await db.catalogUpdateDuty.findUnique({ where: { dutyNo } });
    if (!d || (!isAuthority(p) && d.departmentId !== p.departmentId))
      throw new AppError('NOT_FOUND', { zh: `更新任务 ${dutyNo} 不存在`, en: `No update duty ${dutyNo}` });
    const [entries, task] = await Promise.all([
      db.dataResource.findMany({
        where: { id: { in: d.resourceIds } },
        select: { id: true, code: true, version: true },
      }),
      db.task.findFirst({
        where: { workflowId: d.workflowId, step: 'CATALOG_UPDATE' },
        select: { id: true, status: true, dueAt: true, warningAt: true, overdue: true, completedAt: true },
      }),
    ]);
    const { requestHash: _h, idempotencyKey: _k, ...rest } = d;
    return {
      ...rest,
      occurredOn: d.occurredOn.toISOString().slice(0, 10),
      article: '第十八条：自情形发生之日起15个工作日内更新并发布',
      entries: entries.map(({ id: _id, ...e }) => e),
      task,
    };
  }

  router.get('/api/catalog/update-duties', async (req, res) => {
    const p = requirePrincipal(req);
    const q = parse(dutiesQuery, req.query, 'query');
    const where: Prisma.CatalogUpdateDutyWhereInput = {
      ...listScope(p, q.department, { zh: '目录更新任务', en: 'Catalog update duties' }),
      ...(q.status ? { status: q.status } : {}),
    };
    await checkCursor(q, (id) => db.catalogUpdateDuty.count({ where: { AND: [where, { id }] } }));
    const rows = await db.catalogUpdateDuty.findMany({
      where,
      orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
      ...pageArgs(q),
      omit: { requestHash: true, idempotencyKey: true },
    });
    const tasks = await stepTasks(
      rows.map((d) => d.workflowId),
      'CATALOG_UPDATE',
    );
    res.json(
      toPage(q, rows, (d) => ({
        ...d,
        occurredOn: d.occurredOn.toISOString().slice(0, 10),
        task: tasks.get(d.workflowId) ?? null,
      })),
    );
  });

  /** The task of `step` of each workflow, one query for a page of rows. */
  async function stepTasks(workflowIds: string[], step: string) {
    const rows = await db.task.findMany({
      where: { workflowId: { in: workflowIds }, step },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        workflowId: true,
        status: true,
        dueAt: true,
        warningAt: true,
        overdue: true,
        decision: true,
        reasons: true,
        completedAt: true,
      },
    });
    return new Map(rows.map(({ workflowId, ...t }) => [workflowId, t]));
  }

  router.get('/api/catalog/update-duties/:no', async (req, res) => {
    const p = requirePrincipal(req);
    noQuery(req.query);
    const { no } = parse(noParam, req.params, 'params');
    res.json(await dutyView(p, no));
  });

  async function projectView(p: Principal, projectNo: string) {
    const pr = await db.infoSystemProject.findUnique({ where: { projectNo } });
    if (!pr || (!isAuthority(p) && pr.departmentId !== p.departmentId))
      throw new AppError('NOT_FOUND', {
        zh: `信息化项目 ${projectNo} 不存在`,
        en: `No information system project ${projectNo}`,
      });
    const drafts = await db.catalogDraft.findMany({
      where: { id: { in: pr.draftIds } },
      select: { draftNo: true, code: true, status: true, publishedVersion: true },
    });
    const task = await db.task.findFirst({
      where: { workflowId: pr.workflowId, step: 'PROJECT_APPROVAL' },
      select: { id: true, status: true, decision: true, reasons: true, completedAt: true },
    });
    const { requestHash: _h, idempotencyKey: _k, draftIds: _d, ...rest } = pr;
    return {
      ...rest,
      article: '第十七条：新建和改扩建信息系统同步编制目录，作为项目立项审批条件',
      entries: drafts,
      catalogPublished: drafts.every((d) => d.status === 'PUBLISHED'),
      task,
    };
  }

  router.post('/api/catalog/projects', async (req, res) => {
    const p = requirePrincipal(req);
    const departmentId = requireStaff(p);
    const body = parse(projectBody, req.body, 'body');
    const projectNo = newApplicationNo('XM');
    const id = newId();
    const nos = [...new Set(body.draftNos)];
    const requestHash = hashRequest(body);
    const previous = await createOnce({
      requestHash,
      find: () =>
        db.infoSystemProject.findUnique({
          where: { departmentId_idempotencyKey: { departmentId, idempotencyKey: body.idempotencyKey } },
        }),
      reused: (pr) =>
        new AppError('IDEMPOTENCY_KEY_REUSED', {
          zh: `该幂等键已用于项目 ${pr.projectNo}，但请求内容不同`,
          en: `Idempotency key was already used for project ${pr.projectNo} with different content`,
        }),
      create: async () => {
        const drafts = await db.catalogDraft.findMany({ where: { draftNo: { in: nos } } });
        const unknown = nos.filter((n) => !drafts.some((d) => d.draftNo === n));
        if (unknown.length)
          throw new AppError('NOT_FOUND', {
            zh: `目录草稿不存在：${unknown.join(', ')}`,
            en: `Unknown catalog drafts: ${unknown.join(', ')}`,
          });
        if (drafts.some((d) => d.departmentId !== departmentId))
          throw new AppError('PROCEDURE_NOT_ALLOWED', {
            zh: '项目的目录条目须为本部门的草稿',
            en: "A project's entries are its own department's drafts",
          });
        const retirements = drafts.filter((d) => d.kind === 'RETIREMENT');
        if (retirements.length)
          throw new AppError('PROCEDURE_NOT_ALLOWED', {
            zh: `停用申请不是项目的目录条目：${retirements.map((d) => d.draftNo).join('、')}`,
            en: `Retirement requests are not catalog entries of a project: ${retirements.map((d) => d.draftNo).join(', ')}`,
          });
        await db.$transaction([
          db.infoSystemProject.create({
            data: {
              id,
              projectNo,
              workflowId: `catalog-project/${projectNo}`,
              departmentId,
              name: body.name,
              description: body.description,
              draftIds: drafts.map((d) => d.id),
              registeredById: p.userId,
              idempotencyKey: body.idempotencyKey,
              requestHash,
            },
          }),
          db.auditLog.create({
            data: {
              auditKey: `project:${id}:registered`,
              actor: p.userId,
              action: 'INFO_SYSTEM_PROJECT_REGISTERED',
              entityType: 'InfoSystemProject',
              entityId: id,
              details: { projectNo, drafts: nos },
            },
          }),
        ]);
      },
    });
    await startCatalogProject(deps, previous?.id ?? id);
    res.status(previous ? 200 : 201).json(await projectView(p, previous?.projectNo ?? projectNo));
  });

  router.get('/api/catalog/projects', async (req, res) => {
    const p = requirePrincipal(req);
    const q = parse(projectsQuery, req.query, 'query');
    const where: Prisma.InfoSystemProjectWhereInput = {
      ...listScope(p, q.department, { zh: '信息化项目', en: 'Information system projects' }),
      ...(q.status ? { status: q.status } : {}),
    };
    await checkCursor(q, (id) => db.infoSystemProject.count({ where: { AND: [where, { id }] } }));
    const rows = await db.infoSystemProject.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      ...pageArgs(q),
      omit: { requestHash: true, idempotencyKey: true, draftIds: true },
    });
    const tasks = await stepTasks(
      rows.map((pr) => pr.workflowId),
      'PROJECT_APPROVAL',
    );
    res.json(toPage(q, rows, (pr) => ({ ...pr, task: tasks.get(pr.workflowId) ?? null })));
  });

  router.get('/api/catalog/projects/:no', async (req, res) => {
    const p = requirePrincipal(req);
    noQuery(req.query);
    const { no } = parse(noParam, req.params, 'params');
    res.json(await projectView(p, no));
  });

  router.get('/api/open/catalog/lists', async (req, res) => {
    const q = parse(listsQuery, req.query, 'query');
    const rows = await db.dataResource.findMany({
      where: {
        openClass: { in: ['UNCONDITIONAL', 'CONDITIONAL'] },
        catalog: { status: 'PUBLISHED' },
        retiredAt: null,
        ...(q.provider ? { providerId: q.provider } : {}),
      },
      orderBy: { code: 'asc' },
      select: {
        code: true,
        name: true,
        openClass: true,
        openLegalBasis: true,
        version: true,
        updateFrequency: true,
        provider: { select: { id: true, name: true } },
      },
    });
    const departments = new Map<
      string,
      { department: { id: string; name: string }; 无条件开放清单: unknown[]; 有条件开放清单: unknown[] }
    >();
    for (const { provider, ...r } of rows) {
      const list = openListOf(r.openClass)!;
      const d = departments.get(provider.id) ?? { department: provider, 无条件开放清单: [], 有条件开放清单: [] };
      d[list].push(r);
      departments.set(provider.id, d);
    }
    res.json({ article: '第二十五条', departments: [...departments.values()] });
  });

  return router;
}
