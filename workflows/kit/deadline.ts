/**
 * The one movable deadline of every procedure: inbox tasks, incident hour limits, tender windows
 * and grant terms wait on it. It moves when the procedure moves it (a pause, a changed
 * announcement), and when the working-day calendar changes it asks `recompute` again.
 */
import { condition } from '@temporalio/workflow';
import { calendarVersion, listenForCalendarChanges } from './calendar';

export interface DeadlineOptions {
  /** Computes the deadline again after a calendar change (an activity); null = no deadline now. */
  recompute?: () => Promise<number | null>;
}

export class MovableDeadline {
  private version = 0;
  private calendarSeen: number;

  constructor(
    private dueAtMs: number | null,
    private readonly options: DeadlineOptions = {},
  ) {
    listenForCalendarChanges();
    this.calendarSeen = calendarVersion();
  }

  get atMs(): number | null {
    return this.dueAtMs;
  }

  /** Moves the deadline (null: the clock stands still); a running `wait` follows at once. */
  move(atMs: number | null): void {
    this.dueAtMs = atMs;
    this.version += 1;
  }

  passed(): boolean {
    return this.dueAtMs !== null && Date.now() >= this.dueAtMs;
  }

  /**
   * Waits until the deadline passes ('due') or `until` holds ('done'), following every move and
   * calendar change meanwhile. `until` is checked first, so an answer at the deadline wins.
   */
  async wait(until: () => boolean = () => false): Promise<'due' | 'done'> {
    for (;;) {
      if (until()) return 'done';
      if (this.options.recompute && calendarVersion() !== this.calendarSeen) {
        // Seen before recomputing: a change arriving meanwhile triggers one more round.
        this.calendarSeen = calendarVersion();
        this.move(await this.options.recompute());
        continue;
      }
      if (this.passed()) return 'due';
      const seen = this.version;
      const woken = () =>
        until() ||
        this.version !== seen ||
        (this.options.recompute !== undefined && calendarVersion() !== this.calendarSeen);
      if (this.dueAtMs === null) await condition(woken);
      else await condition(woken, Math.max(1, this.dueAtMs - Date.now()));
    }
  }
}
