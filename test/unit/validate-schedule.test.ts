import { MAX_HOLIDAY_RANGE_DAYS, WorkingCalendar, validateSchedule } from '../../domain/calendar';

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

type Err = { path: string; code: string; message: string };
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
    expect(errs[1].message).toContain('2027-02-30');
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
    expect(errs[0].message).toBe('2026-12-31 is not in 2027');
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
    expect(errs[0].message).toContain('holidays[6]');
    expect(errs[0].message).toContain('2027-10-07');
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
    expect(errs[1].message).toContain('国庆节');
  });

  it('reports all semantic errors at once', () => {
    const v = valid2027();
    v.source = '';
    v.holidays[0].from = '2026-12-31';
    v.makeupWorkdays[2].date = '2027-05-06'; // Thursday
    expect(errorsOf(v).map((e) => e.code)).toEqual(['EMPTY_SOURCE', 'DATE_OUTSIDE_YEAR', 'MAKEUP_NOT_WEEKEND']);
  });
});
