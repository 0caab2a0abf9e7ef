/**
 * The notification outbox: activities insert rows (one per natural event key, so a retry
 * inserts nothing), and this dispatcher sends them. A failing SMTP server delays mail with
 * backoff but never loses it. The row is claimed with SKIP LOCKED so several workers never send
 * the same mail; the Message-ID is derived from the event key so that, after a crash between
 * "sent" and "marked sent", the one possible resend is recognisable as the same message.
 */
import type { Transporter } from 'nodemailer';
import type { Db } from './db';
import type { Logger } from './logger';
import type { MailTemplates } from './mailer';

const MAX_BACKOFF_MS = 15 * 60_000;

export interface OutboxOptions {
  db: Db;
  transport: Transporter;
  templates: MailTemplates;
  from: string;
  logger: Logger;
  batchSize?: number;
  /** Only mail whose event key starts with this (e.g. one case's workflow id): for resends and tests. */
  dedupeKeyPrefix?: string;
}

interface ClaimedRow {
  id: string;
  dedupe_key: string;
  recipient: string;
  template: string;
  data: Record<string, unknown>;
  attempts: number;
}

export async function dispatchOutboxOnce(opts: OutboxOptions): Promise<number> {
  const { db } = opts;
  let sent = 0;
  await db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<ClaimedRow[]>`
      SELECT id, dedupe_key, recipient, template, data, attempts FROM notification
      WHERE status = 'PENDING' AND next_attempt_at <= now()
        AND (${opts.dedupeKeyPrefix ?? null}::text IS NULL OR starts_with(dedupe_key, ${opts.dedupeKeyPrefix ?? ''}))
      ORDER BY created_at LIMIT ${opts.batchSize ?? 20} FOR UPDATE SKIP LOCKED`;
      for (const row of rows) {
        try {
          const mail = opts.templates.render(row.template, row.data);
          const domain = opts.from.replace(/^.*@/, '').replace(/>.*$/, '');
          await opts.transport.sendMail({
            from: opts.from,
            to: row.recipient,
            subject: mail.subject,
            html: mail.html,
            text: mail.text,
            messageId: `<${Buffer.from(row.dedupe_key).toString('base64url')}@${domain}>`,
            headers: { 'X-Event-Key': row.dedupe_key },
          });
          await tx.notification.update({
            where: { id: row.id },
            data: { status: 'SENT', sentAt: new Date(), attempts: row.attempts + 1, lastError: null },
          });
          sent += 1;
        } catch (err) {
          const attempts = row.attempts + 1;
          const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
          await tx.notification.update({
            where: { id: row.id },
            data: {
              attempts,
              lastError: (err as Error).message.slice(0, 500),
              nextAttemptAt: new Date(Date.now() + delay),
            },
          });
          opts.logger.warn({ notificationId: row.id, attempts }, 'mail delivery failed; will retry');
        }
      }
    },
    { timeout: 60_000 },
  );
  return sent;
}

/** Polls until stopped; returns a stop function that waits for the current round. */
export function startOutboxDispatcher(opts: OutboxOptions & { intervalMs?: number }): () => Promise<void> {
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    current = dispatchOutboxOnce(opts)
      .catch((err) => opts.logger.error({ err }, 'outbox round failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, opts.intervalMs ?? 1000);
      });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
