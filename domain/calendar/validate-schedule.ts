/**
 * Validation of a year's holiday schedule as an operator enters it from the
 * 国务院办公厅关于部分节假日安排的通知 (holidays as named date ranges, makeup workdays as single
 * days). Structural problems (types, missing or unknown fields) are reported first; once the
 * shape is right, every semantic problem is reported, not only the first.
 */
import { z } from 'zod';
import type { CalendarYear, NamedDay } from './types';
import { fromEpochDay, isWeekendEpochDay, toEpochDay, tryParseIsoDate } from './types';
import { MAX_SUPPORTED_YEAR, MIN_SUPPORTED_YEAR } from './statutory-holidays';
import { STATUTORY_RULE_FIRST_YEAR, statutoryProblems } from './statutory-check';

/**
 * The longest block a notice has ever scheduled is 9 days (春节 2026), or 10 counting the
 * 2020 epidemic extension; anything longer is almost certainly a typing error.
 */
export const MAX_HOLIDAY_RANGE_DAYS = 10;

/**
 * Most makeup workdays (调休上班日) one year may have. The notices since 2011 had 5–8, and 12 in
 * 2013 (the most ever); more than that is far more likely a typing error (or a pasted list of
 * every weekend) than a notice, and each one silently shortens every running deadline.
 */
export const MAX_MAKEUP_WORKDAYS_PER_YEAR = 12;

export type ScheduleErrorCode =
  | 'REQUIRED'
  | 'INVALID_TYPE'
  | 'UNKNOWN_FIELD'
  | 'INVALID_YEAR'
  | 'INVALID_STATUS'
  | 'EMPTY_SOURCE'
  | 'EMPTY_NAME'
  | 'INVALID_DATE'
  | 'DATE_OUTSIDE_YEAR'
  | 'RANGE_REVERSED'
  | 'RANGE_TOO_LONG'
  | 'OVERLAPPING_HOLIDAYS'
  | 'DUPLICATE_DATE'
  | 'MAKEUP_NOT_WEEKEND'
  | 'MAKEUP_IS_HOLIDAY'
  | 'TOO_MANY_MAKEUP_WORKDAYS'
  | 'STATUTORY_HOLIDAY_MISSING'
  | 'STATUTORY_HOLIDAY_NOT_COMPENSATED';

/** A problem of a schedule: the field, a stable code, and the problem in Chinese (`zh`) and English (`en`). */
export interface ScheduleError {
  path: string;
  code: ScheduleErrorCode;
  zh: string;
  en: string;
  /** The day concerned (statutory problems: the first day of the entitlement or break). */
  date?: string;
  /** The festival of 全国年节及纪念日放假办法 concerned, e.g. '春节'. */
  entitlement?: string;
}

export type ScheduleValidationResult = { ok: true; value: CalendarYear } | { ok: false; errors: ScheduleError[] };

const scheduleSchema = z.strictObject({
  year: z.number().int().min(MIN_SUPPORTED_YEAR).max(MAX_SUPPORTED_YEAR),
  status: z.enum(['OFFICIAL', 'PROVISIONAL']).default('OFFICIAL'),
  source: z.string(),
  holidays: z.array(z.strictObject({ from: z.string(), to: z.string(), name: z.string() })),
  makeupWorkdays: z.array(z.strictObject({ date: z.string(), name: z.string() })),
});

export type ScheduleInput = z.input<typeof scheduleSchema>;

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

const ZH = z.locales.zhCN().localeError;

/** zod's Chinese text of an issue it phrased in English (the schema is parsed with the English locale). */
function localeText(map: z.core.$ZodErrorMap, issue: z.core.$ZodIssue): string | undefined {
  const text = map(issue as unknown as z.core.$ZodRawIssue);
  return typeof text === 'string' ? text : text?.message;
}

