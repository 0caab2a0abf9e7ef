import { Lunar, Solar } from 'lunar-typescript';
import { PROVISIONAL_SOURCE, chineseWorkdayYears, deriveProvisionalYear } from '../../domain/calendar';

const officialHolidays = new Map<number, Set<string>>();
for (const y of chineseWorkdayYears()) officialHolidays.set(y.year, new Set(y.holidays.map((h) => h.date)));

const holidayDates = (year: number): string[] => deriveProvisionalYear(year).holidays.map((h) => h.date);
const nameOf = (year: number, date: string): string | undefined =>
  deriveProvisionalYear(year).holidays.find((h) => h.date === date)?.name;

/** Core statutory days of Art. 2 of the 2025 办法, hard-coded from published calendars. */
const CORE: Record<number, string[]> = {
  2025: [
    '2025-01-01',
    '2025-01-28',
    '2025-01-29',
    '2025-01-30',
    '2025-01-31', // 除夕 (腊月廿九) .. 初三
    '2025-04-04', // 清明
    '2025-05-01',
    '2025-05-02',
    '2025-05-31', // 端午
    '2025-10-06', // 中秋
    '2025-10-01',
    '2025-10-02',
    '2025-10-03',
  ],
  2026: [
    '2026-01-01',
    '2026-02-16',
    '2026-02-17',
    '2026-02-18',
    '2026-02-19', // 除夕 (腊月廿九) .. 初三
    '2026-04-05', // 清明
    '2026-05-01',
    '2026-05-02',
    '2026-06-19', // 端午
    '2026-09-25', // 中秋
    '2026-10-01',
    '2026-10-02',
    '2026-10-03',
  ],
  2024: [
    '2024-01-01',
    '2024-02-09',
    '2024-02-10',
    '2024-02-11',
    '2024-02-12', // 除夕 (腊月三十) .. 初三
    '2024-04-04',
    '2024-05-01',
    '2024-05-02',
    '2024-06-10',
    '2024-09-17',
    '2024-10-01',
    '2024-10-02',
    '2024-10-03',
  ],
};

