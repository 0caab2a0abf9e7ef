/**
 * Working-day calendar (工作日) API: deadline computation, day listing, the stored years, and
 * the admin load of a year's schedule (国务院办公厅关于部分节假日安排的通知), which tells the
 * running procedures to recompute their open deadlines.
 */
import { Router } from 'express';
import { z } from 'zod';
import { MAX_SUPPORTED_YEAR, MIN_SUPPORTED_YEAR, isIsoDate, shanghaiDate } from '../../domain/calendar';
import {
  calendarRolloutStatus,
  NO_COUNTS,
  type RolloutStatus,
  rolloutSettings,
  rolloutWorkflowId,
  startCalendarRollout,
} from '../../lib/calendar-rollout';
import { CalendarCache, loadCalendarYear } from '../../lib/calendar-store';
import type { ApiDeps } from '../deps';
import { requirePrincipal, requireRole } from '../auth';
import { AppError, digitsToNumber, fieldText, noQuery, parse } from '../errors';
import { temporalClient, unavailable } from '../kit/temporal';
import { documented } from '../openapi';
import { oneLine } from '../../lib/one-line';

/** Longest statutory period in the regulation is 15 wd; 500 (~2 years) leaves ample room. */
export const MAX_DEADLINE_WORKING_DAYS = 500;
/** A listing covers at most one (leap) year. */
export const MAX_DAYS_LISTED = 366;

const DAY_MS = 86_400_000;
const INSTANT_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const instant = z
  .string()
  .regex(
    INSTANT_WITH_OFFSET,
    fieldText(
      '须为带 UTC 偏移的 ISO 8601 时刻，例如 2026-09-30T10:00:00+08:00',
      'must be an ISO 8601 instant with a UTC offset, e.g. 2026-09-30T10:00:00+08:00',
    ),
  )
  .refine(
    (v) => isIsoDate(v.slice(0, 10)) && Number.isFinite(Date.parse(v)),
    fieldText('不是真实存在的日期和时间', 'is not a real date and time'),
  );

const positiveInt = (max: number) =>
  z
    .string()
    // Digits only (no sign, point or exponent); the size is the number's check, so 99999999 is
    // "too big", not "not a whole number".
    .regex(/^\d+$/, fieldText('须为正整数（仅数字）', 'must be a positive whole number (digits only)'))
    .transform(digitsToNumber)
    .pipe(z.number().int().min(1).max(max));

const deadlineQuery = z
  .object({
    from: instant,
    workingDays: positiveInt(MAX_DEADLINE_WORKING_DAYS),
    warningWorkingDaysBefore: positiveInt(MAX_DEADLINE_WORKING_DAYS).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.warningWorkingDaysBefore !== undefined && q.warningWorkingDaysBefore > q.workingDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['warningWorkingDaysBefore'],
        message: fieldText('不能大于 workingDays', 'must not exceed workingDays'),
      });
    }
  });

const isoDate = z
  .string()
  .refine(isIsoDate, fieldText('须为 YYYY-MM-DD 格式的真实日期', 'must be a real date as YYYY-MM-DD'));

const daysQuery = z
  .object({ from: isoDate, to: isoDate })
  .strict()
  .superRefine((q, ctx) => {
    const span = (Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / DAY_MS + 1;
    if (span < 1)
      ctx.addIssue({ code: 'custom', path: ['to'], message: fieldText('不能早于 from', 'must not be before from') });
    else if (span > MAX_DAYS_LISTED)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: fieldText(`日期范围最多 ${MAX_DAYS_LISTED} 天`, `the range may cover at most ${MAX_DAYS_LISTED} days`),
      });
  });

const yearParam = z
  .object({
    year: z
      .string()
      .regex(/^\d{4}$/, fieldText('须为四位数年份', 'must be a four-digit year'))
      .transform(Number)
      .pipe(z.number().int().min(MIN_SUPPORTED_YEAR).max(MAX_SUPPORTED_YEAR)),
  })
  .strict();

