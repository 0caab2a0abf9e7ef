/**
 * What the workflow kit and the `applyWrites` activity share about carried writes (see
 * workflows/kit/activities.ts): plain values only, so both sides can import it.
 */

/** An activity call the kit sends along with another one: its name and arguments. */
export interface CarriedCall {
  name: string;
  args: unknown[];
}

/** The failure type of a carried write that failed: the carrier after it did not run. */
export const CARRIED_WRITE_FAILED = 'CARRIED_WRITE_FAILED';
