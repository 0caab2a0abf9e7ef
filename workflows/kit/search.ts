/** Search attribute updates every procedure makes the same way. */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SA } from '../search-attributes';
import { LOCAL_ACTIVITIES_PATCH } from './activities';

/**
 * A workflow started when the procedure attribute was still called `Procedure` gets
 * `CaseProcedure` with its next update, so supervisors' queries find running cases too.
 */
export function withCarriedProcedure(updates: SearchAttributeUpdatePair[]): SearchAttributeUpdatePair[] {
  const attrs = workflowInfo().typedSearchAttributes;
  const legacy = attrs.get(SA.LegacyProcedure);
  if (legacy === undefined || attrs.get(SA.Procedure) !== undefined) return updates;
  return [...updates, { key: SA.Procedure, value: legacy }];
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  return a === b;
}

/**
 * Upserts only the attributes whose value changes (one event, or none when nothing changed), so
 * a step that opens, decides and publishes again writes what moved. Cases started before keep
 * their upserts as recorded (the patch of the local activities, which came with this).
 */
export function upsertChanged(updates: SearchAttributeUpdatePair[]): void {
  if (!patched(LOCAL_ACTIVITIES_PATCH)) {
    upsertSearchAttributes(updates);
    return;
  }
  const current = workflowInfo().typedSearchAttributes;
  const changed = updates.filter((u) => !same(current.get(u.key), u.value));
  if (changed.length > 0) upsertSearchAttributes(changed);
}
