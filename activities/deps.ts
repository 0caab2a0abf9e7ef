import { AsyncLocalStorage } from 'node:async_hooks';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Prisma } from '../generated/prisma/client';
import type { WorkingCalendar } from '../domain/calendar';
import { WORKFLOW_NOW_FIELD } from '../workflows/workflow-clock';

export interface CalendarPolicyInput {
  countMakeupWorkdays?: boolean;
  /** A drill (演练): one working day of a task's limit lasts this long ("1 minute"); see domain/drill-time.ts. */
  drillWorkingDay?: string;
}
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

/** What activities need from the outside; the worker passes real ones, tests what they need. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  /**
   * The working-day calendar as stored now (cached; rebuilt when an operator reloads a year),
   * under the procedure's calendar policy (e.g. whether 调休 makeup days count).
   */
  calendar?: (policy?: CalendarPolicyInput) => Promise<WorkingCalendar>;
  now?: () => Date;
  /** Art. 32 ¶2: the 网信部门 contact incident reports are sent to (CYBERSPACE_REPORT_EMAIL). */
  cyberspaceReportTo?: string;
}

/** The workflow's clock a local activity was asked at (see domain/workflow-clock.ts). */
const workflowClock = new AsyncLocalStorage<number>();

/**
 * "Now" for an activity is when the server scheduled its current attempt: the same clock the
 * workflow's timers run on (which the time-skipping test server moves), and in production a
 * moment before the wall clock. A local activity's attempts are scheduled by the worker, so its
 * now is the workflow's clock when it asked, plus the time its retries took. Outside an activity
 * it is the wall clock.
 */
export function activityNow(): Date {
  try {
    const info = Context.current().info;
    const askedAtMs = workflowClock.getStore();
    if (info.isLocal && askedAtMs !== undefined)
      return new Date(askedAtMs + Math.max(0, info.currentAttemptScheduledTimestampMs - info.scheduledTimestampMs));
    return new Date(info.currentAttemptScheduledTimestampMs);
  } catch {
    return new Date();
  }
}

/** The ApplicationFailure type of a row an activity needs that does not exist. */
export const NOT_FOUND_FAILURE = 'NOT_FOUND';

/**
 * A row an activity reads by id is there or it never will be (ids come from the workflow, and
 * rows are not deleted), so Prisma's "not found" (P2025, from findUniqueOrThrow and the like)
 * becomes a non-retryable failure the workflow sees at once, instead of a retry loop. Every other
 * error is left as it is, retried under the proxy's bounded policy.
 */
export function notFoundIsFinal(err: unknown): unknown {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025')
    return ApplicationFailure.create({
      type: NOT_FOUND_FAILURE,
      message: err.message.split('\n').filter(Boolean).pop() ?? 'Record not found',
      nonRetryable: true,
      cause: err,
    });
  return err;
}

type AsyncFunction = (...args: never[]) => Promise<unknown>;

/** The workflow's clock a local activity's input carries, taken off the input. */
function takeWorkflowClock(args: never[]): { args: never[]; askedAtMs?: number } {
  const [first, ...rest] = args as unknown[];
  if (!first || typeof first !== 'object' || !(WORKFLOW_NOW_FIELD in first)) return { args };
  const { [WORKFLOW_NOW_FIELD]: askedAtMs, ...input } = first as Record<string, unknown>;
  return { args: [input, ...rest] as never[], askedAtMs: typeof askedAtMs === 'number' ? askedAtMs : undefined };
}

/**
 * Wraps every activity of a set with `notFoundIsFinal`; names and types are unchanged. A local
 * activity runs on the workflow's clock it was asked at (see `activityNow`).
 */
export function withFinalNotFound<T extends Record<string, AsyncFunction>>(activities: T): T {
  const wrapped: Record<string, AsyncFunction> = {};
  for (const [name, run] of Object.entries(activities))
    wrapped[name] = async (...given) => {
      const { args, askedAtMs } = takeWorkflowClock(given);
      try {
        return askedAtMs === undefined ? await run(...args) : await workflowClock.run(askedAtMs, () => run(...args));
      } catch (err) {
        throw notFoundIsFinal(err);
      }
    };
  return wrapped as T;
}
