/**
 * Calendar changes as a procedure sees them: a counter bumped by the `calendarChanged` signal or
 * Update (an operator loaded a year), so every deadline computed from the calendar knows when to
 * ask again. The Update is answered once the deadlines are recomputed. Module state is per
 * workflow execution.
 */
import { setHandler } from '@temporalio/workflow';
import { calendarChangedSignal, calendarChangedUpdate } from '../messages';
import { settle } from './settle';

let version = 0;
let listening = false;

/** Installs the signal handler once; every deadline of the procedure reads the same counter. */
export function listenForCalendarChanges(): void {
  if (listening) return;
  listening = true;
  setHandler(calendarChangedSignal, () => {
    version += 1;
  });
  setHandler(calendarChangedUpdate, async () => {
    version += 1;
    // Every deadline waiting on the calendar recomputes (an activity each), then the answer.
    await settle();
    return { calendarVersion: version };
  });
}

export function calendarVersion(): number {
  return version;
}
