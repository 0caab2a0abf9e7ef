import { insertOnce } from '../lib/db';
import type { ActivityDeps } from './deps';

export interface AuditEntry {
  /** Natural key of the event, so a retried activity writes one row. */
  auditKey: string;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  details?: Record<string, unknown>;
}

export function auditActivities({ db }: ActivityDeps) {
  return {
    async recordAudit(entry: AuditEntry): Promise<void> {
      await insertOnce(() =>
        db.auditLog.create({ data: { ...entry, details: (entry.details ?? {}) as object }, select: { seq: true } }),
      );
    },
  };
}
