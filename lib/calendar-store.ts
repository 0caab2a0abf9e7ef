/**
 * The working-day calendar as data (DESIGN.md "Working days"): Postgres holds one
 * `calendar_year` row per known year (OFFICIAL from a State Council notice, or PROVISIONAL
 * derived from 全国年节及纪念日放假办法) and, in `calendar_day`, only the *special* days of that
 * year: statutory holidays (HOLIDAY) and makeup workdays (MAKEUP_WORKDAY). Ordinary Monday–Friday
 * workdays and weekends are implied. A year without a row is derived as PROVISIONAL by
 * WorkingCalendar itself, so the table only needs the years an operator or the seed decided on.
 *
 * Civil dates are stored in `date` columns as the UTC midnight of the Asia/Shanghai civil date
 * ('2026-10-01' ⇄ 2026-10-01T00:00:00Z); no time-zone conversion is involved.
 */
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { AppError } from '../api/errors';
import {
  CHINESE_WORKDAY_KNOWN_ISSUES,
  CHINESE_WORKDAY_SOURCE,
  WorkingCalendar,
  chineseWorkdayYears,
  deriveProvisionalYear,
  shanghaiDate,
  startOfShanghaiDay,
  validateSchedule,
} from '../domain/calendar';
import type { CalendarPolicy, CalendarYear, IsoDate, NamedDay, YearStatus } from '../domain/calendar';
import { calendarChangedSignal, calendarChangedUpdate } from '../workflows/messages';
import type { Db } from './db';
import { isCallTimeout } from './temporal';

/** A progress or problem line; `warn` for a procedure that was not signalled. */
type Log = (line: string, level?: 'info' | 'warn') => void;
const silent: Log = () => undefined;

const toDbDate = (date: IsoDate): Date => new Date(`${date}T00:00:00.000Z`);
const fromDbDate = (date: Date): IsoDate => date.toISOString().slice(0, 10);

function dayRows(y: CalendarYear) {
  return [
    ...y.holidays.map((h) => ({ date: toDbDate(h.date), year: y.year, kind: 'HOLIDAY' as const, name: h.name })),
    ...y.makeupWorkdays.map((m) => ({
      date: toDbDate(m.date),
      year: y.year,
      kind: 'MAKEUP_WORKDAY' as const,
      name: m.name,
    })),
  ];
}

/** Source label of a seeded chinese-workday year, naming the corrections applied to it. */
export function chineseWorkdaySeedSource(year: number): string {
  const n = CHINESE_WORKDAY_KNOWN_ISSUES.filter((i) => i.date.startsWith(`${year}-`)).length;
  return `${CHINESE_WORKDAY_SOURCE} with known corrections applied (${n} for ${year}, ${CHINESE_WORKDAY_KNOWN_ISSUES.length} in total; see CHINESE_WORKDAY_KNOWN_ISSUES)`;
}

/**
 * Inserts the given years that are not in the table yet, with their days, in one
 * transaction; an existing year is never touched (an operator may have loaded the official
 * notice). Concurrent callers are safe: `INSERT … ON CONFLICT DO NOTHING` hands each year to
 * exactly one of them, and only that one writes its days. Returns the years inserted.
 */
export async function insertMissingCalendarYears(db: Db, years: CalendarYear[], loadedBy: string): Promise<number[]> {
  if (years.length === 0) return [];
  return db.$transaction(async (tx) => {
    const created = await tx.calendarYear.createManyAndReturn({
      data: years.map((y) => ({ year: y.year, status: y.status, source: y.source, loadedBy })),
      skipDuplicates: true,
      select: { year: true },
    });
    const inserted = new Set(created.map((c) => c.year));
    const rows = years.filter((y) => inserted.has(y.year)).flatMap(dayRows);
    if (rows.length > 0) await tx.calendarDay.createMany({ data: rows });
    return [...inserted].sort((a, b) => a - b);
  });
}

/**
 * Seeds the calendar: every year chinese-workday covers (OFFICIAL, with the known corrections
 * applied), then PROVISIONAL years derived from the 放假办法 for every year after the package's
 * last one up to the current Shanghai year + 2. Only missing years are inserted (idempotent,
 * never overwrites a loaded year). `now` is for tests.
 */
