/**
 * Does a submitted year keep the days off that 全国年节及纪念日放假办法 guarantees?
 *
 * A yearly notice may move weekend days (调休) but cannot take away what the 办法 gives every
 * citizen: the days of Art. 2 (元旦 1; 春节 4, 除夕 to 正月初三; 清明 1; 劳动节 2, May 1–2;
 * 端午 1; 中秋 1; 国庆 3, Oct 1–3) and, by Art. 6, a working day off in compensation (补假) for
 * each of them that falls on a Saturday or Sunday. A schedule that drops one would shorten
 * every statutory period that runs across it, so it is refused rather than loaded.
 *
 * The rule, per break: every statutory day must be off (listed as a holiday, or a weekend day
 * that is not a makeup workday), and each maximal run of consecutive days off that contains
 * statutory days must have at least as many Monday–Friday holidays as it contains statutory
 * days (so the weekend ones are compensated inside the break or right next to it, as every
 * notice since the 2025 revision has done, and as deriveProvisionalYear models). Two festivals
 * on the same day count twice, as in deriveProvisionalYear. Extra days off are always allowed.
 * A run stops at the year's edges: compensation for 元旦 placed on Dec 31 of the year before is
 * not seen (no notice has done that); such a year would have to be loaded with it in January.
 */
import { FESTIVAL, statutoryEntitlements } from './statutory-holidays';
import { epochDayFromYmd, fromEpochDay, isWeekendEpochDay } from './types';
import type { ScheduleError } from './validate-schedule';

/**
 * The 2025 revision of the 办法 (国务院令第795号) is in force from 2025-01-01. Earlier years
 * were scheduled under the 1999/2007/2013 versions with other day counts (e.g. 春节 3 days, and
 * 除夕 a day off only 2008–2013), which statutoryEntitlements does not model, so those years
 * are not checked against it.
 */
export const STATUTORY_RULE_FIRST_YEAR = 2025;

const WHAT: Record<string, string> = {
  [FESTIVAL.NEW_YEAR]: 'Jan 1',
  [FESTIVAL.SPRING]: '除夕 to 正月初三',
  [FESTIVAL.QINGMING]: 'the 清明 solar-term day',
  [FESTIVAL.LABOUR]: 'May 1–2',
  [FESTIVAL.DRAGON_BOAT]: '五月初五',
  [FESTIVAL.MID_AUTUMN]: '八月十五',
  [FESTIVAL.NATIONAL]: 'Oct 1–3',
};

/**
 * Problems of one year's schedule against Art. 2 and Art. 6; [] when there are none or the
 * year predates the revision. `holidays` are the epoch days listed as holidays; `makeups` maps
 * each makeup workday's epoch day to its index in makeupWorkdays (for the error path).
 */
export function statutoryProblems(
  year: number,
  holidays: ReadonlySet<number>,
  makeups: ReadonlyMap<number, number>,
): ScheduleError[] {
  if (year < STATUTORY_RULE_FIRST_YEAR) return [];
  const first = epochDayFromYmd(year, 1, 1);
  const last = epochDayFromYmd(year, 12, 31);
  // A run of days off is only followed inside the year (the schedule knows no other days).
  const isOff = (d: number): boolean => holidays.has(d) || (isWeekendEpochDay(d) && !makeups.has(d));

  const namesByDay = new Map<number, string[]>();
  for (const e of statutoryEntitlements(year)) {
    const names = namesByDay.get(e.epochDay);
    if (names === undefined) namesByDay.set(e.epochDay, [e.name]);
    else names.push(e.name);
  }
  const days = [...namesByDay.keys()].sort((a, b) => a - b);

  const errors: ScheduleError[] = [];
  for (const d of days) {
    if (isOff(d)) continue;
    const names = namesByDay.get(d) ?? [];
    const date = fromEpochDay(d);
    const makeup = makeups.get(d);
    for (const name of names) {
      const what = `${date} (${name}, ${WHAT[name] ?? name}) is a statutory day off (放假办法 Art. 2)`;
      const whatZh = `${date}（${name}）是法定假日（放假办法第二条）`;
      errors.push({
        path: makeup === undefined ? 'holidays' : `makeupWorkdays[${makeup}].date`,
        code: 'STATUTORY_HOLIDAY_MISSING',
        zh: makeup === undefined ? `${whatZh}，但未列为假日` : `${whatZh}，不能列为调休上班日`,
        en: makeup === undefined ? `${what} but not listed as a holiday` : `${what}, not a makeup workday`,
        date,
        entitlement: name,
      });
    }
  }

  const checkedRuns = new Set<number>();
  for (const d of days) {
    if (!isOff(d)) continue;
    let from = d;
    while (from > first && isOff(from - 1)) from--;
    if (checkedRuns.has(from)) continue;
    checkedRuns.add(from);
    let to = d;
    while (to < last && isOff(to + 1)) to++;
    let statutory = 0;
    let weekdayHolidays = 0;
    const names: string[] = [];
    for (let x = from; x <= to; x++) {
      for (const n of namesByDay.get(x) ?? []) {
        statutory++;
        if (!names.includes(n)) names.push(n);
      }
      if (holidays.has(x) && !isWeekendEpochDay(x)) weekdayHolidays++;
    }
    if (weekdayHolidays >= statutory) continue;
    const range = from === to ? fromEpochDay(from) : `${fromEpochDay(from)}..${fromEpochDay(to)}`;
    errors.push({
      path: 'holidays',
      code: 'STATUTORY_HOLIDAY_NOT_COMPENSATED',
      zh:
        `假期 ${range}（${names.join('、')}）含 ${statutory} 个法定假日，但只有 ${weekdayHolidays} 个周一至周五的假日：` +
        `落在周末的法定假日须以相邻的工作日补休（放假办法第六条）；缺 ${statutory - weekdayHolidays} 天`,
      en:
        `the break ${range} (${names.join('、')}) holds ${statutory} statutory day(s) off but only ` +
        `${weekdayHolidays} Monday–Friday holiday(s): a statutory day on a weekend must be compensated ` +
        `by a working day off next to it (放假办法 Art. 6); ${statutory - weekdayHolidays} missing`,
      date: fromEpochDay(from),
      entitlement: names.join('、'),
    });
  }
  return errors;
}
