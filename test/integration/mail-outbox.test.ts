import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { createLogger, type Logger } from '../../lib/logger';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { notificationActivities } from '../../activities/notifications';
import { createDb, type Db } from '../../lib/db';
import { eventually, receivedMail, testDb, uniqueSuffix } from '../support/env';

describe('notification outbox with a real SMTP server (MailDev)', () => {
  let db: Db;
  const templates = new MailTemplates();
  const logger = createLogger('test', 'silent');
  // Other test files leave mail in the shared outbox: each case dispatches only its own (by event key).
  beforeAll(() => {
    db = testDb();
  });
  afterAll(() => db.$disconnect());

  const decisionData = {
    procedureName: '有条件共享申请',
    applicationNo: 'TEST',
    outcomeText: '不予共享',
    reasons: '涉及个人隐私',
  };

  it('delivers a queued mail once, with HTML and text parts, even if enqueued twice', async () => {
    const to = `outbox-${uniqueSuffix()}@liaocheng.example`;
    const { notify } = notificationActivities({ db, logger });
    const eventKey = `test:${to}`;
    expect(
      await notify({ eventKey, template: 'decision', recipients: [{ email: to, name: '测试' }], data: decisionData }),
    ).toBe(1);
    expect(
      await notify({ eventKey, template: 'decision', recipients: [{ email: to, name: '测试' }], data: decisionData }),
    ).toBe(0);
    const other = `other-${uniqueSuffix()}@liaocheng.example`;
    await notify({
      eventKey: `other:${other}`,
      template: 'decision',
      recipients: [{ email: other, name: '其他' }],
      data: decisionData,
    });
    const transport = createTransport(process.env.SMTP_URL!);
    await dispatchOutboxOnce({
      db,
      transport,
      templates,
      from: 'system <no-reply@liaocheng.example>',
      logger,
      dedupeKeyPrefix: eventKey,
    });
    // Dispatching one case's mail leaves everybody else's where it was.
    expect((await db.notification.findFirstOrThrow({ where: { recipient: other } })).status).toBe('PENDING');
    await dispatchOutboxOnce({
      db,
      transport,
      templates,
      from: 'system <no-reply@liaocheng.example>',
      logger,
      dedupeKeyPrefix: eventKey,
    });
    const mails = await eventually(async () => {
      const all = (await receivedMail()).filter((m) => m.to.some((t) => t.address === to));
      return all.length > 0 && all;
    }, 'the mail to arrive');
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toContain('不予共享');
    expect(mails[0].text).toContain('涉及个人隐私');
    expect(mails[0].html).toContain('<p>');
    transport.close();
  });

  it('keeps mail pending with a retry time when the SMTP server is down, and sends it later', async () => {
    const to = `retry-${uniqueSuffix()}@liaocheng.example`;
    const { notify } = notificationActivities({ db, logger });
    await notify({
      eventKey: `retry:${to}`,
      template: 'decision',
      recipients: [{ email: to, name: '测试' }],
      data: decisionData,
    });
    const dead = createTransport('smtp://127.0.0.1:1');
    await dispatchOutboxOnce({
      db,
      transport: dead,
      templates,
      from: 'x <a@liaocheng.example>',
      logger,
      dedupeKeyPrefix: `retry:${to}`,
    });
    const row = await db.notification.findFirstOrThrow({ where: { recipient: to } });
    expect(row.status).toBe('PENDING');
    expect(row.attempts).toBe(1);
    expect(row.lastError).toBeTruthy();
    await db.notification.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(0) } });
    const live = createTransport(process.env.SMTP_URL!);
    await dispatchOutboxOnce({
      db,
      transport: live,
      templates,
      from: 'x <a@liaocheng.example>',
      logger,
      dedupeKeyPrefix: `retry:${to}`,
    });
    expect((await db.notification.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('SENT');
    await eventually(
      async () => (await receivedMail()).some((m) => m.to.some((t) => t.address === to)),
      'the retried mail',
    );
    live.close();
  });

  it('ends a mail that keeps failing as FAILED after the bounded tries, logged at error level', async () => {
    const to = `failing-${uniqueSuffix()}@liaocheng.example`;
    const { notify } = notificationActivities({ db, logger });
    await notify({
      eventKey: `failing:${to}`,
      template: 'decision',
      recipients: [{ email: to, name: '测试' }],
      data: decisionData,
    });
    const errors: unknown[] = [];
    const spy = { warn: () => undefined, error: (fields: unknown) => errors.push(fields) } as unknown as Logger;
    const dead = createTransport('smtp://127.0.0.1:1');
    const round = () =>
      dispatchOutboxOnce({
        db,
        transport: dead,
        templates,
        from: 'x <a@liaocheng.example>',
        logger: spy,
        maxAttempts: 3,
        retryBaseMs: 0, // due again at once, so the test needs no clock
        dedupeKeyPrefix: `failing:${to}`,
      });
    for (let i = 0; i < 6; i += 1) await round();
    const row = await db.notification.findFirstOrThrow({ where: { recipient: to } });
    expect(row).toMatchObject({ status: 'FAILED', attempts: 3, leaseUntil: null });
    expect(row.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(row.failedAt).toBeInstanceOf(Date);
    expect(errors).toEqual([expect.objectContaining({ notificationId: row.id, attempts: 3 })]);
    dead.close();
  });

  it('fails a mail whose dispatcher died during its last try once the lease has expired', async () => {
    const to = `abandoned-${uniqueSuffix()}@liaocheng.example`;
    const { notify } = notificationActivities({ db, logger });
    await notify({
      eventKey: `abandoned:${to}`,
      template: 'decision',
      recipients: [{ email: to, name: '测试' }],
      data: decisionData,
    });
    const row = await db.notification.findFirstOrThrow({ where: { recipient: to } });
    // As a dispatcher leaves it when killed after claiming the third of three tries.
    await db.notification.update({
      where: { id: row.id },
      data: { attempts: 3, leaseUntil: new Date(Date.now() + 60_000) },
    });
    const live = createTransport(process.env.SMTP_URL!);
    const round = () =>
      dispatchOutboxOnce({
        db,
        transport: live,
        templates,
        from: 'x <a@liaocheng.example>',
        logger,
        maxAttempts: 3,
        dedupeKeyPrefix: `abandoned:${to}`,
      });
    await round();
    // Still leased: nobody touches it.
    expect((await db.notification.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('PENDING');
    await db.notification.update({ where: { id: row.id }, data: { leaseUntil: new Date(Date.now() - 1000) } });
    expect(await round()).toBe(0);
    expect(await db.notification.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      status: 'FAILED',
      attempts: 3,
    });
    live.close();
  });

  it('compiles every template in strict mode and fails loudly on a missing value', () => {
    expect(templates.names()).toEqual(
      expect.arrayContaining(['task-assigned', 'reminder', 'overdue', 'decision', 'grant', 'agreement', 'withdrawn']),
    );
    expect(() => templates.render('decision', { recipientName: 'x' })).toThrow();
  });
});

describe('bounded waits on Postgres and SMTP', () => {
  it('cancels a statement that runs longer than the statement timeout', async () => {
    const db = createDb(process.env.DATABASE_URL!, { statementTimeoutMs: 300 });
    try {
      const started = Date.now();
      await expect(db.$queryRaw`SELECT pg_sleep(60)`).rejects.toThrow(/statement timeout|canceling statement/i);
      // Cancelled, not slept through: far below the sleep, whatever the machine's load.
      expect(Date.now() - started).toBeLessThan(30_000);
      // The connection is usable afterwards: only the statement was cancelled.
      expect(await db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      await db.$disconnect();
    }
  });

  it('gives up on an SMTP server that accepts the connection but never greets', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    const transport = createTransport(`smtp://127.0.0.1:${port}`, 300);
    try {
      const started = Date.now();
      await expect(
        transport.sendMail({ from: 'a@liaocheng.example', to: 'b@liaocheng.example', subject: 's', text: 't' }),
      ).rejects.toThrow(/greeting|timeout/i);
      // Given up at our bound, not at nodemailer's default 30 s greeting timeout.
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      transport.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('bounded retries of activities', () => {
  it('makes a missing row a non-retryable NOT_FOUND failure', async () => {
    const db = createDb(process.env.DATABASE_URL!);
    try {
      const acts = createActivities({ db, logger: createLogger('test', 'silent') });
      const err = await acts
        .recomputeTaskDeadline({ taskId: `missing-${uniqueSuffix()}`, warningWorkingDaysBefore: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'NOT_FOUND', nonRetryable: true });
    } finally {
      await db.$disconnect();
    }
  });
});
