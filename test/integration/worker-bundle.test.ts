/**
 * The production worker's workflow code: `npm run build:workflows` (scripts/build-workflow-bundle.ts)
 * writes a bundle that a real Worker loads with `workflowBundle: { codePath }` and runs a production
 * workflow from, against the suite's Temporal dev server; worker.ts loads that file when
 * WORKFLOW_BUNDLE_PATH is set and refuses to start, in one line, when the file is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { GrantSummary } from '../../activities/grants';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { SA } from '../../workflows/search-attributes';
import { uniqueSuffix } from '../support/env';

const ROOT = path.join(__dirname, '..', '..');
const WORKER_ENTRY = path.join(ROOT, 'worker.ts');

type Fakes = Pick<Activities, 'grantUnconditionalAccess' | 'recordAudit' | 'notify'>;

let dir: string;
let codePath: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-bundle-'));
  const built = await buildWorkflowBundle(path.join(dir, 'nested', 'workflow-bundle.js'));
  codePath = built.path;
  expect(statSync(codePath).size).toBe(built.bytes);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('prebuilt workflow bundle', () => {
  it('runs a production workflow on a worker that loads the bundle file', async () => {
    const calls: Array<[string, unknown]> = [];
    const summary: GrantSummary = {
      applicationNo: 'GX-BUNDLE-1',
      granteeName: '市人社局',
      applicantRecipients: [{ email: 'rsj.staff@example.test', name: '人社局经办人' }],
      providerRecipients: [{ email: 'gaj.reviewer@example.test', name: '公安局审核人' }],
      resources: [{ code: 'GAJ-002', name: '户籍人口基本信息', provider: '市公安局' }],
    };
    const fakes: Fakes = {
      async grantUnconditionalAccess(input) {
        calls.push(['grantUnconditionalAccess', input]);
        return summary;
      },
      async recordAudit(entry) {
        calls.push(['recordAudit', entry]);
      },
      async notify(input) {
        calls.push(['notify', input]);
        return input.recipients.length;
      },
    };

    const taskQueue = `bundle-${uniqueSuffix()}`;
    const nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    try {
      const worker = await Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowBundle: { codePath },
        activities: fakes,
      });
      const client = new Client({ connection });
      const workflowId = `unconditional-share/GX-BUNDLE-${uniqueSuffix()}`;
      const input = { applicationId: 'app-bundle-1', applicationNo: summary.applicationNo, actorUserId: 'user-rsj' };
      const result = await worker.runUntil(
        client.workflow.execute('unconditionalShareWorkflow', { taskQueue, workflowId, args: [input] }),
      );

      expect(result).toEqual({ status: 'APPROVED' });
      expect(calls.map(([name]) => name)).toEqual(['grantUnconditionalAccess', 'recordAudit', 'notify', 'notify']);
      expect(calls[0][1]).toEqual({ applicationId: 'app-bundle-1' });
      expect(calls[1][1]).toMatchObject({ auditKey: 'GX-BUNDLE-1:granted', action: 'ACCESS_GRANTED' });
      expect(calls.slice(2).map(([, notice]) => (notice as { eventKey: string }).eventKey)).toEqual([
        'GX-BUNDLE-1:granted:applicant',
        'GX-BUNDLE-1:granted:provider',
      ]);
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.typedSearchAttributes.get(SA.Stage)).toBe('DONE');
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  });

  /** worker.ts in its own process, as `npm run worker` runs it (tsx), on a task queue of its own. */
  function workerEnv(bundlePath: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      TEMPORAL_TASK_QUEUE: `bundle-${uniqueSuffix()}`,
      LOG_LEVEL: 'info',
    };
  }

  it('worker.ts starts on the bundle named by WORKFLOW_BUNDLE_PATH', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: ROOT,
      env: workerEnv(codePath),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker.ts did not start in time:\n${output}`)), 60_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          for (const line of output.split('\n')) {
            if (!line.includes('"worker started"')) continue;
            clearTimeout(timer);
            resolve(JSON.parse(line) as Record<string, unknown>);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`worker.ts exited with ${code} before starting:\n${output}`));
        });
      });
      expect(started.workflows).toBe(codePath);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('worker.ts refuses to start, in one line, when WORKFLOW_BUNDLE_PATH names no file', () => {
    const missing = path.join(dir, 'missing', 'workflow-bundle.js');
    const run = spawnSync(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: ROOT,
      env: workerEnv(missing),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      `worker: WORKFLOW_BUNDLE_PATH=${missing} is not a file (build it with: npm run build:workflows)`,
    ]);
  });
});
