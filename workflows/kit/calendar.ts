/**
 * Calendar changes as a procedure sees them: a counter bumped by the `calendarChanged` signal
 * (an operator loaded a year), so every deadline computed from the calendar knows when to ask
 * again. Module state is per workflow execution.
 */
import { setHandler } from '@temporalio/workflow';
import { calendarChangedSignal } from '../messages';

let version = 0;
let listening = false;

/** Installs the signal handler once; every deadline of the procedure reads the same counter. */
export function listenForCalendarChanges(): void {
  if (listening) return;
  listening = true;
  setHandler(calendarChangedSignal, () => {
    version += 1;
  });
}

export function calendarVersion(): number {
  return version;
}
