/**
 * The notification outbox: activities insert rows (one per natural event key, so a retry
 * inserts nothing), and this dispatcher sends them.
 *
 * Each mail is claimed, sent and marked on its own, never as part of a batch: a claim is one
 * autocommitted UPDATE that takes a lease on one row (SKIP LOCKED, so dispatchers never wait on
 * each other), then the mail goes out, then the row is marked SENT. A dispatcher that dies
 * between "sent" and "marked" leaves at most the mails of its sending slots unmarked; their leases
 * expire and they are sent once more, with the same Message-ID (derived from the row's id), so the
 * duplicate is recognisable as the same message. Nothing is retried forever: the attempt counts at
 * claim time (a mail that crashes its dispatcher counts too), a failure backs off exponentially,
 * and after `maxAttempts` tries the row is FAILED with its last error and logged at error level.
 */
import type { Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { Db } from './db';
import type { Logger } from './logger';
import type { MailTemplates } from './mailer';
import { oneLine } from './one-line';

const MAX_BACKOFF_MS = 15 * 60_000;

export const OUTBOX_DEFAULTS = {
  batchSize: 20,
  concurrency: 4,
  maxAttempts: 8,
  leaseMs: 120_000,
  retryBaseMs: 1000,
} as const;

export interface OutboxOptions {
  db: Db;
  transport: Transporter;
  templates: MailTemplates;
  from: string;
  logger: Logger;
  /** Most mails one round handles (each still claimed and marked on its own). */
  batchSize?: number;
  /** Sending slots: mails in flight at once, hence the most a crash can leave sent but unmarked. */
  concurrency?: number;
  /** Tries per mail before it is FAILED (OUTBOX_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** How long a claim is exclusive (OUTBOX_LEASE_MS); a send is aborted at half of it. */
  leaseMs?: number;
  /** First retry delay; each further failure doubles it, up to 15 minutes. */
  retryBaseMs?: number;
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

/** The Message-ID of an outbox row: the same on every try, so a resend is the same message. */
export function outboxMessageId(notificationId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  return `<${notificationId}@${domain}>`;
}

/** Takes a lease on the oldest due mail nobody holds; undefined when there is none. */
async function claimOne(opts: OutboxOptions, maxAttempts: number, leaseMs: number): Promise<ClaimedRow | undefined> {
  const prefix = opts.dedupeKeyPrefix ?? null;
  const rows = await opts.db.$queryRaw<ClaimedRow[]>`
    UPDATE notification n
    SET lease_until = now() + ${leaseMs}::int * interval '1 millisecond', attempts = n.attempts + 1
    WHERE n.id = (
      SELECT id FROM notification
      WHERE status = 'PENDING' AND next_attempt_at <= now()
        AND (lease_until IS NULL OR lease_until < now())
        AND attempts < ${maxAttempts}::int
        AND (${prefix}::text IS NULL OR starts_with(dedupe_key, ${prefix ?? ''}::text))
      ORDER BY next_attempt_at, created_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED)
    RETURNING n.id, n.dedupe_key, n.recipient, n.template, n.data, n.attempts`;
  return rows[0];
}

/**
 * Rows whose last try was claimed by a dispatcher that never came back (crashed with the lease
 * held): there is no try left, so they end here as FAILED rather than stay PENDING forever.
 */
async function failAbandoned(opts: OutboxOptions, maxAttempts: number): Promise<void> {
  const prefix = opts.dedupeKeyPrefix ?? null;
  const rows = await opts.db.$queryRaw<Array<{ id: string; dedupe_key: string; attempts: number }>>`
    UPDATE notification
    SET status = 'FAILED', failed_at = now(), lease_until = NULL,
        last_error = left(coalesce(last_error || '; ', '') || 'dispatcher stopped during the last try', 500)
    WHERE status = 'PENDING' AND attempts >= ${maxAttempts}::int
      AND (lease_until IS NULL OR lease_until < now())
      AND (${prefix}::text IS NULL OR starts_with(dedupe_key, ${prefix ?? ''}::text))
    RETURNING id, dedupe_key, attempts`;
  for (const row of rows)
    opts.logger.error(
      { notificationId: row.id, eventKey: row.dedupe_key, attempts: row.attempts },
      'mail FAILED: no tries left',
    );
}

async function sendOne(opts: OutboxOptions, row: ClaimedRow, maxAttempts: number, leaseMs: number): Promise<boolean> {
  const { db } = opts;
  try {
    const mail = opts.templates.render(row.template, row.data);
    const message: Mail.Options & { signal?: AbortSignal } = {
      from: opts.from,
      to: row.recipient,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: outboxMessageId(row.id, opts.from),
      headers: { 'X-Event-Key': row.dedupe_key },
      // A send never outlives its lease, so no other dispatcher takes the row while it is in flight.
      signal: AbortSignal.timeout(Math.floor(leaseMs / 2)),
    };
    await opts.transport.sendMail(message);
  } catch (err) {
    const lastError = (err as Error).message.slice(0, 500);
    const failed = row.attempts >= maxAttempts;
    const delay = Math.min(MAX_BACKOFF_MS, (opts.retryBaseMs ?? OUTBOX_DEFAULTS.retryBaseMs) * 2 ** (row.attempts - 1));
    // Fenced by the attempt count: if the lease ran out and another dispatcher claimed the row
    // meanwhile, this stale failure changes nothing.
    await db.notification.updateMany({
      where: { id: row.id, status: 'PENDING', attempts: row.attempts },
      data: failed
        ? { status: 'FAILED', failedAt: new Date(), leaseUntil: null, lastError }
        : { leaseUntil: null, lastError, nextAttemptAt: new Date(Date.now() + delay) },
    });
    const fields = { notificationId: row.id, eventKey: row.dedupe_key, attempts: row.attempts, lastError };
    if (failed) opts.logger.error(fields, 'mail FAILED: no tries left');
    else opts.logger.warn({ ...fields, retryInMs: delay }, 'mail delivery failed; will retry');
    return false;
  }
  // The mail is out: it is SENT whoever holds the lease now (a late mark must not cause a resend).
  await db.notification.updateMany({
    where: { id: row.id, status: 'PENDING' },
    data: { status: 'SENT', sentAt: new Date(), leaseUntil: null, lastError: null },
  });
  return true;
}

/**
 * One round: up to `batchSize` due mails, `concurrency` at a time, each claimed, sent and marked
 * on its own. Returns how many were sent (callers loop while it is positive).
 */
export async function dispatchOutboxOnce(opts: OutboxOptions): Promise<number> {
  const batchSize = opts.batchSize ?? OUTBOX_DEFAULTS.batchSize;
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? OUTBOX_DEFAULTS.concurrency, batchSize));
  const maxAttempts = opts.maxAttempts ?? OUTBOX_DEFAULTS.maxAttempts;
  const leaseMs = opts.leaseMs ?? OUTBOX_DEFAULTS.leaseMs;
  await failAbandoned(opts, maxAttempts);
  let claimed = 0;
  let sent = 0;
  const slot = async () => {
    while (claimed < batchSize) {
      claimed += 1;
      const row = await claimOne(opts, maxAttempts, leaseMs);
      if (!row) return;
      if (await sendOne(opts, row, maxAttempts, leaseMs)) sent += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, slot));
  return sent;
}

