/**
 * Procedure policy: deadlines and thresholds as named, versioned values (DESIGN.md "Policy
 * versions"). The defaults are this regulation's; a PolicyVersion row with a later effective
 * date overrides any of them without a code change, and a procedure keeps the policy that was
 * in force when it started.
 */
export interface ProcedurePolicy {
  /** Art. 22 ¶2: the provider replies within 10 working days. */
  providerReplyWorkingDays: number;
  /** Not fixed by the regulation: the data authority's review (审议). */
  authorityReviewWorkingDays: number;
  /** Not fixed by the regulation: each party confirms the share agreement. */
  agreementConfirmWorkingDays: number;
  /** Art. 22 ¶3: the authority and providers give opinions within 10 working days. */
  nonGovernmentOpinionWorkingDays: number;
  /** Not fixed by the regulation: the municipal government's decision. */
  governmentDecisionWorkingDays: number;
  /** Not fixed by the regulation: the provider's answer to a conditional-open application. */
  openProviderDecisionWorkingDays: number;
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
}

export const DEFAULT_POLICY: ProcedurePolicy = {
  providerReplyWorkingDays: 10,
  authorityReviewWorkingDays: 5,
  agreementConfirmWorkingDays: 5,
  nonGovernmentOpinionWorkingDays: 10,
  governmentDecisionWorkingDays: 10,
  openProviderDecisionWorkingDays: 10,
  warningWorkingDaysBefore: 1,
  escalateAfterOverdueWorkingDays: 5,
  overdueReminderEveryWorkingDays: 1,
  grantExpiryReminderWorkingDays: 10,
  defaultUsePeriodDays: 365,
  maxUsePeriodDays: 3 * 365,
  countMakeupWorkdays: true,
};

/** Later versions override earlier ones key by key; unknown keys and wrong types are ignored. */
export function mergePolicy(versions: Array<Record<string, unknown>>): ProcedurePolicy {
  const merged: ProcedurePolicy = { ...DEFAULT_POLICY };
  for (const values of versions) {
    for (const key of Object.keys(DEFAULT_POLICY) as Array<keyof ProcedurePolicy>) {
      const v = values[key];
      if (typeof v === typeof DEFAULT_POLICY[key] && (typeof v !== 'number' || (Number.isInteger(v) && v > 0))) {
        (merged as unknown as Record<string, unknown>)[key] = v;
      }
    }
  }
  return merged;
}
