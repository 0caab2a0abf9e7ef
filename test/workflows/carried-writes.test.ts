/**
 * The kit's carried writes (workflows/kit/activities.ts) on the time-skipping server: a decision's
 * record and a stage's record wait for the procedure's next local activity and run in one
 * `applyWrites` before it, in the order asked; nothing is lost when no call comes, when the
 * procedure ends, when the next call is a remote activity or is cancelled; a failed write fails
 * the procedure. The activities here only log what they are asked, in order.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { carriedWrites } from '../../activities';
import { createTimeSkippingEnv, uniqueSuffix } from '../support/env';
import { activityNames, silentLogger } from '../support/procedures';

jest.setTimeout(120_000);

describe('carried writes: a step records itself with its next call', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `carried-${uniqueSuffix()}`;
  const log: string[] = [];

  const activities = {
    async recordTaskDecision(input: { taskId: string }) {
      log.push(`decision ${input.taskId}`);
    },
    async setApplicationStatus(input: { applicationId: string }) {
      if (input.applicationId === 'fail')
        throw ApplicationFailure.nonRetryable('application fail not found', 'NOT_FOUND');
      log.push(`status ${input.applicationId}`);
    },
    async nextWorkingDayStart(input: { workingDays: number }) {
      if (input.workingDays < 0) throw ApplicationFailure.nonRetryable('no such day', 'VALIDATION_FAILED');
      log.push(`next ${input.workingDays}`);
      return input.workingDays;
    },
    async loadPolicy() {
      log.push('policy');
      return {};
    },
  };

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('../support/workflows/carried-writes'),
        logger: silentLogger,
      }),
      activities: {
        ...activities,
        applyWrites: carriedWrites(activities as unknown as Record<string, (...args: never[]) => Promise<unknown>>),
      },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });
  beforeEach(() => {
    log.length = 0;
  });

  const run = (workflow: string) =>
    env.client.workflow.start(workflow, { taskQueue, workflowId: `${workflow}-${uniqueSuffix()}` });

  it('two writes and the call after them are one local activity, in the order asked', async () => {
    const handle = await run('carried');
    expect(await handle.result()).toBe('carrier'.length);
    expect(log).toEqual(['decision t1', 'status a1', `next ${'carrier'.length}`]);
    expect(activityNames((await handle.fetchHistory()).events ?? [])).toEqual(['applyWrites']);
  });

  it('a write nothing carries goes before the procedure waits', async () => {
    const handle = await run('alone');
    // No time is skipped while the test does not wait for the result: the timer has not fired.
    const history = async () => activityNames((await handle.fetchHistory()).events ?? []);
    for (let i = 0; i < 100 && (await history()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await history()).toEqual(['applyWrites']);
    expect(log).toEqual(['status a2']);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('done');
  });

  it('a write the procedure ends with is sent before it completes', async () => {
    const handle = await run('last');
    await handle.result();
    expect(log).toEqual([`next ${'first'.length}`, 'status a3']);
  });

  it('a remote activity after a write waits for the write', async () => {
    const handle = await run('beforeRemote');
    await handle.result();
    expect(log).toEqual(['status a4', 'policy']);
    expect(activityNames((await handle.fetchHistory()).events ?? [])).toEqual(['applyWrites', 'loadPolicy']);
  });

  it('a cancelled carrier does not run, the write before it does', async () => {
    const handle = await run('cancelledCarrier');
    expect(await handle.result()).toBe('cancelled');
    expect(log).toEqual(['status a5']);
  });

  it('a failed write fails the procedure at its next call', async () => {
    const handle = await run('failing');
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as Error & { cause?: Error };
    expect(`${cause.message} ${cause.cause?.message}`).toContain('application fail not found');
    expect(log).toEqual([]);
  });

  it('a carrier that fails on its own fails only its caller: the write before it stands, later calls go on', async () => {
    const handle = await run('carrierFails');
    expect(await handle.result()).toBe('carrier failed, then went on');
    expect(log).toEqual(['status a6', `next ${'again'.length}`]);
  });
});
