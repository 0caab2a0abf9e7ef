/**
 * The monthly evaluation report on a real Temporal dev server: the Schedule exists once with its
 * calendar, a triggered run mails every department head the figures of the month before (real
 * SMTP via MailDev), and running the same period again sends nothing new.
 */
import { Client, Connection } from '@temporalio/client';
import type { Db } from '../../lib/db';
import { previousMonth } from '../../domain/evaluation';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { ensureEvaluationSchedule } from '../../lib/schedules';
import { eventually, receivedMail, testDb, uniqueSuffix } from '../support/env';
import { recordHistory } from '../support/procedures';
import { startTestWorker, TestWorker } from '../support/worker';

describe('monthly evaluation report (Temporal Schedule)', () => {
  let db: Db;
  let worker: TestWorker;
  let client: Client;
  const scheduleId = `evaluation-test-${uniqueSuffix()}`;

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  });
  afterAll(async () => {
    await client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await worker?.stop();
    await client?.connection.close();
    await db?.$disconnect();
  });

  it('is created once, runs for the month before, mails each department head once per period', async () => {
    expect(await ensureEvaluationSchedule(client, { taskQueue: worker.taskQueue, scheduleId })).toBe('created');
    expect(await ensureEvaluationSchedule(client, { taskQueue: worker.taskQueue, scheduleId })).toBe('exists');
    const schedule = client.schedule.getHandle(scheduleId);
    const described = await schedule.describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars?.[0]).toMatchObject({
      dayOfMonth: [{ start: 1, end: 1, step: 1 }],
      hour: [{ start: 2, end: 2, step: 1 }],
    });

    const period = previousMonth(new Date()).label;
    const before = await db.notification.count({ where: { dedupeKey: { startsWith: `evaluation:${period}:` } } });
    await schedule.trigger();
    const run = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action, 'a run');
    const handle = client.workflow.getHandle(run.workflow.workflowId, run.workflow.firstExecutionRunId);
    const result = (await handle.result()) as { period: string; mails: number };
    expect(result.period).toBe(period);
    await recordHistory('evaluation-report', handle);

    const heads = await db.user.findMany({
      where: { active: true, roles: { has: 'DEPT_HEAD' }, department: { kind: { in: ['GOVERNMENT', 'AUTHORITY'] } } },
      select: { email: true, departmentId: true },
    });
    const rows = await db.notification.findMany({ where: { dedupeKey: { startsWith: `evaluation:${period}:` } } });
    expect(rows.map((r) => r.recipient).sort()).toEqual(heads.map((h) => h.email).sort());
    expect(result.mails).toBe(rows.length - before);

    // The same period again, by hand: nothing new in the outbox.
    const again = await client.workflow.execute('evaluationReportWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId: `evaluation-again-${uniqueSuffix()}`,
      args: [{ period }],
    });
    expect(again).toEqual({ period, mails: 0 });
    expect(await db.notification.count({ where: { dedupeKey: { startsWith: `evaluation:${period}:` } } })).toBe(
      rows.length,
    );

    // And the mail reaches the head over SMTP with the department's figures.
    const transport = createTransport(process.env.SMTP_URL!);
    while (
      (await dispatchOutboxOnce({
        db,
        transport,
        templates: new MailTemplates(),
        from: 'system <no-reply@liaocheng.example>',
        logger: createLogger('test', 'silent'),
        batchSize: 200,
        dedupeKeyPrefix: `evaluation:${period}:gaj:`,
      })) > 0
    );
    transport.close();
    const gajHead = heads.find((h) => h.departmentId === 'gaj')!;
    const mail = await eventually(
      async () =>
        (await receivedMail()).find(
          (m) => m.to.some((t) => t.address === gajHead.email) && m.subject.includes(`${period} 政务数据工作评估`),
        ),
      'the evaluation mail to the gaj head',
    );
    expect(mail.text).toContain('逾期环节');
  });
});
