/**
 * Catalog rules (Chapter 3), pure: what an entry needs before it may be submitted (Art. 21, 24),
 * when two entries look like the same data (Art. 17: the authority integrates duplicates), what a
 * new version changes, and which changes reach running grants (a class that closes access).
 */

import type { ErrorText } from './error-codes';

export type ShareClass = 'UNCONDITIONAL' | 'CONDITIONAL' | 'NOT_SHARED';
export type OpenClass = 'UNCONDITIONAL' | 'CONDITIONAL' | 'NOT_OPEN';

export interface EntryContent {
  code: string;
  name: string;
  description: string;
  fields: string[];
  shareClass: ShareClass;
  openClass: OpenClass;
  shareLegalBasis?: string | null;
  openLegalBasis?: string | null;
  updateFrequency: string;
  sourceSystem?: string | null;
}

/** A missing legal basis: the field concerned and the problem in Chinese (`zh`) and English (`en`). */
export interface LegalBasisProblem extends ErrorText {
  path: 'shareLegalBasis' | 'openLegalBasis';
}

/**
 * Art. 21 ¶2: CONDITIONAL and NOT_SHARED need a basis in laws, regulations or State Council
 * policy; Art. 24 ¶2: so do CONDITIONAL and NOT_OPEN. An UNCONDITIONAL class needs none.
 */
export function legalBasisProblems(
  e: Pick<EntryContent, 'shareClass' | 'openClass' | 'shareLegalBasis' | 'openLegalBasis'>,
): LegalBasisProblem[] {
  const problems: LegalBasisProblem[] = [];
  if (e.shareClass !== 'UNCONDITIONAL' && !e.shareLegalBasis?.trim())
    problems.push({
      path: 'shareLegalBasis',
      zh: `共享类型 ${e.shareClass} 须有法律、法规或者国务院政策依据（第二十一条第二款：有条件共享、不予共享类应当有法律、法规或者国务院政策依据）`,
      en: `share class ${e.shareClass} needs a legal basis (Art. 21 ¶2: 有条件共享、不予共享类应当有法律、法规或者国务院政策依据)`,
    });
  if (e.openClass !== 'UNCONDITIONAL' && !e.openLegalBasis?.trim())
    problems.push({
      path: 'openLegalBasis',
      zh: `开放类型 ${e.openClass} 须有法律、法规或者国务院政策依据（第二十四条第二款：有条件开放、不予开放类应当有法律、法规或者国务院政策依据）`,
      en: `open class ${e.openClass} needs a legal basis (Art. 24 ¶2: 有条件开放、不予开放类应当有法律、法规或者国务院政策依据)`,
    });
  return problems;
}

/** A name without spaces, punctuation and the generic words that make two names of the same data differ. */
export function normalizedName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]/gu, '')
    .replace(/(信息|数据|资源|目录|登记|基本|基础|库|表)/g, '');
}

function fieldSet(fields: string[]): Set<string> {
  return new Set(fields.map((f) => f.normalize('NFKC').replace(/\s/g, '').toLowerCase()).filter(Boolean));
}

/** Share of the data items two entries have in common (Jaccard). */
export function fieldOverlap(a: string[], b: string[]): number {
  const x = fieldSet(a);
  const y = fieldSet(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const f of x) if (y.has(f)) common += 1;
  return common / (x.size + y.size - common);
}

export interface DuplicateCandidate {
  code: string;
  name: string;
  departmentId: string;
  fields: string[];
  /** A published entry, or a draft under review. */
  source: 'PUBLISHED' | 'SUBMITTED';
}

export interface Duplicate {
  code: string;
  name: string;
  departmentId: string;
  source: 'PUBLISHED' | 'SUBMITTED';
  reason: string;
}

/** Two data items in common of at least three, and 80 % of all: the same data collected twice. */
export const FIELD_OVERLAP_THRESHOLD = 0.8;

/**
 * Entries of OTHER departments that look like the same data (Art. 17 "避免重复采集"): the same
 * normalised name, or nearly the same data items. The authority decides whether to integrate.
 */
export function findDuplicates(
  entry: Pick<EntryContent, 'code' | 'name' | 'fields'> & { departmentId: string },
  candidates: DuplicateCandidate[],
): Duplicate[] {
  const name = normalizedName(entry.name);
  const out = new Map<string, Duplicate>();
  for (const c of candidates) {
    if (c.departmentId === entry.departmentId || c.code === entry.code) continue;
    const overlap = fieldOverlap(entry.fields, c.fields);
    const sameName = name.length > 0 && normalizedName(c.name) === name;
    const sameFields = overlap >= FIELD_OVERLAP_THRESHOLD && fieldSet(entry.fields).size >= 3;
    if (!sameName && !sameFields) continue;
    const reason = [sameName ? '名称相同' : null, sameFields ? `数据项重合${Math.round(overlap * 100)}%` : null]
      .filter(Boolean)
      .join('，');
    if (!out.has(c.code))
      out.set(c.code, { code: c.code, name: c.name, departmentId: c.departmentId, source: c.source, reason });
  }
  return [...out.values()].sort((a, b) => a.code.localeCompare(b.code));
}

const VERSIONED_FIELDS = [
  'name',
  'description',
  'fields',
  'shareClass',
  'openClass',
  'shareLegalBasis',
  'openLegalBasis',
  'updateFrequency',
  'sourceSystem',
] as const;

/** What a new version changes: field → { from, to }; empty for a first version. */
export function entryChanges(
  before: Partial<EntryContent> | null,
  after: EntryContent,
): Record<string, { from: unknown; to: unknown }> {
  if (!before) return {};
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of VERSIONED_FIELDS) {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}

/**
 * A class change that closes access a grant gives: sharing grants when the entry becomes
 * NOT_SHARED, open-use grants when it becomes NOT_OPEN. Such grants are not cut silently: the
 * provider keeps or suspends each one, with reasons.
 */
export function closesAccess(
  before: Pick<EntryContent, 'shareClass' | 'openClass'> | null,
  after: Pick<EntryContent, 'shareClass' | 'openClass'>,
): { share: boolean; open: boolean } {
  if (!before) return { share: false, open: false };
  return {
    share: before.shareClass !== 'NOT_SHARED' && after.shareClass === 'NOT_SHARED',
    open: before.openClass !== 'NOT_OPEN' && after.openClass === 'NOT_OPEN',
  };
}

/** Art. 25: an entry's place in the department's open lists, or none. */
export function openListOf(openClass: OpenClass): '无条件开放清单' | '有条件开放清单' | null {
  if (openClass === 'UNCONDITIONAL') return '无条件开放清单';
  if (openClass === 'CONDITIONAL') return '有条件开放清单';
  return null;
}
