/** Search attribute updates every procedure makes the same way. */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import { SA } from '../search-attributes';

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
