/**
 * Procedure policy: deadlines and thresholds as named, versioned values (DESIGN.md "Policy
 * versions"). The defaults are this regulation's; a PolicyVersion row with a later effective
 * date overrides any of them without a code change, and a procedure keeps the policy that was
 * in force when it started.
 */

import type { ErrorText } from './error-codes';
import { parsePolicyPeriod, periodMs, policyPeriodProblem } from './tender-rules';

export interface ProcedurePolicy {
  /** Art. 22 ¶2: the provider replies within 10 working days. */
  providerReplyWorkingDays: number;
  /** Not fixed by the regulation: the data authority's review (审议). */
  authorityReviewWorkingDays: number;
  /** Not fixed by the regulation: each party confirms the share agreement. */
  agreementConfirmWorkingDays: number;
  /** Art. 22 ¶3: the case deadline, from receipt, for the opinions of authority and providers and the report to the government. */
  nonGovernmentOpinionWorkingDays: number;
  /** Not fixed by the regulation: the municipal government's decision. */
  governmentDecisionWorkingDays: number;
  /** Not fixed by the regulation: the provider's answer to a conditional-open application. */
  openProviderDecisionWorkingDays: number;
  /** Not fixed by the regulation: the working days kept for the report inside the case deadline (Art. 22 ¶3); opinions are due this many days before it. */
  nonGovernmentReportWorkingDays: number;
  /** Not fixed by the regulation: a public applicant accepts the open-use agreement, or the application lapses. */
  openAgreementAcceptWorkingDays: number;
  /** Art. 27 ¶4 (定期跟踪): the operator of conditionally-open data is asked for a use report this often (calendar days). */
  openUseReportEveryDays: number;
  /** Art. 33 ¶2: the data authority marks the data as disputed within 1 working day of receipt. */
  objectionMarkWorkingDays: number;
  /** Art. 33 ¶2 (二): the authority forwards to the provider within 2 working days of receipt. */
  objectionForwardWorkingDays: number;
  /** Art. 33 ¶2 (一): within its own scope the authority decides within 5 working days of receipt. */
  objectionAuthorityDecisionWorkingDays: number;
  /** Art. 33 ¶2 (二): the provider decides within 5 working days of receiving the forward. */
  objectionProviderDecisionWorkingDays: number;
  /** Art. 33 ¶2 (二) "及时": the authority tells the objector after the provider's report. */
  objectionInformWorkingDays: number;
  /** Not fixed by the regulation: the data's owner applies a decided correction. */
  objectionCorrectionWorkingDays: number;
  /** Art. 32 ¶2 "立即采取补救措施": first remediation measures (hours). */
  incidentRemediationHours: number;
  /** Art. 32 ¶2 "告知用户": the affected users are told (hours). */
  incidentNotifyUsersHours: number;
  /** Art. 32 ¶2 "及时向…网信部门报告" (网络安全事件报告管理办法: 1 hour for major incidents). */
  incidentCyberspaceReportHours: number;
  /** Yellow warning this many hours before an incident step's deadline. */
  incidentWarningHoursBefore: number;
  /** Escalation of an overdue incident step to the head and the supervisors (hours after the deadline). */
  incidentEscalateAfterOverdueHours: number;
  /**
   * Not fixed by the regulation: a suspension of grants asked for by someone who is neither the
   * resource's provider nor the data authority waits for the provider's decision this many hours.
   */
  incidentSuspensionDecisionHours: number;
  /** Not fixed by the regulation: the authority triages a citizen's or company's report within this many hours. */
  incidentTriageHours: number;
  /** Not fixed by the regulation: the authority reviews the measures and closes the incident. */
  incidentCloseReviewWorkingDays: number;
  /** Yellow warning at the start of the k-th last working day before a deadline. */
  warningWorkingDaysBefore: number;
  /** Escalation (催办) to the department head and supervisors after this many overdue working days. */
  escalateAfterOverdueWorkingDays: number;
  /** Overdue reminders repeat every this many working days. */
  overdueReminderEveryWorkingDays: number;
  /** The applicant is reminded this many working days before a grant expires. */
  grantExpiryReminderWorkingDays: number;
  /** Default period of use when an application names none (calendar days). */
  defaultUsePeriodDays: number;
  /** Longest period of use a grant may have (calendar days). */
  maxUsePeriodDays: number;
  /** 调休上班日 count as working days (state organs work on them); a switch, since no statute says so. */
  countMakeupWorkdays: boolean;
  /**
   * Commercial tender (Art. 27 ¶3). Periods are written "<n> days" (calendar), "<n> working
   * days", "<n> hours|minutes|seconds" (see domain/tender-rules.ts parsePolicyPeriod).
   * 招标投标法 Art. 24: at least 20 days from the announcement to the bid deadline.
   */
  tenderMinBidWindow: string;
  /** 招标投标法 Art. 23: a change to the announcement leaves at least 15 days until the bid deadline. */
  tenderAmendmentMinRemaining: string;
  /** Public comment on the implementation plan (实施方案) when the authority opens one. */
  tenderCommentPeriod: string;
  /** 公示 of the proposed winner (招标投标法实施条例 Art. 54: not less than 3 days). */
  tenderPublicityPeriod: string;
  /** The winner confirms the authorisation agreement within this period, or is reminded (招标投标法 Art. 46: 30 days). */
  tenderWinnerConfirmPeriod: string;
  /** Fewer valid bids than this at opening and the tender fails (招标投标法 Art. 28: three). */
  tenderMinValidBids: number;
  /**
   * 招标投标法 Art. 37: the evaluation committee has at least five members, an odd number, drawn
   * from the authority's evaluator pool; after recusals it is topped up to this size and to an odd number.
   */
  tenderMinEvaluators: number;
  /**
   * 招标投标法实施条例 Art. 22: an objection to the tender documents is raised at least this long
   * before the bid deadline (10 days); the bid opening waits until every such objection is answered.
   */
  tenderDocumentObjectionCutoff: string;
  /** Each evaluator scores every valid bid within this many working days. */
  tenderEvaluationWorkingDays: number;
  /** The authority answers an objection during publicity (实施条例 Art. 54: 3 days). */
  tenderObjectionAnswerWorkingDays: number;
  /** The authority decides whether to re-run a failed tender or re-tender an expired authorisation. */
  tenderRerunDecisionWorkingDays: number;
  /** Art. 27 ¶4 (定期跟踪): the operator reports on its use every this many months. */
  useReportPeriodMonths: number;
  /** The periodic use report is due this many working days after its period ends. */
  useReportDueWorkingDays: number;
  /** A missing report: reminders every this many working days after it became overdue. */
  useReportReminderEveryWorkingDays: number;
  /** The authority reviews a filed report within this many working days. */
  useReportReviewWorkingDays: number;
  /** Not fixed by the regulation (Art. 16 审核): the data authority reviews a submitted catalog entry. */
  catalogReviewWorkingDays: number;
  /** Art. 18: the department updates and publishes the affected entries within 15 working days of the occurrence. */
  catalogUpdateWorkingDays: number;
  /** Not fixed by the regulation: the provider decides to keep or suspend a grant after a class change. */
  catalogGrantReviewWorkingDays: number;
  /** The yearly disclosure for year Y is due by the end of this month of year Y+1 (default March). */
  yearlyDisclosureDueMonth: number;
  /**
   * Drill (演练) only: how long one month of an authorisation's term and reporting periods lasts
   * ("2 minutes"); empty = calendar months. A drill runs its follow-up in minutes this way.
   */
  drillMonth: string;
  /**
   * Drill (演练) only: how long one working day of an inbox task's limit lasts ("1 minute"); empty =
   * the working-day calendar. A task of N working days is then due N of them after it opens, its
   * warning, overdue reminders and escalation follow at the same scale (activities/inbox.ts).
   */
  drillWorkingDay: string;
}

