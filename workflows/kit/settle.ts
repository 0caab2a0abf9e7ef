/**
 * Answering an Update with the state after it: a handler that changed what the procedure waits
 * for lets the procedure react first, and returns once no activity is in flight any more.
 *
 * Why two phases: `condition` evaluates its predicate at once and then only between microtask
 * drains, after other coroutines unblocked in the same pass have had no chance to run yet. A
 * predicate that answers `false` the first time it is asked makes sure at least one full drain
 * (the procedure's reaction) lies between the handler's change and the check.
 */
import { condition } from '@temporalio/workflow';
import { activitiesInFlight } from './activities';

export function afterOneDrain(predicate: () => boolean): () => boolean {
  let asked = false;
  return () => {
    if (!asked) {
      asked = true;
      return false;
    }
    return predicate();
  };
}

/** Waits until the procedure has reacted to the handler's change and has nothing in flight. */
export async function settle(alsoWaitFor: () => boolean = () => true): Promise<void> {
  await condition(afterOneDrain(() => true));
  await condition(afterOneDrain(() => activitiesInFlight() === 0 && alsoWaitFor()));
}

/** An Update handler that answers only once the procedure has carried its command through. */
export function answered<A extends unknown[], R>(handler: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const result = await handler(...args);
    await settle();
    return result;
  };
}
