/**
 * Calendar years taken from the `chinese-workday` package (data transcribed from the yearly
 * 国务院办公厅关于部分节假日安排的通知, 2011 onwards).
 *
 * Import note: the package declares "type": "module", but its "require" entry
 * (dist/chinese-workday.cjs.js) is CommonJS code. Plain Node therefore loads that file as an
 * ES module and `require` yields an empty namespace, and TypeScript (module node16) refuses
 * a static import of it from this CommonJS project (TS1479). The loaders this project runs
 * on (tsx, @swc/jest) load the CommonJS file correctly through `require`, so the module is
 * required lazily here, typed from the package's own declarations; the check in
 * loadedPackage() turns a broken load into a clear error instead of an empty calendar.
 *
 * The package only exposes query functions, not its tables, so each covered day is queried.
 */
import type * as ChineseWorkday from 'chinese-workday' with { 'resolution-mode': 'import' };
import type { CalendarYear, IsoDate, NamedDay } from './types';
import { daysInMonth, isoFromYmd } from './types';

/** Must match node_modules/chinese-workday/package.json (checked by a unit test). */
export const CHINESE_WORKDAY_VERSION = '1.16.1';
export const CHINESE_WORKDAY_SOURCE = `chinese-workday@${CHINESE_WORKDAY_VERSION}`;

/** Years probed for coverage; the package documents 2011–2026. */
const PROBE_FIRST_YEAR = 1990;
const PROBE_LAST_YEAR = 2100;

/** getFestival's labels for days that are not in the package's tables. */
const PLAIN_DAY_LABELS = new Set(['工作日', '周末']);

export interface ChineseWorkdayIssue {
  date: IsoDate;
  /** What chinese-workday says. */
  packageSays: 'WORKDAY' | 'DAY_OFF';
  /** What the State Council notice says. */
  officialIs: 'WORKDAY' | 'DAY_OFF';
  name: string;
  source: string;
}

const N2010_40 = '国办发明电〔2010〕40号 (2011年部分节假日安排)';
const N2011_45 = '国办发明电〔2011〕45号 (2012年部分节假日安排)';
const N2012_33 = '国办发明电〔2012〕33号 (2013年部分节假日安排)';
const N2013_28 = '国务院办公厅关于2014年部分节假日安排的通知';
const N2015_KZ = '国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知 (2015)';
const N2017 = '国务院办公厅关于2018年部分节假日安排的通知';

/**
 * Days on which chinese-workday@1.16.1 contradicts the published notice, found while
 * building this module (notice texts cross-checked against the reprinted notices and the
 * LKI/chinese-calendar data set). They all lie in 2011–2018, so they matter only for
 * recomputing old cases; they are applied only when asked for.
 */