export async function seedCalendar(
  db: Db,
  log: Log = silent,
  opts: { now?: Date } = {},
): Promise<{ inserted: number[] }> {
  const official = chineseWorkdayYears({ applyKnownCorrections: true }).map((y) => ({
    ...y,
    source: chineseWorkdaySeedSource(y.year),
  }));
  const lastOfficial = Math.max(...official.map((y) => y.year));
  const untilYear = Number(shanghaiDate(opts.now ?? new Date()).slice(0, 4)) + 2;
  const provisional: CalendarYear[] = [];
  for (let y = lastOfficial + 1; y <= untilYear; y++) provisional.push(deriveProvisionalYear(y));
  const inserted = await insertMissingCalendarYears(db, [...official, ...provisional], 'seed');
  log(
    `calendar: ${inserted.length} year(s) inserted` +
      (inserted.length > 0 ? ` (${inserted[0]}..${inserted[inserted.length - 1]})` : '') +
      `; official ${official[0].year}..${lastOfficial} from ${CHINESE_WORKDAY_SOURCE}, provisional ${lastOfficial + 1}..${untilYear}`,
  );
  return { inserted };
}

/** The stored calendar as domain years (holidays and makeup workdays sorted by date). */
export async function readCalendarYears(db: Db): Promise<CalendarYear[]> {
  const years = await db.calendarYear.findMany({
    orderBy: { year: 'asc' },
    include: { days: { orderBy: { date: 'asc' } } },
  });
  return years.map((y) => {
    const holidays: NamedDay[] = [];
    const makeupWorkdays: NamedDay[] = [];
    for (const d of y.days) {
      const day = { date: fromDbDate(d.date), name: d.name ?? '' };
      if (d.kind === 'HOLIDAY') holidays.push(day);
      else if (d.kind === 'MAKEUP_WORKDAY') makeupWorkdays.push(day);
      // WORKDAY/WEEKEND rows are implied by the weekday; none are written, any are ignored.
    }
    return { year: y.year, status: y.status, source: y.source, holidays, makeupWorkdays };
  });
}

/**
 * Fingerprint of the stored calendar: changes whenever a year is added, removed or reloaded
 * (every load sets loaded_at) and whenever the number of special days changes (a hand edit).
 * One cheap query over a few dozen rows.
 */
async function calendarFingerprint(db: Db): Promise<string> {
  const rows = await db.$queryRaw<Array<{ fp: string | null }>>`
    SELECT concat_ws('|',
      (SELECT md5(coalesce(string_agg(year || ':' || status || ':' || extract(epoch FROM loaded_at), ',' ORDER BY year), ''))
         FROM calendar_year),
      (SELECT count(*) FROM calendar_day)) AS fp`;
  return rows[0]?.fp ?? '';
}

const policyKey = (p: CalendarPolicy): string => `makeup=${p.countMakeupWorkdays}`;

/**
 * Builds WorkingCalendars from the stored calendar and keeps them until the stored calendar
 * changes.
 *
 * Freshness: by default every get() checks the fingerprint (one single-row query) and
 * rebuilds when it differs, so a deadline computed right after a reload — which is exactly
 * what a workflow does when told calendarChanged — always sees the new calendar, in every
 * process (API and worker each have their own cache). `minCheckIntervalMs` can trade that
 * for fewer queries in a hot path; leave it 0 where correctness after a reload matters.
 * Concurrent get()s share one rebuild. Calendars are built per policy (countMakeupWorkdays
 * defaults to true) from the same years.
 */
export class CalendarCache {
  private readonly defaultPolicy: CalendarPolicy;
  private readonly minCheckIntervalMs: number;
  private fingerprint: string | undefined;
  private years: CalendarYear[] = [];
  private readonly calendars = new Map<string, WorkingCalendar>();
  private checkedAt = 0;
  private pending: Promise<void> | undefined;

  constructor(opts: { policy?: Partial<CalendarPolicy>; minCheckIntervalMs?: number } = {}) {
    this.defaultPolicy = { countMakeupWorkdays: opts.policy?.countMakeupWorkdays ?? true };
    this.minCheckIntervalMs = opts.minCheckIntervalMs ?? 0;
  }

  async get(db: Db, policy?: Partial<CalendarPolicy>): Promise<WorkingCalendar> {
    const effective: CalendarPolicy = {
      countMakeupWorkdays: policy?.countMakeupWorkdays ?? this.defaultPolicy.countMakeupWorkdays,
    };
    const fresh = this.fingerprint !== undefined && Date.now() - this.checkedAt < this.minCheckIntervalMs;
    if (!fresh) {
      this.pending ??= this.refresh(db).finally(() => {
        this.pending = undefined;
      });
      await this.pending;
    }
    const key = policyKey(effective);
    let calendar = this.calendars.get(key);
    if (calendar === undefined) {
      calendar = new WorkingCalendar(this.years, effective);
      this.calendars.set(key, calendar);
    }
    return calendar;
  }

