/**
 * The supervisors' Temporal queries in the README run against a real dev server, and find what
 * they claim to: a running conditional share by procedure and by the department that must act.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from '../../lib/db';
import { SA } from '../../workflows/search-attributes';
import { signedIn } from '../support/http';
import { eventually, testApp, testDb, uniqueSuffix } from '../support/env';
import { startTestWorker, TestWorker } from '../support/worker';
import { step } from '../support/workflows/carry-procedure';

function readmeQueries(): string[] {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Supervision in the Temporal Web UI'));
  const block = /```\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no query block in the supervision section');
  return block[1].split('\n').filter((l) => l.trim() !== '');
}

describe('supervisors’ search attributes and queries (Temporal dev server)', () => {
  let db: Db;
  let worker: TestWorker;
  let client: Client;
  let api: ReturnType<typeof testApp>;
  const http = signedIn(() => api.app);

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    api = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue });
    client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    await db?.$disconnect();
  });

  const list = async (query: string) => {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids;
  };

  it.each(readmeQueries())('the README query %s is accepted unquoted', async (query) => {
    await expect(list(query)).resolves.toBeInstanceOf(Array);
  });

  it('a running conditional share is found by procedure, stage and the department that must act', async () => {
    const res = await http.post('rsj.staff', '/api/applications', {
      idempotencyKey: `sa-${uniqueSuffix()}`,
      resourceCodes: ['GAJ-001'],
      purpose: '核验社会保险待遇领取人员户籍状态',
      legalDuty: '《社会保险法》第八十一条',
      fieldsRequested: ['姓名'],
      usePeriodDays: 30,
      accessMode: 'INTERFACE',
    });
    expect(res.status).toBe(201);
    const no: string = res.body.applicationNo;
    const workflowId = `conditional-share/${no}`;
    const query = `ExecutionStatus = "Running" AND CaseProcedure = "CONDITIONAL_SHARE" AND ActingDepts = "gaj" AND ApplicationNo = "${no}"`;
    expect(await eventually(async () => (await list(query)).length > 0 && list(query), query, 30_000)).toEqual([
      workflowId,
    ]);
    // The applicant does not act now: the same query for its department finds nothing.
    expect(await list(query.replace('ActingDepts = "gaj"', 'ActingDepts = "rsj"'))).toEqual([]);
    const d = await client.workflow.getHandle(workflowId).describe();
    expect(d.typedSearchAttributes.get(SA.ActingDepts)).toEqual(['gaj']);
    expect(d.typedSearchAttributes.get(SA.LegacyProcedure)).toBeUndefined();
    await http.post('rsj.staff', `/api/applications/${no}/withdraw`, { reason: '测试结束' });
  });

  it('a workflow started with the old `Procedure` attribute gets CaseProcedure on its next step', async () => {
    const taskQueue = `sa-${uniqueSuffix()}`;
    const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const w = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../support/workflows/carry-procedure'),
    });
    await w.runUntil(async () => {
      const handle = await client.workflow.start('oneStep', {
        taskQueue,
        workflowId: `legacy-${uniqueSuffix()}`,
        typedSearchAttributes: [{ key: SA.LegacyProcedure, value: 'OBJECTION' }],
      });
      expect((await handle.describe()).typedSearchAttributes.get(SA.Procedure)).toBeUndefined();
      await handle.signal(step);
      expect(
        await eventually(
          async () => (await handle.describe()).typedSearchAttributes.get(SA.Procedure),
          'CaseProcedure carried over',
          30_000,
        ),
      ).toBe('OBJECTION');
      const carried = `CaseProcedure = "OBJECTION" AND WorkflowId = "${handle.workflowId}"`;
      expect(await eventually(async () => (await list(carried)).length > 0, carried, 30_000)).toBe(true);
      await handle.terminate('test done');
    });
    await connection.close();
  });
});
