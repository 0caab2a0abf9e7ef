/** The procedure policy in force at a moment: every real (non-drill) version effective by then, merged. */
import { mergePolicy, type ProcedurePolicy } from '../domain/policy';
import type { Db } from './db';

export async function policyInForce(db: Db, atMs: number): Promise<ProcedurePolicy> {
  // A drill policy is never in force for real cases (a drill names its own: loadDrillPolicy).
  const versions = await db.policyVersion.findMany({
    where: { effectiveFrom: { lte: new Date(atMs) }, drill: false },
    orderBy: { effectiveFrom: 'asc' },
  });
  return mergePolicy(versions.map((v) => v.values as Record<string, unknown>));
}
