import { insertOnce, type Db } from '../lib/db';
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

/**
 * Writes an audit row once: a retried activity finds its natural key taken and writes nothing.
 * Outside a transaction only (a taken key inside one would abort it: use createMany with
 * skipDuplicates there).
 */
export async function auditOnce(db: Db, entry: AuditEntry): Promise<void> {
  await insertOnce(() =>
    db.auditLog.create({ data: { ...entry, details: (entry.details ?? {}) as object }, select: { seq: true } }),
  );
}

export function auditActivities({ db }: ActivityDeps) {
  return {
    async recordAudit(entry: AuditEntry): Promise<void> {
      await auditOnce(db, entry);
    },
  };
}
