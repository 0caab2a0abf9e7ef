/**
 * Working-day (工作日) arithmetic for deadlines of administrative procedures.
 *
 * Legal basis:
 * - 行政许可法 Art. 82: time limits of administrative organs are counted in working days,
 *   not including statutory holidays (法定节假日).
 * - 民法典 Art. 201: the day a period starts in is not counted; counting starts the next day.
 * - 民法典 Art. 203: a period ends at 24:00 of its last day.
 * So "within N working days from day D" ends at 24:00 (Asia/Shanghai) of the N-th working
 * day strictly after D, and the result is the same whether D itself is a working day.
 *
 * Working day = Monday–Friday, minus the days off of 全国年节及纪念日放假办法 as scheduled by
 * the yearly 国务院办公厅 notice, plus the notice's makeup workdays (调休上班日) when the
 * policy counts them.
 *
 * Lookups are O(1): the constructor precomputes, per day, the cumulative count of working
 * days and, per working-day ordinal, its date. Nothing here walks the calendar day by day.
 */
import type { CalendarPolicy, CalendarYear, DayKind, DeadlineResult, IsoDate, YearStatus } from './types';
import { MS_PER_DAY, SHANGHAI_OFFSET_MS, epochDayFromYmd, fromEpochDay, isWeekendEpochDay, toEpochDay } from './types';
import { MAX_SUPPORTED_YEAR, MIN_SUPPORTED_YEAR, deriveProvisionalYear } from './statutory-holidays';

/** Civil date in Asia/Shanghai (fixed UTC+8; China has not observed DST since 1991). */
export function shanghaiDate(instant: Date): IsoDate {
  return fromEpochDay(shanghaiEpochDay(instant));
}

/** 00:00 +08:00 of the given Shanghai civil date, as an instant. */
export function startOfShanghaiDay(date: IsoDate): Date {
  return new Date(toEpochDay(date) * MS_PER_DAY - SHANGHAI_OFFSET_MS);
}

function shanghaiEpochDay(instant: Date): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError('Invalid instant: expected a valid Date');
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / MS_PER_DAY);
}

function startOfEpochDay(epochDay: number): Date {
  return new Date(epochDay * MS_PER_DAY - SHANGHAI_OFFSET_MS);
}

function yearOfEpochDay(epochDay: number): number {
  return new Date(epochDay * MS_PER_DAY).getUTCFullYear();
}

/** Years always built eagerly; dates outside are handled by widening the tables on demand. */
const DEFAULT_FIRST_YEAR = 2000;
const DEFAULT_LAST_YEAR = 2100;
/** Extra years added when the tables have to grow, so growth happens rarely. */
const GROWTH_MARGIN_YEARS = 10;
/** Fewer working days than this never occur in a year (≈ 245–251 in practice). */
const MIN_WORKING_DAYS_PER_YEAR = 200;

const KIND_WORKDAY = 0;
const KIND_WEEKEND = 1;
const KIND_HOLIDAY = 2;
const KIND_MAKEUP = 3;
const KIND_NAMES: readonly DayKind[] = ['WORKDAY', 'WEEKEND', 'HOLIDAY', 'MAKEUP_WORKDAY'];

function assertPositiveInteger(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`${what} must be an integer >= 1, got ${String(n)}`);
  }
}

export class WorkingCalendar {
  private readonly policy: CalendarPolicy;
  private readonly supplied = new Map<number, CalendarYear>();

  private firstYear = 0;
  private lastYear = -1;
  /** Epoch day of firstYear-01-01; table index = epochDay - base. */
  private base = 0;
  private kinds = new Uint8Array(0);
  private readonly names = new Map<number, string>();
  /** cumulative[i] = number of working days among table indices 0..i (inclusive). */
  private cumulative = new Int32Array(0);
  /** byOrdinal[k] = epoch day of the (k+1)-th working day of the table. */
  private byOrdinal = new Int32Array(0);
  private isoCache: Array<string | undefined> = [];
  /** Gregorian year of each table index (avoids Date allocations on the hot path). */
  private yearOf = new Uint16Array(0);

