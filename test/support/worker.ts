/**
 * A real worker for API integration tests: the Temporal dev server started by global setup,
 * real activities on the test database and the stored calendar, on its own task queue.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { Activities, createActivities } from '../../activities';
import { CalendarCache } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { uniqueSuffix } from './env';
import { ProcedureHarness } from './procedures';

export interface TestWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/** `wrapActivities` lets a test hold an activity back, e.g. to act while the workflow waits on it. */
export async function startTestWorker(
  db: Db,
  opts: { wrapActivities?: (activities: Activities) => Activities; taskQueue?: string } = {},
): Promise<TestWorker> {
  // A given task queue: a worker started again after a crash takes over the same procedures.
  const taskQueue = opts.taskQueue ?? `api-${uniqueSuffix()}`;
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const cache = new CalendarCache();
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await ProcedureHarness.bundle(),
    activities: (opts.wrapActivities ?? ((a) => a))(
      createActivities({ db, logger: createLogger('test', 'silent'), calendar: (policy) => cache.get(db, policy) }),
    ),
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