function structuralErrors(issues: ReadonlyArray<z.core.$ZodIssue>): ScheduleError[] {
  const errors: ScheduleError[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    const last = issue.path[issue.path.length - 1];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({
          path: path === '' ? key : `${path}.${key}`,
          code: 'UNKNOWN_FIELD',
          zh: `未知字段 '${key}'`,
          en: `Unknown field '${key}'`,
        });
      }
    } else if (last === 'year' && issue.path.length === 1 && issue.input !== undefined) {
      errors.push({
        path,
        code: 'INVALID_YEAR',
        zh: `year 应为 ${MIN_SUPPORTED_YEAR} 至 ${MAX_SUPPORTED_YEAR} 之间的整数`,
        en: `year must be an integer between ${MIN_SUPPORTED_YEAR} and ${MAX_SUPPORTED_YEAR}`,
      });
    } else if (last === 'status' && issue.code === 'invalid_value') {
      errors.push({
        path,
        code: 'INVALID_STATUS',
        zh: "status 应为 'OFFICIAL' 或 'PROVISIONAL'",
        en: "status must be 'OFFICIAL' or 'PROVISIONAL'",
      });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      errors.push({
        path,
        code: 'REQUIRED',
        zh: `缺少 ${path === '' ? 'input' : path}`,
        en: `${path === '' ? 'input' : path} is required`,
      });
    } else {
      const zh = localeText(ZH, issue) ?? issue.message;
      errors.push({
        path,
        code: 'INVALID_TYPE',
        zh: `${path === '' ? 'input' : path}：${zh}`,
        en: `${path === '' ? 'input' : path}: ${issue.message}`,
      });
    }
  }
  return errors;
}

