import { drillPolicyProblems, mergePolicy } from '../../domain/policy';
import { DrillCalendar, drillWorkingDayMs } from '../../domain/drill-time';

describe('working days in a drill (演练)', () => {
  it('only a drill policy version may set drillWorkingDay: a real one drops it, as it drops periods under a day', () => {
    const values = { drillWorkingDay: '1 minute', tenderPublicityPeriod: '5 minutes', tenderEvaluationWorkingDays: 2 };
    const real = mergePolicy([values]);
    expect(real.drillWorkingDay).toBe('');
    expect(real.tenderPublicityPeriod).toBe('3 working days');
    expect(real.tenderEvaluationWorkingDays).toBe(2);
    const drill = mergePolicy([values], { drill: true });
    expect(drill.drillWorkingDay).toBe('1 minute');
    expect(drill.tenderPublicityPeriod).toBe('5 minutes');
  });

  it('a drill working day has a fixed length', () => {
    expect(drillWorkingDayMs('')).toBeNull();
    expect(drillWorkingDayMs(undefined)).toBeNull();
    expect(drillWorkingDayMs('2 minutes')).toBe(120_000);
    expect(() => drillWorkingDayMs('3 working days')).toThrow('fixed length');
  });

  it('a limit of N drill working days is due N of them after the start, the warning k before; reminders and overdue days count them', () => {
    const cal = new DrillCalendar(60_000);
    const from = new Date('2026-12-01T10:00:00.000Z');
    const d = cal.deadline(from, 10, { warningWorkingDaysBefore: 1 });
    expect(d.deadlineAt.toISOString()).toBe('2026-12-01T10:10:00.000Z');
    expect(d.warningAt.toISOString()).toBe('2026-12-01T10:09:00.000Z');
    expect(d.provisional).toBe(false);
    expect(cal.deadline(from, 1, { warningWorkingDaysBefore: 3 }).warningAt).toEqual(from);
    expect(cal.workingDaysBetween(d.deadlineAt, new Date(d.deadlineAt.getTime() + 5 * 60_000 + 59_000))).toBe(5);
    expect(cal.workingDaysBetween(d.deadlineAt, from)).toBe(-10);
    expect(cal.nextWorkingDayStart(d.deadlineAt.getTime(), 1)).toBe(d.deadlineAt.getTime() + 60_000);
  });
});

describe("a drill policy version's values", () => {
  it('names every bad value in Chinese and English, each with its key', () => {
    expect(
      drillPolicyProblems({ drillMonth: '2 minutes', drillWorkingDay: '1 minute', providerReplyWorkingDays: 2 }),
    ).toEqual([]);
    expect(
      drillPolicyProblems({
        colour: 'red',
        drillMonth: 5,
        providerReplyWorkingDays: 0,
        drillWorkingDay: '3 working days',
        tenderCommentPeriod: 'soon',
      }),
    ).toEqual(
      expect.arrayContaining([
        { zh: 'colour：不是政策参数', en: 'colour: not a policy value' },
        { zh: 'drillMonth：应为字符串', en: 'drillMonth: must be a string' },
        { zh: 'providerReplyWorkingDays：应为正整数', en: 'providerReplyWorkingDays: a positive integer' },
        {
          zh: 'drillWorkingDay：应为固定时长，如 "2 minutes"',
          en: 'drillWorkingDay: a fixed length such as "2 minutes"',
        },
        {
          zh: 'tenderCommentPeriod："soon" 不是政策期限，应形如 "20 days" 或 "3 working days"',
          en: 'tenderCommentPeriod: "soon" is not a policy period like "20 days" or "3 working days"',
        },
      ]),
    );
  });
});
