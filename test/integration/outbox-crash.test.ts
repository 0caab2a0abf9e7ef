/**
 * Kill -9 of the process that sends the mail, mid-way through 200 mails, against the real SMTP
 * server (MailDev) and the real Postgres: after a restart every mail has arrived, and only the
 * mails that were in a sending slot at the kill may arrive twice (recognisable by Message-ID).
 * With the former batch-per-transaction outbox a kill re-sent a whole batch of 20.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { notificationActivities } from '../../activities/notifications';
import type { Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { outboxMessageId } from '../../lib/outbox';
import { eventually, receivedMail, testDb, uniqueSuffix } from '../support/env';

const ROOT = path.join(__dirname, '..', '..');
const MAILS = 200;
const CONCURRENCY = 4;
const FROM = 'system <no-reply@liaocheng.example>';

interface Dispatcher {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** The dispatcher as its own OS process (node with tsx's loader, no wrapper process to outlive a kill). */
function startDispatcher(prefix: string): Dispatcher {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'scripts', 'outbox-dispatch.ts'), `--prefix=${prefix}`],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        MAIL_FROM: FROM,
        OUTBOX_CONCURRENCY: String(CONCURRENCY),
        // Short, so the restarted process retakes the killed one's claims within the test.
        OUTBOX_LEASE_MS: '3000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('mail outbox survives kill -9 of its dispatcher', () => {
  let db: Db;
  const running: Dispatcher[] = [];
  beforeAll(() => {
    db = testDb();
  });
  afterAll(async () => {
    for (const d of running) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await db.$disconnect();
  });

  it(`delivers all ${MAILS} mails with at most one duplicate per sending slot`, async () => {
    const suffix = uniqueSuffix();
    const prefix = `crash-${suffix}:`;
    const { notify } = notificationActivities({ db, logger: createLogger('test', 'silent') });
    const recipients = Array.from({ length: MAILS }, (_, i) => ({
      email: `crash-${suffix}-${i}@liaocheng.example`,
      name: `收件人${i}`,
    }));
    expect(
      await notify({
        eventKey: prefix,
        template: 'decision',
        recipients,
        data: {
          procedureName: '有条件共享申请',
          applicationNo: `CRASH-${suffix}`,
          outcomeText: '予以共享',
          reasons: '-',
        },
      }),
    ).toBe(MAILS);
    const where = { dedupeKey: { startsWith: prefix } };
    const sentCount = () => db.notification.count({ where: { ...where, status: 'SENT' } });

    // First run: kill it hard once a fair share has arrived at the SMTP server (counted there, not
    // by the rows marked SENT, so the kill lands while mail is going out), well before the end.
    const first = startDispatcher(prefix);
    running.push(first);
    const arrived = async () =>
      (await receivedMail()).filter((m) => m.headers['x-event-key']?.startsWith(prefix)).length;
    for (const until = Date.now() + 60_000; (await arrived()) < 30;) {
      if (Date.now() > until) throw new Error(`Timed out waiting for the first mails\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    expect(await within(first.exited, 10_000, 'the killed dispatcher to exit')).toBeNull();
    const sentAtKill = await sentCount();
    const claimedAtKill = await db.notification.count({
      where: { ...where, status: 'PENDING', leaseUntil: { not: null } },
    });
    // Otherwise the kill came too late to test anything.
    expect(sentAtKill).toBeLessThan(MAILS);

    // Second run: picks up the rest, and the killed run's claims once their leases expire.
    const second = startDispatcher(prefix);
    running.push(second);
    await eventually(async () => (await sentCount()) === MAILS, 'every mail to be marked SENT', 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${second.output()}`);
    });
    second.child.kill('SIGTERM');
    await within(second.exited, 15_000, 'the second dispatcher to stop');

    const rows = await db.notification.findMany({ where, select: { id: true, status: true, attempts: true } });
    expect(rows).toHaveLength(MAILS);
    const expectedIds = new Set(rows.map((r) => outboxMessageId(r.id, FROM)));

    // MailDev may still be storing the last messages: wait until every row's Message-ID arrived.
    const delivered = await eventually(
      async () => {
        const counts = new Map<string, number>();
        for (const m of await receivedMail()) {
          const id = m.headers['message-id'];
          if (id && expectedIds.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        return counts.size === MAILS && counts;
      },
      `all ${MAILS} Message-IDs in MailDev`,
      30_000,
    ).catch(async (err) => {
      const seen = new Set((await receivedMail()).map((m) => m.headers['message-id']));
      const lost = [...expectedIds].filter((id) => !seen.has(id));
      throw new Error(`${(err as Error).message}: ${lost.length} lost`);
    });
    const duplicates = [...delivered.values()].reduce((n, c) => n + (c - 1), 0);
    const retried = rows.filter((r) => r.attempts > 1).length;
    // The measurement, for the record of this run.
    console.info(
      `outbox crash: sent at kill ${sentAtKill}, claimed but unmarked at kill ${claimedAtKill}, ` +
        `retried ${retried}, delivered ${[...delivered.values()].reduce((a, b) => a + b, 0)} ` +
        `(${delivered.size} distinct, ${duplicates} duplicates) of ${MAILS}`,
    );
    expect(delivered.size).toBe(MAILS); // 0 lost
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);
    expect([...delivered.values()].every((c) => c <= 2)).toBe(true);
  });
});
