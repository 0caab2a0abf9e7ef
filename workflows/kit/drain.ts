/**
 * A `condition` predicate that answers `false` the first time it is asked: `condition` asks at
 * once and then only between microtask drains, so at least one full drain (every coroutine the
 * same pass woke has had its turn) lies between the wait and the check.
 */
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