describe('deriveProvisionalYear', () => {
  it('derives the hard-coded core statutory days for 2024..2026', () => {
    for (const year of [2024, 2025, 2026]) {
      const derived = new Set(holidayDates(year));
      for (const d of CORE[year]) expect([year, d, derived.has(d)]).toEqual([year, d, true]);
    }
  });

  it('every derived core day of 2025 and 2026 is a holiday in the official data', () => {
    for (const year of [2025, 2026]) {
      const off = officialHolidays.get(year) ?? new Set<string>();
      for (const d of CORE[year]) expect([d, off.has(d)]).toEqual([d, true]);
    }
  });

  it('for 2025 and 2026 even the derived compensation days (Art. 6) are official days off', () => {
    for (const year of [2025, 2026]) {
      const off = officialHolidays.get(year) ?? new Set<string>();
      for (const d of holidayDates(year)) expect([d, off.has(d)]).toEqual([d, true]);
    }
    expect(nameOf(2026, '2026-10-05')).toBe('国庆节补假'); // Oct 3 2026 is a Saturday
    expect(nameOf(2025, '2025-06-02')).toBe('端午节补假'); // May 31 2025 is a Saturday
  });

  it('2024 predates the 2025 revision: its official data lacks 除夕, all other core days match', () => {
    const off = officialHolidays.get(2024) ?? new Set<string>();
    // Before 2025 the 办法 gave 春节 3 days (初一..初三) and 劳动节 1 day; the 2024 notice
    // only "encouraged" a day off on 除夕 (Feb 9), and May 2 was off through 调休.
    expect(off.has('2024-02-09')).toBe(false);
    for (const d of CORE[2024].filter((x) => x !== '2024-02-09')) expect([d, off.has(d)]).toEqual([d, true]);
  });

  it('derives 2027 (no notice yet)', () => {
    const y = deriveProvisionalYear(2027);
    expect(y.status).toBe('PROVISIONAL');
    expect(y.source).toBe(PROVISIONAL_SOURCE);
    expect(y.makeupWorkdays).toEqual([]);
    expect(y.holidays).toEqual([
      { date: '2027-01-01', name: '元旦' },
      { date: '2027-02-05', name: '春节' }, // 除夕 = 腊月廿九, Friday
      { date: '2027-02-06', name: '春节' }, // 正月初一, Saturday
      { date: '2027-02-07', name: '春节' }, // Sunday
      { date: '2027-02-08', name: '春节' }, // 初三, Monday
      { date: '2027-02-09', name: '春节补假' }, // for Sat Feb 6
      { date: '2027-02-10', name: '春节补假' }, // for Sun Feb 7
      { date: '2027-04-05', name: '清明节' }, // Monday
      { date: '2027-05-01', name: '劳动节' }, // Saturday
      { date: '2027-05-02', name: '劳动节' }, // Sunday
      { date: '2027-05-03', name: '劳动节补假' },
      { date: '2027-05-04', name: '劳动节补假' },
      { date: '2027-06-09', name: '端午节' }, // Wednesday
      { date: '2027-09-15', name: '中秋节' }, // Wednesday
      { date: '2027-10-01', name: '国庆节' }, // Friday
      { date: '2027-10-02', name: '国庆节' }, // Saturday
      { date: '2027-10-03', name: '国庆节' }, // Sunday
      { date: '2027-10-04', name: '国庆节补假' },
      { date: '2027-10-05', name: '国庆节补假' },
    ]);
  });

  it('agrees with lunar-typescript on the hard-coded lunar dates and solar terms', () => {
    // Independently known dates (published calendars); lunar-typescript must agree.
    const ymd = (s: { toYmd(): string }): string => s.toYmd();
    expect(ymd(Lunar.fromYmd(2027, 1, 1).getSolar())).toBe('2027-02-06');
    expect(ymd(Lunar.fromYmd(2027, 5, 5).getSolar())).toBe('2027-06-09');
    expect(ymd(Lunar.fromYmd(2027, 8, 15).getSolar())).toBe('2027-09-15');
    expect(ymd(Lunar.fromYmd(2026, 5, 5).getSolar())).toBe('2026-06-19');
    expect(ymd(Lunar.fromYmd(2028, 1, 1).getSolar())).toBe('2028-01-26');
    expect(ymd(Lunar.fromYmd(2027, 1, 1).getJieQiTable()['清明'])).toBe('2027-04-05');
    expect(ymd(Lunar.fromYmd(2028, 1, 1).getJieQiTable()['清明'])).toBe('2028-04-04');
    // 除夕 is 腊月三十 in some years and 廿九 in others.
    expect(Solar.fromYmd(2024, 2, 9).getLunar().getDay()).toBe(30);
    expect(Solar.fromYmd(2027, 2, 5).getLunar().getDay()).toBe(29);
    expect(Solar.fromYmd(2027, 2, 5).getLunar().getMonth()).toBe(12);
  });

  it('puts 除夕 on the day before 正月初一 whether the 12th month has 29 or 30 days', () => {
    for (let year = 2000; year <= 2100; year++) {
      const spring = deriveProvisionalYear(year)
        .holidays.filter((h) => h.name === '春节')
        .map((h) => h.date);
      const firstDay = Lunar.fromYmd(year, 1, 1).getSolar().toYmd();
      expect(spring.length).toBe(4);
      expect(spring[1]).toBe(firstDay);
      const eve = Solar.fromYmd(
        Number(spring[0].slice(0, 4)),
        Number(spring[0].slice(5, 7)),
        Number(spring[0].slice(8)),
      ).getLunar();
      expect([year, eve.getMonth(), eve.getDay() >= 29]).toEqual([year, 12, true]);
    }
  });

  it('compensates every weekend holiday on a weekday (Art. 6) and keeps the total at 13 days off on weekdays', () => {
    for (let year = 2000; year <= 2100; year++) {
      const y = deriveProvisionalYear(year);
      const weekdays = y.holidays.filter((h) => {
        const dow = new Date(`${h.date}T00:00:00Z`).getUTCDay();
        return dow !== 0 && dow !== 6;
      });
      // 13 statutory days (Art. 2), each taken on a weekday either on the day itself or as
      // 补假; a day holding two festivals is owed back as well, so the count never changes.
      expect([year, weekdays.length]).toEqual([year, 13]);
      for (const h of y.holidays) expect(h.date.startsWith(String(year))).toBe(true);
    }
  });

  it('compensates after the combined block when 中秋 falls inside 国庆 (2020, 2031)', () => {
    expect(nameOf(2020, '2020-10-01')).toBe('中秋节、国庆节');
    // Oct 1..3 2020 are Thu, Fri, Sat: 4 entitlements, 2 weekdays => Mon 5 and Tue 6.
    expect(holidayDates(2020).filter((d) => d >= '2020-10-01')).toEqual([
      '2020-10-01',
      '2020-10-02',
      '2020-10-03',
      '2020-10-05',
      '2020-10-06',
    ]);
  });

  it('rejects unsupported years', () => {
    expect(() => deriveProvisionalYear(1800)).toThrow(RangeError);
    expect(() => deriveProvisionalYear(2027.5)).toThrow(RangeError);
  });
});
