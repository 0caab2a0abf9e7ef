/**
 * The audit trail for auditors (role AUDITOR in the data authority, and only them): reading it
 * with filters and verifying its hash chain (lib/audit-chain.ts). Both are themselves recorded in
 * the trail.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client';
import { verifyAuditChain } from '../../lib/audit-chain';
import { authorizeSignedIn } from '../access';
import type { ApiDeps } from '../deps';
import { digitsToNumber, fieldText, noQuery, parse } from '../errors';
import { auditRequest } from '../kit/audit';
import { documented } from '../openapi';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const instant = z
  .string()
  .regex(
    INSTANT,
    fieldText(
      '须为带 UTC 偏移的 ISO 8601 时刻，例如 2026-12-01T08:00:00+08:00',
      'must be an ISO 8601 instant with a UTC offset, e.g. 2026-12-01T08:00:00+08:00',
    ),
  )
  .refine((v) => Number.isFinite(Date.parse(v)), fieldText('不是真实存在的日期和时间', 'is not a real date and time'))
  .transform((v) => new Date(v));
const text = z.string().min(1).max(200);

export const AUDIT_PAGE_MAX = 200;

const auditQuery = z
  .object({
    actor: text.optional().describe('user id (or `system`, `anonymous`) that acted'),
    entityType: text.optional(),
    entityId: text.optional(),
    action: text.optional(),
    from: instant.optional().describe('rows at or after this instant'),
    to: instant.optional().describe('rows before this instant'),
    cursor: z
      .string()
      .regex(/^\d{1,19}$/, fieldText('须为上一页的 nextCursor', 'must be the nextCursor of the previous page'))
      .optional()
      .describe('nextCursor of the previous page: rows older than it'),
    limit: z
      .string()
      .regex(/^\d+$/, fieldText('须为正整数（仅数字）', 'must be a positive whole number (digits only)'))
      .transform(digitsToNumber)
      .pipe(z.number().int().min(1).max(AUDIT_PAGE_MAX))
      .default(50),
  })
  .strict();

const link = z.object({ seq: z.string(), hash: z.string() });
/** A page of GET /api/audit. */
const auditPageSchema = z.object({
  items: z.array(
    z.object({
      seq: z.string(),
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      entityType: z.string(),
      entityId: z.string(),
      details: z.unknown(),
      prevHash: z.string(),
      hash: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
/** lib/audit-chain.ts VerifyResult. */
const verifySchema = z.object({
  ok: z.boolean(),
  rowsChecked: z.number(),
  lastGood: link,
  head: link.nullable(),
  firstBroken: z
    .object({ seq: z.string(), kind: z.string(), expected: z.string(), found: z.string(), message: z.string() })
    .nullable(),
});

documented({
  method: 'get',
  path: '/api/audit',
  summary:
    'Audit trail, newest first, filtered by actor, entity, action and period; keyset-paged (AUDITOR of the data authority)',
  tags: ['audit'],
  auth: 'required',
  query: auditQuery,
  errors: ['FORBIDDEN'],
  response: auditPageSchema,
  responses: { 200: '{ items, nextCursor }', 403: 'Not an auditor' },
});
documented({
  method: 'get',
  path: '/api/audit/verify',
  summary: "Recomputes the audit trail's hash chain and names the first broken link (AUDITOR of the data authority)",
  tags: ['audit'],
  auth: 'required',
  errors: ['FORBIDDEN'],
  response: verifySchema,
  responses: { 200: '{ ok, rowsChecked, lastGood, head, firstBroken }', 403: 'Not an auditor' },
});

export function auditRouter(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/api/audit', async (req, res) => {
    authorizeSignedIn(req, 'audit');
    const q = parse(auditQuery, req.query, 'query');
    const where: Prisma.AuditLogWhereInput = {
      actor: q.actor,
      entityType: q.entityType,
      entityId: q.entityId,
      action: q.action,
      at: q.from || q.to ? { gte: q.from, lt: q.to } : undefined,
      seq: q.cursor ? { lt: BigInt(q.cursor) } : undefined,
    };
    const rows = await db.auditLog.findMany({ where, orderBy: { seq: 'desc' }, take: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const items = page.map((r) => ({
      seq: r.seq.toString(),
      at: r.at,
      actor: r.actor,
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      details: r.details,
      prevHash: r.prevHash,
      hash: r.hash,
    }));
    const nextCursor = rows.length > q.limit ? page[page.length - 1].seq.toString() : null;
    await auditRequest(db, req, {
      action: 'AUDIT_READ',
      entityType: 'AuditLog',
      entityId: 'query',
      details: { filters: req.query as Record<string, unknown>, returned: items.length },
    });
    res.json({ items, nextCursor });
  });

  router.get('/api/audit/verify', async (req, res) => {
    authorizeSignedIn(req, 'audit');
    noQuery(req.query);
    const result = await verifyAuditChain(db);
    await auditRequest(db, req, {
      action: 'AUDIT_VERIFIED',
      entityType: 'AuditLog',
      entityId: 'chain',
      details: { ok: result.ok, rowsChecked: result.rowsChecked, firstBroken: result.firstBroken?.seq ?? null },
    });
    res.json(result);
  });

  return router;
}
