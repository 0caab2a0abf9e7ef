import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ChineseWorkday from 'chinese-workday' with { 'resolution-mode': 'import' };
import {
  CHINESE_WORKDAY_KNOWN_ISSUES,
  CHINESE_WORKDAY_SOURCE,
  CHINESE_WORKDAY_VERSION,
  WorkingCalendar,
  chineseWorkdayCoveredYears,
  chineseWorkdayYears,
  deriveProvisionalYear,
  shanghaiDate,
  startOfShanghaiDay,
  validateSchedule,
} from '../../domain/calendar';
import type { CalendarYear } from '../../domain/calendar';

// A static import of the package is rejected by tsc (TS1479, see chinese-workday-source.ts).
const cw = require('chinese-workday') as typeof ChineseWorkday;

const official = chineseWorkdayYears();
const cal = new WorkingCalendar(official);
const noMakeup = new WorkingCalendar(official, { countMakeupWorkdays: false });

/** Instant of a Shanghai wall-clock time. */
const sh = (local: string): Date => new Date(`${local}+08:00`);

function* everyDay(year: number): Generator<string> {
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
    yield new Date(t).toISOString().slice(0, 10);
  }
}

describe('chinese-workday source', () => {
  it('covers 2011..2026 and records the package version it was read from', () => {
    expect(chineseWorkdayCoveredYears()).toEqual(Array.from({ length: 16 }, (_, i) => 2011 + i));
    const pkg = JSON.parse(
      readFileSync(join(__dirname, '../../node_modules/chinese-workday/package.json'), 'utf8'),
    ) as { version: string };
    expect(CHINESE_WORKDAY_VERSION).toBe(pkg.version);
    for (const y of official) {
      expect(y.status).toBe('OFFICIAL');
      expect(y.source).toBe(CHINESE_WORKDAY_SOURCE);
    }
  });

  it('agrees with chinese-workday isWorkday on every day of every covered year', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const y of chineseWorkdayCoveredYears()) {
      for (const d of everyDay(y)) {
        checked++;
        if (cal.isWorkingDay(d) !== cw.isWorkday(d)) mismatches.push(d);
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(5844);
  });

  it('keeps festival names and classifies day kinds', () => {
    expect(cal.dayKind('2026-10-01')).toEqual({ kind: 'HOLIDAY', name: '国庆节', year: 2026, status: 'OFFICIAL' });
    expect(cal.dayKind('2026-10-10')).toEqual({
      kind: 'MAKEUP_WORKDAY',
      name: '补国庆节',
      year: 2026,
      status: 'OFFICIAL',
    });
    expect(cal.dayKind('2026-10-11')).toEqual({ kind: 'WEEKEND', year: 2026, status: 'OFFICIAL' });
    expect(cal.dayKind('2026-10-12')).toEqual({ kind: 'WORKDAY', year: 2026, status: 'OFFICIAL' });
    expect(cal.dayKind('2027-01-01')).toEqual({ kind: 'HOLIDAY', name: '元旦', year: 2027, status: 'PROVISIONAL' });
    expect(cal.yearStatus(2026)).toBe('OFFICIAL');
    expect(cal.yearStatus(2027)).toBe('PROVISIONAL');
    // Every covered year has at least its seven festivals' worth of days off.
    for (const y of official) expect(y.holidays.length).toBeGreaterThanOrEqual(11);
  });

  it('documents the known data errors of the package, and corrects them on request', () => {
    const corrected = new WorkingCalendar(chineseWorkdayYears({ applyKnownCorrections: true }));
    for (const issue of CHINESE_WORKDAY_KNOWN_ISSUES) {
      expect([issue.date, cw.isWorkday(issue.date) ? 'WORKDAY' : 'DAY_OFF']).toEqual([issue.date, issue.packageSays]);
      expect([issue.date, corrected.isWorkingDay(issue.date) ? 'WORKDAY' : 'DAY_OFF']).toEqual([
        issue.date,
        issue.officialIs,
      ]);
    }
    // Days not in the list are untouched by the corrections.
    expect(corrected.isWorkingDay('2012-09-29')).toBe(true);
    expect(corrected.dayKind('2012-09-30')).toMatchObject({ kind: 'HOLIDAY', name: '中秋节' });
  });
});