  /** Forgets everything; the next get() reads the database again. */
  invalidate(): void {
    this.fingerprint = undefined;
    this.calendars.clear();
  }

  private async refresh(db: Db): Promise<void> {
    // Fingerprint first, data second: if a load lands in between, the stored fingerprint is
    // older than the data and the next get() simply rebuilds once more.
    const fp = await calendarFingerprint(db);
    if (fp !== this.fingerprint) {
      const years = await readCalendarYears(db);
      this.years = years;
      this.calendars.clear();
      this.fingerprint = fp;
    }
    this.checkedAt = Date.now();
  }
}

export interface CalendarLoadResult {
  year: number;
  status: YearStatus;
  source: string;
  loadedAt: Date;
  holidays: number;
  makeupWorkdays: number;
  previous: { status: YearStatus; source: string; loadedAt: string; loadedBy: string } | null;
}

/**
 * Validates a year's schedule (validateSchedule, including the statutory days of
 * 全国年节及纪念日放假办法 for years from 2025) and, in one transaction, replaces that year's
 * days, upserts its row and writes an audit row. Invalid input throws
 * AppError('INVALID_CALENDAR') listing every problem, and writes nothing. Loads of the same
 * year are serialised by a transaction-scoped advisory lock.
 *
 * The audit row names who loaded what: `actor` (the signed-in login, or 'cli:<os user>'),
 * the year (entityId), status, source, the day counts and the version it replaced; `via`
 * says through which door (e.g. 'api', or 'cli:<os user>' when the CLI was given --actor, so
 * that a claimed login still shows the account that ran the command).
 */
