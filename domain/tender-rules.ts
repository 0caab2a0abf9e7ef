/**
 * Rules of the commercial tender and its follow-up (Art. 27 ¶3–4), pure: policy periods, bid
 * validity at opening, recusal of evaluators, and the schedule of the operator's reports.
 */

import type { ErrorText } from './error-codes';

export type PeriodUnit = 'working days' | 'days' | 'hours' | 'minutes' | 'seconds';

export interface PolicyPeriod {
  amount: number;
  unit: PeriodUnit;
}

const UNIT_MS: Record<Exclude<PeriodUnit, 'working days'>, number> = {
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1000,
};

const PERIOD = /^\s*(\d+)\s+(working days?|days?|hours?|minutes?|seconds?)\s*$/i;

const notAPeriod = (text: string): ErrorText => ({
  zh: `"${text}" 不是政策期限，应形如 "20 days" 或 "3 working days"`,
  en: `"${text}" is not a policy period like "20 days" or "3 working days"`,
});

/** What is wrong with a policy period (Chinese and English), null when parsePolicyPeriod accepts it. */
export function policyPeriodProblem(text: string): ErrorText | null {
  const m = PERIOD.exec(text);
  return m && Number(m[1]) > 0 ? null : notAPeriod(text);
}

/**
 * A policy period such as "20 days", "3 working days" or (for a test policy version) "5 seconds".
 * Calendar units are exact durations: China has no daylight saving time.
 */
export function parsePolicyPeriod(text: string): PolicyPeriod {
  const m = PERIOD.exec(text);
  if (!m || Number(m[1]) <= 0) throw new Error(notAPeriod(text).en);
  const raw = m[2].toLowerCase();
  const unit = (raw.startsWith('working') ? 'working days' : raw.endsWith('s') ? raw : `${raw}s`) as PeriodUnit;
  return { amount: Number(m[1]), unit };
}

/** Milliseconds of a period in calendar units; null for working days (that needs the calendar). */
export function periodMs(period: PolicyPeriod): number | null {
  return period.unit === 'working days' ? null : period.amount * UNIT_MS[period.unit];
}

/** What the plan requires of every bidder (资格条件); each flag must be declared in the bid. */
export interface TenderEligibility {
  requireSecurityCapability: boolean;
  requireNoSeriousViolations: boolean;
  /** Further conditions in words; the evaluators judge them. */
  other: string[];
}

export interface BidDeclarations {
  securityCapability: boolean;
  noSeriousViolations: boolean;
}

/** Reasons a bid is invalid at opening (empty = valid): over the fee cap or an undeclared condition. */
export function bidInvalidReasons(
  bid: { price: number; declarations: BidDeclarations },
  tender: { feeCap: number; eligibility: TenderEligibility },
): string[] {
  const reasons: string[] = [];
  if (bid.price > tender.feeCap) reasons.push(`报价 ${bid.price} 超过收费上限 ${tender.feeCap}`);
  if (tender.eligibility.requireSecurityCapability && !bid.declarations.securityCapability)
    reasons.push('未声明具备数据安全保障能力');
  if (tender.eligibility.requireNoSeriousViolations && !bid.declarations.noSeriousViolations)
    reasons.push('未声明无严重违法违规记录');
  return reasons;
}

/**
 * Evaluators who must stand aside (招标投标法 Art. 37): a declared affiliation matches a bidder's
 * unified credit code. Codes compare case-insensitively, ignoring spaces.
 */
export function recusals(
  evaluators: Array<{ userId: string; declaredAffiliations: string[] }>,
  bidders: Array<{ bidderId: string; creditCode: string | null }>,
): Array<{ userId: string; bidderIds: string[] }> {
  const norm = (c: string) => c.replace(/\s+/g, '').toUpperCase();
  const out: Array<{ userId: string; bidderIds: string[] }> = [];
  for (const e of evaluators) {
    const mine = new Set(e.declaredAffiliations.map(norm));
    const hit = bidders.filter((b) => b.creditCode && mine.has(norm(b.creditCode))).map((b) => b.bidderId);
    if (hit.length > 0) out.push({ userId: e.userId, bidderIds: hit });
  }
  return out;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** Adds calendar months in Asia/Shanghai (UTC+8 all year), clamping to the month's last day. */
export function addShanghaiMonths(instant: Date, months: number): Date {
  const local = new Date(instant.getTime() + SHANGHAI_OFFSET_MS);
  const day = local.getUTCDate();
  const target = new Date(
    Date.UTC(
      local.getUTCFullYear(),
      local.getUTCMonth() + months,
      1,
      local.getUTCHours(),
      local.getUTCMinutes(),
      local.getUTCSeconds(),
      local.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return new Date(target.getTime() - SHANGHAI_OFFSET_MS);
}

/** 00:00 Shanghai on the first day of `month` (1–12) of `year`. */
export function shanghaiMonthStart(year: number, month: number): Date {
  return new Date(Date.UTC(year, month - 1, 1) - SHANGHAI_OFFSET_MS);
}

export function shanghaiYear(instant: Date): number {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear();
}

export interface ReportDuty {
  kind: 'PERIODIC' | 'YEARLY';
  /** 1, 2, … for periodic reports; the reported year for the yearly disclosure. */
  periodNo: number;
  periodStart: Date;
  periodEnd: Date;
  /** When the report can be filed and the operator is asked for it. */
  opensAt: Date;
  /** For YEARLY the due instant (end of the due month); for PERIODIC null: N working days after periodEnd. */
  dueAt: Date | null;
}

/**
 * The operator's reporting duties over the term (Art. 27 ¶4): a report after every period of
 * `periodMonths` counted from the start (the last one ends with the term), and a yearly
 * disclosure for every calendar year the term touches, due by the end of `disclosureDueMonth`
 * of the following year.
 */
export function reportSchedule(input: {
  startsAt: Date;
  endsAt: Date;
  periodMonths: number;
  disclosureDueMonth: number;
}): ReportDuty[] {
  const duties: ReportDuty[] = [];
  let start = input.startsAt;
  for (let n = 1; start.getTime() < input.endsAt.getTime() && n <= 1200; n++) {
    const next = addShanghaiMonths(input.startsAt, n * input.periodMonths);
    const end = next.getTime() < input.endsAt.getTime() ? next : input.endsAt;
    duties.push({ kind: 'PERIODIC', periodNo: n, periodStart: start, periodEnd: end, opensAt: end, dueAt: null });
    start = end;
  }
  const lastYear = shanghaiYear(new Date(input.endsAt.getTime() - 1));
  for (let y = shanghaiYear(input.startsAt); y <= lastYear; y++) {
    const yearStart = shanghaiMonthStart(y, 1);
    const yearEnd = shanghaiMonthStart(y + 1, 1);
    duties.push({
      kind: 'YEARLY',
      periodNo: y,
      periodStart: yearStart.getTime() > input.startsAt.getTime() ? yearStart : input.startsAt,
      periodEnd: yearEnd.getTime() < input.endsAt.getTime() ? yearEnd : input.endsAt,
      opensAt: yearEnd,
      dueAt: shanghaiMonthStart(y + 1, input.disclosureDueMonth + 1),
    });
  }
  return duties.sort(
    (a, b) => a.opensAt.getTime() - b.opensAt.getTime() || (a.kind === b.kind ? 0 : a.kind === 'PERIODIC' ? -1 : 1),
  );
}