describe('time zone helpers', () => {
  it('uses the Asia/Shanghai civil date', () => {
    expect(shanghaiDate(new Date('2026-01-01T15:59:59.999Z'))).toBe('2026-01-01');
    expect(shanghaiDate(new Date('2026-01-01T16:00:00.000Z'))).toBe('2026-01-02');
    expect(startOfShanghaiDay('2026-10-21').toISOString()).toBe('2026-10-20T16:00:00.000Z');
    expect(() => startOfShanghaiDay('2026-02-30')).toThrow(RangeError);
    expect(() => shanghaiDate(new Date('nonsense'))).toThrow(RangeError);
  });
});

describe('hand-computed deadlines', () => {
  it('1. Wed 2026-09-30 10:00 + 10 working days ends 24:00 on Tue 2026-10-20 (Oct 1–7 off, Sat Oct 10 worked)', () => {
    // Oct 8 (1), 9 (2), Sat 10 makeup (3), 12..16 (4..8), 19 (9), 20 (10).
    const r = cal.deadline(sh('2026-09-30T10:00:00'), 10);
    expect(r.dueDate).toBe('2026-10-20');
    expect(r.deadlineAt.toISOString()).toBe('2026-10-20T16:00:00.000Z');
    expect(r.warningAt.toISOString()).toBe('2026-10-19T16:00:00.000Z');
    expect(r.provisional).toBe(false);
    expect(r.provisionalYears).toEqual([]);
  });

  it('2. receipt on any day from the last working day before a break to the day before the next one gives the same deadline', () => {
    for (const day of ['2026-09-30', '2026-10-01', '2026-10-03', '2026-10-04', '2026-10-07']) {
      expect([day, cal.deadline(sh(`${day}T12:00:00`), 10).dueDate]).toEqual([day, '2026-10-20']);
    }
    // Plain weekend: Fri 2026-03-06, Sat 07, Sun 08 all count from Mon 09: 9, 10, 11.
    for (const day of ['2026-03-06', '2026-03-07', '2026-03-08']) {
      expect([day, cal.addWorkingDays(day, 3)]).toEqual([day, '2026-03-11']);
    }
    expect(cal.addWorkingDays('2026-03-09', 3)).toBe('2026-03-12');
  });

  it('3. the Shanghai date decides, not the UTC date', () => {
    // 2026-09-29T15:59:59Z is Tue 23:59:59 in Shanghai: Sep 30 counts as day 1 => Oct 19.
    expect(cal.deadline(new Date('2026-09-29T15:59:59Z'), 10).dueDate).toBe('2026-10-19');
    // 2026-09-29T16:00:00Z is already Wed Sep 30 in Shanghai.
    expect(cal.deadline(new Date('2026-09-29T16:00:00Z'), 10).dueDate).toBe('2026-10-20');
  });

  it('4. Spring Festival 2026 (Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked)', () => {
    // Fri Feb 13 + 5: Sat 14 (1), 24 (2), 25 (3), 26 (4), 27 (5).
    const r = cal.deadline(sh('2026-02-13T16:00:00'), 5);
    expect(r.dueDate).toBe('2026-02-27');
    expect(r.deadlineAt.toISOString()).toBe('2026-02-27T16:00:00.000Z');
    // Thu Feb 12 + 3: Fri 13, Sat 14 (makeup), Tue 24.
    expect(cal.addWorkingDays('2026-02-12', 3)).toBe('2026-02-24');
    // Fri Feb 27 + 1 is the Saturday makeup day.
    expect(cal.addWorkingDays('2026-02-27', 1)).toBe('2026-02-28');
  });

  it('5. countMakeupWorkdays=false moves the Spring Festival deadline to Mon 2026-03-02', () => {
    // Without makeup days: 24 (1), 25, 26, 27 (4), Sat 28 not counted, Mon Mar 2 (5).
    expect(noMakeup.deadline(sh('2026-02-13T16:00:00'), 5).dueDate).toBe('2026-03-02');
    expect(noMakeup.isWorkingDay('2026-02-14')).toBe(false);
    expect(noMakeup.dayKind('2026-02-14').kind).toBe('MAKEUP_WORKDAY');
  });

  it('6. National Day + Mid-Autumn 2025 (Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked)', () => {
    // Fri Sep 26 + 5: Sun 28 (1), 29 (2), 30 (3), Thu Oct 9 (4), Fri Oct 10 (5).
    expect(cal.deadline(sh('2025-09-26T09:00:00'), 5).dueDate).toBe('2025-10-10');
    // + 6 lands on the Saturday makeup day.
    expect(cal.deadline(sh('2025-09-26T09:00:00'), 6).dueDate).toBe('2025-10-11');
    expect(cal.dayKind('2025-10-06')).toMatchObject({ kind: 'HOLIDAY' });
  });

  it('7. year boundary Dec 2026 -> Jan 2027: 2027-01-01 is a provisional holiday and the deadline says so', () => {
    // Wed Dec 23 + 7: 24, 25, 28, 29, 30, 31 (6), Fri Jan 1 off (元旦), Mon Jan 4 (7).
    const r = cal.deadline(sh('2026-12-23T11:00:00'), 7);
    expect(r.dueDate).toBe('2027-01-04');
    expect(r.deadlineAt.toISOString()).toBe('2027-01-04T16:00:00.000Z');
    expect(r.provisional).toBe(true);
    expect(r.provisionalYears).toEqual([2027]);
    const inside = cal.deadline(sh('2026-12-23T11:00:00'), 6);
    expect(inside.dueDate).toBe('2026-12-31');
    expect(inside.provisional).toBe(false);
  });

  it('8. Spring Festival 2027 (provisional): 除夕 Fri Feb 5 .. 初三 Mon Feb 8, compensation Tue 9 and Wed 10', () => {
    // Thu Feb 4 + 2: Thu Feb 11 (1), Fri Feb 12 (2).
    const r = cal.deadline(sh('2027-02-04T09:00:00'), 2);
    expect(r.dueDate).toBe('2027-02-12');
    expect(r.provisionalYears).toEqual([2027]);
  });

  it('9. once the 2027 notice is loaded the same deadline is no longer provisional', () => {
    const y2027 = validateSchedule({
      year: 2027,
      source: 'hypothetical 2027 notice (test data)',
      holidays: [
        { from: '2027-01-01', to: '2027-01-03', name: '元旦' },
        { from: '2027-02-05', to: '2027-02-12', name: '春节' },
        // The rest of the statutory days (a load must keep them, 放假办法 Art. 2 and 6).
        ...deriveProvisionalYear(2027)
          .holidays.filter((h) => h.date > '2027-02-12')
          .map((h) => ({ from: h.date, to: h.date, name: h.name })),
      ],
      makeupWorkdays: [{ date: '2027-02-20', name: '补春节' }],
    });
    if (!y2027.ok) throw new Error(JSON.stringify(y2027.errors));
    const loaded = new WorkingCalendar([...official, y2027.value]);
    // Thu Feb 4 + 2: Mon Feb 15 (1), Tue Feb 16 (2).
    const r = loaded.deadline(sh('2027-02-04T09:00:00'), 2);
    expect(r.dueDate).toBe('2027-02-16');
    expect(r.provisional).toBe(false);
  });

  it('10. one working day from a Friday is the Monday', () => {
    const r = cal.deadline(sh('2026-03-13T17:30:00'), 1);
    expect(r.dueDate).toBe('2026-03-16');
    expect(r.deadlineAt.toISOString()).toBe('2026-03-16T16:00:00.000Z');
    expect(r.warningAt.toISOString()).toBe('2026-03-15T16:00:00.000Z');
  });

  it('11. warnings: start of the last working day by default, or of the k-th last one', () => {
    const d = sh('2026-09-30T10:00:00');
    expect(cal.deadline(d, 10).warningAt.toISOString()).toBe('2026-10-19T16:00:00.000Z'); // start of Tue Oct 20
    expect(cal.deadline(d, 10, { warningWorkingDaysBefore: 2 }).warningAt.toISOString()).toBe(
      '2026-10-18T16:00:00.000Z', // start of Mon Oct 19
    );
    // Across a weekend: due Fri Feb 27 2026; the 3rd last working day is Wed Feb 25.
    expect(cal.deadline(sh('2026-02-13T16:00:00'), 5, { warningWorkingDaysBefore: 3 }).warningAt.toISOString()).toBe(
      '2026-02-24T16:00:00.000Z',
    );
    // A warning never precedes the first counted working day (Oct 8).
    expect(cal.deadline(d, 2, { warningWorkingDaysBefore: 5 }).warningAt.toISOString()).toBe(
      '2026-10-07T16:00:00.000Z',
    );
    expect(() => cal.deadline(d, 10, { warningWorkingDaysBefore: 0 })).toThrow(RangeError);
  });

  it('12. N must be an integer >= 1', () => {
    expect(() => cal.addWorkingDays('2026-03-13', 0)).toThrow(RangeError);
    expect(() => cal.addWorkingDays('2026-03-13', -3)).toThrow(RangeError);
    expect(() => cal.addWorkingDays('2026-03-13', 1.5)).toThrow(RangeError);
    expect(() => cal.addWorkingDays('2026-03-13', Number.NaN)).toThrow(RangeError);
    expect(() => cal.deadline(sh('2026-03-13T10:00:00'), 0)).toThrow(RangeError);
    expect(() => cal.deadline(sh('2026-03-13T10:00:00'), -1)).toThrow(RangeError);
    expect(() => cal.addWorkingDays('2026-13-01', 1)).toThrow(RangeError);
  });

  it('13. workingDaysBetween counts (from, to] and is negative backwards', () => {
    expect(cal.workingDaysBetween(sh('2026-09-30T10:00:00'), sh('2026-10-20T23:00:00'))).toBe(10);
    expect(cal.workingDaysBetween(sh('2026-10-20T23:00:00'), sh('2026-09-30T10:00:00'))).toBe(-10);
    expect(cal.workingDaysBetween(sh('2026-10-01T00:00:00'), sh('2026-10-07T23:59:59'))).toBe(0);
    expect(noMakeup.workingDaysBetween(sh('2026-09-30T10:00:00'), sh('2026-10-20T23:00:00'))).toBe(9);
  });

  it('14. long periods cross years and reach beyond the prebuilt range', () => {
    const far = cal.addWorkingDays('2100-12-30', 500);
    expect(far > '2102-12-01' && far < '2103-02-01').toBe(true);
    expect(cal.addWorkingDays('1990-06-01', 1)).toBe('1990-06-04');
    expect(() => cal.addWorkingDays('1800-01-01', 1)).toThrow(RangeError);
  });

  it('15. days() lists kinds, names and provisional flags', () => {
    expect(cal.days('2026-12-31', '2027-01-02')).toEqual([
      { date: '2026-12-31', kind: 'WORKDAY', provisional: false },
      { date: '2027-01-01', kind: 'HOLIDAY', name: '元旦', provisional: true },
      { date: '2027-01-02', kind: 'WEEKEND', provisional: true },
    ]);
    expect(cal.days('2026-01-02', '2026-01-01')).toEqual([]);
  });

  it('16. rejects contradictory or duplicated input years', () => {
    const bad: CalendarYear = {
      year: 2030,
      status: 'OFFICIAL',
      source: 'test',
      holidays: [{ date: '2030-10-05', name: '国庆节' }],
      makeupWorkdays: [{ date: '2030-10-05', name: '补国庆节' }],
    };
    expect(() => new WorkingCalendar([bad])).toThrow(RangeError);
    expect(() => new WorkingCalendar([official[0], official[0]])).toThrow(RangeError);
  });
});
