/**
 * The procedure policy in force at a moment: every real (non-drill) version effective by then,
 * merged, and a drill's own version over them when a drill names one.
 */
import { mergePolicy, type ProcedurePolicy } from '../domain/policy';
import type { Db } from './db';

export async function policyInForce(db: Db, atMs: number, drill?: { values: unknown }): Promise<ProcedurePolicy> {
  // A drill policy is never in force for real cases (a drill names its own).
  const versions = await db.policyVersion.findMany({
    where: { effectiveFrom: { lte: new Date(atMs) }, drill: false },
    orderBy: { effectiveFrom: 'asc' },
  });
  const values = versions.map((v) => v.values as Record<string, unknown>);
  if (!drill) return mergePolicy(values);
  return mergePolicy([...values, drill.values as Record<string, unknown>], { drill: true });
}
