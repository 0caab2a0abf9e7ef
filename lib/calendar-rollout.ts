/**
 * Calendar rollouts: a loaded year carried to the running procedures by a workflow
 * (workflows/calendar-rollout.ts), one per loaded version, so that the work survives the API or
 * the worker dying halfway and the load's request answers in seconds however many procedures the
 * change reaches. The API and the CLI start the rollout after the load has committed and follow it
 * for a while; the API's reconciler starts any that a crash between the two left unstarted.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { CalendarRolloutBeat } from '../activities/calendar';
import type { CalendarRolloutInput, calendarRolloutWorkflow } from '../workflows/calendar-rollout';
import type { CalendarNotifyProgress, CalendarNotifyReport } from './calendar-store';
import type { AppConfig } from './config';
import type { Db } from './db';

/** One rollout per loaded version of a year: a repeated start finds it instead of a second one. */
export function rolloutWorkflowId(year: number, loadedAt: Date | string): string {
  return `calendar-rollout:${year}:${typeof loadedAt === 'string' ? loadedAt : loadedAt.toISOString()}`;
}

export interface RolloutSettings {
  taskQueue: string;
  concurrency: number;
  answerTimeoutMs: number;
}

/** A rollout runs on the worker's queue, with the configured pace and answer timeout. */
export function rolloutSettings(
  config: Pick<AppConfig, 'TEMPORAL_TASK_QUEUE' | 'CALENDAR_NOTIFY_CONCURRENCY' | 'UPDATE_TIMEOUT_MS'>,
): RolloutSettings {
  return {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    concurrency: config.CALENDAR_NOTIFY_CONCURRENCY,
    answerTimeoutMs: config.UPDATE_TIMEOUT_MS,
  };
}

/** Where a rollout stands, as the API answers it. */
export interface RolloutStatus {
  workflowId: string;
  /**
   * DONE: every procedure told; RUNNING: on its way (or waiting for a worker); CANCELLED: a newer
   * load of the year replaced this version, and its own rollout tells the procedures; FAILED: gave up.
   */
  state: 'DONE' | 'RUNNING' | 'CANCELLED' | 'FAILED';
  /** Procedures the change can move; unknown until the rollout's first heartbeat. */
  targeted: number | null;
  /** Told so far: answered the Update (re-timed) or got the signal. */
  notified: number;
  retimed: number;
  signalled: number;
  /** Gone or completed meanwhile: nothing to tell. */
  gone: number;
  error?: string;
}

/** The counts of a rollout that has told nobody yet (or whose counts are lost). */
export const NO_COUNTS = { targeted: null, notified: 0, retimed: 0, signalled: 0, gone: 0 } as const;

/**
 * Starts the rollout of a loaded year, or finds it started (even finished) already; returns its id.
 * `replacing` names the version this load replaced: its rollout, if still running, is cancelled,
 * since every procedure recomputes against the calendar as loaded now and this rollout tells them
 * all. Best effort: an older rollout left running only repeats work.
 */
export async function startCalendarRollout(
  client: Client,
  year: number,
  loadedAt: Date | string,
  settings: RolloutSettings,
  replacing?: Date | string | null,
): Promise<string> {
  const workflowId = rolloutWorkflowId(year, loadedAt);
  const input: CalendarRolloutInput = {
    year,
    loadedAt: typeof loadedAt === 'string' ? loadedAt : loadedAt.toISOString(),
    concurrency: settings.concurrency,
    answerTimeoutMs: settings.answerTimeoutMs,
  };
  try {
    await client.workflow.start<typeof calendarRolloutWorkflow>('calendarRolloutWorkflow', {
      workflowId,
      taskQueue: settings.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `日历变更 ${year}（${input.loadedAt}）：通知在办程序重算办理时限`,
    });
  } catch (err) {
    // Finished already: this version of the year was carried out before.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const older = replacing ? rolloutWorkflowId(year, replacing) : null;
  if (older && older !== workflowId) {
    await client.workflow
      .getHandle(older)
      .cancel()
      // Ended already, or never started (a seeded version): nothing to stop.
      .catch(() => undefined);
  }
  return workflowId;
}

/** A rollout's counts from a notification's progress (its report, or a heartbeat of it). */
function counts(p: CalendarNotifyProgress, targeted: number | null) {
  return { targeted, notified: p.retimed + p.signalled, retimed: p.retimed, signalled: p.signalled, gone: p.gone };
}

function finished(workflowId: string, r: CalendarNotifyReport): RolloutStatus {
  return { workflowId, state: 'DONE', ...counts(r, r.targeted) };
}

/**
 * The rollout's state, waiting up to `waitMs` for it to finish first. Null if there is no such
 * rollout. While it runs, the counts are those of its last heartbeat (a few seconds behind).
 */
export async function calendarRolloutStatus(
  client: Client,
  workflowId: string,
  waitMs = 0,
): Promise<RolloutStatus | null> {
  const handle = client.workflow.getHandle<typeof calendarRolloutWorkflow>(workflowId);
  if (waitMs > 0) {
    try {
      return finished(workflowId, await client.withAbortSignal(AbortSignal.timeout(waitMs), () => handle.result()));
    } catch {
      // Not finished in time, failed, or not there: the description says which.
    }
  }
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const status = description.status.name;
  if (status === 'COMPLETED') return finished(workflowId, await handle.result());
  if (status === 'RUNNING') {
    const pending = description.raw.pendingActivities?.[0];
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    const beat = payload
      ? client.options.loadedDataConverter.payloadConverter.fromPayload<CalendarRolloutBeat>(payload)
      : undefined;
    const last = pending?.lastFailure?.message;
    return {
      workflowId,
      state: 'RUNNING',
      ...(beat ? counts(beat, beat.retimed + beat.signalled + beat.gone + beat.remaining) : NO_COUNTS),
      ...(last ? { error: `last attempt failed: ${last}` } : {}),
    };
  }
  if (status === 'CANCELLED') {
    return {
      workflowId,
      state: 'CANCELLED',
      ...NO_COUNTS,
      error: "cancelled: a newer load of the year replaced this version; that load's rollout tells the procedures",
    };
  }
  return {
    workflowId,
    state: 'FAILED',
    ...NO_COUNTS,
    error: `the rollout ended ${status}; load the year again to retry`,
  };
}

/**
 * Starts the rollout of every year loaded in the last `withinMs` (default a day) but more than
 * `olderThanMs` ago (default 30 s; younger loads are their own request's), if it was never
 * started: the process that loaded it died before it could. Seeded years are left out. A started or finished one is found,
 * not started again. `years` narrows it (an operator, a test). Returns the workflow ids of the
 * rollouts it looked at.
 */
export async function ensureCalendarRollouts(
  client: Client,
  db: Db,
  settings: RolloutSettings,
  opts: { withinMs?: number; olderThanMs?: number; years?: number[] } = {},
): Promise<string[]> {
  const now = Date.now();
  const years = await db.calendarYear.findMany({
    where: {
      // Seeded years were never a change: no procedure counted on another version of them.
      loadedBy: { not: 'seed' },
      ...(opts.years ? { year: { in: opts.years } } : {}),
      loadedAt: { gt: new Date(now - (opts.withinMs ?? 86_400_000)), lt: new Date(now - (opts.olderThanMs ?? 30_000)) },
    },
    select: { year: true, loadedAt: true },
    orderBy: { year: 'asc' },
  });
  const ids: string[] = [];
  for (const y of years) ids.push(await startCalendarRollout(client, y.year, y.loadedAt, settings));
  return ids;
}
