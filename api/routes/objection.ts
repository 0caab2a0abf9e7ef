/**
 * Objections (异议, Art. 33): anyone signed in — a public applicant or a department — files an
 * objection against a catalog entry, attaches evidence, and follows its progress under the
 * objection number. Facts and evidence are read only by the objector, the authority's reviewers and
 * a department holding a task of it (the provider it is forwarded to); trade-secret and privacy
 * objections are not even listed for anyone else but supervisors, who see metadata (api/access.ts).
 * The steps themselves are inbox tasks decided through the generic task API.
 */
import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import { newId } from '../../lib/ids';
import { Access, authorizeSignedIn, objectionScope } from '../access';
import { Principal, requirePrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { actorOf } from '../kit/decisions';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { auditPersonalDataRead } from '../kit/audit';
import { documented } from '../openapi';
import { startObjection } from '../kit/starters';
import { temporalClient } from '../kit/temporal';
import { executeBounded } from '../kit/updates';
import { withdrawObjectionUpdate } from '../../workflows/objection-messages';
import { idempotencyKeySchema } from '../submissions';
import { checkCursor, pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';

/** Evidence files: PDF and images only, recognised by their leading bytes, not by the client's word. */
export const ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024;
export const ATTACHMENTS_PER_OBJECTION = 5;
const SIGNATURES: Record<string, number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

const kinds = ['ERROR', 'OMISSION', 'TRADE_SECRET', 'PRIVACY'] as const;
const inlineAttachment = z
  .object({
    fileName: z.string().trim().min(1).max(200),
    mediaType: z.string().trim().min(1).max(100),
    contentBase64: z
      .string()
      .min(4)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, fieldText('须为 base64 编码', 'must be base64')),
  })
  .strict();

const fileBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    resourceCode: z.string().trim().min(1).max(64),
    kind: z.enum(kinds),
    recordRef: z.string().trim().min(1).max(500).optional(),
    facts: z.string().trim().min(4).max(4000),
    requestedCorrection: z.string().trim().min(2).max(4000),
    // Inline attachments share the API's 1 MB JSON limit; larger files (≤ 2 MB) go to the upload endpoint.
    attachments: z.array(inlineAttachment).max(ATTACHMENTS_PER_OBJECTION).default([]),
  })
  .strict();

const withdrawBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();

const listQuery = z
  .object({
    resource: z.string().trim().min(1).max(64).optional(),
    status: z.enum(['SUBMITTED', 'ACCEPTED', 'MARKED', 'FORWARDED', 'DECIDED', 'CORRECTING', 'CLOSED']).optional(),
    mine: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    ...pageQuery,
  })
  .strict();

const noParam = z.object({ no: z.string().min(1).max(64) });
const attachmentParams = z.object({
  no: z.string().min(1).max(64),
  id: z.uuid(fieldText('附件编号须为 UUID', 'attachment id must be a UUID')),
});
const uploadQuery = z.object({ fileName: z.string().trim().min(1).max(200) }).strict();

interface CheckedAttachment {
  fileName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  content: Buffer;
}

function safeFileName(name: string): string {
  // No paths, no control characters: the name is only ever shown and offered as a download name.
  const base = name.split(/[\\/]/).pop() ?? '';
  return (
    base
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      .replace(/[\u0000-\u001f\u007f"]/g, '')
      .trim()
      .slice(0, 200) || 'attachment'
  );
}

export function checkAttachment(
  fileName: string,
  mediaType: string,
  content: Buffer,
  field: string,
): CheckedAttachment {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  const signature = SIGNATURES[type];
  if (!signature)
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
      zh: `${field}：只接受 PDF、PNG 或 JPEG 文件，不接受 ${type || '未标明类型的文件'}`,
      en: `${field}: only PDF, PNG or JPEG files are accepted, not ${type || 'an untyped file'}`,
    });
  if (content.length === 0)
    throw new AppError(
      'VALIDATION_FAILED',
      { zh: `请求体有误：${field}：文件为空`, en: `Invalid body: ${field}: the file is empty` },
      [{ path: field, message: '文件为空' }],
    );
  if (content.length > ATTACHMENT_MAX_BYTES)
    throw new AppError('PAYLOAD_TOO_LARGE', {
      zh: `${field}：单个文件不得超过 ${ATTACHMENT_MAX_BYTES} 字节`,
      en: `${field}: a file may have at most ${ATTACHMENT_MAX_BYTES} bytes`,
    });
  if (!signature.every((byte, i) => content[i] === byte))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
      zh: `${field}：文件内容不是 ${type} 文件`,
      en: `${field}: the content is not a ${type} file`,
    });
  return {
    fileName: safeFileName(fileName),
    mediaType: type,
    sizeBytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    content,
  };
}

const attachmentSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  mediaType: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
});
/**
 * An objection as view() answers it: what everyone who may see it reads, and for its parties
 * (and reviewers) the facts, evidence and steps besides; `view: 'metadata'` marks a confidential
 * one shown without its reasons.
 */
const objectionSchema = z
  .object({
    objectionNo: z.string(),
    kind: z.string(),
    confidential: z.boolean(),
    status: z.string(),
    scope: z.string().nullable(),
    resource: z.object({
      code: z.string(),
      name: z.string(),
      version: z.number(),
      provider: z.object({ id: z.string(), name: z.string() }),
    }),
    receivedAt: z.string(),
    forwardedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    outcome: z.string().nullable(),
    outcomeReasons: z.string().nullable().optional(),
    correctedVersion: z.number().nullable(),
    disputeMark: z.object({ note: z.string(), markedAt: z.string(), clearedAt: z.string().nullable() }).nullable(),
    view: z.literal('metadata').optional(),
    recordRef: z.string().nullable().optional(),
    facts: z.string().optional(),
    requestedCorrection: z.string().optional(),
    objector: z.string().nullable().optional(),
    mine: z.boolean().optional(),
    attachments: z.array(attachmentSchema.extend({ createdAt: z.string() })).optional(),
    steps: z
      .array(
        z.object({ step: z.string(), title: z.string(), status: z.string(), dueAt: z.string().nullable() }).loose(),
      )
      .optional(),
  })
  .loose();

function newObjectionNo(): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replace(/-/g, '');
  return `YY-${day}-${newId().slice(0, 8).toUpperCase()}`;
}

/** The evidence upload takes the file itself as the body (not JSON): see api/kit/body-type.ts. */
export const ATTACHMENT_UPLOAD_PATH = /^\/api\/objections\/[^/]+\/attachments\/?$/;

