import { criteriaProblems, rankBids, scoreSheetProblems, TenderCriterion } from '../../domain/tender-ranking';
import {
  addShanghaiMonths,
  bidInvalidReasons,
  parsePolicyPeriod,
  policyPeriodProblem,
  periodMs,
  recusals,
  reportSchedule,
} from '../../domain/tender-rules';

const criteria: TenderCriterion[] = [
  { key: 'plan', name: '方案', weight: 40, kind: 'SCORED' },
  { key: 'security', name: '安全', weight: 40, kind: 'SCORED' },
  { key: 'price', name: '报价', weight: 20, kind: 'PRICE' },
];

describe('tender criteria and score sheets', () => {
  it('accepts weights that add up to 100 with at least one scored criterion', () => {
    expect(criteriaProblems(criteria)).toEqual([]);
    expect(criteriaProblems([{ key: 'plan', name: '方案', weight: 60, kind: 'SCORED' }])).toEqual([
      { zh: '权重合计为 60，应为 100', en: 'the weights add up to 60, not 100' },
    ]);
    expect(criteriaProblems([{ key: 'price', name: '报价', weight: 100, kind: 'PRICE' }])).toContainEqual({
      zh: '至少需要一项评分（SCORED）标准',
      en: 'at least one SCORED criterion',
    });
    expect(
      criteriaProblems([...criteria.slice(0, 2), { key: 'plan', name: 'x', weight: 20, kind: 'SCORED' }]),
    ).toContainEqual({ zh: '评分标准 plan 重复', en: 'criterion plan appears twice' });
    expect(criteriaProblems([]).map((p) => p.zh)).toEqual([
      '至少需要一项评分标准',
      '至少需要一项评分（SCORED）标准',
      '权重合计为 0，应为 100',
    ]);
  });

  it('wants every valid bid scored on every scored criterion exactly once, from 0 to 100', () => {
    const full = ['b1', 'b2'].flatMap((bidId) => [
      { bidId, criterion: 'plan', score: 80 },
      { bidId, criterion: 'security', score: 70 },
    ]);
    expect(scoreSheetProblems(full, ['b1', 'b2'], criteria)).toEqual([]);
    expect(scoreSheetProblems(full.slice(1), ['b1', 'b2'], criteria)).toEqual([
      { zh: '投标 b1 缺少 plan 的评分', en: 'bid b1 is not scored on plan' },
    ]);
    expect(scoreSheetProblems([...full, { bidId: 'b1', criterion: 'plan', score: 1 }], ['b1', 'b2'], criteria)).toEqual(
      [{ zh: '投标 b1 的 plan 被评分两次', en: 'bid b1 is scored twice on plan' }],
    );
    expect(
      scoreSheetProblems([...full, { bidId: 'b1', criterion: 'price', score: 1 }], ['b1', 'b2'], criteria),
    ).toEqual([{ zh: 'price 不是评分标准', en: 'price is not a scored criterion' }]);
    expect(
      scoreSheetProblems([...full.slice(1), { bidId: 'b1', criterion: 'plan', score: 101 }], ['b1', 'b2'], criteria),
    ).toEqual([
      { zh: '投标 b1 的 plan 得分须为 0 至 100 的数', en: 'score of bid b1 on plan must be a number from 0 to 100' },
    ]);
    expect(scoreSheetProblems(full, ['b1'], criteria)).toContainEqual({
      zh: '投标 b2 不是本次招标的有效投标',
      en: 'bid b2 is not a valid bid of this tender',
    });
  });
});