export async function loadCalendarYear(
  db: Db,
  input: unknown,
  actor: string,
  opts: { via?: string } = {},
): Promise<CalendarLoadResult> {
  const checked = validateSchedule(input);
  if (!checked.ok) {
    const [first] = checked.errors;
    const more = checked.errors.length > 1 ? ` (and ${checked.errors.length - 1} more problem(s))` : '';
    throw new AppError(
      'INVALID_CALENDAR',
      {
        zh: `日历安排有误：${first.path || 'input'}：${first.zh}${checked.errors.length > 1 ? `（另有 ${checked.errors.length - 1} 处问题）` : ''}`,
        en: `Invalid calendar schedule: ${first.path || 'input'}: ${first.en}${more}`,
      },
      checked.errors.map(({ zh, en, ...problem }) => ({ ...problem, message: zh, messageEn: en })),
    );
  }
  const y = checked.value;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(20260001, ${y.year}::int)`;
    // Taken under the lock, so successive loads of a year have increasing loadedAt.
    const loadedAt = new Date();
    const prev = await tx.calendarYear.findUnique({ where: { year: y.year } });
    const previous = prev
      ? { status: prev.status, source: prev.source, loadedAt: prev.loadedAt.toISOString(), loadedBy: prev.loadedBy }
      : null;
    await tx.calendarDay.deleteMany({ where: { year: y.year } });
    await tx.calendarYear.upsert({
      where: { year: y.year },
      create: { year: y.year, status: y.status, source: y.source, loadedAt, loadedBy: actor },
      update: { status: y.status, source: y.source, loadedAt, loadedBy: actor },
    });
    const rows = dayRows(y);
    if (rows.length > 0) await tx.calendarDay.createMany({ data: rows });
    const result: CalendarLoadResult = {
      year: y.year,
      status: y.status,
      source: y.source,
      loadedAt,
      holidays: y.holidays.length,
      makeupWorkdays: y.makeupWorkdays.length,
      previous,
    };
    await tx.auditLog.create({
      data: {
        auditKey: `calendar:${y.year}:${loadedAt.toISOString()}`,
        actor,
        action: 'CALENDAR_YEAR_LOADED',
        entityType: 'CalendarYear',
        entityId: String(y.year),
        details: {
          status: y.status,
          source: y.source,
          holidays: result.holidays,
          makeupWorkdays: result.makeupWorkdays,
          previous,
          ...(opts.via === undefined ? {} : { via: opts.via }),
        },
      },
    });
    return result;
  });
}

/**
 * Which running procedures a change of calendar year Y can affect: those with an open inbox task
 * whose working-day count touches Y.
 *
 * A deadline "N working days after D" depends only on the days in (D, dueDate] (and its
 * provisional flag on the years from D's to dueDate's). Changing year Y changes days in Y only, so
 * a deadline whose count lies wholly before Y-01-01 or wholly after Y-12-31 cannot move — not even
 * into Y: its count is decided by days the change does not touch. The task row holds the count:
 * from `deadline_from` (or `created_at`) to `due_at` (24:00 Shanghai of the due date, i.e. the next
 * day's 00:00). So the test is exact: due date >= Y-01-01 (dueAt > Y-01-01T00:00+08:00) and the
 * count's start day <= Y-12-31 (start < (Y+1)-01-01T00:00+08:00).
 *
 * Left out, because their recompute would not move anything: DONE/CANCELLED tasks, tasks with an
 * hour limit (no working days) and paused tasks (补正: the clock stands still; resuming counts the
 * deadline again on the calendar of that moment).
 *
 * Returns the distinct workflow ids, sorted (by the database's collation), only those after
 * `after` when given: where an interrupted notification resumes. One query over the task table.
 */
export async function workflowsWithDeadlinesIn(db: Db, year: number, after?: string): Promise<string[]> {
  const from = startOfShanghaiDay(`${String(year).padStart(4, '0')}-01-01`);
  const until = startOfShanghaiDay(`${String(year + 1).padStart(4, '0')}-01-01`);
  const rows = await db.$queryRaw<Array<{ workflow_id: string }>>`
    SELECT DISTINCT workflow_id FROM task
     WHERE status IN ('OPEN', 'CLAIMED') AND paused_at IS NULL AND working_days IS NOT NULL
       AND due_at > ${from} AND coalesce(deadline_from, created_at) < ${until}
       AND (${after ?? null}::text IS NULL OR workflow_id > ${after ?? null}::text)
     ORDER BY workflow_id`;
  return rows.map((r) => r.workflow_id);
}

/** Procedures told at once by notifyCalendarChanged unless told otherwise (CALENDAR_NOTIFY_CONCURRENCY). */
export const DEFAULT_NOTIFY_CONCURRENCY = 4;

/** How long one procedure may take to answer the calendarChanged Update before it gets the signal instead. */
export const DEFAULT_NOTIFY_ANSWER_TIMEOUT_MS = 15_000;

/**
 * How far a notification has come, counted over the procedures up to and including `after` (in
 * the order workflowsWithDeadlinesIn returns them): every one of them was told or is gone. A
 * notification given this as `resume` goes on after `after` and adds to the counts.
 */
export interface CalendarNotifyProgress {
  /** The last procedure of the finished prefix; absent before the first. */
  after?: string;
  /** Procedures that answered the Update (their deadlines are recomputed). */
  retimed: number;
  /** Procedures that got the signal instead (they recompute when they next run). */
  signalled: number;
  /** Procedures gone or completed meanwhile: nothing to tell. */
  gone: number;
}

export interface CalendarNotifyReport extends CalendarNotifyProgress {
  /** Procedures this run looked at (after `resume.after`, when resumed). */
  targeted: number;
  /** retimed + signalled, over the whole notification (resumed runs included). */
  told: number;
}

export interface CalendarNotifyOptions {
  concurrency?: number;
  answerTimeoutMs?: number;
  /** Go on from an interrupted notification (see CalendarNotifyProgress). */
  resume?: CalendarNotifyProgress;
  /** Called after each procedure, with the progress a resume would start from and how many are left after it. */
  onProgress?: (progress: CalendarNotifyProgress, remaining: number) => void;
  /** Stops handing out procedures once aborted (those in flight finish); the report says how far it came. */
  signal?: AbortSignal;
}

/**
 * Tells every running procedure with an open deadline whose count touches `year` (rule:
 * workflowsWithDeadlinesIn) that the year may have moved: calendarChanged {year, loadedAt}, at most
 * `concurrency` procedures at a time, with a progress line every tenth (at least every 1,000).
 *
 * Paced by the answers: each procedure gets the calendarChanged Update, answered once it has
 * recomputed its deadlines, so at most `concurrency` re-times wait in the task queue ahead of a
 * reviewer's decision, however many procedures the change reaches (fire-and-forget signals would
 * queue all of them at once, and decisions would wait behind the lot). The Update id names the
 * calendar version, so a repeat is applied once. A procedure that cannot take the Update (it has
 * not registered its handlers yet, or runs older code) or does not answer within `answerTimeoutMs`
 * gets the signal, which Temporal keeps until the procedure runs; after `concurrency` unanswered
 * Updates (no worker is polling, or it is far behind) the rest get signals straight away, so a load
 * waits for answers that do not come at most about twice `answerTimeoutMs`. Recomputing twice is
 * harmless (the recompute activity reads the stored calendar and writes the same row).
 *
 * A workflow that is gone or already completed is skipped and logged; any other error (e.g.
 * Temporal unreachable) is thrown after the remaining workflows were tried — the progress reported
 * stops before the first such procedure, so a resume tells it again. Normally run by the
 * calendar rollout workflow (lib/calendar-rollout.ts), which resumes it after a crash.
 */
export async function notifyCalendarChanged(
  client: Client,
  db: Db,
  year: number,
  loadedAt: Date | string,
  log: Log = silent,
  opts: CalendarNotifyOptions = {},
): Promise<CalendarNotifyReport> {
  const payload = { year, loadedAt: typeof loadedAt === 'string' ? loadedAt : loadedAt.toISOString() };
  const ids = await workflowsWithDeadlinesIn(db, year, opts.resume?.after);
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_NOTIFY_CONCURRENCY);
  const answerTimeoutMs = opts.answerTimeoutMs ?? DEFAULT_NOTIFY_ANSWER_TIMEOUT_MS;
  const every = Math.max(1, Math.min(1000, Math.ceil(ids.length / 10)));
  const resumed = opts.resume?.after !== undefined ? ` (resumed after ${opts.resume.after})` : '';
  if (ids.length > 0)
    log(`calendar: ${year} changed: telling ${ids.length} procedure(s), ${concurrency} at a time${resumed}`);
  type Outcome = 'retimed' | 'signalled' | 'gone' | 'failed';
  const outcomes: Array<Outcome | undefined> = new Array(ids.length);
  const progress: CalendarNotifyProgress = {
    ...(opts.resume?.after !== undefined ? { after: opts.resume.after } : {}),
    retimed: opts.resume?.retimed ?? 0,
    signalled: opts.resume?.signalled ?? 0,
    gone: opts.resume?.gone ?? 0,
  };
  let prefix = 0;
  /** Moves the finished prefix on over the procedures done since, stopping at a failure. */
  const advance = () => {
    for (let o = outcomes[prefix]; o !== undefined && o !== 'failed'; o = outcomes[++prefix]) {
      progress[o]++;
      progress.after = ids[prefix];
    }
    opts.onProgress?.({ ...progress }, ids.length - prefix);
  };
  let next = 0;
  let done = 0;
  let unanswered = 0;
  let failure: unknown;
  const updateId = `calendar:${payload.year}:${payload.loadedAt}`;
  /** The Update if the procedure answers it, else the signal. */
  const tell = async (id: string): Promise<Outcome> => {
    const handle = client.workflow.getHandle(id);
    if (unanswered < concurrency) {
      try {
        // A deadline, not an abort signal: the worker's own connection (the rollout's activity) honours only that.
        await client.withDeadline(Date.now() + answerTimeoutMs, () =>
          handle.executeUpdate(calendarChangedUpdate, { args: [payload], updateId }),
        );
        return 'retimed';
      } catch (err) {
        if (isCallTimeout(err)) {
          unanswered++;
          if (unanswered === concurrency)
            log(`calendar: ${concurrency} procedure(s) did not answer in time: the rest are signalled`, 'warn');
        } else if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      }
    }
    await handle.signal(calendarChangedSignal, payload);
    return 'signalled';
  };
  const lane = async () => {
    while (next < ids.length && !opts.signal?.aborted) {
      const i = next++;
      const id = ids[i];
      try {
        outcomes[i] = await tell(id);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          log(`calendar: workflow ${id} not told (not found or already completed: ${err.message})`, 'warn');
          outcomes[i] = 'gone';
        } else {
          log(`calendar: workflow ${id} not told: ${err instanceof Error ? err.message : String(err)}`, 'warn');
          outcomes[i] = 'failed';
          failure ??= err;
        }
      }
      advance();
      done++;
      if (done % every === 0 && done < ids.length) log(`calendar: ${year}: ${done}/${ids.length} procedure(s) told`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
  const [retimed, signalled] = [count('retimed'), count('signalled')];
  if (ids.length > 0)
    log(
      `calendar: ${year}: ${retimed + signalled}/${ids.length} procedure(s) told: ${retimed} re-timed, ${signalled} signalled`,
    );
  if (failure !== undefined) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new Error(
      `calendarChanged reached ${retimed + signalled} of ${ids.length} procedure(s); first failure: ${reason}`,
      { cause: failure },
    );
  }
  return {
    targeted: ids.length,
    ...progress,
    // Over the whole notification: a resumed run's counts include the runs before it.
    told: progress.retimed + progress.signalled,
  };
}
