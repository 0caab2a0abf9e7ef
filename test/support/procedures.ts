/**
 * Harness for procedure workflow tests: the time-skipping Temporal server, the real activities
 * on the real (seeded) Postgres, and a working-day calendar the test can swap.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { decisionUpdateId } from '../../api/kit/decisions';
import { chineseWorkdayYears, WorkingCalendar } from '../../domain/calendar';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { createLogger } from '../../lib/logger';
import { completeTaskUpdate, CompleteTaskResult, TaskActor } from '../../workflows/messages';
import { createTimeSkippingEnv, eventually, testDb, uniqueSuffix } from './env';

export const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function officialCalendar(): WorkingCalendar {
  return new WorkingCalendar(chineseWorkdayYears({ applyKnownCorrections: true }));
}

export class ProcedureHarness {
  calendar: WorkingCalendar = officialCalendar();
  /** What activities get under a procedure policy with countMakeupWorkdays = false. */
  noMakeupCalendar: WorkingCalendar = new WorkingCalendar(chineseWorkdayYears({ applyKnownCorrections: true }), {
    countMakeupWorkdays: false,
  });
  taskQueue = `tq-${uniqueSuffix()}`;
  private worker?: Worker;
  private running?: Promise<void>;

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly db: Db,
    readonly bundle: WorkflowBundleWithSourceMap,
  ) {}

  static bundle(): Promise<WorkflowBundleWithSourceMap> {
    return bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: silentLogger });
  }

  /**
   * `replayEveryTask` turns off the workflow cache, so every workflow task replays the whole
   * history, as after a crash (the Java test server does not move work off a stopped worker's
   * sticky queue, so restart tests run without one).
   */
  async startWorker(opts: { replayEveryTask?: boolean } = {}): Promise<void> {
    this.worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue,
      workflowBundle: this.bundle,
      ...(opts.replayEveryTask ? { maxCachedWorkflows: 0 } : {}),
      activities: createActivities({
        db: this.db,
        logger: createLogger('test', 'silent'),
        calendar: async (policy) => (policy?.countMakeupWorkdays === false ? this.noMakeupCalendar : this.calendar),
      }),
    });
    this.running = this.worker.run();
  }

  /** Simulates a worker crash/restart: the running procedure must continue on the next worker. */
  async stopWorker(): Promise<void> {
    this.worker?.shutdown();
    await this.running;
    this.worker = undefined;
  }

  /**
   * A crash and restart between two steps: once the workflows have nothing outstanding, the
   * worker stops and a new one without a workflow cache takes over, replaying every history.
   * (The test server hands a task to a poll of a stopping worker and loses it, so the restart
   * waits for a quiet moment; a real server would time the task out and give it to the new one.
   * Nor does it move work off a stopped worker's sticky queue: start the workflow after a first
   * `restartWorker([])`, so it never runs on a worker with a cache.)
   */
  async restartWorker(workflowIds: string[]): Promise<void> {
    await Promise.all(workflowIds.map((id) => settled(this.env.client, id)));
    await this.stopWorker();
    await this.startWorker({ replayEveryTask: true });
  }

  async actor(login: string): Promise<TaskActor> {
    const u = await this.db.user.findUniqueOrThrow({ where: { login } });
    return { userId: u.id, login: u.login, departmentId: u.departmentId, roles: u.roles };
  }

  /** An application row as the API would write it (the API test covers the HTTP side). */
  async application(
    procedure: 'CONDITIONAL_SHARE' | 'UNCONDITIONAL_SHARE',
    applicantDeptId: string,
    resourceCodes: string[],
  ) {
    const applicationNo = `T-${uniqueSuffix()}`;
    const id = newId();
    const resources = await this.db.dataResource.findMany({ where: { code: { in: resourceCodes } } });
    await this.db.application.create({
      data: {
        id,
        applicationNo,
        procedure,
        workflowId: `${procedure.toLowerCase().replace('_', '-')}/${applicationNo}`,
        idempotencyKey: applicationNo,
        applicantKey: `dept:${applicantDeptId}`,
        applicantDeptId,
        submittedById: `u-${applicantDeptId}.staff`,
        purpose: '核验低保对象家庭经济状况',
        legalDuty: '《社会救助暂行办法》第十一条',
        fieldsRequested: ['姓名'],
        usePeriodDays: 30,
        accessMode: 'INTERFACE',
        resources: { create: resources.map((r) => ({ resourceId: r.id })) },
      },
    });
    return {
      id,
      applicationNo,
      workflowId: `${procedure.toLowerCase().replace('_', '-')}/${applicationNo}`,
      providerDeptIds: [...new Set(resources.map((r) => r.providerId))],
    };
  }

  /** The open task of a step, once the workflow has created it. */
  openTask(workflowId: string, step: string, candidateDeptId?: string) {
    return eventually(
      async () =>
        (await this.db.task.findFirst({
          where: {
            workflowId,
            step,
            status: { in: ['OPEN', 'CLAIMED'] },
            ...(candidateDeptId ? { candidateDeptId } : {}),
          },
          orderBy: { createdAt: 'desc' },
        })) ?? undefined,
      `an open ${step} task in ${workflowId}`,
    );
  }

  /** Sends a decision on the step's open task as the API does: the Update id is the task id (and round). */
  async decide(
    workflowId: string,
    step: string,
    login: string,
    decision: string,
    extra: { reasons?: string; comment?: string; deptId?: string; updateId?: string } = {},
  ): Promise<CompleteTaskResult> {
    const actor = await this.actor(login);
    const task = await this.openTask(workflowId, step, extra.deptId ?? actor.departmentId ?? undefined);
    return this.env.client.workflow.getHandle(workflowId).executeUpdate(completeTaskUpdate, {
      args: [{ taskId: task.id, decision, reasons: extra.reasons, comment: extra.comment, actor }],
      updateId: extra.updateId ?? decisionUpdateId(task.id, task.decisionRound),
    });
  }
}

