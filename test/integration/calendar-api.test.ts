/**
 * Calendar API over HTTP (supertest) against the real Postgres and Temporal dev server.
 * Writes only the test year 2093 (removed again) and one task row of its own (removed again);
 * audit rows are append-only and stay.
 */
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { deriveProvisionalYear } from '../../domain/calendar';
import {
  calendarRolloutStatus,
  ensureCalendarRollouts,
  rolloutWorkflowId,
  startCalendarRollout,
} from '../../lib/calendar-rollout';
import { loadCalendarYear, seedCalendar } from '../../lib/calendar-store';
import { connectTemporal } from '../../lib/temporal';
import type { Db } from '../../lib/db';
import { eventually, testApp, testDb } from '../support/env';
import { openDeadlineTask, removeProbes, startUnpolledProbe } from '../support/calendar-probes';
import { recordHistory } from '../support/procedures';
import { startTestWorker, type TestWorker } from '../support/worker';

const YEAR = 2093;

describe('calendar API', () => {
  let db: Db;
  let app: ReturnType<typeof testApp>['app'];
  let staff: string;
  let admin: string;
  let worker: TestWorker;

  const get = (path: string, query: Record<string, string | number> = {}, token: string | null = staff) => {
    const r = request(app).get(path).query(query);
    return token ? r.auth(token, { type: 'bearer' }) : r;
  };
  const put = (year: number | string, body: unknown, token: string | null = admin, on = app) => {
    const r = request(on)
      .put(`/api/admin/calendar/years/${year}`)
      .send(body as object);
    return token ? r.auth(token, { type: 'bearer' }) : r;
  };
  const cleanup = () => db.calendarYear.deleteMany({ where: { year: YEAR } });

  beforeAll(async () => {
    db = testDb();
    await seedCalendar(db);
    await cleanup();
    // The worker runs the loads' rollouts. The probe procedures run on queues no worker polls:
    // their calendar Updates are not answered, and a rollout falls back to the signal after
    // UPDATE_TIMEOUT_MS.
    worker = await startTestWorker(db);
    ({ app } = testApp(db, { UPDATE_TIMEOUT_MS: '1000', TEMPORAL_TASK_QUEUE: worker.taskQueue }));
    staff = (await request(app).post('/api/dev/tokens').send({ login: 'gaj.staff' }).expect(201)).body.token;
    admin = (await request(app).post('/api/dev/tokens').send({ login: 'dsj.admin' }).expect(201)).body.token;
  });
  afterAll(async () => {
    await cleanup();
    await worker?.stop();
    await db.$disconnect();
  });

  describe('GET /api/calendar/deadline', () => {
    it('acceptance: received Wed 2026-09-30 10:00 Shanghai, 10 working days → end of 2026-10-20 (Oct 1–7 off, makeup Sat Oct 10 counts)', async () => {
      const res = await get('/api/calendar/deadline', { from: '2026-09-30T10:00:00+08:00', workingDays: 10 }).expect(
        200,
      );
      expect(res.body).toEqual({
        from: '2026-09-30T02:00:00.000Z',
        receivedDate: '2026-09-30',
        workingDays: 10,
        warningWorkingDaysBefore: 1,
        dueDate: '2026-10-20',
        deadlineAt: '2026-10-20T16:00:00.000Z',
        deadlineAtShanghai: '2026-10-20 24:00 (Asia/Shanghai)',
        warningAt: '2026-10-19T16:00:00.000Z',
        warningAtShanghai: '2026-10-20 00:00 (Asia/Shanghai)',
        provisional: false,
        provisionalYears: [],
      });
    });

    it.each([
      // [from, workingDays, dueDate]: hand-computed against the 2026 notice.
      ['2026-09-30T02:00:00Z', 10, '2026-10-20'], // same instant in UTC
      ['2026-09-30T20:00:00-04:00', 10, '2026-10-20'], // = Oct 1 08:00 Shanghai, a holiday: same deadline
      ['2026-09-30T23:59:59+08:00', 1, '2026-10-08'], // last second of Sep 30: first working day after the holiday
      ['2026-09-30T16:00:00Z', 1, '2026-10-08'], // = Oct 1 00:00 Shanghai
      ['2026-10-09T09:00:00+08:00', 1, '2026-10-10'], // Friday → makeup Saturday
      ['2026-10-10T09:00:00+08:00', 1, '2026-10-12'], // makeup Saturday → Monday
      ['2026-02-13T09:00:00+08:00', 1, '2026-02-14'], // 2026 春节: Sat Feb 14 is a makeup workday
      ['2026-02-14T09:00:00+08:00', 1, '2026-02-24'], // then Feb 15–23 off
      ['2026-12-31T09:00:00+08:00', 1, '2027-01-04'], // year boundary: Jan 1 2027 holiday (provisional year)
    ])('from %s, %i working day(s) → %s', async (from, workingDays, dueDate) => {
      const res = await get('/api/calendar/deadline', { from, workingDays }).expect(200);
      expect(res.body.dueDate).toBe(dueDate);
      // 24:00 Shanghai of the due date = 00:00 +08:00 of the next day.
      expect(res.body.deadlineAt).toBe(new Date(Date.parse(`${dueDate}T00:00:00+08:00`) + 86_400_000).toISOString());
      expect(res.body.deadlineAtShanghai).toBe(`${dueDate} 24:00 (Asia/Shanghai)`);
    });

    it('a warning k working days before: the start of the k-th last working day', async () => {
      const res = await get('/api/calendar/deadline', {
        from: '2026-09-30T10:00:00+08:00',
        workingDays: 10,
        warningWorkingDaysBefore: 3,
      }).expect(200);
      // Last three working days: Oct 16 (Fri), 19, 20 → warning at 00:00 Oct 16.
      expect(res.body).toMatchObject({
        warningAt: '2026-10-15T16:00:00.000Z',
        warningAtShanghai: '2026-10-16 00:00 (Asia/Shanghai)',
        warningWorkingDaysBefore: 3,
      });
    });

    it('mid-December 2026 receipt with a deadline in January 2027 is provisional (no 2027 notice yet)', async () => {
      const years = (await get('/api/calendar/years').expect(200)).body.items as Array<{
        year: number;
        status: string;
      }>;
      expect(years.find((y) => y.year === 2027)?.status).toBe('PROVISIONAL');
      const res = await get('/api/calendar/deadline', { from: '2026-12-15T09:00:00+08:00', workingDays: 15 }).expect(
        200,
      );
      // Dec 16–18 (3), 21–25 (8), 28–31 (12), Jan 1 2027 元旦 off, Jan 4, 5, 6 (15).
      expect(res.body).toMatchObject({
        dueDate: '2027-01-06',
        deadlineAt: '2027-01-06T16:00:00.000Z',
        provisional: true,
        provisionalYears: [2027],
      });
      const inside2026 = await get('/api/calendar/deadline', {
        from: '2026-12-15T09:00:00+08:00',
        workingDays: 5,
      }).expect(200);
      expect(inside2026.body).toMatchObject({ dueDate: '2026-12-22', provisional: false, provisionalYears: [] });
    });

    it.each<[string, Record<string, string | number>, string]>([
      ['workingDays=0', { from: '2026-09-30T10:00:00+08:00', workingDays: 0 }, 'workingDays'],
      ['workingDays negative', { from: '2026-09-30T10:00:00+08:00', workingDays: -1 }, 'workingDays'],
      ['workingDays fractional', { from: '2026-09-30T10:00:00+08:00', workingDays: '1.5' }, 'workingDays'],
      ['workingDays too large', { from: '2026-09-30T10:00:00+08:00', workingDays: 501 }, 'workingDays'],
      ['workingDays missing', { from: '2026-09-30T10:00:00+08:00' }, 'workingDays'],
      ['from missing', { workingDays: 10 }, 'from'],
      ['from without offset', { from: '2026-09-30T10:00:00', workingDays: 10 }, 'from'],
      ['from a date only', { from: '2026-09-30', workingDays: 10 }, 'from'],
      ['from not a real date', { from: '2026-02-30T10:00:00+08:00', workingDays: 10 }, 'from'],
      ['from garbage', { from: 'yesterday', workingDays: 10 }, 'from'],
      ['from outside the supported calendar', { from: '1800-01-01T00:00:00Z', workingDays: 10 }, 'from'],
      [
        'warning beyond the period',
        { from: '2026-09-30T10:00:00+08:00', workingDays: 3, warningWorkingDaysBefore: 4 },
        'warningWorkingDaysBefore',
      ],
      [
        'warning 0',
        { from: '2026-09-30T10:00:00+08:00', workingDays: 3, warningWorkingDaysBefore: 0 },
        'warningWorkingDaysBefore',
      ],
      ['unknown query parameter', { from: '2026-09-30T10:00:00+08:00', workingDays: 10, tz: 'UTC' }, 'tz'],
    ])('%s → 400 VALIDATION_FAILED (query %j) naming %s', async (_what, query, field) => {
      const res = await get('/api/calendar/deadline', query).expect(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.message).toContain(field);
    });

    it.each([
      ['501', /Too big: expected number to be <=500/],
      ['99999999', /Too big: expected number to be <=500/],
      ['9'.repeat(400), /Too big: expected number to be <=500/],
      ['-1', /must be a positive whole number \(digits only\)/],
      ['1e2', /must be a positive whole number \(digits only\)/],
      ['0', /Too small: expected number to be >=1/],
    ])('workingDays=%s names what is wrong with it', async (workingDays, problem) => {
      const res = await get('/api/calendar/deadline', { from: '2026-09-30T10:00:00+08:00', workingDays }).expect(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'workingDays' })]);
      expect(res.body.error.messageEn).toMatch(problem);
    });

    it('a repeated parameter is rejected, not guessed', async () => {
      const res = await request(app)
        .get('/api/calendar/deadline?from=2026-09-30T02:00:00Z&workingDays=1&workingDays=2')
        .auth(staff, { type: 'bearer' })
        .expect(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: '查询参数有误：workingDays：只能给出一次（收到 2 个值）',
        messageEn: 'Invalid query: workingDays: given more than once (2 values)',
        details: [{ path: 'workingDays', code: 'repeated' }],
      });
    });

    it('needs a signed-in user', async () => {
      const res = await get(
        '/api/calendar/deadline',
        { from: '2026-09-30T10:00:00+08:00', workingDays: 10 },
        null,
      ).expect(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('GET /api/calendar/days', () => {
    it('lists National Day 2026 with kinds and names', async () => {
      const res = await get('/api/calendar/days', { from: '2026-10-01', to: '2026-10-10' }).expect(200);
      const items = res.body.items as Array<{ date: string; kind: string; name?: string; provisional: boolean }>;
      expect(items.map((d) => d.date)).toEqual(
        ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((d) => `2026-10-${d}`),
      );
      for (const d of items.slice(0, 7))
        expect(d).toMatchObject({ kind: 'HOLIDAY', name: expect.stringContaining('国庆'), provisional: false });
      expect(items[7]).toEqual({ date: '2026-10-08', kind: 'WORKDAY', provisional: false });
      expect(items[8]).toEqual({ date: '2026-10-09', kind: 'WORKDAY', provisional: false });
      expect(items[9]).toMatchObject({
        date: '2026-10-10',
        kind: 'MAKEUP_WORKDAY',
        name: expect.any(String),
        provisional: false,
      });
    });

    it('marks days of a provisional year, with the statutory holidays derived by law', async () => {
      const res = await get('/api/calendar/days', { from: '2026-12-31', to: '2027-01-04' }).expect(200);
      expect(res.body.items).toEqual([
        { date: '2026-12-31', kind: 'WORKDAY', provisional: false },
        { date: '2027-01-01', kind: 'HOLIDAY', name: '元旦', provisional: true },
        { date: '2027-01-02', kind: 'WEEKEND', provisional: true },
        { date: '2027-01-03', kind: 'WEEKEND', provisional: true },
        { date: '2027-01-04', kind: 'WORKDAY', provisional: true },
      ]);
    });

    it('accepts a full leap year (366 days) and a single day', async () => {
      expect(
        (await get('/api/calendar/days', { from: '2028-01-01', to: '2028-12-31' }).expect(200)).body.items,
      ).toHaveLength(366);
      expect(
        (await get('/api/calendar/days', { from: '2026-10-10', to: '2026-10-10' }).expect(200)).body.items,
      ).toHaveLength(1);
    });

    it.each<[string, Record<string, string>, string]>([
      ['to before from', { from: '2026-10-10', to: '2026-10-01' }, 'to'],
      ['more than 366 days', { from: '2026-01-01', to: '2027-01-02' }, 'to'],
      ['from missing', { to: '2026-10-01' }, 'from'],
      ['to missing', { from: '2026-10-01' }, 'to'],
      ['not a real date', { from: '2026-02-29', to: '2026-03-01' }, 'from'],
      ['an instant instead of a date', { from: '2026-10-01T00:00:00Z', to: '2026-10-02' }, 'from'],
      ['outside the supported calendar', { from: '1800-01-01', to: '1800-01-02' }, 'from'],
      ['unknown query parameter', { from: '2026-10-01', to: '2026-10-02', kind: 'HOLIDAY' }, 'kind'],
    ])('%s → 400 VALIDATION_FAILED (query %j) naming %s', async (_what, query, field) => {
      const res = await get('/api/calendar/days', query).expect(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.message).toContain(field);
    });
  });

  describe('GET /api/calendar/years', () => {
    it('lists stored years with status, source, loadedAt, loadedBy and day counts', async () => {
      const res = await get('/api/calendar/years').expect(200);
      type Row = { year: number; holidays: number; makeupWorkdays: number };
      const byYear = new Map((res.body.items as Row[]).map((y) => [y.year, y]));
      expect(byYear.get(2026)).toMatchObject({
        status: 'OFFICIAL',
        source: expect.stringContaining('chinese-workday@'),
        loadedBy: 'seed',
        loadedAt: expect.any(String),
      });
      expect(byYear.get(2026)!.holidays).toBeGreaterThan(20);
      expect(byYear.get(2026)!.makeupWorkdays).toBeGreaterThan(3);
      expect(byYear.get(2027)).toMatchObject({ status: 'PROVISIONAL', loadedBy: 'seed', makeupWorkdays: 0 });
    });
  });

  describe('PUT /api/admin/calendar/years/:year', () => {
    // 2093-03-02 is a Monday; 2093-03-07 a Saturday. The statutory days of 全国年节及纪念日放假办法
    // (with Art. 6 compensation) as deriveProvisionalYear has them, since a load must keep them;
    // none of them is in early March.
    const statutory = deriveProvisionalYear(YEAR).holidays.map((h) => ({ from: h.date, to: h.date, name: h.name }));
    const notice = {
      source: '测试通知 2093',
      holidays: [...statutory, { from: '2093-03-03', to: '2093-03-04', name: '测试假日' }],
      makeupWorkdays: [{ date: '2093-03-07', name: '测试调休上班' }],
    };
    const noticeHolidays = statutory.length + 2;
    const deadline2093 = () =>
      get('/api/calendar/deadline', { from: '2093-03-02T10:00:00+08:00', workingDays: 3 }).expect(200);

    it('is for ADMIN only', async () => {
      const res = await put(YEAR, notice, staff).expect(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect((await put(YEAR, notice, null).expect(401)).body.error.code).toBe('UNAUTHENTICATED');
      expect(await db.calendarYear.findUnique({ where: { year: YEAR } })).toBeNull();
    });

    it('rejects an invalid schedule with 422 INVALID_CALENDAR listing every problem, and stores nothing', async () => {
      const res = await put(YEAR, {
        source: '',
        holidays: [
          { from: '2093-03-03', to: '2093-03-01', name: '倒序' },
          { from: '2094-01-01', to: '2094-01-01', name: '元旦' },
        ],
        makeupWorkdays: [{ date: '2093-03-02', name: '周一' }],
      }).expect(422);
      expect(res.body.error.code).toBe('INVALID_CALENDAR');
      const codes = (res.body.error.details as Array<{ path: string; code: string; message: string }>).map(
        (d) => `${d.path}:${d.code}`,
      );
      expect(codes).toEqual(
        expect.arrayContaining([
          'source:EMPTY_SOURCE',
          'holidays[0].to:RANGE_REVERSED',
          'holidays[1].from:DATE_OUTSIDE_YEAR',
          'makeupWorkdays[0].date:MAKEUP_NOT_WEEKEND',
        ]),
      );
      expect(res.body.error.message).toContain('source');
      // Chinese for the people who load the calendar, English beside it; every problem in both.
      expect(res.body.error.message).toBe('日历安排有误：source：source 须写明日历安排所依据的通知（另有 4 处问题）');
      expect(res.body.error.messageEn).toBe(
        'Invalid calendar schedule: source: source must name the notice the schedule comes from (and 4 more problem(s))',
      );
      const details = res.body.error.details as Array<{ path: string; message: string; messageEn: string }>;
      expect(details.find((d) => d.path === 'holidays[0].to')).toMatchObject({
        message: 'to（2093-03-01）早于 from（2093-03-03）',
        messageEn: 'to (2093-03-01) is before from (2093-03-03)',
      });
      expect(details.find((d) => d.path === 'makeupWorkdays[0].date')?.message).toBe(
        '2093-03-02 是工作日，不是星期六或星期日',
      );
      const structural = await put(YEAR, { source: 'x', holidays: 'none', colour: 'red' }).expect(422);
      expect((structural.body.error.details as Array<{ path: string }>).map((d) => d.path)).toEqual(
        expect.arrayContaining(['holidays', 'makeupWorkdays', 'colour']),
      );
      expect(await db.calendarYear.findUnique({ where: { year: YEAR } })).toBeNull();
      expect(await db.auditLog.count({ where: { entityType: 'CalendarYear', entityId: String(YEAR) } })).toBe(0);
    });

    it('rejects a body year that differs from the path, and a bad path year, with 400', async () => {
      const mismatch = await put(YEAR, { ...notice, year: 2094 }).expect(400);
      expect(mismatch.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('year'),
      });
      expect((await put('20x3', notice).expect(400)).body.error.code).toBe('VALIDATION_FAILED');
      expect((await put('1800', notice).expect(400)).body.error.code).toBe('VALIDATION_FAILED');
      expect(await db.calendarYear.findUnique({ where: { year: YEAR } })).toBeNull();
    });

    it('loads a year: days and deadlines reflect it at once, the load is audited, a reload names the previous version', async () => {
      const before = (await deadline2093()).body;
      // Provisional 2093 (nothing special in early March): Tue 3, Wed 4, Thu 5.
      expect(before).toMatchObject({ dueDate: '2093-03-05', provisional: true, provisionalYears: [2093] });

      const res = await put(YEAR, notice).expect(200);
      expect(res.body).toEqual({
        year: YEAR,
        status: 'OFFICIAL',
        source: '测试通知 2093',
        loadedAt: expect.any(String),
        holidays: noticeHolidays,
        makeupWorkdays: 1,
        previous: null,
        // No procedure has a deadline in 2093: the rollout finds nothing to tell.
        procedures: {
          rollout: `calendar-rollout:${YEAR}:${res.body.loadedAt}`,
          state: 'DONE',
          targeted: 0,
          notified: 0,
          retimed: 0,
          signalled: 0,
          gone: 0,
        },
      });

      const days = await get('/api/calendar/days', { from: '2093-03-02', to: '2093-03-08' }).expect(200);
      expect(days.body.items).toEqual([
        { date: '2093-03-02', kind: 'WORKDAY', provisional: false },
        { date: '2093-03-03', kind: 'HOLIDAY', name: '测试假日', provisional: false },
        { date: '2093-03-04', kind: 'HOLIDAY', name: '测试假日', provisional: false },
        { date: '2093-03-05', kind: 'WORKDAY', provisional: false },
        { date: '2093-03-06', kind: 'WORKDAY', provisional: false },
        { date: '2093-03-07', kind: 'MAKEUP_WORKDAY', name: '测试调休上班', provisional: false },
        { date: '2093-03-08', kind: 'WEEKEND', provisional: false },
      ]);
      // Thu 5, Fri 6, makeup Sat 7.
      expect((await deadline2093()).body).toMatchObject({
        dueDate: '2093-03-07',
        deadlineAt: '2093-03-07T16:00:00.000Z',
        provisional: false,
        provisionalYears: [],
      });

      const audit = await db.auditLog.findUniqueOrThrow({
        where: { auditKey: `calendar:${YEAR}:${res.body.loadedAt}` },
      });
      expect(audit).toMatchObject({
        actor: 'dsj.admin',
        action: 'CALENDAR_YEAR_LOADED',
        entityType: 'CalendarYear',
        entityId: String(YEAR),
        details: {
          status: 'OFFICIAL',
          source: '测试通知 2093',
          holidays: noticeHolidays,
          makeupWorkdays: 1,
          via: 'api',
          previous: null,
        },
      });

      const reload = await put(YEAR, {
        ...notice,
        year: YEAR,
        status: 'PROVISIONAL',
        source: '测试通知 2093 (修订)',
        makeupWorkdays: [],
      }).expect(200);
      expect(reload.body).toMatchObject({
        status: 'PROVISIONAL',
        makeupWorkdays: 0,
        previous: { status: 'OFFICIAL', source: '测试通知 2093', loadedBy: 'dsj.admin', loadedAt: res.body.loadedAt },
        procedures: { rollout: `calendar-rollout:${YEAR}:${reload.body.loadedAt}`, state: 'DONE', notified: 0 },
      });
      // Without the makeup Saturday: Thu 5, Fri 6, Mon 9; provisional again by the operator's choice.
      expect((await deadline2093()).body).toMatchObject({
        dueDate: '2093-03-09',
        provisional: true,
        provisionalYears: [2093],
      });
      const years = (await get('/api/calendar/years').expect(200)).body.items as Array<{ year: number }>;
      expect(years.find((y) => y.year === YEAR)).toMatchObject({
        status: 'PROVISIONAL',
        source: '测试通知 2093 (修订)',
        loadedBy: 'dsj.admin',
        holidays: noticeHolidays,
        makeupWorkdays: 0,
      });
    });

    it('refuses a year without its statutory holidays (放假办法 Art. 2, 6): 422 listing each; no write, no signal; a valid load signals only procedures it can move', async () => {
      await cleanup();
      // A running procedure with an open deadline in 2093, so that a load would signal it, and one
      // whose open deadline is counted wholly in 2094, which a load of 2093 cannot move.
      const temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
      const workflowId = `calendar-api-test-probe-${randomUUID()}`;
      const otherYear = `calendar-api-test-probe-${randomUUID()}`;
      try {
        for (const [id, dueAt, deadlineFrom] of [
          [workflowId, new Date('2093-06-30T16:00:00Z'), null],
          [otherYear, new Date('2094-01-19T16:00:00Z'), new Date('2094-01-04T02:00:00Z')],
        ] as const) {
          await startUnpolledProbe(temporal.client, id);
          await openDeadlineTask(db, 'calendar-api-test', id, dueAt, { deadlineFrom });
        }
        const signals = async (id = workflowId) => {
          const history = await temporal.client.workflow.getHandle(id).fetchHistory();
          return (history.events ?? []).filter(
            (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'calendarChanged',
          ).length;
        };
        const audits = () => db.auditLog.count({ where: { entityType: 'CalendarYear', entityId: String(YEAR) } });
        const auditsBefore = await audits();

        const res = await put(YEAR, { source: '测试通知 2093 (假日漏了)', holidays: [], makeupWorkdays: [] }).expect(
          422,
        );
        expect(res.body.error.code).toBe('INVALID_CALENDAR');
        const details = res.body.error.details as Array<{ code: string; date: string; entitlement: string }>;
        const missing = details.filter((d) => d.code === 'STATUTORY_HOLIDAY_MISSING').map((d) => d.entitlement);
        // Every festival of Art. 2 is named (those on a weekend as uncompensated instead).
        const named = new Set(details.map((d) => d.entitlement));
        for (const f of ['元旦', '春节', '清明节', '劳动节', '端午节', '中秋节', '国庆节']) expect(named).toContain(f);
        expect(missing.length).toBeGreaterThan(0);
        expect(details.every((d) => /^2093-\d{2}-\d{2}$/.test(d.date))).toBe(true);
        expect(res.body.error.messageEn).toContain('statutory');
        expect(await db.calendarYear.findUnique({ where: { year: YEAR } })).toBeNull();
        expect(await audits()).toBe(auditsBefore);
        expect(await signals()).toBe(0);

        // The same with the statutory days kept is loaded and does reach the procedure.
        const ok = await put(YEAR, notice).expect(200);
        expect(ok.body.procedures).toMatchObject({ state: 'DONE', notified: 1, signalled: 1, targeted: 1 });
        expect(await signals()).toBe(1);
        expect(await signals(otherYear)).toBe(0);

        // Answered before the rollout is done (CALENDAR_ANSWER_WAIT_MS=0): it goes on, and the
        // admin follows it; starting the same version's rollout again finds it, not a second run.
        const { app: atOnce } = testApp(db, {
          UPDATE_TIMEOUT_MS: '1000',
          TEMPORAL_TASK_QUEUE: worker.taskQueue,
          CALENDAR_ANSWER_WAIT_MS: '0',
        });
        const running = await put(YEAR, { ...notice, source: '测试通知 2093 (再次)' }, admin, atOnce).expect(200);
        const rollout = `calendar-rollout:${YEAR}:${running.body.loadedAt}`;
        expect(running.body.procedures).toMatchObject({ rollout, state: 'RUNNING' });
        const followed = await eventually(async () => {
          const r = await request(app)
            .get(`/api/admin/calendar/years/${YEAR}/rollout`)
            .auth(admin, { type: 'bearer' })
            .expect(200);
          return r.body.procedures.state === 'DONE' && r.body;
        }, 'the rollout to finish');
        expect(followed).toEqual({
          year: YEAR,
          loadedAt: running.body.loadedAt,
          procedures: { rollout, state: 'DONE', targeted: 1, notified: 1, retimed: 0, signalled: 1, gone: 0 },
        });
        expect(await signals()).toBe(2);
        await recordHistory('calendar-rollout-signalled', temporal.client.workflow.getHandle(rollout));
        const { runId } = await temporal.client.workflow.getHandle(rollout).describe();
        const settings = { taskQueue: worker.taskQueue, concurrency: 4, answerTimeoutMs: 1000 };
        expect(await startCalendarRollout(temporal.client, YEAR, running.body.loadedAt, settings)).toBe(rollout);
        expect(await temporal.client.workflow.getHandle(rollout).describe()).toMatchObject({
          runId,
          status: { name: 'COMPLETED' },
        });
        expect(await signals()).toBe(2);

        // The API died between the load and the rollout's start: the reconciler starts it.
        const crashed = await loadCalendarYear(
          db,
          { ...notice, year: YEAR, source: '测试通知 2093 (崩溃)' },
          'dsj.admin',
        );
        const lost = await request(app)
          .get(`/api/admin/calendar/years/${YEAR}/rollout`)
          .auth(admin, { type: 'bearer' })
          .expect(200);
        expect(lost.body.procedures).toMatchObject({ state: 'RUNNING', error: expect.stringContaining('Not started') });
        const ensured = await ensureCalendarRollouts(temporal.client, db, settings, { olderThanMs: 0, years: [YEAR] });
        expect(ensured).toContain(rolloutWorkflowId(YEAR, crashed.loadedAt));
        await eventually(async () => (await signals()) === 3, 'the reconciled rollout to tell the procedure');
      } finally {
        await removeProbes(temporal.client, db, 'calendar-api-test', [workflowId, otherYear]);
        await temporal.connection.close();
        await cleanup();
      }
    });

    it('a rollout started whose state cannot be read is answered RUNNING with its id, and runs all the same', async () => {
      const real = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
      // The start reaches Temporal; every read of the rollout after it fails, as on a dropped connection.
      const lost = new Error('14 UNAVAILABLE: connection dropped after the start');
      const unreadable = { result: () => Promise.reject(lost), describe: () => Promise.reject(lost) };
      const workflow = new Proxy(real.client.workflow, {
        get: (target, name) =>
          name === 'getHandle' ? () => unreadable : (Reflect.get(target, name) as unknown as object),
      });
      const client = new Proxy(real.client, {
        get: (target, name) => (name === 'workflow' ? workflow : (Reflect.get(target, name) as unknown as object)),
      });
      try {
        const { app: flaky } = testApp(
          db,
          { UPDATE_TIMEOUT_MS: '1000', TEMPORAL_TASK_QUEUE: worker.taskQueue },
          { temporal: async () => ({ client, connection: real.connection }) },
        );
        const res = await put(YEAR, { ...notice, source: '测试通知 2093（读不到）' }, admin, flaky).expect(200);
        const rollout = rolloutWorkflowId(YEAR, res.body.loadedAt);
        expect(res.body.procedures).toEqual({
          rollout,
          state: 'RUNNING',
          targeted: null,
          notified: 0,
          retimed: 0,
          signalled: 0,
          gone: 0,
          error: expect.stringContaining(`could not be read: ${lost.message}`),
        });
        expect(res.body.procedures.error).toContain(`GET /api/admin/calendar/years/${YEAR}/rollout`);
        // It was started for real: the API with a sound connection follows it to its end.
        const done = await eventually(async () => {
          const r = await get(`/api/admin/calendar/years/${YEAR}/rollout`, {}, admin).expect(200);
          return r.body.procedures.state === 'DONE' && r.body;
        }, 'the rollout whose state could not be read to finish');
        expect(done.procedures.rollout).toBe(rollout);
      } finally {
        await real.connection.close();
        await cleanup();
      }
    });

    it('a newer load cancels the rollout of the version it replaced, if that one still runs', async () => {
      const temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
      const probe = `calendar-api-test-probe-${randomUUID()}`;
      try {
        // The first load's rollout waits 20 s for the probe's answer (it never comes), so it still
        // runs when the second load arrives.
        await startUnpolledProbe(temporal.client, probe);
        await openDeadlineTask(db, 'calendar-api-test', probe, new Date('2093-06-30T16:00:00Z'));
        const { app: patient } = testApp(db, {
          UPDATE_TIMEOUT_MS: '20000',
          TEMPORAL_TASK_QUEUE: worker.taskQueue,
          CALENDAR_ANSWER_WAIT_MS: '0',
        });
        const first = await put(YEAR, { ...notice, source: '测试通知 2093（初版）' }, admin, patient).expect(200);
        const older = rolloutWorkflowId(YEAR, first.body.loadedAt);
        expect(first.body.procedures).toMatchObject({ rollout: older, state: 'RUNNING' });

        const second = await put(YEAR, { ...notice, source: '测试通知 2093（更正）' }).expect(200);
        expect(second.body.previous.loadedAt).toBe(first.body.loadedAt);
        expect(second.body.procedures).toMatchObject({ state: 'DONE', targeted: 1, signalled: 1 });
        const cancelled = await eventually(async () => {
          const status = await calendarRolloutStatus(temporal.client, older);
          return status?.state === 'CANCELLED' && status;
        }, 'the replaced rollout to be cancelled');
        expect(cancelled.error).toContain('newer load');
        // The year's rollout is the second one's; loading a year again never cancels its own.
        const now = await get(`/api/admin/calendar/years/${YEAR}/rollout`, {}, admin).expect(200);
        expect(now.body.procedures).toMatchObject({
          rollout: rolloutWorkflowId(YEAR, second.body.loadedAt),
          state: 'DONE',
        });
      } finally {
        await removeProbes(temporal.client, db, 'calendar-api-test', [probe]);
        await temporal.connection.close();
        await cleanup();
      }
    });

    it('keeps the load and says so when Temporal cannot be reached', async () => {
      const { app: noTemporal } = testApp(db, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      const res = await put(YEAR, notice, admin, noTemporal).expect(200);
      expect(res.body.procedures).toEqual({
        rollout: null,
        state: 'FAILED',
        targeted: null,
        notified: 0,
        retimed: 0,
        signalled: 0,
        gone: 0,
        error: expect.stringContaining('not (all) told'),
      });
      // Nor can anyone follow a rollout then: 503, retry later.
      const follow = await request(noTemporal)
        .get(`/api/admin/calendar/years/${YEAR}/rollout`)
        .auth(admin, { type: 'bearer' })
        .expect(503);
      expect(follow.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(await db.calendarYear.findUniqueOrThrow({ where: { year: YEAR } })).toMatchObject({
        status: 'OFFICIAL',
        source: '测试通知 2093',
      });
    });
  });

  it('GET …/rollout: ADMIN only; 404 for a year only seeded, never loaded by an administrator', async () => {
    const forbidden = await get('/api/admin/calendar/years/2026/rollout').expect(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    const seeded = await get('/api/admin/calendar/years/2030/rollout', {}, admin).expect(404);
    expect(seeded.body.error).toMatchObject({ code: 'NOT_FOUND', messageEn: expect.stringContaining('2030') });
    expect((await get('/api/admin/calendar/years/20x0/rollout', {}, admin).expect(400)).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('documents the calendar endpoints in the OpenAPI document', async () => {
    const doc = await request(app).get('/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/calendar/deadline',
        '/api/calendar/days',
        '/api/calendar/years',
        '/api/admin/calendar/years/{year}',
        '/api/admin/calendar/years/{year}/rollout',
      ]),
    );
  });
});
