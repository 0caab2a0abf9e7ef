/**
 * The evaluation committee of a commercial tender, drawn at random from the evaluator pool
 * (招标投标法 Art. 37; 实施条例 Art. 46: 从评标专家库内相关专业的专家名单中以随机抽取方式确定).
 * Pure: the randomness is a seed the caller draws (crypto), so the draw can be checked later by
 * anyone who has the record — the pool considered, who stood aside and why, the seed.
 *
 * The rule is one anyone can recompute by hand: every eligible member gets the key
 * SHA-256("<seed>:<userId>") (hex), the members are ordered by that key, and the first `size`
 * form the committee. It does not depend on the order the pool was listed in.
 */
import { createHash } from 'node:crypto';

export const DRAW_ALGORITHM =
  'sha256-rank-v1: sort eligible members by hex SHA-256("<seed>:<userId>"), take the first size';

export interface PoolMember {
  userId: string;
  login: string;
}

/** A member who may not sit on this committee (回避), with every reason that applies. */
export interface Exclusion extends PoolMember {
  reasons: string[];
}

export interface CommitteeDraw {
  method: 'DRAW';
  algorithm: string;
  seed: string;
  size: number;
  /** Every member of the pool considered, by userId. */
  pool: PoolMember[];
  excluded: Exclusion[];
  /** In the order of the draw. */
  drawn: PoolMember[];
}

export type DrawOutcome =
  | { ok: true; draw: CommitteeDraw }
  | { ok: false; poolSize: number; excludedCount: number; eligible: number; size: number };

/** The committee size: the one asked for, or the smallest odd number not below the minimum. */
export function committeeSize(min: number, requested?: number): number {
  return requested ?? (min % 2 === 0 ? min + 1 : min);
}

/** Why a committee size is not allowed (招标投标法 Art. 37: five or more, an odd number); null if it is. */
export function committeeSizeProblem(size: number, min: number): string | null {
  if (!Number.isInteger(size) || size < min) return `at least ${min}`;
  if (size % 2 === 0) return 'an odd number';
  return null;
}

function drawKey(seed: string, userId: string): string {
  return createHash('sha256').update(`${seed}:${userId}`).digest('hex');
}

/**
 * Draws `size` members from `pool` after removing the excluded ones. Exclusions name members by
 * userId with a reason; several reasons for one member are kept together. Fails (ok: false, with
 * the numbers) when fewer eligible members remain than the committee needs.
 */
export function drawCommittee(input: {
  pool: PoolMember[];
  exclusions: Array<{ userId: string; reason: string }>;
  size: number;
  seed: string;
}): DrawOutcome {
  const pool = [...new Map(input.pool.map((m) => [m.userId, m])).values()].sort((a, b) =>
    a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0,
  );
  const reasons = new Map<string, string[]>();
  for (const e of input.exclusions) {
    if (!pool.some((m) => m.userId === e.userId)) continue;
    const list = reasons.get(e.userId) ?? [];
    if (!list.includes(e.reason)) list.push(e.reason);
    reasons.set(e.userId, list);
  }
  const excluded = pool.filter((m) => reasons.has(m.userId)).map((m) => ({ ...m, reasons: reasons.get(m.userId)! }));
  const eligible = pool.filter((m) => !reasons.has(m.userId));
  if (eligible.length < input.size)
    return {
      ok: false,
      poolSize: pool.length,
      excludedCount: excluded.length,
      eligible: eligible.length,
      size: input.size,
    };
  const ranked = eligible
    .map((m) => ({ m, key: drawKey(input.seed, m.userId) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    ok: true,
    draw: {
      method: 'DRAW',
      algorithm: DRAW_ALGORITHM,
      seed: input.seed,
      size: input.size,
      pool,
      excluded,
      drawn: ranked.slice(0, input.size).map((r) => r.m),
    },
  };
}
