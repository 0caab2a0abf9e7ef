/** Worker entry point: runs every workflow and activity, plus the mail outbox dispatcher. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { type LogLevel, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createActivities } from './activities';
import { CalendarCache } from './lib/calendar-store';
import { loadConfig, requireSetting } from './lib/config';
import { createDb } from './lib/db';
import { createLogger } from './lib/logger';
import { createTransport, MailTemplates } from './lib/mailer';
import { startOutboxDispatcher } from './lib/outbox';
import { ensureEvaluationSchedule } from './lib/schedules';
import { Client, Connection } from '@temporalio/client';

/**
 * Where the workflow code comes from. WORKFLOW_BUNDLE_PATH (set by the Dockerfile) names the bundle
 * built once at image build by `npm run build:workflows`; unset or empty (development), workflows/
 * is bundled at start. Read here rather than in lib/config.ts because only the worker uses it.
 */
function workflowCode(env: NodeJS.ProcessEnv): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundlePath = env.WORKFLOW_BUNDLE_PATH?.trim();
  if (!bundlePath) return { workflowsPath: require.resolve('./workflows') };
  const codePath = path.resolve(bundlePath);
  if (!statSync(codePath, { throwIfNoEntry: false })?.isFile()) {
    console.error(`worker: WORKFLOW_BUNDLE_PATH=${bundlePath} is not a file (build it with: npm run build:workflows)`);
    process.exit(1);
  }
  return { workflowBundle: { codePath } };
}

/** The SDK's log levels on pino's. */
const PINO_LEVEL: Record<LogLevel, 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

async function main() {
  const code = workflowCode(process.env);
  const config = loadConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  Runtime.install({
    logger: {
      log: (level, message, meta) => logger[PINO_LEVEL[level] ?? 'info'](meta ?? {}, message),
      trace: (m, meta) => logger.trace(meta ?? {}, m),
      debug: (m, meta) => logger.debug(meta ?? {}, m),
      info: (m, meta) => logger.info(meta ?? {}, m),
      warn: (m, meta) => logger.warn(meta ?? {}, m),
      error: (m, meta) => logger.error(meta ?? {}, m),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const db = createDb(requireSetting(config, 'DATABASE_URL'), {
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
  const templates = new MailTemplates();
  const calendarCache = new CalendarCache();
  const transport = createTransport(requireSetting(config, 'SMTP_URL'), config.SMTP_TIMEOUT_MS, { pooled: true });
  const connection = await NativeConnection.connect({ address: requireSetting(config, 'TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...code,
    activities: createActivities({
      db,
      logger,
      calendar: (policy) => calendarCache.get(db, policy),
      cyberspaceReportTo: config.CYBERSPACE_REPORT_EMAIL,
    }),
    shutdownGraceTime: '10 seconds',
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  if (config.SCHEDULES === 'on') {
    const clientConnection = await Connection.connect({ address: requireSetting(config, 'TEMPORAL_ADDRESS') });
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
    const schedule = await ensureEvaluationSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE });
    logger.info({ schedule }, 'monthly evaluation report schedule');
    await clientConnection.close();
  }
  const stopOutbox = startOutboxDispatcher({
    db,
    transport,
    templates,
    from: config.MAIL_FROM,
    logger,
    concurrency: config.OUTBOX_CONCURRENCY,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    leaseMs: config.OUTBOX_LEASE_MS,
  });
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      namespace: config.TEMPORAL_NAMESPACE,
      workflows: 'workflowBundle' in code ? code.workflowBundle.codePath : 'bundled at start',
    },
    'worker started',
  );

  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling and drains running tasks.
  await worker.run();
  await stopOutbox();
  await connection.close();
  await db.$disconnect();
  transport.close();
  logger.info('worker stopped');
}

main().catch((err: Error) => {
  console.error(`worker: ${err.stack ?? err.message}`);
  process.exit(1);
});