export interface ProcedureSuite {
  readonly env: TestWorkflowEnvironment;
  readonly db: Db;
  readonly h: ProcedureHarness;
  /** Registers a started workflow so it is ended after the test. */
  track<T extends { workflowId: string }>(handle: T): T;
  trackId(workflowId: string): void;
}

type TestClient = TestWorkflowEnvironment['client'];
const { EventType } = temporal.api.enums.v1;
const WORKFLOW_TASK_CLOSED = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
]);

/**
 * Whether a workflow has ended or has neither a workflow task nor an activity outstanding, and
 * its running children. The test server leaves `pendingWorkflowTask` out of describe, so the
 * history tells whether the last workflow task is still open.
 */
async function quietness(client: TestClient, workflowId: string): Promise<{ quiet: boolean; children: string[] }> {
  const handle = client.workflow.getHandle(workflowId);
  const d = await handle.describe().catch(() => undefined);
  if (!d || d.status.name !== 'RUNNING') return { quiet: true, children: [] };
  const children = (d.raw.pendingChildren ?? []).map((c) => c.workflowId!).filter(Boolean);
  if ((d.raw.pendingActivities?.length ?? 0) > 0) return { quiet: false, children };
  const events = (await handle.fetchHistory()).events ?? [];
  const lastTaskEvent = [...events]
    .reverse()
    .find(
      (e) =>
        e.eventType != null &&
        e.eventType >= EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED &&
        e.eventType <= EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    );
  return { quiet: !lastTaskEvent || WORKFLOW_TASK_CLOSED.has(lastTaskEvent.eventType!), children };
}

/** Waits until the workflow has no workflow task or activity outstanding (e.g. its first task is done). */
export async function settled(client: TestClient, workflowId: string): Promise<void> {
  await eventually(
    async () => (await quietness(client, workflowId)).quiet,
    `${workflowId} to finish its outstanding work`,
  );
}

/**
 * Terminates the workflows and their running children once all of them are quiet at the same
 * moment. The test server never releases the time-skipping lock that an outstanding workflow
 * task or activity holds when its workflow is terminated, so ending a busy workflow would stop
 * the clock for every later test in the file (seen in CI as all later tests timing out). With
 * the clock locked between tests and nothing sent, quiet workflows stay quiet until terminated.
 */
