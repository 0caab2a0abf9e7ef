import {
  MAX_HOLIDAY_RANGE_DAYS,
  WorkingCalendar,
  chineseWorkdayYears,
  deriveProvisionalYear,
  validateSchedule,
} from '../../domain/calendar';
import type { NamedDay } from '../../domain/calendar';
import { STATUTORY_RULE_FIRST_YEAR } from '../../domain/calendar/statutory-check';
import { MAX_MAKEUP_WORKDAYS_PER_YEAR } from '../../domain/calendar/validate-schedule';

const fromEpochDayIso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A plausible 2027 notice (test data; the real one was not published when this was written). */
const valid2027 = () => ({
  year: 2027,
  source: '国务院办公厅关于2027年部分节假日安排的通知 (test data)',
  holidays: [
    { from: '2027-01-01', to: '2027-01-03', name: '元旦' },
    { from: '2027-02-05', to: '2027-02-11', name: '春节' },
    { from: '2027-04-03', to: '2027-04-05', name: '清明节' },
    { from: '2027-05-01', to: '2027-05-05', name: '劳动节' },
    { from: '2027-06-09', to: '2027-06-09', name: '端午节' },
    { from: '2027-09-15', to: '2027-09-15', name: '中秋节' },
    { from: '2027-10-01', to: '2027-10-07', name: '国庆节' },
  ],
  makeupWorkdays: [
    { date: '2027-02-20', name: '春节调休上班' },
    { date: '2027-04-25', name: '劳动节调休上班' },
    { date: '2027-05-08', name: '劳动节调休上班' },
    { date: '2027-10-09', name: '国庆节调休上班' },
    { date: '2027-09-26', name: '国庆节调休上班' },
  ],
});

type Err = { path: string; code: string; zh: string; en: string };
function errorsOf(input: unknown): Err[] {
  const r = validateSchedule(input);
  if (r.ok) throw new Error('expected validation to fail');
  return r.errors;
}
const codes = (errs: Err[]): Array<[string, string]> => errs.map((e) => [e.path, e.code]);

