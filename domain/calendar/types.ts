/**
 * Types and civil-date primitives shared by the calendar module.
 *
 * Dates are Asia/Shanghai civil dates written 'YYYY-MM-DD'. Internally a date is an
 * "epoch day": days since 1970-01-01 in the proleptic Gregorian calendar. Civil dates have
 * no time zone, so they are computed with UTC arithmetic; the Shanghai offset only matters
 * when an instant is turned into a date (see shanghaiDate in working-calendar.ts).
 */

export type IsoDate = string; // 'YYYY-MM-DD' (Asia/Shanghai civil date)
export type YearStatus = 'OFFICIAL' | 'PROVISIONAL';

export interface NamedDay {
  date: IsoDate;
  name: string;
}

export interface CalendarYear {
  year: number;
  status: YearStatus;
  /** Where the data comes from, e.g. 'chinese-workday@1.16.1' or '国务院办公厅通知 国办发明电〔2025〕7号'. */
  source: string;
  /** Statutory days off, including weekend days inside a holiday block. */
  holidays: NamedDay[];
  /** 调休上班日: weekend days that are worked. */
  makeupWorkdays: NamedDay[];
}

export type DayKind = 'WORKDAY' | 'WEEKEND' | 'HOLIDAY' | 'MAKEUP_WORKDAY';

export interface CalendarPolicy {
  /**
   * State organs work on 调休上班日, so by default they count as working days. No statute
   * says so explicitly (行政许可法 Art. 82 only says "工作日"), hence a policy switch.
   */
  countMakeupWorkdays: boolean;
}

export interface DeadlineResult {
  /** The N-th working day after the receipt date. */
  dueDate: IsoDate;
  /** 24:00 Asia/Shanghai at the end of dueDate (= next day 00:00 +08:00). */
  deadlineAt: Date;
  /** 00:00 +08:00 of the k-th last working day up to dueDate. */
  warningAt: Date;
  /** True if any day from the receipt date to dueDate lies in a PROVISIONAL year. */
  provisional: boolean;
  provisionalYears: number[];
}

export const MS_PER_DAY = 86_400_000;

/** Shanghai has been UTC+8 without DST since 1991 (DST was observed 1986–1991 only). */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parses 'YYYY-MM-DD' strictly (real calendar date, 4-digit year); undefined if invalid. */
export function tryParseIsoDate(date: string): { year: number; month: number; day: number } | undefined {
  const m = ISO_DATE_RE.exec(date);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

export function isIsoDate(date: unknown): date is IsoDate {
  return typeof date === 'string' && tryParseIsoDate(date) !== undefined;
}

export function epochDayFromYmd(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** Epoch day of an IsoDate; throws RangeError if the string is not a real date. */
export function toEpochDay(date: IsoDate): number {
  const p = tryParseIsoDate(date);
  if (p === undefined) throw new RangeError(`Invalid date '${String(date)}': expected a real date as YYYY-MM-DD`);
  return epochDayFromYmd(p.year, p.month, p.day);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function isoFromYmd(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

export function fromEpochDay(epochDay: number): IsoDate {
  const d = new Date(epochDay * MS_PER_DAY);
  return isoFromYmd(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** 0 = Sunday … 6 = Saturday. 1970-01-01 was a Thursday. */
export function weekdayOfEpochDay(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

export function isWeekendEpochDay(epochDay: number): boolean {
  const w = weekdayOfEpochDay(epochDay);
  return w === 0 || w === 6;
}

export function yearOfIsoDate(date: IsoDate): number {
  return Number(date.slice(0, 4));
}