export function objectionsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'post',
    path: '/api/objections',
    summary: 'File an objection against a catalog entry (Art. 33); anyone signed in',
    tags: ['objections'],
    auth: 'required',
    body: fileBody,
    errors: [
      'FORBIDDEN',
      'IDEMPOTENCY_KEY_REUSED',
      'NOT_FOUND',
      'PROCEDURE_NOT_ALLOWED',
      'SERVICE_UNAVAILABLE',
      'START_PENDING',
    ],
    response: objectionSchema,
    responses: {
      201: 'Filed',
      200: 'Repeat of an earlier filing',
      404: 'Unknown resource',
      409: 'Idempotency key reused',
      413: 'Attachment too large',
      415: 'Attachment type not accepted',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'get',
    path: '/api/objections',
    summary:
      'Objections the signed-in user may see (confidential ones only to their parties); newest first, in pages of cursor/limit',
    tags: ['objections'],
    auth: 'required',
    query: listQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(
      z.object({ objectionNo: z.string(), kind: z.string(), status: z.string(), mine: z.boolean() }).loose(),
    ),
  });
  documented({
    method: 'get',
    path: '/api/objections/{no}',
    summary: 'One objection with its progress',
    tags: ['objections'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: objectionSchema,
    responses: { 200: 'OK', 404: 'Unknown or not visible' },
  });
  documented({
    method: 'post',
    path: '/api/objections/{no}/withdraw',
    summary:
      'Withdraw an objection before a decision on the correction is taken; the objector only: its open tasks are cancelled, the dispute mark cleared, it closes as WITHDRAWN',
    tags: ['objections'],
    auth: 'required',
    body: withdrawBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'OBJECTION_CLOSED', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE'],
    response: objectionSchema,
    responses: { 200: 'Withdrawn', 409: 'Decided or closed already' },
  });
  documented({
    method: 'post',
    path: '/api/objections/{no}/attachments',
    summary:
      'Upload evidence (raw body; Content-Type application/pdf, image/png or image/jpeg; ≤ 2 MB); the objector only',
    tags: ['objections'],
    auth: 'required',
    query: uploadQuery,
    errors: ['UNSUPPORTED_MEDIA_TYPE', 'FORBIDDEN', 'NOT_FOUND', 'OBJECTION_CLOSED', 'PAYLOAD_TOO_LARGE', 'CONFLICT'],
    response: attachmentSchema,
    responses: { 201: 'Stored', 409: 'Objection closed or too many files', 413: 'Too large', 415: 'Type not accepted' },
  });
  documented({
    method: 'get',
    path: '/api/objections/{no}/attachments/{id}',
    summary: 'Download evidence; parties only',
    tags: ['objections'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    files: ['application/pdf', 'image/png', 'image/jpeg'],
    responses: { 200: 'The file', 404: 'Unknown or not visible' },
  });

  const router = Router();

  router.post('/api/objections', async (req, res) => {
    const a = authorizeSignedIn(req, 'objections');
    const p = requirePrincipal(req);
    if (!p.roles.includes('PUBLIC_APPLICANT') && !p.departmentId)
      throw new AppError('FORBIDDEN', {
        zh: '异议由公众申请人或部门工作人员提出',
        en: 'Objections are filed by public applicants or department staff',
      });
    const body = parse(fileBody, req.body, 'body');
    const attachments = body.attachments.map((a, i) =>
      checkAttachment(a.fileName, a.mediaType, Buffer.from(a.contentBase64, 'base64'), `attachments[${i}]`),
    );

    const previous = await db.objection.findUnique({
      where: { objectorUserId_idempotencyKey: { objectorUserId: p.userId, idempotencyKey: body.idempotencyKey } },
      include: { resource: true },
    });
    if (previous) return res.status(200).json(await resumeFiling(previous.id, body));

    const resource = await db.dataResource.findUnique({ where: { code: body.resourceCode } });
    if (!resource)
      throw new AppError('NOT_FOUND', {
        zh: `数据资源 ${body.resourceCode} 不存在`,
        en: `Unknown data resource ${body.resourceCode}`,
      });
    if (resource.providerId === p.departmentId)
      throw new AppError('PROCEDURE_NOT_ALLOWED', {
        zh: `${resource.code} 是本部门的目录条目：请通过目录管理更正`,
        en: `${resource.code} is your own department's entry: correct it through catalog management`,
      });

    const objectionNo = newObjectionNo();
    const id = newId();
    const confidential = body.kind === 'TRADE_SECRET' || body.kind === 'PRIVACY';
    try {
      await db.$transaction([
        db.objection.create({
          data: {
            id,
            objectionNo,
            workflowId: `objection/${objectionNo}`,
            resourceId: resource.id,
            objectorUserId: p.userId,
            kind: body.kind,
            recordRef: body.recordRef,
            facts: body.facts,
            requestedCorrection: body.requestedCorrection,
            confidential,
            receivedAt: new Date(),
            idempotencyKey: body.idempotencyKey,
            attachments: {
              create: attachments.map((a) => ({ id: newId(), ...a, content: new Uint8Array(a.content) })),
            },
          },
        }),
        db.auditLog.create({
          data: {
            auditKey: `objection:${id}:filed`,
            actor: p.userId,
            action: 'OBJECTION_FILED',
            entityType: 'Objection',
            entityId: id,
            details: {
              objectionNo,
              resource: resource.code,
              kind: body.kind,
              attachments: attachments.map((a) => a.sha256),
            },
          },
        }),
      ]);
    } catch (err) {
      // Two identical filings raced: the loser answers with the winner's objection.
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        const winner = await db.objection.findUniqueOrThrow({
          where: { objectorUserId_idempotencyKey: { objectorUserId: p.userId, idempotencyKey: body.idempotencyKey } },
        });
        return res.status(200).json(await resumeFiling(winner.id, body));
      }
      throw err;
    }
    await startObjection(deps, id);
    res.status(201).json(await view(a, objectionNo));

    async function resumeFiling(objectionId: string, b: z.infer<typeof fileBody>) {
      const o = await db.objection.findUniqueOrThrow({ where: { id: objectionId }, include: { resource: true } });
      if (
        o.resource.code !== b.resourceCode ||
        o.kind !== b.kind ||
        o.facts !== b.facts ||
        o.requestedCorrection !== b.requestedCorrection
      ) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', {
          zh: `该幂等键已用于异议 ${o.objectionNo}，但请求内容不同`,
          en: `Idempotency key was already used for objection ${o.objectionNo} with different content`,
        });
      }
      await startObjection(deps, o.id);
      return view(a, o.objectionNo);
    }
  });

  /** The objection if the caller's grants reach it, and whether they show its facts and evidence. */
  async function load(a: Access, objectionNo: string) {
    const scope = await objectionScope(db, a);
    const o = await db.objection.findFirst({
      where: { AND: [{ objectionNo }, scope.where] },
      include: { resource: { include: { provider: { select: { id: true, name: true } } } } },
    });
    // A confidential objection someone may not see does not exist for them.
    if (!o) throw new AppError('NOT_FOUND', { zh: `异议 ${objectionNo} 不存在`, en: `No objection ${objectionNo}` });
    const evidence = (await db.objection.count({ where: { AND: [{ id: o.id }, scope.full] } })) > 0;
    return { ...o, evidence };
  }

  async function view(a: Access & { p: Principal }, objectionNo: string) {
    const p = a.p;
    const o = await load(a, objectionNo);
    const base = {
      objectionNo: o.objectionNo,
      kind: o.kind,
      confidential: o.confidential,
      status: o.status,
      scope: o.scope,
      resource: {
        code: o.resource.code,
        name: o.resource.name,
        version: o.resource.version,
        provider: o.resource.provider,
      },
      receivedAt: o.receivedAt,
      forwardedAt: o.forwardedAt,
      closedAt: o.closedAt,
      outcome: o.outcome,
      outcomeReasons: o.outcomeReasons,
      correctedVersion: o.correctedVersion,
      disputeMark: await db.disputeMark.findUnique({
        where: { objectionId: o.id },
        select: { note: true, markedAt: true, clearedAt: true },
      }),
    };
    // Metadata only (the public's view of an ordinary objection, a supervisor's of any): no reasons either.
    if (!o.evidence) return o.confidential ? { ...base, outcomeReasons: undefined, view: 'metadata' } : base;
    const [objector, attachments, steps] = await Promise.all([
      db.user.findUnique({ where: { id: o.objectorUserId }, select: { displayName: true } }),
      db.attachment.findMany({
        where: { objectionId: o.id },
        orderBy: { createdAt: 'asc' },
        select: { id: true, fileName: true, mediaType: true, sizeBytes: true, sha256: true, createdAt: true },
      }),
      db.task.findMany({
        where: { workflowId: o.workflowId },
        orderBy: { createdAt: 'asc' },
        select: {
          step: true,
          title: true,
          status: true,
          candidateDeptId: true,
          dueAt: true,
          deadlineProvisional: true,
          overdue: true,
          createdAt: true,
          completedAt: true,
          decision: true,
          reasons: true,
        },
      }),
    ]);
    return {
      ...base,
      recordRef: o.recordRef,
      facts: o.facts,
      requestedCorrection: o.requestedCorrection,
      objector: objector?.displayName ?? null,
      mine: o.objectorUserId === p.userId,
      attachments,
      steps,
    };
  }

  router.get('/api/objections', async (req, res) => {
    const a = authorizeSignedIn(req, 'objections');
    const p = a.p;
    const q = parse(listQuery, req.query, 'query');
    const where: Prisma.ObjectionWhereInput = {
      AND: [
        (await objectionScope(db, a)).where,
        q.resource ? { resource: { code: q.resource } } : {},
        q.status ? { status: q.status } : {},
        q.mine ? { objectorUserId: p.userId } : {},
      ],
    };
    await checkCursor(q, (id) => db.objection.count({ where: { AND: [where, { id }] } }));
    const rows = await db.objection.findMany({
      where,
      orderBy: [{ receivedAt: 'desc' }, { id: 'asc' }],
      ...pageArgs(q),
      select: {
        id: true,
        objectionNo: true,
        kind: true,
        confidential: true,
        status: true,
        receivedAt: true,
        closedAt: true,
        outcome: true,
        objectorUserId: true,
        resource: { select: { code: true, name: true } },
      },
    });
    res.json(toPage(q, rows, ({ id: _id, objectorUserId, ...r }) => ({ ...r, mine: objectorUserId === p.userId })));
  });

  router.post('/api/objections/:no/withdraw', async (req, res) => {
    const { p } = authorizeSignedIn(req, 'objectionWithdraw');
    const { no } = parse(noParam, req.params, 'params');
    const a = authorizeSignedIn(req, 'objections');
    const o = await load(a, no);
    if (o.objectorUserId !== p.userId)
      throw new AppError('FORBIDDEN', { zh: '只有异议提出人可以撤回异议', en: 'Only the objector may withdraw it' });
    const body = parse(withdrawBody, req.body, 'body');
    if (o.status === 'CLOSED')
      throw new AppError('OBJECTION_CLOSED', { zh: `异议 ${no} 已办结`, en: `Objection ${no} is closed` });
    await executeBounded(await temporalClient(deps), deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(o.workflowId).executeUpdate(withdrawObjectionUpdate, {
        args: [
          {
            actor: actorOf(p),
            reason: body.reason,
          },
        ],
        updateId: `${o.id}:withdraw`,
      }),
    );
    res.json(await view(a, no));
  });

  router.get('/api/objections/:no', async (req, res) => {
    const a = authorizeSignedIn(req, 'objections');
    noQuery(req.query);
    const { no } = parse(noParam, req.params, 'params');
    const v = await view(a, no);
    // A party's view holds the objector's facts and record reference (personal data: the Why of #12).
    if ('facts' in v) {
      const { id } = await db.objection.findUniqueOrThrow({ where: { objectionNo: no }, select: { id: true } });
      await auditPersonalDataRead(db, req, 'Objection', id, {
        objectionNo: no,
        fields: ['recordRef', 'facts', 'requestedCorrection', 'objector', 'attachments'],
      });
    }
    res.json(v);
  });

  const rejectUnsupportedType: express.RequestHandler = (req, _res, next) => {
    if (!req.principal)
      return next(
        new AppError('UNAUTHENTICATED', {
          zh: '请先登录：请发送 "Authorization: Bearer <token>" 请求头',
          en: 'Sign in first: send "Authorization: Bearer <token>"',
        }),
      );
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    next(
      SIGNATURES[type]
        ? undefined
        : new AppError('UNSUPPORTED_MEDIA_TYPE', {
            zh: `附件须以 application/pdf、image/png 或 image/jpeg 格式发送，不接受 ${type || '未标明类型的请求体'}`,
            en: `Attachments must be sent as application/pdf, image/png or image/jpeg, not ${type || 'an untyped body'}`,
          }),
    );
  };

  router.post(
    '/api/objections/:no/attachments',
    rejectUnsupportedType,
    express.raw({ type: Object.keys(SIGNATURES), limit: ATTACHMENT_MAX_BYTES }),
    async (req, res) => {
      const { p } = authorizeSignedIn(req, 'objectionAttach');
      const { no } = parse(noParam, req.params, 'params');
      const o = await load(authorizeSignedIn(req, 'objections'), no);
      if (o.objectorUserId !== p.userId)
        throw new AppError('FORBIDDEN', { zh: '只有异议人可以补充证据', en: 'Only the objector may add evidence' });
      const { fileName } = parse(uploadQuery, req.query, 'query');
      if (o.status === 'CLOSED')
        throw new AppError('OBJECTION_CLOSED', { zh: `异议 ${no} 已办结`, en: `Objection ${no} is closed` });
      const content = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const a = checkAttachment(fileName, req.headers['content-type'] ?? '', content, 'body');
      if ((await db.attachment.count({ where: { objectionId: o.id } })) >= ATTACHMENTS_PER_OBJECTION) {
        throw new AppError('CONFLICT', {
          zh: `每件异议最多可有 ${ATTACHMENTS_PER_OBJECTION} 个附件`,
          en: `An objection may have at most ${ATTACHMENTS_PER_OBJECTION} attachments`,
        });
      }
      const id = newId();
      await db.$transaction([
        db.attachment.create({ data: { id, objectionId: o.id, ...a, content: new Uint8Array(a.content) } }),
        db.auditLog.create({
          data: {
            auditKey: `objection:${o.id}:attachment:${id}`,
            actor: p.userId,
            action: 'OBJECTION_ATTACHMENT_ADDED',
            entityType: 'Objection',
            entityId: o.id,
            details: { attachmentId: id, sha256: a.sha256, sizeBytes: a.sizeBytes },
          },
        }),
      ]);
      res
        .status(201)
        .json({ id, fileName: a.fileName, mediaType: a.mediaType, sizeBytes: a.sizeBytes, sha256: a.sha256 });
    },
  );

  router.get('/api/objections/:no/attachments/:id', async (req, res) => {
    authorizeSignedIn(req, 'objectionEvidence');
    noQuery(req.query);
    const { no, id } = parse(attachmentParams, req.params, 'params');
    const o = await load(authorizeSignedIn(req, 'objections'), no);
    const a = o.evidence ? await db.attachment.findFirst({ where: { id, objectionId: o.id } }) : null;
    if (!a)
      throw new AppError('NOT_FOUND', {
        zh: `异议 ${no} 下不存在附件 ${id}`,
        en: `No attachment ${id} on objection ${no}`,
      });
    await auditPersonalDataRead(db, req, 'Attachment', a.id, {
      objectionNo: no,
      download: true,
      sha256: a.sha256,
      sizeBytes: a.sizeBytes,
    });
    res.setHeader('Content-Type', a.mediaType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.fileName)}`);
    res.send(Buffer.from(a.content));
  });

  return router;
}
