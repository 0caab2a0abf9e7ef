import { createHash } from 'node:crypto';
import { committeeSize, committeeSizeProblem, drawCommittee, PoolMember } from '../../domain/committee-draw';

const pool: PoolMember[] = Array.from({ length: 9 }, (_, i) => ({
  userId: `u-dsj.evaluator${i + 1}`,
  login: `dsj.evaluator${i + 1}`,
}));

describe('drawing the evaluation committee (招标投标法 Art. 37, 实施条例 Art. 46)', () => {
  it('sizes the committee as an odd number not below the minimum', () => {
    expect(committeeSize(5)).toBe(5);
    expect(committeeSize(6)).toBe(7);
    expect(committeeSize(5, 7)).toBe(7);
    expect(committeeSizeProblem(5, 5)).toBeNull();
    expect(committeeSizeProblem(7, 5)).toBeNull();
    expect(committeeSizeProblem(3, 5)).toBe('at least 5');
    expect(committeeSizeProblem(6, 5)).toBe('an odd number');
  });

  it('draws the asked number of different members, none of them excluded, and records why the excluded stand aside', () => {
    const out = drawCommittee({
      pool,
      exclusions: [
        { userId: 'u-dsj.evaluator2', reason: '本人申请回避' },
        { userId: 'u-dsj.evaluator2', reason: '所在部门为数据提供部门' },
        { userId: 'u-dsj.evaluator4', reason: '本人申请回避' },
        { userId: 'u-nobody', reason: '不在专家库' },
      ],
      size: 5,
      seed: 'a1b2c3',
    });
    if (!out.ok) throw new Error('the draw failed');
    const ids = out.draw.drawn.map((m) => m.userId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(ids).not.toContain('u-dsj.evaluator2');
    expect(ids).not.toContain('u-dsj.evaluator4');
    expect(out.draw.excluded).toEqual([
      { userId: 'u-dsj.evaluator2', login: 'dsj.evaluator2', reasons: ['本人申请回避', '所在部门为数据提供部门'] },
      { userId: 'u-dsj.evaluator4', login: 'dsj.evaluator4', reasons: ['本人申请回避'] },
    ]);
    expect(out.draw.pool).toHaveLength(9);
    expect(out.draw).toMatchObject({ method: 'DRAW', seed: 'a1b2c3', size: 5 });
  });

  it('is reproducible from the seed, whatever the order of the pool, and anyone can recompute it with SHA-256', () => {
    const a = drawCommittee({ pool, exclusions: [], size: 5, seed: 'seed-1' });
    const b = drawCommittee({ pool: [...pool].reverse(), exclusions: [], size: 5, seed: 'seed-1' });
    if (!a.ok || !b.ok) throw new Error('the draw failed');
    expect(b.draw.drawn).toEqual(a.draw.drawn);
    const byHand = pool
      .map((m) => ({ m, key: createHash('sha256').update(`seed-1:${m.userId}`).digest('hex') }))
      .sort((x, y) => x.key.localeCompare(y.key))
      .slice(0, 5)
      .map((x) => x.m);
    expect(a.draw.drawn).toEqual(byHand);
    // Another seed draws another committee (for these two seeds: checked, not assumed).
    const c = drawCommittee({ pool, exclusions: [], size: 5, seed: 'seed-2' });
    if (!c.ok) throw new Error('the draw failed');
    expect(c.draw.drawn.map((m) => m.userId)).not.toEqual(a.draw.drawn.map((m) => m.userId));
  });

  it('every member of the pool can be drawn: over many seeds each one is', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const out = drawCommittee({ pool, exclusions: [], size: 5, seed: `s${i}` });
      if (out.ok) out.draw.drawn.forEach((m) => seen.add(m.userId));
    }
    expect(seen.size).toBe(pool.length);
  });

  it('fails with the numbers when too few members remain after the exclusions', () => {
    const out = drawCommittee({
      pool: pool.slice(0, 6),
      exclusions: [
        { userId: 'u-dsj.evaluator1', reason: '本人申请回避' },
        { userId: 'u-dsj.evaluator3', reason: '本人申请回避' },
      ],
      size: 5,
      seed: 'x',
    });
    expect(out).toEqual({ ok: false, poolSize: 6, excludedCount: 2, eligible: 4, size: 5 });
  });
});
