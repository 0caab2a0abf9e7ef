/**
 * How a change to workflow code stays compatible with running cases (README: "Changing workflow
 * code"): a history recorded on version 1 replays on version 2 when the new step is guarded with
 * `patched()`, and fails to replay when it is not; new cases take the new step.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, uniqueSuffix } from '../support/env';

const version = (file: string) => require.resolve(`./versioning/${file}`);

describe('changing workflow code with patched()', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function run(file: string): Promise<{ notices: string[]; history: unknown }> {
    const notices: string[] = [];
    const taskQueue = `versioning-${uniqueSuffix()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: version(file),
      activities: {
        notice: async (text: string) => {
          notices.push(text);
        },
      },
    });
    const history = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('noticeWorkflow', {
        workflowId: `notice-${uniqueSuffix()}`,
        taskQueue,
      });
      await handle.result();
      return handle.fetchHistory();
    });
    return { notices, history };
  }

  it('a case recorded on version 1 replays on the patched version 2, not on an unguarded one; new cases take the new step', async () => {
    const v1 = await run('notice-v1.ts');
    expect(v1.notices).toEqual(['received', 'decided']);
    await expect(
      Worker.runReplayHistory({ workflowsPath: version('notice-v2-patched.ts') }, v1.history),
    ).resolves.toBeUndefined();
    await expect(
      Worker.runReplayHistory({ workflowsPath: version('notice-v2-unguarded.ts') }, v1.history),
    ).rejects.toThrow(DeterminismViolationError);
    expect((await run('notice-v2-patched.ts')).notices).toEqual(['received', 'acknowledged', 'decided']);
  });
});
