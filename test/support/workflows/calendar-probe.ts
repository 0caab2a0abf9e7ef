/**
 * A procedure reduced to one movable deadline that a calendar change recomputes (an activity of
 * the kit, as the inbox tasks' recompute is), for the calendar notification tests.
 */
import { defineQuery, setHandler } from '@temporalio/workflow';
import { acts } from '../../../workflows/kit/activities';
import { MovableDeadline } from '../../../workflows/kit/deadline';

export const recomputesQuery = defineQuery<number>('recomputes');

export async function calendarProbe(): Promise<void> {
  let recomputes = 0;
  setHandler(recomputesQuery, () => recomputes);
  const deadline = new MovableDeadline(null, {
    recompute: async () => {
      await acts.nextWorkingDayStart({ afterMs: Date.now(), workingDays: 1 });
      recomputes += 1;
      // Null: the probe keeps waiting for the next change.
      return null;
    },
  });
  await deadline.wait();
}
