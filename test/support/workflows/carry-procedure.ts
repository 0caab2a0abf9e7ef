/** A workflow that makes one step the way the procedures do, for the search attribute tests. */
import { condition, defineSignal, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { withCarriedProcedure } from '../../../workflows/kit/search';
import { SA } from '../../../workflows/search-attributes';

export const step = defineSignal('step');

export async function oneStep(): Promise<void> {
  let stepped = false;
  setHandler(step, () => {
    stepped = true;
  });
  await condition(() => stepped);
  upsertSearchAttributes(withCarriedProcedure([{ key: SA.Stage, value: 'NEXT' }]));
  await condition(() => false);
}