export async function endQuietly(client: TestClient, workflowIds: string[]): Promise<string[]> {
  const until = Date.now() + 30_000;
  for (;;) {
    const all = new Set(workflowIds);
    let busy: string | undefined;
    for (let pending = [...all]; pending.length > 0;) {
      const found = await Promise.all(pending.map(async (id) => ({ id, ...(await quietness(client, id)) })));
      busy ??= found.find((f) => !f.quiet)?.id;
      pending = found.flatMap((f) => f.children).filter((c) => !all.has(c));
      pending.forEach((c) => all.add(c));
    }
    if (!busy) {
      for (const id of all)
        await client.workflow
          .getHandle(id)
          .terminate('test finished')
          .catch(() => undefined);
      return [...all];
    }
    if (Date.now() > until)
      throw new Error(
        `${busy} still has a workflow task or activity outstanding after 30 s; terminating it would stop the time-skipping clock`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The jest hooks every procedure test file needs: one time-skipping server and workflow bundle
 * per file, a fresh worker per test, and every workflow a test started terminated after it (a
 * procedure left running would hold the time-skipping clock for the next test; the test server
 * does not apply parent-close policies, so `endQuietly` finds running children and ends them too).
 */
export function procedureSuite(): ProcedureSuite {
  let env: TestWorkflowEnvironment | undefined;
  let db: Db | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  let h: ProcedureHarness | undefined;
  const started: string[] = [];
  const suite: ProcedureSuite = {
    get env() {
      return env!;
    },
    get db() {
      return db!;
    },
    get h() {
      return h!;
    },
    track(handle) {
      started.push(handle.workflowId);
      return handle;
    },
    trackId(workflowId) {
      started.push(workflowId);
    },
  };
  beforeAll(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), ProcedureHarness.bundle()]);
    db = testDb();
  });
  afterAll(async () => {
    await db?.$disconnect();
    await env?.teardown();
  });
  beforeEach(async () => {
    h = new ProcedureHarness(env!, db!, bundle!);
    await h.startWorker();
  });
  afterEach(async () => {
    const ids = started.splice(0);
    try {
      const ended = await endQuietly(env!.client, ids);
      // Their inbox rows end with them: the database is shared with later files, and time-skipping
      // tests run years ahead, so a row left open would look like a far-future deadline there.
      await db!.task.updateMany({
        where: { workflowId: { in: ended }, status: { in: ['OPEN', 'CLAIMED'] } },
        data: { status: 'CANCELLED' },
      });
    } finally {
      await h?.stopWorker();
    }
  });
  return suite;
}

/** The workflow's typed rejection of an Update (what the API maps to an HTTP error), or undefined if accepted. */
export async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure)
      return err.cause.type ?? undefined;
    throw err;
  }
  return undefined;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The activity an event schedules: an activity task, or a local activity's marker (its `data` detail is JSON). */
export function activityName(e: HistoryEvent): string | undefined {
  const { EventType } = temporal.api.enums.v1;
  if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    return e.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined;
  const marker = e.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  if (!data) return undefined;
  return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type;
}

/** The activities of a history in order, remote and local. */
export function activityNames(events: HistoryEvent[]): string[] {
  return events.map(activityName).filter((n): n is string => n !== undefined);
}

/** `npm run record:histories` keeps finished procedures' histories as replay fixtures (see replay.test.ts). */
export async function recordHistory(
  name: string,
  handle: { workflowId: string; fetchHistory(): Promise<Parameters<typeof historyToJSON>[0]> },
): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  // The workflow id is kept too: procedures derive child workflow ids from it.
  const history: unknown = JSON.parse(historyToJSON(await handle.fetchHistory()));
  writeFileSync(
    path.join(__dirname, '..', 'fixtures', 'histories', `${name}.json`),
    JSON.stringify({ workflowId: handle.workflowId, history }),
  );
}