describe('ranking', () => {
  const bids = [
    { bidId: 'a', bidderId: 'pa-a', price: 300, submittedAtMs: 3 },
    { bidId: 'b', bidderId: 'pa-b', price: 280, submittedAtMs: 2 },
    { bidId: 'c', bidderId: 'pa-c', price: 320, submittedAtMs: 1 },
  ];
  const sheet = (evaluatorUserId: string, q: Record<string, number>) => ({
    evaluatorUserId,
    entries: Object.entries(q).flatMap(([bidId, s]) => [
      { bidId, criterion: 'plan', score: s },
      { bidId, criterion: 'security', score: s },
    ]),
  });

  it('averages the evaluators per criterion, computes the price score from the lowest price, and weights the total', () => {
    const ranked = rankBids(bids, criteria, [
      sheet('e1', { a: 90, b: 80, c: 70 }),
      sheet('e2', { a: 90, b: 80, c: 70 }),
      sheet('e3', { a: 90, b: 80, c: 70 }),
    ]);
    expect(ranked.map((r) => [r.bidId, r.rank])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(ranked[0].total).toBeCloseTo(36 + 36 + (280 / 300) * 20, 3);
    expect(ranked[1].byCriterion).toEqual({ plan: 80, security: 80, price: 100 });
    const split = rankBids(bids, criteria, [
      sheet('e1', { a: 100, b: 80, c: 70 }),
      sheet('e2', { a: 60, b: 80, c: 70 }),
    ]);
    expect(split.find((r) => r.bidId === 'a')!.byCriterion.plan).toBe(80);
  });

  it('breaks ties by the lower price, then the earlier submission', () => {
    const scoredOnly: TenderCriterion[] = [
      { key: 'plan', name: '方案', weight: 50, kind: 'SCORED' },
      { key: 'security', name: '安全', weight: 50, kind: 'SCORED' },
    ];
    const tie = rankBids(bids, scoredOnly, [sheet('e1', { a: 80, b: 80, c: 80 })]);
    expect(tie.map((r) => r.bidId)).toEqual(['b', 'a', 'c']);
    const samePrice = rankBids(
      [
        { ...bids[0], price: 1 },
        { ...bids[2], price: 1 },
      ],
      scoredOnly,
      [sheet('e1', { a: 80, c: 80 })],
    );
    expect(samePrice.map((r) => r.bidId)).toEqual(['c', 'a']);
  });
});

describe('tender rules', () => {
  it('reads policy periods with their unit', () => {
    expect(parsePolicyPeriod('20 days')).toEqual({ amount: 20, unit: 'days' });
    expect(parsePolicyPeriod('3 working days')).toEqual({ amount: 3, unit: 'working days' });
    expect(parsePolicyPeriod('1 working day')).toEqual({ amount: 1, unit: 'working days' });
    expect(periodMs(parsePolicyPeriod('8 seconds'))).toBe(8000);
    expect(periodMs(parsePolicyPeriod('3 working days'))).toBeNull();
    expect(() => parsePolicyPeriod('soon')).toThrow(/policy period/);
    expect(() => parsePolicyPeriod('0 days')).toThrow();
    expect(policyPeriodProblem('3 working days')).toBeNull();
    expect(policyPeriodProblem('soon')).toEqual({
      zh: '"soon" 不是政策期限，应形如 "20 days" 或 "3 working days"',
      en: '"soon" is not a policy period like "20 days" or "3 working days"',
    });
    expect(policyPeriodProblem('0 days')).not.toBeNull();
  });

  it('invalidates a bid over the fee cap or without a required declaration', () => {
    const tender = {
      feeCap: 500,
      eligibility: { requireSecurityCapability: true, requireNoSeriousViolations: false, other: [] },
    };
    expect(
      bidInvalidReasons({ price: 500, declarations: { securityCapability: true, noSeriousViolations: false } }, tender),
    ).toEqual([]);
    expect(
      bidInvalidReasons({ price: 501, declarations: { securityCapability: false, noSeriousViolations: true } }, tender),
    ).toHaveLength(2);
  });

  it('recuses an evaluator whose declared affiliation is a bidder', () => {
    const out = recusals(
      [
        { userId: 'e1', declaredAffiliations: ['91371500ma3c00002m '] },
        { userId: 'e2', declaredAffiliations: ['X'] },
      ],
      [
        { bidderId: 'pa-huarui', creditCode: '91371500MA3C00002M' },
        { bidderId: 'pa-zhang', creditCode: null },
      ],
    );
    expect(out).toEqual([{ userId: 'e1', bidderIds: ['pa-huarui'] }]);
  });

  it('adds months in Shanghai time, clamping to the end of the month', () => {
    // 2026-01-31 10:00 Shanghai + 1 month = 2026-02-28 10:00 Shanghai.
    expect(addShanghaiMonths(new Date('2026-01-31T02:00:00Z'), 1).toISOString()).toBe('2026-02-28T02:00:00.000Z');
    // 2026-03-31 23:30 Shanghai (15:30 UTC) + 3 months = 2026-06-30 23:30 Shanghai: the Shanghai date counts.
    expect(addShanghaiMonths(new Date('2026-03-31T15:30:00Z'), 3).toISOString()).toBe('2026-06-30T15:30:00.000Z');
  });

  it('schedules a report per period up to the end of the term and a yearly disclosure due by the end of March', () => {
    const startsAt = new Date('2026-11-26T02:00:00Z');
    const endsAt = addShanghaiMonths(startsAt, 7);
    const duties = reportSchedule({ startsAt, endsAt, periodMonths: 3, disclosureDueMonth: 3 });
    const periodic = duties.filter((d) => d.kind === 'PERIODIC');
    expect(periodic.map((d) => [d.periodNo, d.periodEnd.toISOString()])).toEqual([
      [1, '2027-02-26T02:00:00.000Z'],
      [2, '2027-05-26T02:00:00.000Z'],
      [3, endsAt.toISOString()],
    ]);
    const yearly = duties.filter((d) => d.kind === 'YEARLY');
    expect(yearly.map((d) => [d.periodNo, d.opensAt.toISOString(), d.dueAt!.toISOString()])).toEqual([
      [2026, '2026-12-31T16:00:00.000Z', '2027-03-31T16:00:00.000Z'],
      [2027, '2027-12-31T16:00:00.000Z', '2028-03-31T16:00:00.000Z'],
    ]);
    expect(yearly[0].periodStart).toEqual(startsAt);
    expect(duties.map((d) => d.opensAt.getTime())).toEqual(
      [...duties.map((d) => d.opensAt.getTime())].sort((a, b) => a - b),
    );
  });
});