/** Documents the body; validateSchedule checks it (and reports every problem as INVALID_CALENDAR). */
const scheduleBody = z
  .object({
    year: z.number().int().optional().describe('Defaults to the year in the path; must equal it if given'),
    status: z.enum(['OFFICIAL', 'PROVISIONAL']).optional().describe('Default OFFICIAL'),
    source: z.string().min(1).describe('The notice the schedule comes from, e.g. 国办发明电〔2026〕x号'),
    holidays: z.array(z.object({ from: z.string(), to: z.string(), name: z.string() }).strict()),
    makeupWorkdays: z.array(z.object({ date: z.string(), name: z.string() }).strict()),
  })
  .strict();

/** Turns a RangeError of the calendar module (date outside 1901..2199) into a 400. */
function outOfRange<T>(field: string, compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    if (err instanceof RangeError) {
      throw new AppError(
        'VALIDATION_FAILED',
        {
          zh: `查询参数有误：${field}：日期超出日历支持的范围（1901–2199 年）`,
          en: `Invalid query: ${field}: ${err.message}`,
        },
        [{ path: field, message: '日期超出日历支持的范围（1901–2199 年）' }],
      );
    }
    throw err;
  }
}

const dayKind = z.enum(['WORKDAY', 'WEEKEND', 'HOLIDAY', 'MAKEUP_WORKDAY']);
const yearStatus = z.enum(['OFFICIAL', 'PROVISIONAL']);
/** The answer of GET /api/calendar/deadline. */
const deadlineSchema = z.object({
  from: z.string(),
  receivedDate: z.string(),
  workingDays: z.number(),
  warningWorkingDaysBefore: z.number(),
  dueDate: z.string(),
  deadlineAt: z.string(),
  deadlineAtShanghai: z.string(),
  warningAt: z.string(),
  warningAtShanghai: z.string(),
  provisional: z.boolean(),
  provisionalYears: z.array(z.number()),
});
const daysSchema = z.object({
  items: z.array(z.object({ date: z.string(), kind: dayKind, name: z.string().optional(), provisional: z.boolean() })),
});
const yearsSchema = z.object({
  items: z.array(
    z.object({
      year: z.number(),
      status: yearStatus,
      source: z.string(),
      loadedAt: z.string(),
      loadedBy: z.string(),
      holidays: z.number(),
      makeupWorkdays: z.number(),
    }),
  ),
});
/** How far the load's rollout (the running procedures told to recompute their deadlines) has come. */
const rolloutSchema = z.object({
  rollout: z.string().nullable().describe('Workflow id of the rollout (Temporal UI); null if it could not be started'),
  state: z
    .enum(['DONE', 'RUNNING', 'CANCELLED', 'FAILED'])
    .describe("CANCELLED: a newer load of the year replaced this version; that load's rollout tells the procedures"),
  targeted: z.number().nullable().describe('Procedures the change can move; null until the rollout has looked'),
  notified: z.number().describe('Told so far: re-timed (answered) or signalled'),
  retimed: z.number(),
  signalled: z.number(),
  gone: z.number().describe('Completed or gone meanwhile'),
  error: z.string().optional(),
});
const rolloutAnswerSchema = z.object({ year: z.number(), loadedAt: z.string(), procedures: rolloutSchema });
const loadedSchema = z.object({
  year: z.number(),
  status: yearStatus,
  source: z.string(),
  loadedAt: z.string(),
  holidays: z.number(),
  makeupWorkdays: z.number(),
  previous: z.object({ status: yearStatus, source: z.string(), loadedAt: z.string(), loadedBy: z.string() }).nullable(),
  procedures: rolloutSchema,
});

