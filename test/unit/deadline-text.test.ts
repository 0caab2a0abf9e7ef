/** Deadlines in mails are written as their last day (issue 13 point 8). */
import { shanghaiText } from '../../activities/inbox';

describe('shanghaiText', () => {
  it.each([
    ['a deadline at 24:00 on 12-15 (Beijing)', '2026-12-15T16:00:00.000Z', '2026年12月15日24时（北京时间）'],
    ['the last day of a year', '2026-12-31T16:00:00.000Z', '2026年12月31日24时（北京时间）'],
    ['the last day of February in a leap year', '2028-02-29T16:00:00.000Z', '2028年2月29日24时（北京时间）'],
    ['an hour limit', '2026-12-15T06:30:00.000Z', '2026年12月15日 14:30（北京时间）'],
    ['one second after midnight', '2026-12-15T16:00:01.000Z', '2026年12月16日 00:00（北京时间）'],
  ])('writes %s', (_what, iso, text) => {
    expect(shanghaiText(new Date(iso))).toBe(text);
  });

  it('writes no deadline as 无', () => {
    expect(shanghaiText(null)).toBe('无');
  });
});
