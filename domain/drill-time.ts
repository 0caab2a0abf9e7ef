/**
 * Working days in a drill (演练): a drill policy version may say how long one working day of an
 * inbox task's limit lasts (`drillWorkingDay`, e.g. "1 minute"). Tasks of the drill case then run
 * on this calendar of equal, back-to-back "working days" instead of the Chinese working-day
 * calendar: a limit of N is due N of them after the task opens, the warning k of them before,
 * overdue reminders and escalation count them the same way. Pure.
 */
import type { DeadlineResult } from './calendar';
import { shanghaiDate } from './calendar';
import { parsePolicyPeriod, periodMs } from './tender-rules';

/** The length of a drill working day in ms, or null when there is none (a real case). Throws on a bad value. */
export function drillWorkingDayMs(text: string | undefined): number | null {
  if (!text) return null;
  const ms = periodMs(parsePolicyPeriod(text));
  if (ms === null) throw new Error(`drillWorkingDay "${text}" must be a fixed length such as "1 minute"`);
  return ms;
}

/** What the inbox needs of a calendar: a deadline N working days after an instant, and working days between two. */
export interface TaskCalendar {
  deadline(receivedAt: Date, workingDays: number, opts?: { warningWorkingDaysBefore?: number }): DeadlineResult;
  workingDaysBetween(from: Date, to: Date): number;
}

export class DrillCalendar implements TaskCalendar {
  constructor(readonly dayMs: number) {}

  deadline(receivedAt: Date, workingDays: number, opts?: { warningWorkingDaysBefore?: number }): DeadlineResult {
    const k = Math.min(opts?.warningWorkingDaysBefore ?? 1, workingDays);
    const deadlineAt = new Date(receivedAt.getTime() + workingDays * this.dayMs);
    return {
      dueDate: shanghaiDate(deadlineAt),
      deadlineAt,
      warningAt: new Date(deadlineAt.getTime() - k * this.dayMs),
      provisional: false,
      provisionalYears: [],
    };
  }

  /** Whole drill working days from `from` to `to` (negative if to < from). */
  workingDaysBetween(from: Date, to: Date): number {
    const d = to.getTime() - from.getTime();
    return d >= 0 ? Math.floor(d / this.dayMs) : -Math.floor(-d / this.dayMs);
  }

  /** When the next overdue reminder goes out: `workingDays` of them after `afterMs`. */
  nextWorkingDayStart(afterMs: number, workingDays: number): number {
    return afterMs + workingDays * this.dayMs;
  }
}

/** The drill calendar a procedure's calendar policy asks for, or null (a real case: the working-day calendar). */
export function drillCalendarFor(policy?: { drillWorkingDay?: string }): DrillCalendar | null {
  const ms = drillWorkingDayMs(policy?.drillWorkingDay);
  return ms === null ? null : new DrillCalendar(ms);
}
