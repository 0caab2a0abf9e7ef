/**
 * Typed search attributes every procedure workflow keeps current, so supervisors can save
 * queries such as `Overdue = true AND CaseProcedure = "CONDITIONAL_SHARE"` in the Temporal Web UI.
 * Values are codes and ids only: search attributes are stored in clear. Every name works unquoted
 * in the Web UI and the CLI (`Procedure` does not: the query parser takes it for a keyword, so the
 * procedure is `CaseProcedure`; `Procedure` stays registered for workflows started before).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  Procedure: defineSearchAttributeKey('CaseProcedure', SearchAttributeType.KEYWORD),
  /** The name before CaseProcedure: read once to carry the value over, never written. */
  LegacyProcedure: defineSearchAttributeKey('Procedure', SearchAttributeType.KEYWORD),
  /** Departments with an open task: the ones that must act now. */
  ActingDepts: defineSearchAttributeKey('ActingDepts', SearchAttributeType.KEYWORD_LIST),
  /** The case-level deadline where the regulation sets one for the whole case. */
  CaseDeadlineAt: defineSearchAttributeKey('CaseDeadlineAt', SearchAttributeType.DATETIME),
  Stage: defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD),
  ApplicationNo: defineSearchAttributeKey('ApplicationNo', SearchAttributeType.KEYWORD),
  ApplicantDept: defineSearchAttributeKey('ApplicantDept', SearchAttributeType.KEYWORD),
  ProviderDepts: defineSearchAttributeKey('ProviderDepts', SearchAttributeType.KEYWORD_LIST),
  DeadlineAt: defineSearchAttributeKey('DeadlineAt', SearchAttributeType.DATETIME),
  Overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
} as const;

/** Name → type as the Temporal CLI and `operator search-attribute create` spell them. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: ReadonlyArray<readonly [string, string]> = [
  ['CaseProcedure', 'Keyword'],
  ['Procedure', 'Keyword'],
  ['ActingDepts', 'KeywordList'],
  ['CaseDeadlineAt', 'Datetime'],
  ['Stage', 'Keyword'],
  ['ApplicationNo', 'Keyword'],
  ['ApplicantDept', 'Keyword'],
  ['ProviderDepts', 'KeywordList'],
  ['DeadlineAt', 'Datetime'],
  ['Overdue', 'Bool'],
];