export const DEFAULT_POLICY: ProcedurePolicy = {
  providerReplyWorkingDays: 10,
  authorityReviewWorkingDays: 5,
  agreementConfirmWorkingDays: 5,
  nonGovernmentOpinionWorkingDays: 10,
  governmentDecisionWorkingDays: 10,
  openProviderDecisionWorkingDays: 10,
  nonGovernmentReportWorkingDays: 3,
  openAgreementAcceptWorkingDays: 15,
  openUseReportEveryDays: 90,
  objectionMarkWorkingDays: 1,
  objectionForwardWorkingDays: 2,
  objectionAuthorityDecisionWorkingDays: 5,
  objectionProviderDecisionWorkingDays: 5,
  objectionInformWorkingDays: 1,
  objectionCorrectionWorkingDays: 5,
  incidentRemediationHours: 4,
  incidentNotifyUsersHours: 24,
  incidentCyberspaceReportHours: 1,
  incidentWarningHoursBefore: 1,
  incidentEscalateAfterOverdueHours: 2,
  incidentCloseReviewWorkingDays: 5,
  incidentSuspensionDecisionHours: 2,
  incidentTriageHours: 24,
  warningWorkingDaysBefore: 1,
  escalateAfterOverdueWorkingDays: 5,
  overdueReminderEveryWorkingDays: 1,
  grantExpiryReminderWorkingDays: 10,
  defaultUsePeriodDays: 365,
  maxUsePeriodDays: 3 * 365,
  countMakeupWorkdays: true,
  tenderMinBidWindow: '20 days',
  tenderAmendmentMinRemaining: '15 days',
  tenderCommentPeriod: '10 working days',
  tenderPublicityPeriod: '3 working days',
  tenderWinnerConfirmPeriod: '30 days',
  tenderMinValidBids: 3,
  tenderMinEvaluators: 5,
  tenderDocumentObjectionCutoff: '10 days',
  tenderEvaluationWorkingDays: 5,
  tenderObjectionAnswerWorkingDays: 3,
  tenderRerunDecisionWorkingDays: 10,
  useReportPeriodMonths: 3,
  useReportDueWorkingDays: 10,
  useReportReminderEveryWorkingDays: 3,
  useReportReviewWorkingDays: 10,
  yearlyDisclosureDueMonth: 3,
  drillMonth: '',
  drillWorkingDay: '',
  catalogReviewWorkingDays: 10,
  catalogUpdateWorkingDays: 15,
  catalogGrantReviewWorkingDays: 5,
};

