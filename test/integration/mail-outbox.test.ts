import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { createLogger } from '../../lib/logger';
import { notificationActivities } from '../../activities/notifications';
import type { Db } from '../../lib/db';
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

  it('compiles every template in strict mode and fails loudly on a missing value', () => {
    expect(templates.names()).toEqual(
      expect.arrayContaining(['task-assigned', 'reminder', 'overdue', 'decision', 'grant', 'agreement', 'withdrawn']),
    );
    expect(() => templates.render('decision', { recipientName: 'x' })).toThrow();
  });
});