  constructor(years: CalendarYear[], policy?: Partial<CalendarPolicy>) {
    this.policy = { countMakeupWorkdays: policy?.countMakeupWorkdays ?? true };
    for (const y of years) {
      if (!Number.isInteger(y.year) || y.year < MIN_SUPPORTED_YEAR || y.year > MAX_SUPPORTED_YEAR) {
        throw new RangeError(`Calendar year ${String(y.year)} is outside ${MIN_SUPPORTED_YEAR}..${MAX_SUPPORTED_YEAR}`);
      }
      if (this.supplied.has(y.year)) throw new RangeError(`Calendar year ${y.year} supplied twice`);
      for (const d of [...y.holidays, ...y.makeupWorkdays]) toEpochDay(d.date);
      this.supplied.set(y.year, y);
    }
    const years_ = [...this.supplied.keys()];
    this.build(Math.min(DEFAULT_FIRST_YEAR, ...years_), Math.max(DEFAULT_LAST_YEAR, ...years_));
  }

  yearStatus(year: number): YearStatus {
    return this.supplied.get(year)?.status ?? 'PROVISIONAL';
  }

  dayKind(date: IsoDate): { kind: DayKind; name?: string; year: number; status: YearStatus } {
    const day = toEpochDay(date);
    this.cover(day, day);
    const kind = KIND_NAMES[this.kinds[day - this.base]];
    const name = this.names.get(day);
    const year = yearOfEpochDay(day);
    const result: { kind: DayKind; name?: string; year: number; status: YearStatus } = {
      kind,
      year,
      status: this.yearStatus(year),
    };
    if (name !== undefined) result.name = name;
    return result;
  }

  isWorkingDay(date: IsoDate): boolean {
    const day = toEpochDay(date);
    this.cover(day, day);
    const i = day - this.base;
    return this.cumulative[i] - (i > 0 ? this.cumulative[i - 1] : 0) === 1;
  }

  /** The n-th working day strictly after date (民法典 Art. 201: the start day is not counted). */
  addWorkingDays(date: IsoDate, n: number): IsoDate {
    assertPositiveInteger(n, 'Number of working days');
    return this.iso(this.nthWorkingDayAfter(toEpochDay(date), n));
  }

  deadline(receivedAt: Date, workingDays: number, opts?: { warningWorkingDaysBefore?: number }): DeadlineResult {
    assertPositiveInteger(workingDays, 'Number of working days');
    const k = opts?.warningWorkingDaysBefore ?? 1;
    assertPositiveInteger(k, 'warningWorkingDaysBefore');
    const received = shanghaiEpochDay(receivedAt);
    const due = this.nthWorkingDayAfter(received, workingDays);
    // The k-th last working day up to the due date is the (N-k+1)-th working day after the
    // receipt date; a warning is never placed before the first counted working day.
    const warningDay = this.nthWorkingDayAfter(received, workingDays - Math.min(k, workingDays) + 1);

    const provisionalYears: number[] = [];
    const lastYear = this.yearOf[due - this.base];
    for (let y = this.yearOf[received - this.base]; y <= lastYear; y++) {
      if (this.yearStatus(y) === 'PROVISIONAL') provisionalYears.push(y);
    }
    return {
      dueDate: this.iso(due),
      // 民法典 Art. 203: the period ends at 24:00 of the last day, i.e. the next day's 00:00.
      deadlineAt: startOfEpochDay(due + 1),
      warningAt: startOfEpochDay(warningDay),
      provisional: provisionalYears.length > 0,
      provisionalYears,
    };
  }

  /** Working days d with shanghaiDate(from) < d <= shanghaiDate(to); negative if to < from. */
  workingDaysBetween(from: Date, to: Date): number {
    const a = shanghaiEpochDay(from);
    const b = shanghaiEpochDay(to);
    this.cover(Math.min(a, b), Math.max(a, b));
    return this.cumulative[b - this.base] - this.cumulative[a - this.base];
  }

  days(from: IsoDate, to: IsoDate): Array<{ date: IsoDate; kind: DayKind; name?: string; provisional: boolean }> {
    const a = toEpochDay(from);
    const b = toEpochDay(to);
    if (b < a) return [];
    this.cover(a, b);
    const out: Array<{ date: IsoDate; kind: DayKind; name?: string; provisional: boolean }> = [];
    for (let d = a; d <= b; d++) {
      const entry: { date: IsoDate; kind: DayKind; name?: string; provisional: boolean } = {
        date: this.iso(d),
        kind: KIND_NAMES[this.kinds[d - this.base]],
        provisional: this.yearStatus(yearOfEpochDay(d)) === 'PROVISIONAL',
      };
      const name = this.names.get(d);
      if (name !== undefined) entry.name = name;
      out.push(entry);
    }
    return out;
  }