/** The longest wait between two failed rounds (the database or the mail server unreachable). */
export const ROUND_BACKOFF_MAX_MS = 30_000;

/**
 * The wait before the next round: none after a full round (a backlog drains at full speed),
 * `intervalMs` after a shorter one, and after failed rounds in a row `intervalMs` doubling per
 * failure up to ROUND_BACKOFF_MAX_MS, so an outage is retried without flooding the log.
 */
export function nextRoundDelay(r: {
  sent: number;
  batchSize: number;
  intervalMs: number;
  failedRounds: number;
}): number {
  if (r.failedRounds > 0) return Math.min(ROUND_BACKOFF_MAX_MS, r.intervalMs * 2 ** (r.failedRounds - 1));
  return r.sent >= r.batchSize ? 0 : r.intervalMs;
}

/**
 * Polls until stopped; returns a stop function that waits for the current round. A round that
 * fails (the database down) is logged once with its error, the further failures in a row as one
 * line each with the reason and the wait, and the first round that works again says how many
 * failed before it.
 */
export function startOutboxDispatcher(opts: OutboxOptions & { intervalMs?: number }): () => Promise<void> {
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let failedRounds = 0;
  const batchSize = opts.batchSize ?? OUTBOX_DEFAULTS.batchSize;
  const intervalMs = opts.intervalMs ?? 1000;
  const tick = () => {
    if (stopped) return;
    let sent = 0;
    current = dispatchOutboxOnce(opts)
      .then((n) => {
        sent = n;
        if (failedRounds > 0) opts.logger.info({ failedRounds }, 'outbox rounds work again');
        failedRounds = 0;
      })
      .catch((err: unknown) => {
        failedRounds += 1;
        const retryInMs = nextRoundDelay({ sent, batchSize, intervalMs, failedRounds });
        if (failedRounds === 1) opts.logger.error({ err, retryInMs }, 'outbox round failed');
        else opts.logger.error({ failedRounds, retryInMs, reason: oneLine(err) }, 'outbox round failed again');
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, nextRoundDelay({ sent, batchSize, intervalMs, failedRounds }));
      });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
