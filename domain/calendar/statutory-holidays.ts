/**
 * Provisional calendar years derived from 全国年节及纪念日放假办法 (as revised by 国务院令第795号,
 * in force since 2025-01-01), for years whose 国务院办公厅 notice has not been loaded yet.
 *
 * Art. 2 fixes the days off for all citizens: 元旦 1 day (Jan 1); 春节 4 days (农历除夕 and
 * 正月初一 to 初三); 清明节 1 day (the 清明 solar-term day); 劳动节 2 days (May 1–2); 端午节 1 day
 * (五月初五); 中秋节 1 day (八月十五); 国庆节 3 days (Oct 1–3).
 * Art. 6: a day off for all citizens that falls on a Saturday or Sunday is compensated on a
 * working day (补假).
 *
 * What cannot be derived: the yearly notice also moves weekend days to build longer breaks
 * (调休), creating makeup workdays. Those are political choices, so a provisional year has
 * none; deadlines computed against it are flagged provisional until the notice is loaded.
 */
import { Lunar } from 'lunar-typescript';
import type { CalendarYear, NamedDay } from './types';
import { epochDayFromYmd, fromEpochDay, isWeekendEpochDay } from './types';

export const PROVISIONAL_SOURCE =
  '全国年节及纪念日放假办法 (2025年修订) — provisional until the State Council notice is loaded';

/** Range in which lunar dates and solar terms are trusted and the calendar operates. */
export const MIN_SUPPORTED_YEAR = 1901;
export const MAX_SUPPORTED_YEAR = 2199;

export const FESTIVAL = {
  NEW_YEAR: '元旦',
  SPRING: '春节',
  QINGMING: '清明节',
  LABOUR: '劳动节',
  DRAGON_BOAT: '端午节',
  MID_AUTUMN: '中秋节',
  NATIONAL: '国庆节',
} as const;

interface Entitlement {
  epochDay: number;
  name: string;
}

function solarEpochDay(solar: { getYear(): number; getMonth(): number; getDay(): number }): number {
  return epochDayFromYmd(solar.getYear(), solar.getMonth(), solar.getDay());
}

/** The statutory days of Art. 2 for one Gregorian year, one entry per (day, festival). */
export function statutoryEntitlements(year: number): Entitlement[] {
  const out: Entitlement[] = [];
  out.push({ epochDay: epochDayFromYmd(year, 1, 1), name: FESTIVAL.NEW_YEAR });

  // 除夕 is the day before 正月初一 whether the 12th month has 29 or 30 days (or is a leap
  // month), so it is computed from 初一 rather than from a fixed 腊月三十.
  const firstDay = Lunar.fromYmd(year, 1, 1);
  const springDay = solarEpochDay(firstDay.getSolar());
  for (let d = springDay - 1; d <= springDay + 2; d++) out.push({ epochDay: d, name: FESTIVAL.SPRING });

  const qingming = firstDay.getJieQiTable()['清明'];
  if (qingming === undefined || qingming.getYear() !== year) {
    throw new RangeError(`Cannot determine the 清明 solar term for ${year}`);
  }
  out.push({ epochDay: solarEpochDay(qingming), name: FESTIVAL.QINGMING });

  out.push({ epochDay: epochDayFromYmd(year, 5, 1), name: FESTIVAL.LABOUR });
  out.push({ epochDay: epochDayFromYmd(year, 5, 2), name: FESTIVAL.LABOUR });
  out.push({ epochDay: solarEpochDay(Lunar.fromYmd(year, 5, 5).getSolar()), name: FESTIVAL.DRAGON_BOAT });
  out.push({ epochDay: solarEpochDay(Lunar.fromYmd(year, 8, 15).getSolar()), name: FESTIVAL.MID_AUTUMN });
  for (let d = 1; d <= 3; d++) out.push({ epochDay: epochDayFromYmd(year, 10, d), name: FESTIVAL.NATIONAL });
  return out;
}

const cache = new Map<number, CalendarYear>();

function copyYear(y: CalendarYear): CalendarYear {
  return {
    ...y,
    holidays: y.holidays.map((h) => ({ ...h })),
    makeupWorkdays: y.makeupWorkdays.map((m) => ({ ...m })),
  };
}

export function deriveProvisionalYear(year: number): CalendarYear {
  if (!Number.isInteger(year) || year < MIN_SUPPORTED_YEAR || year > MAX_SUPPORTED_YEAR) {
    throw new RangeError(`Year ${year} is outside the supported range ${MIN_SUPPORTED_YEAR}..${MAX_SUPPORTED_YEAR}`);
  }
  const hit = cache.get(year);
  if (hit !== undefined) return copyYear(hit);

  const namesByDay = new Map<number, string[]>();
  for (const e of statutoryEntitlements(year)) {
    const names = namesByDay.get(e.epochDay);
    if (names === undefined) namesByDay.set(e.epochDay, [e.name]);
    else names.push(e.name);
  }
  const statutoryDays = [...namesByDay.keys()].sort((a, b) => a - b);

  // Group into blocks of consecutive days so that adjoining festivals (中秋 on Sep 30, or
  // inside 国庆) are compensated after the combined block, as the notices have done.
  const blocks: number[][] = [];
  for (const d of statutoryDays) {
    const last = blocks[blocks.length - 1];
    if (last !== undefined && last[last.length - 1] === d - 1) last.push(d);
    else blocks.push([d]);
  }

  const offDays = new Map<number, string>();
  for (const d of statutoryDays) offDays.set(d, (namesByDay.get(d) ?? []).join('、'));

  for (const block of blocks) {
    // Art. 6: every entitlement that does not fall on a Monday–Friday is owed back on a
    // working day. Two festivals on the same day also cost one entitlement (as in 2001 and
    // 2020, when 中秋 fell inside 国庆 and the notice gave an extra day); that is this
    // module's reading, the 办法 does not address coincidences explicitly.
    let entitled = 0;
    let weekdaysOff = 0;
    const blockNames: string[] = [];
    for (const d of block) {
      const names = namesByDay.get(d) ?? [];
      entitled += names.length;
      for (const n of names) if (!blockNames.includes(n)) blockNames.push(n);
      if (!isWeekendEpochDay(d)) weekdaysOff++;
    }
    let owed = entitled - weekdaysOff;
    let cursor = block[block.length - 1] + 1;
    while (owed > 0) {
      if (!isWeekendEpochDay(cursor) && !offDays.has(cursor)) {
        offDays.set(cursor, `${blockNames.join('、')}补假`);
        owed--;
      }
      cursor++;
    }
  }

  const holidays: NamedDay[] = [...offDays.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, name]) => ({ date: fromEpochDay(d), name }));

  const result: CalendarYear = {
    year,
    status: 'PROVISIONAL',
    source: PROVISIONAL_SOURCE,
    holidays,
    makeupWorkdays: [],
  };
  cache.set(year, result);
  return copyYear(result);
}
