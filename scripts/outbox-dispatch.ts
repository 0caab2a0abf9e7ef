/**
 * The mail outbox dispatcher on its own, without the worker: `tsx scripts/outbox-dispatch.ts
 * [--prefix=<event key prefix>] [--once]`. Reads DATABASE_URL, SMTP_URL, MAIL_FROM and the
 * OUTBOX_* settings like the worker. Operators use it to drain the outbox while the worker is
 * down; the outbox crash test kills it with SIGKILL mid-send and starts it again.
 */
import { loadConfig, requireSetting } from '../lib/config';
import { createDb } from '../lib/db';
import { createLogger } from '../lib/logger';
import { createTransport, MailTemplates } from '../lib/mailer';
import { dispatchOutboxOnce, type OutboxOptions, startOutboxDispatcher } from '../lib/outbox';

async function main() {
  const args = process.argv.slice(2);
  const prefix = args.find((a) => a.startsWith('--prefix='))?.slice('--prefix='.length);
  const once = args.includes('--once');
  const config = loadConfig();
  const logger = createLogger('outbox', config.LOG_LEVEL);
  const db = createDb(requireSetting(config, 'DATABASE_URL'), {
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
  const transport = createTransport(requireSetting(config, 'SMTP_URL'), config.SMTP_TIMEOUT_MS);
  const opts: OutboxOptions = {
    db,
    transport,
    templates: new MailTemplates(),
    from: config.MAIL_FROM,
    logger,
    concurrency: config.OUTBOX_CONCURRENCY,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    leaseMs: config.OUTBOX_LEASE_MS,
    dedupeKeyPrefix: prefix,
  };
  const close = async () => {
    await db.$disconnect();
    transport.close();
  };
  if (once) {
    let total = 0;
    for (let n = await dispatchOutboxOnce(opts); n > 0; n = await dispatchOutboxOnce(opts)) total += n;
    logger.info({ sent: total }, 'outbox drained');
    await close();
    return;
  }
  const stop = startOutboxDispatcher({ ...opts, intervalMs: 200 });
  logger.info({ prefix: prefix ?? null, concurrency: opts.concurrency }, 'outbox dispatcher started');
  const shutdown = () => {
    void stop()
      .then(close)
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: Error) => {
  console.error(`outbox-dispatch: ${err.message}`);
  process.exit(1);
});
