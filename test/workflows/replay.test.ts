/**
 * Procedures run for weeks, so a change to workflow code must still replay the histories of
 * procedures already running (otherwise guard it with `patched()`). Each fixture is the recorded
 * history of a procedure; `npm run record:histories` records them again after an intended change.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { ProcedureHarness } from '../support/procedures';

export const HISTORY_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json'));

describe('recorded procedure histories replay on the current workflow code', () => {
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    bundle = await ProcedureHarness.bundle();
  });

  it('has a recorded history of every workflow the worker registers', () => {
    const recorded = new Set(
      fixtures.map((file) => {
        const { history } = JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as {
          history: {
            events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }>;
          };
        };
        return history.events[0].workflowExecutionStartedEventAttributes?.workflowType?.name;
      }),
    );
    expect(Object.keys(workflows).filter((name) => !recorded.has(name))).toEqual([]);
  });

  it.each(fixtures)('%s', async (file) => {
    const { workflowId, history } = JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as {
      workflowId: string;
      history: unknown;
    };
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });
});
