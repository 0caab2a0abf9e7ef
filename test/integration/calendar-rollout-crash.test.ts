/**
 * A calendar rollout survives a kill -9 of the worker running it: the production worker
 * (worker.ts) as a child process on a task queue of its own, against the suite's Postgres and
 * Temporal dev server. The worker is killed while the rollout's activity waits for a procedure's
 * answer; a worker started again takes the retried activity once the heartbeat timeout has noticed
 * the dead one, and every procedure the change can move is told once. Writes task rows of the test
 * year 2088 only (removed again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startOfShanghaiDay } from '../../domain/calendar';
import { calendarRolloutStatus, startCalendarRollout } from '../../lib/calendar-rollout';
import type { Db } from '../../lib/db';
import { connectTemporal, type TemporalHandle } from '../../lib/temporal';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { heartbeatTimeoutMs } from '../../workflows/calendar-rollout';
import { testDb, uniqueSuffix } from '../support/env';
import { openDeadlineTask, startUnpolledProbe } from '../support/calendar-probes';
import { recordHistory } from '../support/procedures';
import { type AppProcess, poll, startAppProcess, workerReady } from '../support/processes';

const YEAR = 2088;
/** Each procedure's answer is awaited this long before it is signalled: the window for the kill. */
const ANSWER_TIMEOUT_MS = 10_000;
const PENDING_ACTIVITY_STATE_STARTED = 2;

jest.setTimeout(5 * 60_000);

describe('kill -9 of the worker during a calendar rollout', () => {
  let db: Db;
  let temporal: TemporalHandle;
  let bundleDir: string;
  let env: NodeJS.ProcessEnv;
  const workers: AppProcess[] = [];
  const probes: string[] = [];

  beforeAll(async () => {
    db = testDb();
    temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'rollout-crash-'));
    const bundle = await buildWorkflowBundle(path.join(bundleDir, 'workflow-bundle.js'));
    env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      TEMPORAL_TASK_QUEUE: `rollout-crash-${uniqueSuffix()}`,
      SCHEDULES: 'off',
      WORKFLOW_BUNDLE_PATH: bundle.path,
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill9().catch(() => undefined)));
    await db.task.deleteMany({ where: { taskKey: { startsWith: 'rollout-crash-test:' } } });
    for (const id of probes)
      await temporal.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    await temporal.connection.close();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
    await db.$disconnect();
  });

  const startWorker = async (name: string) => {
    const w = startAppProcess(name, 'worker.ts', env);
    workers.push(w);
    await workerReady(w);
    return w;
  };

  it('a worker started again finishes the rollout: every procedure told once, by the retried activity', async () => {
    // Three running procedures with an open deadline in 2088; nobody runs them, so each Update
    // waits ANSWER_TIMEOUT_MS and the procedure is then signalled.
    for (let i = 0; i < 3; i++) {
      const id = `rollout-crash-test/${randomUUID()}`;
      await startUnpolledProbe(temporal.client, id);
      probes.push(id);
      await openDeadlineTask(db, 'rollout-crash-test', id, startOfShanghaiDay('2088-05-01'), {
        deadlineFrom: startOfShanghaiDay('2088-04-15'),
      });
    }
    const signals = async (id: string) =>
      ((await temporal.client.workflow.getHandle(id).fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'calendarChanged',
      ).length;

    const first = await startWorker('worker 1');
    const loadedAt = new Date();
    const settings = { taskQueue: env.TEMPORAL_TASK_QUEUE!, concurrency: 1, answerTimeoutMs: ANSWER_TIMEOUT_MS };
    const rollout = await startCalendarRollout(temporal.client, YEAR, loadedAt, settings);
    const handle = temporal.client.workflow.getHandle(rollout);
    // Its activity runs (and waits for the first procedure's answer): the kill lands there.
    await poll(
      async () => (await handle.describe()).raw.pendingActivities?.[0]?.state === PENDING_ACTIVITY_STATE_STARTED,
      'the rollout activity to start',
      { procs: [first] },
    );
    await first.kill9();
    expect(await calendarRolloutStatus(temporal.client, rollout)).toMatchObject({ state: 'RUNNING' });

    const second = await startWorker('worker 2');
    const report = await poll(
      async () => {
        const s = await calendarRolloutStatus(temporal.client, rollout);
        return s?.state === 'DONE' && s;
      },
      'the rollout to finish on the second worker',
      { timeoutMs: heartbeatTimeoutMs(settings) + 6 * ANSWER_TIMEOUT_MS, procs: [second] },
    );
    expect(report).toMatchObject({ targeted: 3, notified: 3, signalled: 3, retimed: 0, gone: 0 });
    for (const id of probes) expect(await signals(id)).toBe(1);
    // The activity that finished was a retry: the first attempt died with its worker.
    const history = await handle.fetchHistory();
    const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([2]);
    await recordHistory('calendar-rollout-after-worker-kill', handle);
  });
});
