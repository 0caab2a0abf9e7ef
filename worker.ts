/** Worker entry point: runs every workflow and activity, plus the mail outbox dispatcher. */
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createActivities } from './activities';
import { CalendarCache } from './lib/calendar-store';
import { loadConfig, requireSetting } from './lib/config';
import { createDb } from './lib/db';
import { createLogger } from './lib/logger';
import { createTransport, MailTemplates } from './lib/mailer';
import { startOutboxDispatcher } from './lib/outbox';

async function main() {
  const config = loadConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  Runtime.install({
    logger: {
      log: (level, message, meta) => logger[level === 'WARN' ? 'warn' : level === 'ERROR' ? 'error' : level === 'DEBUG' || level === 'TRACE' ? 'debug' : 'info'](meta ?? {}, message),
      trace: (m, meta) => logger.trace(meta ?? {}, m), debug: (m, meta) => logger.debug(meta ?? {}, m),
      info: (m, meta) => logger.info(meta ?? {}, m), warn: (m, meta) => logger.warn(meta ?? {}, m), error: (m, meta) => logger.error(meta ?? {}, m),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const db = createDb(requireSetting(config, 'DATABASE_URL'));
  const templates = new MailTemplates();
  const calendarCache = new CalendarCache();
  const transport = createTransport(requireSetting(config, 'SMTP_URL'));
  const connection = await NativeConnection.connect({ address: requireSetting(config, 'TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities({ db, logger, calendar: (policy) => calendarCache.get(db, policy) }),
    shutdownGraceTime: '10 seconds',
  });
  const stopOutbox = startOutboxDispatcher({ db, transport, templates, from: config.MAIL_FROM, logger });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');

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