/** A period shorter than a day ("8 seconds", "10 minutes", "2 hours"): a drill policy's, never a real one's. */
export function isDrillPeriod(value: unknown): boolean {
  return typeof value === 'string' && /^\s*\d+\s+(hours?|minutes?|seconds?)\s*$/i.test(value);
}

/** Keys that only a drill policy version may set (ignored in a real one). */
export const DRILL_ONLY_KEYS: ReadonlyArray<keyof ProcedurePolicy> = ['drillMonth', 'drillWorkingDay'];

/**
 * Later versions override earlier ones key by key; unknown keys and wrong types are ignored. Only
 * with `drill` (a drill case's own drill version, see README "Drills (演练)") may a period be shorter than
 * a day or `drillMonth` / `drillWorkingDay` be set: in a real policy such values are ignored.
 */
export function mergePolicy(versions: Array<Record<string, unknown>>, opts: { drill?: boolean } = {}): ProcedurePolicy {
  const merged: ProcedurePolicy = { ...DEFAULT_POLICY };
  for (const values of versions) {
    for (const key of Object.keys(DEFAULT_POLICY) as Array<keyof ProcedurePolicy>) {
      const v = values[key];
      if (!opts.drill && (DRILL_ONLY_KEYS.includes(key) || isDrillPeriod(v))) continue;
      if (typeof v === typeof DEFAULT_POLICY[key] && (typeof v !== 'number' || (Number.isInteger(v) && v > 0))) {
        (merged as unknown as Record<string, unknown>)[key] = v;
      }
    }
  }
  return merged;
}

/**
 * What is wrong with a drill policy's values (Chinese and English, each naming its key): unknown
 * keys, wrong types, numbers that are not positive integers, periods that do not parse.
 */
export function drillPolicyProblems(values: Record<string, unknown>): ErrorText[] {
  const problems: ErrorText[] = [];
  const TYPE_ZH: Record<string, string> = { string: '字符串', number: '数字', boolean: '布尔值' };
  for (const [key, v] of Object.entries(values)) {
    const def = (DEFAULT_POLICY as unknown as Record<string, unknown>)[key];
    if (def === undefined) problems.push({ zh: `${key}：不是政策参数`, en: `${key}: not a policy value` });
    else if (typeof v !== typeof def)
      problems.push({ zh: `${key}：应为${TYPE_ZH[typeof def] ?? typeof def}`, en: `${key}: must be a ${typeof def}` });
    else if (typeof v === 'number' && !(Number.isInteger(v) && v > 0))
      problems.push({ zh: `${key}：应为正整数`, en: `${key}: a positive integer` });
    else if (typeof v === 'string') {
      const problem = policyPeriodProblem(v);
      if (problem) problems.push({ zh: `${key}：${problem.zh}`, en: `${key}: ${problem.en}` });
      else if (DRILL_ONLY_KEYS.includes(key as keyof ProcedurePolicy) && periodMs(parsePolicyPeriod(v)) === null)
        problems.push({ zh: `${key}：应为固定时长，如 "2 minutes"`, en: `${key}: a fixed length such as "2 minutes"` });
    }
  }
  return problems;
}
