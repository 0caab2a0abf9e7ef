import fc from 'fast-check';
import {
  WorkingCalendar,
  chineseWorkdayYears,
  deriveProvisionalYear,
  shanghaiDate,
  startOfShanghaiDay,
} from '../../domain/calendar';
import type { CalendarYear } from '../../domain/calendar';

const DAY = 86_400_000;
const years = chineseWorkdayYears();
const cal = new WorkingCalendar(years);
const noMakeup = new WorkingCalendar(years, { countMakeupWorkdays: false });

/**
 * Naive reference: walks day by day over a plain date -> kind map built from the same data
 * (official years from the package, provisional years from deriveProvisionalYear, whose
 * content is checked in statutory-holidays.test.ts). What this checks is the counting.
 */
function referenceIsWorking(data: Map<string, 'H' | 'M'>, date: string, makeup: boolean): boolean {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  const weekend = dow === 0 || dow === 6;
  const kind = data.get(date);
  if (kind === 'H') return false;
  if (kind === 'M') return makeup || !weekend;
  return !weekend;
}

function dataOf(ys: CalendarYear[]): Map<string, 'H' | 'M'> {
  const m = new Map<string, 'H' | 'M'>();
  for (const y of ys) {
    for (const h of y.holidays) m.set(h.date, 'H');
    for (const w of y.makeupWorkdays) m.set(w.date, 'M');
  }
  return m;
}
const provisional: CalendarYear[] = [];
for (let y = 2000; y <= 2040; y++) if (y < 2011 || y > 2026) provisional.push(deriveProvisionalYear(y));
const data = dataOf([...provisional, ...years]);

const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
const next = (d: string, k = 1): string => iso(Date.parse(`${d}T00:00:00Z`) + k * DAY);

function referenceAdd(date: string, n: number, makeup = true): string {
  let d = date;
  let left = n;
  while (left > 0) {
    d = next(d);
    if (referenceIsWorking(data, d, makeup)) left--;
  }
  return d;
}

/** Dates 2009..2032: before, inside and after the package's years, incl. provisional ones. */
const dateArb = fc
  .integer({ min: Date.UTC(2009, 0, 1) / DAY, max: Date.UTC(2032, 11, 31) / DAY })
  .map((d) => iso(d * DAY));
/** Dates within a week of a year boundary. */
const boundaryArb = fc
  .tuple(fc.integer({ min: 2010, max: 2031 }), fc.integer({ min: -7, max: 7 }))
  .map(([y, off]) => iso(Date.UTC(y, 0, 1) + off * DAY));
const anyDateArb = fc.oneof(dateArb, boundaryArb);
const nArb = fc.integer({ min: 1, max: 600 });
const instantArb = fc.integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2031, 0, 1) }).map((t) => new Date(t));

describe('working-day arithmetic properties', () => {
  it('addWorkingDays equals a naive day-by-day walk (default policy)', () => {
    fc.assert(
      fc.property(anyDateArb, fc.integer({ min: 1, max: 300 }), (d, n) => {
        expect(cal.addWorkingDays(d, n)).toBe(referenceAdd(d, n));
      }),
      { numRuns: 400 },
    );
  });

  it('addWorkingDays equals a naive walk when makeup days do not count', () => {
    fc.assert(
      fc.property(anyDateArb, fc.integer({ min: 1, max: 120 }), (d, n) => {
        expect(noMakeup.addWorkingDays(d, n)).toBe(referenceAdd(d, n, false));
      }),
      { numRuns: 300 },
    );
  });

  it('isWorkingDay equals the reference on random days', () => {
    fc.assert(
      fc.property(anyDateArb, (d) => {
        expect(cal.isWorkingDay(d)).toBe(referenceIsWorking(data, d, true));
        expect(noMakeup.isWorkingDay(d)).toBe(referenceIsWorking(data, d, false));
      }),
      { numRuns: 1000 },
    );
  });

  it('is strictly monotonic in N and always lands on a working day', () => {
    fc.assert(
      fc.property(anyDateArb, nArb, nArb, (d, a, b) => {
        const ra = cal.addWorkingDays(d, a);
        const rb = cal.addWorkingDays(d, b);
        expect(cal.isWorkingDay(ra)).toBe(true);
        expect(ra > d).toBe(true);
        if (a < b) expect(ra < rb).toBe(true);
        if (a === b) expect(ra).toBe(rb);
      }),
    );
  });

  it('workingDaysBetween(D, addWorkingDays(D, n)) === n, and is antisymmetric', () => {
    fc.assert(
      fc.property(anyDateArb, nArb, (d, n) => {
        const due = cal.addWorkingDays(d, n);
        const from = startOfShanghaiDay(d);
        const to = startOfShanghaiDay(due);
        expect(cal.workingDaysBetween(from, to)).toBe(n);
        expect(cal.workingDaysBetween(to, from)).toBe(-n);
      }),
    );
  });

  it('is additive: add(add(d, a), b) === add(d, a + b)', () => {
    fc.assert(
      fc.property(anyDateArb, nArb, nArb, (d, a, b) => {
        expect(cal.addWorkingDays(cal.addWorkingDays(d, a), b)).toBe(cal.addWorkingDays(d, a + b));
      }),
    );
  });

  it('every receipt day between two consecutive working days gives the same deadline', () => {
    fc.assert(
      fc.property(anyDateArb, fc.integer({ min: 1, max: 60 }), (d, n) => {
        // The working day at or before d, and the next working day after d.
        let start = d;
        while (!cal.isWorkingDay(start)) start = next(start, -1);
        const nextWorking = cal.addWorkingDays(d, 1);
        const expected = cal.addWorkingDays(start, n);
        for (let e = start; e < nextWorking; e = next(e)) {
          expect(cal.addWorkingDays(e, n)).toBe(expected);
          expect(cal.deadline(new Date(startOfShanghaiDay(e).getTime() + 13 * 3_600_000), n).dueDate).toBe(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('deadline() is consistent with addWorkingDays and the 24:00 / warning rules', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 }), (at, n, k) => {
        const r = cal.deadline(at, n, { warningWorkingDaysBefore: k });
        const received = shanghaiDate(at);
        expect(r.dueDate).toBe(cal.addWorkingDays(received, n));
        expect(r.deadlineAt.getTime()).toBe(startOfShanghaiDay(r.dueDate).getTime() + DAY);
        expect(r.warningAt.getTime()).toBeLessThan(r.deadlineAt.getTime());
        expect(r.warningAt.getTime()).toBeGreaterThan(at.getTime());
        const warningDay = shanghaiDate(r.warningAt);
        expect(cal.isWorkingDay(warningDay)).toBe(true);
        expect(cal.workingDaysBetween(r.warningAt, startOfShanghaiDay(r.dueDate))).toBe(Math.min(k, n) - 1);
        const years: number[] = [];
        for (let y = Number(received.slice(0, 4)); y <= Number(r.dueDate.slice(0, 4)); y++) {
          if (y < 2011 || y > 2026) years.push(y);
        }
        expect(r.provisionalYears).toEqual(years);
        expect(r.provisional).toBe(years.length > 0);
      }),
    );
  });
});