export function validateSchedule(input: unknown): ScheduleValidationResult {
  // English texts whatever locale the process set (api/errors.ts sets zh-CN for the API's own answers).
  const parsed = scheduleSchema.safeParse(input, { reportInput: true, error: z.locales.en().localeError });
  if (!parsed.success) return { ok: false, errors: structuralErrors(parsed.error.issues) };
  const s = parsed.data;
  const errors: ScheduleError[] = [];

  if (s.source.trim() === '') {
    errors.push({
      path: 'source',
      code: 'EMPTY_SOURCE',
      zh: 'source 须写明日历安排所依据的通知',
      en: 'source must name the notice the schedule comes from',
    });
  }

  /** Checks one date field; returns its epoch day when it is a real date inside the year. */
  const checkDate = (value: string, path: string): number | undefined => {
    const p = tryParseIsoDate(value);
    if (p === undefined) {
      errors.push({
        path,
        code: 'INVALID_DATE',
        zh: `'${value}' 不是 YYYY-MM-DD 格式的有效日期`,
        en: `'${value}' is not a real date in the form YYYY-MM-DD`,
      });
      return undefined;
    }
    if (p.year !== s.year) {
      errors.push({
        path,
        code: 'DATE_OUTSIDE_YEAR',
        zh: `${value} 不在 ${s.year} 年内`,
        en: `${value} is not in ${s.year}`,
      });
      return undefined;
    }
    return toEpochDay(value);
  };

  const checkName = (name: string, path: string): void => {
    if (name.trim() === '')
      errors.push({ path, code: 'EMPTY_NAME', zh: 'name 不能为空', en: 'name must not be empty' });
  };

  const ranges: Array<{ index: number; from: number; to: number; name: string }> = [];
  s.holidays.forEach((h, i) => {
    const from = checkDate(h.from, `holidays[${i}].from`);
    const to = checkDate(h.to, `holidays[${i}].to`);
    checkName(h.name, `holidays[${i}].name`);
    if (from === undefined || to === undefined) return;
    if (from > to) {
      errors.push({
        path: `holidays[${i}].to`,
        code: 'RANGE_REVERSED',
        zh: `to（${h.to}）早于 from（${h.from}）`,
        en: `to (${h.to}) is before from (${h.from})`,
      });
      return;
    }
    if (to - from + 1 > MAX_HOLIDAY_RANGE_DAYS) {
      errors.push({
        path: `holidays[${i}].to`,
        code: 'RANGE_TOO_LONG',
        zh: `${h.from}..${h.to} 共 ${to - from + 1} 天，超过 ${MAX_HOLIDAY_RANGE_DAYS} 天`,
        en: `${h.from}..${h.to} spans ${to - from + 1} days, more than ${MAX_HOLIDAY_RANGE_DAYS}`,
      });
      return;
    }
    ranges.push({ index: i, from, to, name: h.name });
  });

  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.index - b.index);
  for (let j = 1; j < sorted.length; j++) {
    const prev = sorted[j - 1];
    const cur = sorted[j];
    if (cur.from <= prev.to) {
      const [first, second] = prev.index < cur.index ? [prev, cur] : [cur, prev];
      errors.push({
        path: `holidays[${second.index}]`,
        code: 'OVERLAPPING_HOLIDAYS',
        zh: `holidays[${second.index}]（${second.name}）与 holidays[${first.index}]（${first.name}）在 ${fromEpochDay(Math.max(cur.from, prev.from))} 重叠`,
        en: `holidays[${second.index}] (${second.name}) overlaps holidays[${first.index}] (${first.name}) on ${fromEpochDay(Math.max(cur.from, prev.from))}`,
      });
    }
  }

  const holidayNames = new Map<number, string>();
  for (const r of ranges) for (let d = r.from; d <= r.to; d++) if (!holidayNames.has(d)) holidayNames.set(d, r.name);

  const makeupSeen = new Map<number, number>();
  const makeups: NamedDay[] = [];
  s.makeupWorkdays.forEach((m, i) => {
    const path = `makeupWorkdays[${i}].date`;
    checkName(m.name, `makeupWorkdays[${i}].name`);
    const d = checkDate(m.date, path);
    if (d === undefined) return;
    const earlier = makeupSeen.get(d);
    if (earlier !== undefined) {
      errors.push({
        path,
        code: 'DUPLICATE_DATE',
        zh: `${m.date} 已列为 makeupWorkdays[${earlier}]`,
        en: `${m.date} is already listed as makeupWorkdays[${earlier}]`,
      });
      return;
    }
    makeupSeen.set(d, i);
    // A makeup workday (调休上班日) turns a weekend day into a working day; a weekday is a
    // working day already, so listing one is a typing error.
    if (!isWeekendEpochDay(d)) {
      errors.push({
        path,
        code: 'MAKEUP_NOT_WEEKEND',
        zh: `${m.date} 是工作日，不是星期六或星期日`,
        en: `${m.date} is a weekday, not a Saturday or Sunday`,
      });
    }
    const holiday = holidayNames.get(d);
    if (holiday !== undefined) {
      errors.push({
        path,
        code: 'MAKEUP_IS_HOLIDAY',
        zh: `${m.date} 同时是假日（${holiday}）`,
        en: `${m.date} is also a holiday (${holiday})`,
      });
    }
    makeups.push({ date: m.date, name: m.name });
  });

  if (makeups.length > MAX_MAKEUP_WORKDAYS_PER_YEAR) {
    errors.push({
      path: 'makeupWorkdays',
      code: 'TOO_MANY_MAKEUP_WORKDAYS',
      zh: `调休上班日 ${makeups.length} 天，一年不应超过 ${MAX_MAKEUP_WORKDAYS_PER_YEAR} 天（2011 年以来的通知均未超过 12 天）`,
      en:
        `${makeups.length} makeup workdays, more than ${MAX_MAKEUP_WORKDAYS_PER_YEAR} in a year ` +
        '(no notice since 2011 had more than 12)',
    });
  }

  // Whether the statutory days are all there is judged on a schedule whose entries are all
  // well-formed: a mistyped range would otherwise also show up as "missing" holidays.
  if (errors.length === 0 && s.year >= STATUTORY_RULE_FIRST_YEAR) {
    errors.push(...statutoryProblems(s.year, new Set(holidayNames.keys()), makeupSeen));
  }

  if (errors.length > 0) return { ok: false, errors };

  const holidays: NamedDay[] = [...holidayNames.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, name]) => ({ date: fromEpochDay(d), name }));
  makeups.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { ok: true, value: { year: s.year, status: s.status, source: s.source, holidays, makeupWorkdays: makeups } };
}
