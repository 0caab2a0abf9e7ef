/**
 * The stored calendar (real Postgres, real Temporal dev server). The database is shared with
 * other test files: this file writes only the years 2091, 2092 and 2095 (and task rows it
 * creates itself), and removes them again; audit rows are append-only and stay.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { AppError } from '../../api/errors';
import {
  CHINESE_WORKDAY_VERSION,
  chineseWorkdayYears,
  deriveProvisionalYear,
  shanghaiDate,
  startOfShanghaiDay,
  validateSchedule,
  WorkingCalendar,
} from '../../domain/calendar';
import {
  CalendarCache,
  type CalendarNotifyProgress,
  insertMissingCalendarYears,
  loadCalendarYear,
  notifyCalendarChanged,
  readCalendarYears,
  seedCalendar,
  workflowsWithDeadlinesIn,
} from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { connectTemporal, TemporalHandle } from '../../lib/temporal';
import { createActivities } from '../../activities';
import { createLogger } from '../../lib/logger';
import { openDeadlineTask, startUnpolledProbe } from '../support/calendar-probes';
import { eventually, testDb } from '../support/env';
import { silentLogger } from '../support/procedures';
import { recomputesQuery } from '../support/workflows/calendar-probe';

const TEST_YEARS = [2091, 2092, 2095];

/**
 * A valid official schedule for a test year: the statutory days of 全国年节及纪念日放假办法 as
 * deriveProvisionalYear has them (a load must keep them), plus a weekday block in the first week
 * of March (holidays[1]) and one makeup Saturday.
 */