export function calendarRouter(deps: ApiDeps): Router {
  documented({
    method: 'get',
    path: '/api/calendar/deadline',
    tags: ['calendar'],
    auth: 'required',
    query: deadlineQuery,
    response: deadlineSchema,
    summary:
      'Deadline of "within N working days from <from>": 24:00 Asia/Shanghai of the N-th working day after the receipt day, with warning time and provisional flag',
  });
  documented({
    method: 'get',
    path: '/api/calendar/days',
    tags: ['calendar'],
    auth: 'required',
    query: daysQuery,
    response: daysSchema,
    summary:
      'Days from..to (at most 366) with kind (WORKDAY, WEEKEND, HOLIDAY, MAKEUP_WORKDAY), holiday name and provisional flag; the whole range in one answer, not paged',
  });
  documented({
    method: 'get',
    path: '/api/calendar/years',
    tags: ['calendar'],
    auth: 'required',
    response: yearsSchema,
    summary:
      'Calendar years stored, with status (OFFICIAL/PROVISIONAL), source and who loaded them; every year in one answer, not paged (at most one per supported year, 1901–2199)',
  });
  documented({
    method: 'put',
    path: '/api/admin/calendar/years/{year}',
    tags: ['calendar', 'admin'],
    auth: 'required',
    body: scheduleBody,
    errors: ['FORBIDDEN', 'INVALID_CALENDAR'],
    response: loadedSchema,
    summary:
      "Load a year's holiday schedule (ADMIN); audited; a rollout workflow tells the running procedures to recompute their open deadlines. Answers when the rollout is done or after CALENDAR_ANSWER_WAIT_MS with state RUNNING",
    responses: { 200: 'Loaded', 403: 'Not an ADMIN', 422: 'INVALID_CALENDAR: details list every problem' },
  });
  documented({
    method: 'get',
    path: '/api/admin/calendar/years/{year}/rollout',
    tags: ['calendar', 'admin'],
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND', 'SERVICE_UNAVAILABLE'],
    response: rolloutAnswerSchema,
    summary: "Where the rollout of the year's loaded version stands (ADMIN): running procedures told so far",
    responses: {
      200: 'The rollout',
      403: 'Not an ADMIN',
      404: 'NOT_FOUND: the year was never loaded, or only seeded',
      503: 'SERVICE_UNAVAILABLE: Temporal cannot be reached; retry',
    },
  });

  const cache = new CalendarCache();
  const router = Router();

  router.get('/api/calendar/deadline', async (req, res) => {
    requirePrincipal(req);
    const q = parse(deadlineQuery, req.query, 'query');
    const calendar = await cache.get(deps.db);
    const from = new Date(q.from);
    const r = outOfRange('from', () =>
      calendar.deadline(from, q.workingDays, { warningWorkingDaysBefore: q.warningWorkingDaysBefore }),
    );
    res.json({
      from: from.toISOString(),
      receivedDate: shanghaiDate(from),
      workingDays: q.workingDays,
      warningWorkingDaysBefore: q.warningWorkingDaysBefore ?? 1,
      dueDate: r.dueDate,
      deadlineAt: r.deadlineAt.toISOString(),
      deadlineAtShanghai: `${r.dueDate} 24:00 (Asia/Shanghai)`,
      warningAt: r.warningAt.toISOString(),
      warningAtShanghai: `${shanghaiDate(r.warningAt)} 00:00 (Asia/Shanghai)`,
      provisional: r.provisional,
      provisionalYears: r.provisionalYears,
    });
  });

  router.get('/api/calendar/days', async (req, res) => {
    requirePrincipal(req);
    const q = parse(daysQuery, req.query, 'query');
    const calendar = await cache.get(deps.db);
    const items = outOfRange('from', () => calendar.days(q.from, q.to));
    res.json({ items });
  });

  router.get('/api/calendar/years', async (req, res) => {
    requirePrincipal(req);
    noQuery(req.query);
    const [years, counts] = await Promise.all([
      deps.db.calendarYear.findMany({ orderBy: { year: 'asc' } }),
      deps.db.calendarDay.groupBy({ by: ['year', 'kind'], _count: { _all: true } }),
    ]);
    const count = (year: number, kind: 'HOLIDAY' | 'MAKEUP_WORKDAY') =>
      counts.find((c) => c.year === year && c.kind === kind)?._count._all ?? 0;
    res.json({
      items: years.map((y) => ({
        year: y.year,
        status: y.status,
        source: y.source,
        loadedAt: y.loadedAt.toISOString(),
        loadedBy: y.loadedBy,
        holidays: count(y.year, 'HOLIDAY'),
        makeupWorkdays: count(y.year, 'MAKEUP_WORKDAY'),
      })),
    });
  });

  router.put('/api/admin/calendar/years/:year', async (req, res) => {
    const admin = requireRole(req, 'ADMIN');
    const { year } = parse(yearParam, req.params, 'params');
    let input: unknown = req.body;
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
      const body = input as Record<string, unknown>;
      if (body.year === undefined) input = { ...body, year };
      else if (body.year !== year) {
        throw new AppError(
          'VALIDATION_FAILED',
          {
            zh: `请求体有误：year：${JSON.stringify(body.year)} 与路径中的年份（${year}）不一致`,
            en: `Invalid body: year: ${JSON.stringify(body.year)} differs from the year in the path (${year})`,
          },
          [{ path: 'year', message: `须与路径中的年份（${year}）一致` }],
        );
      }
    }
    const loaded = await loadCalendarYear(deps.db, input, admin.login, { via: 'api' });
    req.log?.info({ year: loaded.year, status: loaded.status, actor: admin.login }, 'calendar year loaded');

    // The load stands whatever happens next; the answer says how far the procedures were told.
    let procedures: z.infer<typeof rolloutSchema>;
    let started: string | undefined;
    try {
      const { client } = await deps.temporal();
      started = await startCalendarRollout(
        client,
        loaded.year,
        loaded.loadedAt,
        rolloutSettings(deps.config),
        loaded.previous?.loadedAt,
      );
      procedures = answer(started, await calendarRolloutStatus(client, started, deps.config.CALENDAR_ANSWER_WAIT_MS));
    } catch (err) {
      const message = oneLine(err);
      if (started) {
        // Started, but its state could not be read: it runs all the same.
        procedures = {
          ...notStarted,
          rollout: started,
          state: 'RUNNING',
          error: `The rollout was started but its state could not be read: ${message}. GET /api/admin/calendar/years/${loaded.year}/rollout follows it.`,
        };
      } else {
        req.log?.warn(
          { err, year: loaded.year },
          'calendar loaded but its rollout to the running procedures did not start',
        );
        procedures = {
          ...notStarted,
          error:
            `Running procedures were not (all) told to recompute their deadlines: ${message}. The API starts the ` +
            'rollout within a minute once Temporal answers (its reconciler); loading the year again retries at once.',
        };
      }
    }
    res.json({
      year: loaded.year,
      status: loaded.status,
      source: loaded.source,
      loadedAt: loaded.loadedAt.toISOString(),
      holidays: loaded.holidays,
      makeupWorkdays: loaded.makeupWorkdays,
      previous: loaded.previous,
      procedures,
    });
  });

  router.get('/api/admin/calendar/years/:year/rollout', async (req, res) => {
    requireRole(req, 'ADMIN');
    noQuery(req.query);
    const { year } = parse(yearParam, req.params, 'params');
    const row = await deps.db.calendarYear.findUnique({ where: { year } });
    if (!row || row.loadedBy === 'seed')
      throw new AppError('NOT_FOUND', {
        zh: `${year} 年的日历未曾由管理员加载，没有变更通知`,
        en: `The calendar of ${year} was never loaded by an administrator: there is no rollout`,
      });
    const workflowId = rolloutWorkflowId(year, row.loadedAt);
    const status = await calendarRolloutStatus(await temporalClient(deps), workflowId).catch((err: unknown) => {
      throw unavailable(err);
    });
    res.json({ year, loadedAt: row.loadedAt.toISOString(), procedures: answer(workflowId, status) });
  });

  return router;
}

/** A rollout as the API answers it; one that does not exist (yet) is left to the API's reconciler. */
function answer(workflowId: string, status: RolloutStatus | null): z.infer<typeof rolloutSchema> {
  if (!status)
    return {
      ...notStarted,
      rollout: workflowId,
      state: 'RUNNING',
      error: 'Not started yet: the API starts it within a minute (its reconciler).',
    };
  const { workflowId: rollout, ...rest } = status;
  return { rollout, ...rest };
}

const notStarted = { rollout: null, state: 'FAILED' as const, ...NO_COUNTS };
