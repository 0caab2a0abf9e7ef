/**
 * Typed search attributes every procedure workflow keeps current, so supervisors can save
 * queries such as `Overdue = true AND Procedure = "CONDITIONAL_SHARE"` in the Temporal Web UI.
 * Values are codes and ids only: search attributes are stored in clear.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  Procedure: defineSearchAttributeKey('Procedure', SearchAttributeType.KEYWORD),
  Stage: defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD),
  ApplicationNo: defineSearchAttributeKey('ApplicationNo', SearchAttributeType.KEYWORD),
  ApplicantDept: defineSearchAttributeKey('ApplicantDept', SearchAttributeType.KEYWORD),
  ProviderDepts: defineSearchAttributeKey('ProviderDepts', SearchAttributeType.KEYWORD_LIST),
  DeadlineAt: defineSearchAttributeKey('DeadlineAt', SearchAttributeType.DATETIME),
  Overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
} as const;

/** Name → type as the Temporal CLI and `operator search-attribute create` spell them. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: ReadonlyArray<readonly [string, string]> = [
  ['Procedure', 'Keyword'],
  ['Stage', 'Keyword'],
  ['ApplicationNo', 'Keyword'],
  ['ApplicantDept', 'Keyword'],
  ['ProviderDepts', 'KeywordList'],
  ['DeadlineAt', 'Datetime'],
  ['Overdue', 'Bool'],
];
