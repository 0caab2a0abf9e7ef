/**
 * Audit records the API writes about requests themselves: reads of personal data, exports
 * (downloads) and refused requests (401/403). Each is written in the request, before the answer:
 * a read whose record cannot be written fails (the error handler answers it) rather than
 * handing out data nobody will know was read.
 */
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Db } from '../../lib/db';

/** Actions of records about reading, exporting or being refused (they change nothing else). */
export const REQUEST_AUDIT_ACTIONS = [
  'PERSONAL_DATA_READ',
  'EXPORT_DOWNLOADED',
  'REQUEST_DENIED',
  'AUDIT_READ',
  'AUDIT_VERIFIED',
] as const;
export type RequestAuditAction = (typeof REQUEST_AUDIT_ACTIONS)[number];

const MAX_PATH = 500;

function requestFacts(req: Request) {
  const path = (req.originalUrl ?? req.url).split('?')[0].slice(0, MAX_PATH);
  return { method: req.method, path, requestId: String(req.id ?? ''), ip: req.ip ?? null };
}

/** Who made the request, as the audit names actors: the user id, or `anonymous`. */
export function requestActor(req: Request): string {
  return req.principal?.userId ?? 'anonymous';
}

export interface RequestAuditEntry {
  action: RequestAuditAction;
  entityType: string;
  entityId: string;
  details?: Record<string, unknown>;
}

/** One audit row for this request (a fresh key: every read is its own event). */
export async function auditRequest(db: Db, req: Request, entry: RequestAuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      auditKey: `request:${randomUUID()}`,
      actor: requestActor(req),
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      details: { ...requestFacts(req), ...(entry.details ?? {}) },
    },
  });
}

/** A read of personal data (ID numbers, contact details, objection facts and evidence). */
export function auditPersonalDataRead(
  db: Db,
  req: Request,
  entityType: string,
  entityId: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  return auditRequest(db, req, { action: 'PERSONAL_DATA_READ', entityType, entityId, details });
}

/** A download or export of data (open data files, evidence files, registers). */
export function auditExport(
  db: Db,
  req: Request,
  entityType: string,
  entityId: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  return auditRequest(db, req, { action: 'EXPORT_DOWNLOADED', entityType, entityId, details });
}

/** A refused request: method and path, the status and code it got, and who asked if known. */
export function auditDenied(db: Db, req: Request, status: number, code: string): Promise<void> {
  const { method, path } = requestFacts(req);
  return auditRequest(db, req, {
    action: 'REQUEST_DENIED',
    entityType: 'HttpRequest',
    entityId: `${method} ${path}`,
    details: { status, code },
  });
}