describe('validateSchedule', () => {
  it('accepts a valid 2027 schedule, expands ranges, sorts and defaults the status', () => {
    const r = validateSchedule(valid2027());
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.status).toBe('OFFICIAL');
    expect(r.value.year).toBe(2027);
    expect(r.value.holidays).toHaveLength(3 + 7 + 3 + 5 + 1 + 1 + 7);
    expect(r.value.holidays.slice(0, 4)).toEqual([
      { date: '2027-01-01', name: '元旦' },
      { date: '2027-01-02', name: '元旦' },
      { date: '2027-01-03', name: '元旦' },
      { date: '2027-02-05', name: '春节' },
    ]);
    expect(r.value.makeupWorkdays.map((m) => m.date)).toEqual([
      '2027-02-20',
      '2027-04-25',
      '2027-05-08',
      '2027-09-26',
      '2027-10-09',
    ]);
    const cal = new WorkingCalendar([r.value]);
    expect(cal.yearStatus(2027)).toBe('OFFICIAL');
    expect(cal.isWorkingDay('2027-10-09')).toBe(true);
    expect(cal.isWorkingDay('2027-10-07')).toBe(false);
    expect(validateSchedule({ ...valid2027(), status: 'PROVISIONAL' })).toMatchObject({
      ok: true,
      value: { status: 'PROVISIONAL' },
    });
  });

  it('REQUIRED, INVALID_TYPE, UNKNOWN_FIELD, INVALID_YEAR, INVALID_STATUS', () => {
    expect(codes(errorsOf({ year: 2027, holidays: [], makeupWorkdays: [] }))).toEqual([['source', 'REQUIRED']]);
    expect(codes(errorsOf({ ...valid2027(), holidays: 'none' }))).toEqual([['holidays', 'INVALID_TYPE']]);
    const [typeError] = errorsOf({ ...valid2027(), holidays: 'none' });
    expect(typeError.zh).toMatch(/^holidays：.*[\u4e00-\u9fff]/);
    expect(typeError.zh).not.toMatch(/expected/i);
    expect(typeError.en).toMatch(/^holidays: Invalid input: expected array/);
    expect(errorsOf({ year: 2027, holidays: [], makeupWorkdays: [] })[0]).toMatchObject({
      zh: '缺少 source',
      en: 'source is required',
    });
    expect(codes(errorsOf({ ...valid2027(), makeupWorkday: [] }))).toEqual([['makeupWorkday', 'UNKNOWN_FIELD']]);
    const v = valid2027();
    expect(codes(errorsOf({ ...v, holidays: [{ ...v.holidays[0], note: 'x' }] }))).toEqual([
      ['holidays[0].note', 'UNKNOWN_FIELD'],
    ]);
    expect(codes(errorsOf({ ...valid2027(), year: 2027.5 }))).toEqual([['year', 'INVALID_YEAR']]);
    expect(codes(errorsOf({ ...valid2027(), year: 1700 }))).toEqual([['year', 'INVALID_YEAR']]);
    expect(codes(errorsOf({ ...valid2027(), status: 'DRAFT' }))).toEqual([['status', 'INVALID_STATUS']]);
    expect(codes(errorsOf(null))).toEqual([['', 'INVALID_TYPE']]);
  });

  it('EMPTY_SOURCE and EMPTY_NAME', () => {
    const v = valid2027();
    v.source = '  ';
    v.holidays[1].name = '';
    v.makeupWorkdays[0].name = ' ';
    expect(codes(errorsOf(v))).toEqual([
      ['source', 'EMPTY_SOURCE'],
      ['holidays[1].name', 'EMPTY_NAME'],
      ['makeupWorkdays[0].name', 'EMPTY_NAME'],
    ]);
  });

  it('INVALID_DATE for malformed and non-existent dates', () => {
    const v = valid2027();
    v.holidays[0].to = '2027-1-3';
    v.holidays[1].from = '2027-02-30';
    v.makeupWorkdays[0].date = '20270220';
    const errs = errorsOf(v);
    expect(codes(errs)).toEqual([
      ['holidays[0].to', 'INVALID_DATE'],
      ['holidays[1].from', 'INVALID_DATE'],
      ['makeupWorkdays[0].date', 'INVALID_DATE'],
    ]);
    expect(errs[1].en).toContain('2027-02-30');
    expect(errs[1].zh).toBe("'2027-02-30' 不是 YYYY-MM-DD 格式的有效日期");
  });

  it('DATE_OUTSIDE_YEAR', () => {
    const v = valid2027();
    v.holidays[0] = { from: '2026-12-31', to: '2027-01-02', name: '元旦' };
    v.makeupWorkdays[0].date = '2028-01-08';
    const errs = errorsOf(v);
    expect(codes(errs)).toEqual([
      ['holidays[0].from', 'DATE_OUTSIDE_YEAR'],
      ['makeupWorkdays[0].date', 'DATE_OUTSIDE_YEAR'],
    ]);
    expect(errs[0].en).toBe('2026-12-31 is not in 2027');
    expect(errs[0].zh).toBe('2026-12-31 不在 2027 年内');
  });

  it('RANGE_REVERSED and RANGE_TOO_LONG', () => {
    const v = valid2027();
    v.holidays[2] = { from: '2027-04-05', to: '2027-04-03', name: '清明节' };
    v.holidays[6] = { from: '2027-10-01', to: '2027-10-15', name: '国庆节' };
    expect(codes(errorsOf(v))).toEqual([
      ['holidays[2].to', 'RANGE_REVERSED'],
      ['holidays[6].to', 'RANGE_TOO_LONG'],
    ]);
    expect(MAX_HOLIDAY_RANGE_DAYS).toBe(10);
  });

  it('OVERLAPPING_HOLIDAYS names both ranges', () => {
    const v = valid2027();
    v.holidays.push({ from: '2027-10-07', to: '2027-10-08', name: '国庆节延长' });
    const errs = errorsOf(v);
    expect(codes(errs)).toEqual([['holidays[7]', 'OVERLAPPING_HOLIDAYS']]);
    expect(errs[0].en).toContain('holidays[6]');
    expect(errs[0].en).toContain('2027-10-07');
    expect(errs[0].zh).toBe('holidays[7]（国庆节延长）与 holidays[6]（国庆节）在 2027-10-07 重叠');
  });

  it('DUPLICATE_DATE for a makeup day listed twice', () => {
    const v = valid2027();
    v.makeupWorkdays.push({ date: '2027-02-20', name: '春节调休上班' });
    expect(codes(errorsOf(v))).toEqual([['makeupWorkdays[5].date', 'DUPLICATE_DATE']]);
  });

  it('MAKEUP_NOT_WEEKEND and MAKEUP_IS_HOLIDAY', () => {
    const v = valid2027();
    v.makeupWorkdays[0].date = '2027-02-22'; // Monday
    v.makeupWorkdays[1].date = '2027-10-02'; // Saturday inside 国庆节
    const errs = errorsOf(v);
    expect(codes(errs)).toEqual([
      ['makeupWorkdays[0].date', 'MAKEUP_NOT_WEEKEND'],
      ['makeupWorkdays[1].date', 'MAKEUP_IS_HOLIDAY'],
    ]);
    expect(errs[1].en).toContain('国庆节');
    expect(errs[1].zh).toContain('国庆节');
  });

  it('reports all semantic errors at once', () => {
    const v = valid2027();
    v.source = '';
    v.holidays[0].from = '2026-12-31';
    v.makeupWorkdays[2].date = '2027-05-06'; // Thursday
    expect(errorsOf(v).map((e) => e.code)).toEqual(['EMPTY_SOURCE', 'DATE_OUTSIDE_YEAR', 'MAKEUP_NOT_WEEKEND']);
  });
});

