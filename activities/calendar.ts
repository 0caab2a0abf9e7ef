import { Context } from '@temporalio/activity';
import { type CalendarNotifyProgress, type CalendarNotifyReport, notifyCalendarChanged } from '../lib/calendar-store';
import type { CalendarRolloutInput } from '../workflows/calendar-rollout';
import type { ActivityDeps } from './deps';

/** What a rollout's heartbeat carries: where a retry goes on from, and the procedures still to tell. */
export interface CalendarRolloutBeat extends CalendarNotifyProgress {
  remaining: number;
}

export function calendarActivities(deps: ActivityDeps) {
  return {
    /**
     * The calendar rollout's one activity: notifyCalendarChanged through the worker's own client,
     * going on after the procedures an earlier attempt had finished (its last heartbeat). Telling a
     * procedure twice is harmless (the same Update id; a recompute writes the same row).
     */
    async tellCalendarChange(input: CalendarRolloutInput): Promise<CalendarNotifyReport> {
      const ctx = Context.current();
      const resume = ctx.info.heartbeatDetails as CalendarRolloutBeat | undefined;
      const report = await notifyCalendarChanged(
        ctx.client,
        deps.db,
        input.year,
        input.loadedAt,
        (line, level) => deps.logger[level ?? 'info']({ year: input.year, loadedAt: input.loadedAt }, line),
        {
          concurrency: input.concurrency,
          answerTimeoutMs: input.answerTimeoutMs,
          resume,
          signal: ctx.cancellationSignal,
          onProgress: (progress, remaining) => ctx.heartbeat({ ...progress, remaining } satisfies CalendarRolloutBeat),
        },
      );
      // Cancelled (the rollout was cancelled or its worker is shutting down): not finished.
      ctx.cancellationSignal.throwIfAborted();
      const before = resume ? resume.retimed + resume.signalled + resume.gone : 0;
      return { ...report, targeted: before + report.targeted };
    },
  };
}
