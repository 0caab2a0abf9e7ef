/**
 * Evaluation of a commercial tender (Art. 27 ¶3), pure: the criteria with their weights, each
 * evaluator's score sheet, and the ranking computed from them. No I/O; the workflow validates
 * sheets with it and an activity stores what it computes.
 */

import type { ErrorText } from './error-codes';

export type CriterionKind = 'SCORED' | 'PRICE';

export interface TenderCriterion {
  key: string;
  name: string;
  /** Share of the total in percent; the weights of a tender add up to 100. */
  weight: number;
  /**
   * SCORED: every evaluator gives 0–100. PRICE: computed, not scored — the lowest offered
   * price gets 100 and every other price min/price × 100 (低价优先法).
   */
  kind: CriterionKind;
}

export interface ScoreEntry {
  bidId: string;
  criterion: string;
  score: number;
}

export interface ScoreSheet {
  evaluatorUserId: string;
  entries: ScoreEntry[];
}

export interface RankableBid {
  bidId: string;
  bidderId: string;
  price: number;
  submittedAtMs: number;
}

export interface RankedBid extends RankableBid {
  rank: number;
  /** Weighted total, 0–100, three decimals. */
  total: number;
  /** Per criterion: the mean of the evaluators' scores, or the computed price score. */
  byCriterion: Record<string, number>;
}

export const MAX_SCORE = 100;

/** Problems with a tender's criteria (Chinese and English), empty when they are usable. */
export function criteriaProblems(criteria: TenderCriterion[]): ErrorText[] {
  const problems: ErrorText[] = [];
  if (criteria.length === 0) problems.push({ zh: '至少需要一项评分标准', en: 'at least one criterion is needed' });
  const keys = new Set<string>();
  for (const c of criteria) {
    if (keys.has(c.key)) problems.push({ zh: `评分标准 ${c.key} 重复`, en: `criterion ${c.key} appears twice` });
    keys.add(c.key);
    if (!(c.weight > 0))
      problems.push({ zh: `评分标准 ${c.key} 的权重须为正数`, en: `criterion ${c.key} needs a positive weight` });
  }
  if (criteria.filter((c) => c.kind === 'PRICE').length > 1)
    problems.push({ zh: '价格（PRICE）标准至多一项', en: 'at most one PRICE criterion' });
  if (!criteria.some((c) => c.kind === 'SCORED'))
    problems.push({ zh: '至少需要一项评分（SCORED）标准', en: 'at least one SCORED criterion' });
  const sum = criteria.reduce((acc, c) => acc + c.weight, 0);
  if (Math.abs(sum - 100) > 1e-9)
    problems.push({ zh: `权重合计为 ${sum}，应为 100`, en: `the weights add up to ${sum}, not 100` });
  return problems;
}

/**
 * Problems with one evaluator's sheet (Chinese and English): every valid bid is scored against
 * every SCORED criterion exactly once, with a number from 0 to 100; nothing else is scored.
 */
export function scoreSheetProblems(entries: ScoreEntry[], bidIds: string[], criteria: TenderCriterion[]): ErrorText[] {
  const problems: ErrorText[] = [];
  const scored = criteria.filter((c) => c.kind === 'SCORED').map((c) => c.key);
  const seen = new Set<string>();
  for (const e of entries) {
    const key = `${e.bidId}/${e.criterion}`;
    if (!bidIds.includes(e.bidId))
      problems.push({
        zh: `投标 ${e.bidId} 不是本次招标的有效投标`,
        en: `bid ${e.bidId} is not a valid bid of this tender`,
      });
    else if (!scored.includes(e.criterion))
      problems.push({ zh: `${e.criterion} 不是评分标准`, en: `${e.criterion} is not a scored criterion` });
    else if (seen.has(key))
      problems.push({
        zh: `投标 ${e.bidId} 的 ${e.criterion} 被评分两次`,
        en: `bid ${e.bidId} is scored twice on ${e.criterion}`,
      });
    if (typeof e.score !== 'number' || !Number.isFinite(e.score) || e.score < 0 || e.score > MAX_SCORE) {
      problems.push({
        zh: `投标 ${e.bidId} 的 ${e.criterion} 得分须为 0 至 ${MAX_SCORE} 的数`,
        en: `score of bid ${e.bidId} on ${e.criterion} must be a number from 0 to ${MAX_SCORE}`,
      });
    }
    seen.add(key);
  }
  for (const bidId of bidIds) {
    for (const c of scored)
      if (!seen.has(`${bidId}/${c}`))
        problems.push({ zh: `投标 ${bidId} 缺少 ${c} 的评分`, en: `bid ${bidId} is not scored on ${c}` });
  }
  return problems;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The ranking: per SCORED criterion the mean of the evaluators' scores, the PRICE criterion
 * computed, weighted into a total. Ties go to the lower price, then the earlier submission
 * (the bidder who committed first), then the bidder id so the order is always total.
 */
export function rankBids(bids: RankableBid[], criteria: TenderCriterion[], sheets: ScoreSheet[]): RankedBid[] {
  if (bids.length === 0) return [];
  const minPrice = Math.min(...bids.map((b) => b.price));
  const scored = bids.map((bid) => {
    const byCriterion: Record<string, number> = {};
    let total = 0;
    for (const c of criteria) {
      let value: number;
      if (c.kind === 'PRICE') {
        value = bid.price <= 0 ? MAX_SCORE : (minPrice / bid.price) * MAX_SCORE;
      } else {
        const scores = sheets.flatMap((s) =>
          s.entries.filter((e) => e.bidId === bid.bidId && e.criterion === c.key).map((e) => e.score),
        );
        value = scores.length === 0 ? 0 : scores.reduce((a, b) => a + b, 0) / scores.length;
      }
      byCriterion[c.key] = round3(value);
      total += (value * c.weight) / 100;
    }
    return { ...bid, byCriterion, total: round3(total), rank: 0 };
  });
  scored.sort(
    (a, b) =>
      b.total - a.total ||
      a.price - b.price ||
      a.submittedAtMs - b.submittedAtMs ||
      a.bidderId.localeCompare(b.bidderId),
  );
  return scored.map((b, i) => ({ ...b, rank: i + 1 }));
}