describe('validateSchedule: the statutory days of 全国年节及纪念日放假办法 (2025 revision)', () => {
  type Year = { year: number; status: string; source: string; holidays: NamedDay[]; makeupWorkdays: NamedDay[] };
  const asInput = (y: Year) => ({
    year: y.year,
    status: y.status,
    source: y.source,
    holidays: y.holidays.map((h) => ({ from: h.date, to: h.date, name: h.name })),
    makeupWorkdays: y.makeupWorkdays,
  });
  type Detail = { path: string; code: string; date?: string; entitlement?: string; zh: string; en: string };
  const summary = (errs: Detail[]) => errs.map((e) => `${e.code} ${e.date} ${e.entitlement}`);

  it('refuses 2027 with "holidays": [], listing each missing statutory day and each uncompensated break', () => {
    const errs = errorsOf({ year: 2027, source: 'x', holidays: [], makeupWorkdays: [] }) as Detail[];
    // 2027: 元旦 Fri; 春节 除夕 Fri Feb 5 .. 初三 Mon Feb 8; 清明 Mon Apr 5; 劳动节 Sat–Sun;
    // 端午 Wed Jun 9; 中秋 Wed Sep 15; 国庆 Fri Oct 1 .. Sun Oct 3.
    expect(summary(errs)).toEqual([
      'STATUTORY_HOLIDAY_MISSING 2027-01-01 元旦',
      'STATUTORY_HOLIDAY_MISSING 2027-02-05 春节',
      'STATUTORY_HOLIDAY_MISSING 2027-02-08 春节',
      'STATUTORY_HOLIDAY_MISSING 2027-04-05 清明节',
      'STATUTORY_HOLIDAY_MISSING 2027-06-09 端午节',
      'STATUTORY_HOLIDAY_MISSING 2027-09-15 中秋节',
      'STATUTORY_HOLIDAY_MISSING 2027-10-01 国庆节',
      'STATUTORY_HOLIDAY_NOT_COMPENSATED 2027-02-06 春节',
      'STATUTORY_HOLIDAY_NOT_COMPENSATED 2027-05-01 劳动节',
      'STATUTORY_HOLIDAY_NOT_COMPENSATED 2027-10-02 国庆节',
    ]);
    expect(errs.every((e) => e.path === 'holidays')).toBe(true);
    expect(errs[0].en).toContain('Art. 2');
    expect(errs[0].zh).toContain('放假办法第二条');
    expect(errs[8].en).toMatch(/2027-05-01\.\.2027-05-02.*Art\. 6.*2 missing/);
    expect(errs[8].zh).toMatch(/假期 2027-05-01\.\.2027-05-02.*放假办法第六条.*缺 2 天/);
  });

  it('accepts the provisional 2027 (and every year to 2199) that deriveProvisionalYear builds', () => {
    expect(validateSchedule(asInput(deriveProvisionalYear(2027))).ok).toBe(true);
    for (let y = 2025; y <= 2199; y++) {
      const r = validateSchedule(asInput(deriveProvisionalYear(y)));
      if (!r.ok) throw new Error(`${y}: ${JSON.stringify(r.errors)}`);
    }
  });

  it('accepts every year the seed loads from chinese-workday, the 2025 and 2026 notices included', () => {
    const years = chineseWorkdayYears({ applyKnownCorrections: true });
    expect(years.map((y) => y.year)).toEqual(expect.arrayContaining([2024, 2025, 2026]));
    for (const y of years) {
      const r = validateSchedule(asInput(y));
      if (!r.ok) throw new Error(`${y.year}: ${JSON.stringify(r.errors)}`);
    }
    // 2024 was scheduled under the 2013 办法 (春节 3 days, 除夕 a working day): not held to 2025's rule.
    expect(STATUTORY_RULE_FIRST_YEAR).toBe(2025);
  });

  it('accepts the 2025 and 2026 notices as published (国办发明电〔2024〕12号, 国办发明电〔2025〕7号)', () => {
    const n2025 = {
      year: 2025,
      source: '国务院办公厅关于2025年部分节假日安排的通知',
      holidays: [
        { from: '2025-01-01', to: '2025-01-01', name: '元旦' },
        { from: '2025-01-28', to: '2025-02-04', name: '春节' },
        { from: '2025-04-04', to: '2025-04-06', name: '清明节' },
        { from: '2025-05-01', to: '2025-05-05', name: '劳动节' },
        { from: '2025-05-31', to: '2025-06-02', name: '端午节' }, // 端午 on a Saturday, Monday off
        { from: '2025-10-01', to: '2025-10-08', name: '国庆节、中秋节' },
      ],
      makeupWorkdays: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'].map((date) => ({
        date,
        name: '调休上班',
      })),
    };
    const n2026 = {
      year: 2026,
      source: '国务院办公厅关于2026年部分节假日安排的通知',
      holidays: [
        { from: '2026-01-01', to: '2026-01-03', name: '元旦' },
        { from: '2026-02-15', to: '2026-02-23', name: '春节' },
        { from: '2026-04-04', to: '2026-04-06', name: '清明节' }, // 清明 on a Sunday, Monday off
        { from: '2026-05-01', to: '2026-05-05', name: '劳动节' },
        { from: '2026-06-19', to: '2026-06-21', name: '端午节' },
        { from: '2026-09-25', to: '2026-09-27', name: '中秋节' },
        { from: '2026-10-01', to: '2026-10-07', name: '国庆节' },
      ],
      makeupWorkdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'].map(
        (date) => ({ date, name: '调休上班' }),
      ),
    };
    for (const n of [n2025, n2026]) {
      const r = validateSchedule(n);
      if (!r.ok) throw new Error(`${n.year}: ${JSON.stringify(r.errors)}`);
    }
    // Without the Monday after 端午 (Sat May 31) the 2025 notice would break Art. 6.
    const noCompensation = {
      ...n2025,
      holidays: n2025.holidays.map((h) => (h.name === '端午节' ? { ...h, to: '2025-06-01' } : h)),
    };
    expect(summary(errorsOf(noCompensation) as Detail[])).toEqual([
      'STATUTORY_HOLIDAY_NOT_COMPENSATED 2025-05-31 端午节',
    ]);
  });

  it('a statutory weekend day made a makeup workday is refused at that entry', () => {
    const v = valid2027();
    v.holidays[3] = { from: '2027-05-03', to: '2027-05-05', name: '劳动节' };
    v.makeupWorkdays[2] = { date: '2027-05-01', name: '劳动节调休上班' }; // Saturday, 劳动节 itself
    const errs = errorsOf(v) as Detail[];
    expect(errs.map((e) => [e.path, e.code, e.date, e.entitlement])).toEqual([
      ['makeupWorkdays[2].date', 'STATUTORY_HOLIDAY_MISSING', '2027-05-01', '劳动节'],
    ]);
  });

  it('years before the 2025 revision are not held to it (春节 was 3 days, 除夕 a working day)', () => {
    expect(validateSchedule({ year: 2024, source: 'x', holidays: [], makeupWorkdays: [] }).ok).toBe(true);
  });

  it(`refuses more than ${MAX_MAKEUP_WORKDAYS_PER_YEAR} makeup workdays (20 Saturdays)`, () => {
    const provisional = deriveProvisionalYear(2027);
    // Saturdays from Jan 9 on that are not statutory days (Feb 6 is 初一, Oct 2 is 国庆).
    const saturdays = Array.from({ length: 30 }, (_, i) => fromEpochDayIso(Date.UTC(2027, 0, 9) + i * 7 * 86_400_000))
      .filter((d) => !provisional.holidays.some((h) => h.date === d))
      .slice(0, 20);
    expect(saturdays).toHaveLength(20);
    const v = {
      ...asInput(provisional),
      makeupWorkdays: saturdays.map((date) => ({ date, name: '加班' })),
    };
    expect(codes(errorsOf(v))).toEqual([['makeupWorkdays', 'TOO_MANY_MAKEUP_WORKDAYS']]);
    expect(MAX_MAKEUP_WORKDAYS_PER_YEAR).toBe(12);
    const twelve = { ...v, makeupWorkdays: v.makeupWorkdays.slice(0, 12) };
    expect(validateSchedule(twelve).ok).toBe(true);
  });
});