  private nthWorkingDayAfter(day: number, n: number): number {
    this.cover(day, day);
    let target = this.cumulative[day - this.base] + n; // 1-based ordinal
    if (target > this.byOrdinal.length) {
      const yearsNeeded = Math.ceil(n / MIN_WORKING_DAYS_PER_YEAR) + 1;
      this.cover(day, epochDayFromYmd(Math.min(MAX_SUPPORTED_YEAR, yearOfEpochDay(day) + yearsNeeded), 12, 31));
      target = this.cumulative[day - this.base] + n;
      if (target > this.byOrdinal.length) {
        throw new RangeError(`The result lies beyond the supported calendar range (up to ${MAX_SUPPORTED_YEAR})`);
      }
    }
    return this.byOrdinal[target - 1];
  }

  private iso(day: number): IsoDate {
    const i = day - this.base;
    const cached = this.isoCache[i];
    if (cached !== undefined) return cached;
    const s = fromEpochDay(day);
    this.isoCache[i] = s;
    return s;
  }

  /** Makes sure the tables include the epoch days lo..hi, widening them if necessary. */
  private cover(lo: number, hi: number): void {
    if (lo >= this.base && hi < this.base + this.kinds.length) return;
    const loYear = yearOfEpochDay(lo);
    const hiYear = yearOfEpochDay(hi);
    if (loYear < MIN_SUPPORTED_YEAR || hiYear > MAX_SUPPORTED_YEAR) {
      throw new RangeError(`Date outside the supported calendar range ${MIN_SUPPORTED_YEAR}..${MAX_SUPPORTED_YEAR}`);
    }
    const first = loYear < this.firstYear ? Math.max(MIN_SUPPORTED_YEAR, loYear - GROWTH_MARGIN_YEARS) : this.firstYear;
    const last = hiYear > this.lastYear ? Math.min(MAX_SUPPORTED_YEAR, hiYear + GROWTH_MARGIN_YEARS) : this.lastYear;
    this.build(first, last);
  }

  private build(firstYear: number, lastYear: number): void {
    const base = epochDayFromYmd(firstYear, 1, 1);
    const size = epochDayFromYmd(lastYear + 1, 1, 1) - base;
    const kinds = new Uint8Array(size);
    for (let i = 0; i < size; i++) kinds[i] = isWeekendEpochDay(base + i) ? KIND_WEEKEND : KIND_WORKDAY;
    this.names.clear();

    const apply = (y: CalendarYear, strict: boolean): void => {
      const holidayDays = new Set<number>();
      for (const h of y.holidays) {
        const d = toEpochDay(h.date);
        if (d < base || d >= base + size) continue;
        kinds[d - base] = KIND_HOLIDAY;
        this.names.set(d, h.name);
        holidayDays.add(d);
      }
      for (const m of y.makeupWorkdays) {
        const d = toEpochDay(m.date);
        if (d < base || d >= base + size) continue;
        if (strict && holidayDays.has(d)) {
          throw new RangeError(`${m.date} is both a holiday and a makeup workday in calendar year ${y.year}`);
        }
        kinds[d - base] = KIND_MAKEUP;
        this.names.set(d, m.name);
      }
    };
    // Derived years first, so that supplied data (which may reach into a neighbouring year,
    // e.g. a late-December makeup day of the next year's notice) takes precedence.
    for (let y = firstYear; y <= lastYear; y++) {
      if (!this.supplied.has(y)) apply(deriveProvisionalYear(y), false);
    }
    for (const y of [...this.supplied.values()].sort((a, b) => a.year - b.year)) apply(y, true);

    const cumulative = new Int32Array(size);
    let count = 0;
    for (let i = 0; i < size; i++) {
      const k = kinds[i];
      const working =
        k === KIND_WORKDAY || (k === KIND_MAKEUP && (this.policy.countMakeupWorkdays || !isWeekendEpochDay(base + i)));
      if (working) count++;
      cumulative[i] = count;
    }
    const byOrdinal = new Int32Array(count);
    for (let i = 0, k = 0; i < size; i++) {
      if (cumulative[i] !== (i > 0 ? cumulative[i - 1] : 0)) byOrdinal[k++] = base + i;
    }

    this.firstYear = firstYear;
    this.lastYear = lastYear;
    this.base = base;
    this.kinds = kinds;
    this.cumulative = cumulative;
    this.byOrdinal = byOrdinal;
    this.isoCache = new Array<string | undefined>(size);
    const yearOf = new Uint16Array(size);
    for (let y = firstYear; y <= lastYear; y++) {
      yearOf.fill(y, epochDayFromYmd(y, 1, 1) - base, epochDayFromYmd(y + 1, 1, 1) - base);
    }
    this.yearOf = yearOf;
  }
}