export const CHINESE_WORKDAY_KNOWN_ISSUES: readonly ChineseWorkdayIssue[] = [
  { date: '2011-01-29', packageSays: 'WORKDAY', officialIs: 'DAY_OFF', name: '周末', source: N2010_40 },
  { date: '2011-02-12', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补春节', source: N2010_40 },
  { date: '2011-04-02', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补清明节', source: N2010_40 },
  { date: '2011-12-31', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补元旦', source: N2011_45 },
  { date: '2012-01-29', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补春节', source: N2011_45 },
  { date: '2012-03-31', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补清明节', source: N2011_45 },
  { date: '2012-04-01', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补清明节', source: N2011_45 },
  { date: '2012-04-28', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补劳动节', source: N2011_45 },
  { date: '2012-09-30', packageSays: 'WORKDAY', officialIs: 'DAY_OFF', name: '中秋节', source: N2011_45 },
  { date: '2013-04-07', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补清明节', source: N2012_33 },
  { date: '2013-04-27', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补劳动节', source: N2012_33 },
  { date: '2013-04-28', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补劳动节', source: N2012_33 },
  { date: '2013-06-08', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补端午节', source: N2012_33 },
  { date: '2013-06-09', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补端午节', source: N2012_33 },
  { date: '2013-10-12', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补国庆节', source: N2012_33 },
  { date: '2013-12-29', packageSays: 'WORKDAY', officialIs: 'DAY_OFF', name: '周末', source: N2013_28 },
  { date: '2014-10-11', packageSays: 'DAY_OFF', officialIs: 'WORKDAY', name: '补国庆节', source: N2013_28 },
  { date: '2015-09-03', packageSays: 'WORKDAY', officialIs: 'DAY_OFF', name: '抗战胜利纪念日', source: N2015_KZ },
  { date: '2015-09-04', packageSays: 'WORKDAY', officialIs: 'DAY_OFF', name: '抗战胜利纪念日', source: N2015_KZ },
  { date: '2018-01-01', packageSays: 'WORKDAY', officialIs: 'DAY_OFF', name: '元旦', source: N2017 },
];

let loaded: typeof ChineseWorkday | undefined;

function loadedPackage(): typeof ChineseWorkday {
  if (loaded !== undefined) return loaded;
  const chineseWorkday = require('chinese-workday') as Partial<typeof ChineseWorkday>;
  if (
    typeof chineseWorkday.isWorkday !== 'function' ||
    typeof chineseWorkday.getFestival !== 'function' ||
    typeof chineseWorkday.isAddtionalWorkday !== 'function'
  ) {
    throw new Error(
      'chinese-workday did not load (its "require" entry is ESM under "type": "module"); ' +
        'run through tsx/@swc/jest or import it as an ES module',
    );
  }
  loaded = chineseWorkday as typeof ChineseWorkday;
  return loaded;
}

/** Years with data in the package: a notice always schedules 国庆节 on October 1. */
export function chineseWorkdayCoveredYears(): number[] {
  const cw = loadedPackage();
  const years: number[] = [];
  for (let y = PROBE_FIRST_YEAR; y <= PROBE_LAST_YEAR; y++) {
    if (cw.getFestival(isoFromYmd(y, 10, 1)) === '国庆节') years.push(y);
  }
  return years;
}

/**
 * Every year the package covers, as OFFICIAL calendar years. A day is a holiday when the
 * package says it is not a working day and names a festival (so weekend days inside a block
 * are included); a makeup workday when the package flags it as 调休. This reproduces the
 * package's isWorkday for every covered day. With applyKnownCorrections the days listed in
 * CHINESE_WORKDAY_KNOWN_ISSUES are set as the notices have them.
 */
export function chineseWorkdayYears(opts?: { applyKnownCorrections?: boolean }): CalendarYear[] {
  const cw = loadedPackage();
  const corrections = new Map<IsoDate, ChineseWorkdayIssue>();
  if (opts?.applyKnownCorrections === true) {
    for (const issue of CHINESE_WORKDAY_KNOWN_ISSUES) corrections.set(issue.date, issue);
  }
  return chineseWorkdayCoveredYears().map((year) => {
    const holidays: NamedDay[] = [];
    const makeupWorkdays: NamedDay[] = [];
    for (let month = 1; month <= 12; month++) {
      const dim = daysInMonth(year, month);
      for (let day = 1; day <= dim; day++) {
        const date = isoFromYmd(year, month, day);
        const fix = corrections.get(date);
        if (fix !== undefined) {
          // '周末' marks a day the notice leaves as an ordinary weekend day.
          if (fix.officialIs === 'DAY_OFF' && fix.name !== '周末') holidays.push({ date, name: fix.name });
          if (fix.officialIs === 'WORKDAY') makeupWorkdays.push({ date, name: fix.name });
          continue;
        }
        if (cw.isAddtionalWorkday(date)) {
          makeupWorkdays.push({ date, name: cw.getFestival(date) });
        } else if (!cw.isWorkday(date)) {
          const festival = cw.getFestival(date);
          if (!PLAIN_DAY_LABELS.has(festival)) holidays.push({ date, name: festival });
        }
      }
    }
    return {
      year,
      status: 'OFFICIAL' as const,
      source:
        opts?.applyKnownCorrections === true
          ? `${CHINESE_WORKDAY_SOURCE} (with known corrections)`
          : CHINESE_WORKDAY_SOURCE,
      holidays,
      makeupWorkdays,
    };
  });
}