function schedule(year: number, extra: Partial<{ source: string; status: 'OFFICIAL' | 'PROVISIONAL' }> = {}) {
  // Find the first Monday of March and the Saturday of that week.
  let d = new Date(Date.UTC(year, 2, 1));
  while (d.getUTCDay() !== 1) d = new Date(d.getTime() + 86_400_000);
  const iso = (offset: number) => new Date(d.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  return {
    year,
    source: `test notice ${year}`,
    ...extra,
    holidays: [statutory(year)[0], { from: iso(1), to: iso(2), name: '测试假日' }, ...statutory(year).slice(1)],
    makeupWorkdays: [{ date: iso(5), name: '测试调休上班' }], // Saturday
    monday: iso(0),
  };
}
/** Holidays of the provisional year as single-day ranges; [0] is 元旦 (Jan 1). */
function statutory(year: number) {
  return deriveProvisionalYear(year).holidays.map((h) => ({ from: h.date, to: h.date, name: h.name }));
}
/** Number of holidays schedule(year) stores: the statutory days and the two-day test block. */
const scheduleHolidays = (year: number) => statutory(year).length + 2;
const body = (s: ReturnType<typeof schedule>) => {
  const { monday: _monday, ...rest } = s;
  return rest;
};

describe('calendar store (real Postgres)', () => {
  let db: Db;

  const cleanup = async () => {
    await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
    await db.calendarYear.deleteMany({ where: { year: { in: TEST_YEARS } } }); // days cascade
  };
  const snapshot = async (year: number) => ({
    year: await db.calendarYear.findUnique({ where: { year } }),
    days: await db.calendarDay.findMany({ where: { year }, orderBy: { date: 'asc' } }),
    audits: await db.auditLog.count({ where: { entityType: 'CalendarYear', entityId: String(year) } }),
  });

  beforeAll(async () => {
    db = testDb();
    await seedCalendar(db);
    await cleanup();
  });
  afterAll(async () => {
    await cleanup();
    await db.$disconnect();
  });

  describe('seedCalendar', () => {
    it('stores every chinese-workday year as OFFICIAL with its source, and PROVISIONAL years up to this year + 2', async () => {
      const rows = await db.calendarYear.findMany({ orderBy: { year: 'asc' } });
      const byYear = new Map(rows.map((r) => [r.year, r]));
      const packageYears = chineseWorkdayYears().map((y) => y.year);
      expect(packageYears[0]).toBe(2011);
      for (const y of packageYears) {
        const row = byYear.get(y);
        expect(row).toMatchObject({ status: 'OFFICIAL', loadedBy: 'seed' });
        expect(row!.source).toContain(`chinese-workday@${CHINESE_WORKDAY_VERSION}`);
        expect(row!.source).toContain('known corrections applied');
      }
      expect(byYear.get(2012)!.source).toContain('(5 for 2012');
      expect(byYear.get(2026)!.source).toContain('(0 for 2026');
      const until = Number(shanghaiDate(new Date()).slice(0, 4)) + 2;
      for (let y = packageYears[packageYears.length - 1] + 1; y <= until; y++) {
        expect(byYear.get(y)).toMatchObject({ status: 'PROVISIONAL', loadedBy: 'seed' });
      }
      // The known corrections are applied: 2011-02-12 was a makeup Saturday (补春节).
      const fix = await db.calendarDay.findUnique({ where: { date: new Date('2011-02-12T00:00:00Z') } });
      expect(fix).toMatchObject({ year: 2011, kind: 'MAKEUP_WORKDAY', name: '补春节' });
    });

    it('is idempotent: a second run inserts nothing and changes nothing', async () => {
      const before = await db.calendarYear.findMany({ orderBy: { year: 'asc' } });
      const daysBefore = await db.calendarDay.count();
      await expect(seedCalendar(db)).resolves.toEqual({ inserted: [] });
      expect(await db.calendarYear.findMany({ orderBy: { year: 'asc' } })).toEqual(before);
      expect(await db.calendarDay.count()).toBe(daysBefore);
    });

    it('never overwrites a year that is already stored (e.g. an official notice an operator loaded)', async () => {
      const loaded = await loadCalendarYear(db, body(schedule(2091)), 'operator.test');
      const before = await snapshot(2091);
      const inserted = await insertMissingCalendarYears(
        db,
        [deriveProvisionalYear(2091), deriveProvisionalYear(2092)],
        'seed',
      );
      expect(inserted).toEqual([2092]);
      const after = await snapshot(2091);
      expect(after.year).toEqual(before.year);
      expect(after.year).toMatchObject({
        status: 'OFFICIAL',
        source: 'test notice 2091',
        loadedBy: 'operator.test',
        loadedAt: loaded.loadedAt,
      });
      expect(after.days).toEqual(before.days);
      const [y2092] = (await readCalendarYears(db)).filter((y) => y.year === 2092);
      expect(y2092).toEqual(deriveProvisionalYear(2092));
      await db.calendarYear.delete({ where: { year: 2092 } });
    });

    it('hands each missing year to exactly one of two concurrent seeders', async () => {
      const years = [deriveProvisionalYear(2092)];
      const results = await Promise.all([
        insertMissingCalendarYears(db, years, 'seed'),
        insertMissingCalendarYears(db, years, 'seed'),
      ]);
      expect(results.flat()).toEqual([2092]);
      expect(await db.calendarDay.count({ where: { year: 2092 } })).toBe(years[0].holidays.length);
      await db.calendarYear.delete({ where: { year: 2092 } });
    });
  });

  describe('readCalendarYears', () => {
    it('gives back exactly the years that were stored (dates, kinds, names, status, source)', async () => {
      const stored = await readCalendarYears(db);
      const byYear = new Map(stored.map((y) => [y.year, y]));
      for (const y of chineseWorkdayYears({ applyKnownCorrections: true })) {
        const got = byYear.get(y.year)!;
        expect({ ...got, source: '' }).toEqual({ ...y, source: '' });
      }
      const valid = validateSchedule(body(schedule(2091)));
      if (!valid.ok) throw new Error('fixture invalid');
      expect(byYear.get(2091)).toEqual(valid.value);
      expect(stored.map((y) => y.year)).toEqual([...stored.map((y) => y.year)].sort((a, b) => a - b));
    });
  });

  describe('CalendarCache', () => {
    it('reuses the calendar while nothing changed and rebuilds after a reload', async () => {
      const cache = new CalendarCache();
      const s = schedule(2092);
      const first = await cache.get(db);
      expect(await cache.get(db)).toBe(first);
      expect(first.yearStatus(2092)).toBe('PROVISIONAL');
      const receivedMonday = new Date(`${s.monday}T10:00:00+08:00`);
      // Provisional 2092: Tue, Wed, Thu are the first three working days after Monday.
      expect(first.deadline(receivedMonday, 3).provisional).toBe(true);
      const before = first.deadline(receivedMonday, 3).dueDate;

      await loadCalendarYear(db, body(s), 'operator.test');
      const second = await cache.get(db);
      expect(second).not.toBe(first);
      expect(second.yearStatus(2092)).toBe('OFFICIAL');
      expect(second.dayKind(s.holidays[1].from)).toMatchObject({ kind: 'HOLIDAY', name: '测试假日' });
      // Tue and Wed are now holidays: Thu, Fri, and the makeup Saturday.
      const after = second.deadline(receivedMonday, 3);
      expect(after).toMatchObject({ dueDate: s.makeupWorkdays[0].date, provisional: false });
      expect(after.dueDate).not.toBe(before);

      // Removing the year is a change too.
      await db.calendarYear.delete({ where: { year: 2092 } });
      expect((await cache.get(db)).yearStatus(2092)).toBe('PROVISIONAL');
    });

    it('builds one calendar per policy: makeup workdays can be switched off', async () => {
      const cache = new CalendarCache();
      const counting = await cache.get(db);
      const notCounting = await cache.get(db, { countMakeupWorkdays: false });
      expect(counting.isWorkingDay('2026-10-10')).toBe(true);
      expect(notCounting.isWorkingDay('2026-10-10')).toBe(false);
      expect(await cache.get(db, { countMakeupWorkdays: false })).toBe(notCounting);
      const strict = new CalendarCache({ policy: { countMakeupWorkdays: false } });
      expect((await strict.get(db)).isWorkingDay('2026-10-10')).toBe(false);
    });

    it('with minCheckIntervalMs, trades freshness for fewer queries (documented trade-off)', async () => {
      const cache = new CalendarCache({ minCheckIntervalMs: 60_000 });
      const first = await cache.get(db);
      await loadCalendarYear(db, body(schedule(2092)), 'operator.test');
      expect(await cache.get(db)).toBe(first);
      cache.invalidate();
      expect((await cache.get(db)).yearStatus(2092)).toBe('OFFICIAL');
      await db.calendarYear.delete({ where: { year: 2092 } });
    });
  });

  describe('loadCalendarYear', () => {
    it('rejects an invalid schedule with INVALID_CALENDAR listing every problem, and writes nothing', async () => {
      const before = await snapshot(2091);
      expect(before.year).not.toBeNull();
      const bad = {
        year: 2091,
        source: 'broken notice',
        holidays: [
          { from: '2091-10-01', to: '2091-10-07', name: '国庆节' },
          { from: '2091-10-05', to: '2091-10-06', name: '重叠' },
          { from: '2092-01-01', to: '2092-01-01', name: '元旦' },
        ],
        makeupWorkdays: [{ date: '2091-10-08', name: '周一?' }],
      };
      let error: unknown;
      try {
        await loadCalendarYear(db, bad, 'operator.test');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AppError);
      const appError = error as AppError;
      expect(appError.code).toBe('INVALID_CALENDAR');
      expect(appError.status).toBe(422);
      const details = appError.details as Array<{ path: string; code: string }>;
      expect(details.map((d) => d.code)).toEqual(
        expect.arrayContaining(['OVERLAPPING_HOLIDAYS', 'DATE_OUTSIDE_YEAR', 'MAKEUP_NOT_WEEKEND']),
      );
      expect(appError.message).toContain(details[0].path);
      expect(await snapshot(2091)).toEqual(before);

      await expect(loadCalendarYear(db, null, 'operator.test')).rejects.toMatchObject({ code: 'INVALID_CALENDAR' });
      await expect(loadCalendarYear(db, { ...bad, holidays: 'none' }, 'operator.test')).rejects.toMatchObject({
        code: 'INVALID_CALENDAR',
      });
      expect(await snapshot(2091)).toEqual(before);
    });

    it('replaces the year in one go and writes an audit row naming the previous version', async () => {
      const before = await snapshot(2091);
      const next = { ...body(schedule(2091)), source: 'test notice 2091 (revised)', makeupWorkdays: [] };
      const result = await loadCalendarYear(db, next, 'dsj.admin');
      expect(result).toMatchObject({
        year: 2091,
        status: 'OFFICIAL',
        source: 'test notice 2091 (revised)',
        holidays: scheduleHolidays(2091),
        makeupWorkdays: 0,
        previous: {
          status: 'OFFICIAL',
          source: 'test notice 2091',
          loadedBy: before.year!.loadedBy,
          loadedAt: before.year!.loadedAt.toISOString(),
        },
      });
      const after = await snapshot(2091);
      expect(after.days.map((d) => d.kind)).toEqual(Array(scheduleHolidays(2091)).fill('HOLIDAY'));
      expect(after.year).toMatchObject({
        source: 'test notice 2091 (revised)',
        loadedBy: 'dsj.admin',
        loadedAt: result.loadedAt,
      });
      expect(after.audits).toBe(before.audits + 1);
      const audit = await db.auditLog.findUniqueOrThrow({
        where: { auditKey: `calendar:2091:${result.loadedAt.toISOString()}` },
      });
      expect(audit).toMatchObject({
        actor: 'dsj.admin',
        action: 'CALENDAR_YEAR_LOADED',
        entityType: 'CalendarYear',
        entityId: '2091',
      });
      expect(audit.details).toEqual({
        status: 'OFFICIAL',
        source: 'test notice 2091 (revised)',
        holidays: scheduleHolidays(2091),
        makeupWorkdays: 0,
        previous: {
          status: 'OFFICIAL',
          source: 'test notice 2091',
          loadedBy: before.year!.loadedBy,
          loadedAt: before.year!.loadedAt.toISOString(),
        },
      });
    });

    it('serialises concurrent loads of the same year (no duplicate-day failure, last one wins whole)', async () => {
      const a = { ...body(schedule(2092)), source: 'A' };
      const b = { ...body(schedule(2092)), source: 'B', makeupWorkdays: [] };
      const results = await Promise.all([loadCalendarYear(db, a, 'x'), loadCalendarYear(db, b, 'y')]);
      // One ran first (no previous), the other saw it as its previous version and won.
      const firstRun = results.find((r) => r.previous === null)!;
      const secondRun = results.find((r) => r.previous !== null)!;
      expect(firstRun).toBeDefined();
      expect(secondRun?.previous?.source).toBe(firstRun.source);
      expect(secondRun.loadedAt.getTime()).toBeGreaterThanOrEqual(firstRun.loadedAt.getTime());
      const [stored] = (await readCalendarYears(db)).filter((y) => y.year === 2092);
      expect(stored.source).toBe(secondRun.source);
      expect(stored.makeupWorkdays).toHaveLength(secondRun.source === 'A' ? 1 : 0);
      await db.calendarYear.delete({ where: { year: 2092 } });
    });
  });

  describe('notifyCalendarChanged (real Temporal dev server)', () => {
    let temporal: TemporalHandle;
    let client: Client;
    const started: string[] = [];

    beforeAll(async () => {
      temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
      client = temporal.client;
    });
    afterAll(async () => {
      for (const id of started)
        await client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
      await temporal.connection.close();
    });

    /** A running workflow nobody executes (no worker on its queue): it still records signals. */
    async function startProbe(): Promise<string> {
      const id = `calendar-store-test/${randomUUID()}`;
      await startUnpolledProbe(client, id);
      started.push(id);
      return id;
    }
    async function signalsOf(id: string): Promise<unknown[]> {
      const history = await client.workflow.getHandle(id).fetchHistory();
      return (history.events ?? [])
        .map((e) => e.workflowExecutionSignaledEventAttributes)
        .filter((a) => a?.signalName === 'calendarChanged')
        .map((a) => JSON.parse(Buffer.from(a!.input!.payloads![0].data!).toString('utf8')));
    }
    /** An inbox row of a working-day deadline counted from `from` (default: created now) to `dueAt`. */
    const task = (
      workflowId: string,
      dueAt: Date | null,
      status: 'OPEN' | 'CLAIMED' | 'DONE' = 'OPEN',
      more: { from?: Date; workingDays?: number | null; pausedAt?: Date } = {},
    ) =>
      openDeadlineTask(db, 'calendar-store-test', workflowId, dueAt, {
        status,
        deadlineFrom: more.from,
        workingDays: more.workingDays,
        pausedAt: more.pausedAt,
      });
    const shanghai = (local: string) => new Date(`${local}+08:00`);
    /** The probes above run on a queue no worker polls: their Updates go unanswered. */
    const noAnswer = { answerTimeoutMs: 300 };

    it('signals each running procedure whose open deadline counts days of the year, once; skips the rest', async () => {
      const inYear = await startProbe(); // two open tasks, one in 2095, one claimed in 2096
      const before = await startProbe(); // due 2094-12-31 24:00 = 2095-01-01 00:00 Shanghai: cannot move
      const done = await startProbe(); // only a DONE task
      const gone = `calendar-store-test/${randomUUID()}`; // never started
      const jan1 = startOfShanghaiDay('2095-01-01');
      await task(inYear, new Date('2095-03-01T16:00:00Z'));
      await task(inYear, new Date('2096-01-10T16:00:00Z'), 'CLAIMED');
      await task(before, jan1);
      await task(before, null);
      await task(done, new Date('2095-06-01T16:00:00Z'), 'DONE');
      await task(gone, new Date('2095-05-01T16:00:00Z'));

      expect(await workflowsWithDeadlinesIn(db, 2095)).toEqual([inYear, gone].sort());
      const lines: string[] = [];
      const loadedAt = '2090-11-20T02:00:00.000Z';
      expect((await notifyCalendarChanged(client, db, 2095, loadedAt, (l) => lines.push(l), noAnswer)).told).toBe(1);
      expect(await signalsOf(inYear)).toEqual([{ year: 2095, loadedAt }]);
      expect(await signalsOf(before)).toEqual([]);
      expect(await signalsOf(done)).toEqual([]);
      expect(lines.join('\n')).toContain(gone);

      // A later change (2096) still reaches the procedure whose deadline lies in 2096.
      expect((await notifyCalendarChanged(client, db, 2096, new Date(loadedAt), undefined, noAnswer)).told).toBe(1);
      expect(await signalsOf(inYear)).toHaveLength(2);
      expect(await workflowsWithDeadlinesIn(db, 2097)).toEqual([]);
      await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
    });

    it('reaches only procedures whose open deadline counts days of the year: not those wholly in another year', async () => {
      // Counted from 2094-12-20, due 2095-01-10: the count crosses into 2095.
      const crossing = await startProbe();
      await task(crossing, shanghai('2095-01-11T00:00'), 'OPEN', { from: shanghai('2094-12-20T10:00') });
      // Received on 2095-12-31, due in January 2096: 2095 is its receipt year (the count starts the day after).
      const lastDay = await startProbe();
      await task(lastDay, shanghai('2096-01-16T00:00'), 'CLAIMED', { from: shanghai('2095-12-31T23:59') });
      // Every open deadline in 2096 (from 2096-01-01 00:00) or wholly in 2094: 2095 cannot move them.
      const otherYears = await startProbe();
      await task(otherYears, shanghai('2096-01-16T00:00'), 'OPEN', { from: shanghai('2096-01-01T00:00') });
      await task(otherYears, shanghai('2094-12-21T00:00'), 'OPEN', { from: shanghai('2094-12-01T09:00') });
      // In 2095, but paused (补正) or an hour limit: a recompute would not move them.
      const pausedOrHours = await startProbe();
      await task(pausedOrHours, shanghai('2095-06-01T00:00'), 'OPEN', { pausedAt: new Date() });
      await task(pausedOrHours, shanghai('2095-06-01T00:00'), 'OPEN', { workingDays: null });

      expect(await workflowsWithDeadlinesIn(db, 2095)).toEqual([crossing, lastDay].sort());
      expect(await workflowsWithDeadlinesIn(db, 2096)).toEqual([lastDay, otherYears].sort());
      expect(await workflowsWithDeadlinesIn(db, 2094)).toEqual([crossing, otherYears].sort());

      const loadedAt = '2090-11-21T02:00:00.000Z';
      const lines: string[] = [];
      expect(
        (await notifyCalendarChanged(client, db, 2095, loadedAt, (l) => lines.push(l), { ...noAnswer, concurrency: 1 }))
          .told,
      ).toBe(2);
      expect(await signalsOf(crossing)).toEqual([{ year: 2095, loadedAt }]);
      expect(await signalsOf(lastDay)).toEqual([{ year: 2095, loadedAt }]);
      expect(await signalsOf(otherYears)).toEqual([]);
      expect(await signalsOf(pausedOrHours)).toEqual([]);
      // No worker runs the probes: the first Update goes unanswered, and the rest get the signal at once.
      expect(lines).toEqual([
        'calendar: 2095 changed: telling 2 procedure(s), 1 at a time',
        'calendar: 1 procedure(s) did not answer in time: the rest are signalled',
        'calendar: 2095: 1/2 procedure(s) told',
        'calendar: 2095: 2/2 procedure(s) told: 0 re-timed, 2 signalled',
      ]);
      await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
    });

    it('signals many procedures with bounded concurrency, each once', async () => {
      const ids = await Promise.all(Array.from({ length: 12 }, () => startProbe()));
      for (const id of ids) await task(id, shanghai('2095-04-01T00:00'));
      const loadedAt = '2090-11-22T02:00:00.000Z';
      const lines: string[] = [];
      expect(
        (await notifyCalendarChanged(client, db, 2095, loadedAt, (l) => lines.push(l), { ...noAnswer, concurrency: 4 }))
          .told,
      ).toBe(12);
      for (const id of ids) expect(await signalsOf(id)).toEqual([{ year: 2095, loadedAt }]);
      expect(lines[0]).toBe('calendar: 2095 changed: telling 12 procedure(s), 4 at a time');
      expect(lines[lines.length - 1]).toBe('calendar: 2095: 12/12 procedure(s) told: 0 re-timed, 12 signalled');
      await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
    });

    it('a procedure that runs answers the Update once re-timed (paced by the answers); one that does not run gets the signal', async () => {
      const taskQueue = `calendar-store-test-${randomUUID()}`;
      const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
      const worker = await Worker.create({
        connection,
        taskQueue,
        workflowBundle: await bundleWorkflowCode({
          workflowsPath: require.resolve('../support/workflows/calendar-probe'),
          logger: silentLogger,
        }),
        activities: createActivities({
          db,
          logger: createLogger('test', 'silent'),
          calendar: async () => new WorkingCalendar(await readCalendarYears(db)),
        }),
      });
      const running = worker.run();
      try {
        const live = `calendar-store-test/live-${randomUUID()}`;
        const handle = await client.workflow.start('calendarProbe', { taskQueue, workflowId: live });
        started.push(live);
        const dead = await startProbe();
        for (const id of [live, dead]) await task(id, shanghai('2095-04-01T00:00'));
        const updatesOf = async (id: string) =>
          (await client.workflow.getHandle(id).fetchHistory()).events
            ?.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
            .filter((name) => name === 'calendarChanged').length ?? 0;
        // Its handlers are set once its first workflow task has run.
        await eventually(async () => (await handle.query(recomputesQuery)) === 0, 'the probe to run');

        const loadedAt = '2090-11-23T02:00:00.000Z';
        const lines: string[] = [];
        const opts = { answerTimeoutMs: 2000, concurrency: 2 };
        expect((await notifyCalendarChanged(client, db, 2095, loadedAt, (l) => lines.push(l), opts)).told).toBe(2);
        // Answered after the recompute: the deadline is moved when the load answers.
        expect(await handle.query(recomputesQuery)).toBe(1);
        expect(await updatesOf(live)).toBe(1);
        expect(await signalsOf(live)).toEqual([]);
        expect(await signalsOf(dead)).toEqual([{ year: 2095, loadedAt }]);
        expect(lines[lines.length - 1]).toBe('calendar: 2095: 2/2 procedure(s) told: 1 re-timed, 1 signalled');

        // The same load told again (a retry): the Update id names the version, applied once.
        expect((await notifyCalendarChanged(client, db, 2095, loadedAt, undefined, opts)).told).toBe(2);
        expect(await handle.query(recomputesQuery)).toBe(1);
        expect(await updatesOf(live)).toBe(1);
        // A new load is a new version.
        expect((await notifyCalendarChanged(client, db, 2095, '2090-11-24T02:00:00.000Z', undefined, opts)).told).toBe(
          2,
        );
        expect(await handle.query(recomputesQuery)).toBe(2);
        expect(await signalsOf(live)).toEqual([]);
      } finally {
        await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
        worker.shutdown();
        await running;
        await connection.close();
      }
    });

    it('ignores a procedure that has completed in the meantime', async () => {
      const finished = await startProbe();
      await task(finished, new Date('2095-09-01T16:00:00Z'));
      await client.workflow.getHandle(finished).terminate('finished');
      const lines: string[] = [];
      expect((await notifyCalendarChanged(client, db, 2095, new Date(), (l) => lines.push(l), noAnswer)).told).toBe(0);
      expect(lines.join('\n')).toContain(finished);
      expect(await signalsOf(finished)).toEqual([]);
    });

    /** Probes with an open deadline in 2095, in the order a notification takes them (the database's). */
    async function probesIn2095(count: number): Promise<string[]> {
      await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
      const probes = await Promise.all(Array.from({ length: count }, () => startProbe()));
      for (const id of probes) await task(id, shanghai('2095-05-01T00:00'));
      const order = await workflowsWithDeadlinesIn(db, 2095);
      expect([...order].sort()).toEqual([...probes].sort());
      return order;
    }

    it('resumes after the procedures an interrupted notification had finished, and counts on from them', async () => {
      const order = await probesIn2095(4);
      const loadedAt = '2090-11-25T02:00:00.000Z';
      const beats: Array<[CalendarNotifyProgress, number]> = [];
      const report = await notifyCalendarChanged(client, db, 2095, loadedAt, undefined, {
        ...noAnswer,
        concurrency: 1,
        // An earlier run had told the first two: one re-timed, one signalled.
        resume: { after: order[1], retimed: 1, signalled: 1, gone: 0 },
        onProgress: (p, remaining) => beats.push([p, remaining]),
      });
      expect(await signalsOf(order[0])).toEqual([]);
      expect(await signalsOf(order[1])).toEqual([]);
      expect(await signalsOf(order[2])).toEqual([{ year: 2095, loadedAt }]);
      expect(await signalsOf(order[3])).toEqual([{ year: 2095, loadedAt }]);
      expect(report).toEqual({ targeted: 2, after: order[3], retimed: 1, signalled: 3, gone: 0, told: 4 });
      expect(beats).toEqual([
        [{ after: order[2], retimed: 1, signalled: 2, gone: 0 }, 1],
        [{ after: order[3], retimed: 1, signalled: 3, gone: 0 }, 0],
      ]);
      await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
    });

    it("the rollout's activity goes on from its attempt's heartbeat, and beats where a retry would resume", async () => {
      const order = await probesIn2095(3);
      const loadedAt = '2090-11-26T02:00:00.000Z';
      // The attempt before had told the first procedure when its worker died.
      const env = new MockActivityEnvironment(
        { heartbeatDetails: { after: order[0], retimed: 0, signalled: 1, gone: 0, remaining: 2 } },
        { client },
      );
      const beats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => beats.push(d));
      const { tellCalendarChange } = createActivities({ db, logger: createLogger('test', 'silent') });
      const report = await env.run(tellCalendarChange, { year: 2095, loadedAt, concurrency: 1, answerTimeoutMs: 300 });
      expect(report).toEqual({ targeted: 3, after: order[2], retimed: 0, signalled: 3, gone: 0, told: 3 });
      expect(await signalsOf(order[0])).toEqual([]);
      for (const id of order.slice(1)) expect(await signalsOf(id)).toEqual([{ year: 2095, loadedAt }]);
      expect(beats[beats.length - 1]).toEqual({ after: order[2], retimed: 0, signalled: 3, gone: 0, remaining: 0 });
      await db.task.deleteMany({ where: { taskKey: { startsWith: 'calendar-store-test:' } } });
    });
  });
});
