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
      await db.auditLog.createMany({
        data: [{ ...entry, details: (entry.details ?? {}) as object }],
        skipDuplicates: true,
      });
    },
  };
}
