/** Load generation and statistics for the benchmarks: a fixed number of jobs at a concurrency. */

export interface Stats {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarise(latenciesMs: number[], seconds: number): Stats {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    seconds,
    perSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * Runs job(0..count-1) with at most `concurrency` in flight and times each one. A job that
 * throws fails the benchmark: a figure over failed requests would measure the wrong thing.
 */
export async function run(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
  progress?: (done: number) => void,
): Promise<Stats> {
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      await job(i);
      latencies.push(performance.now() - t);
      done++;
      if (progress && done % Math.max(1, Math.floor(count / 10)) === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return summarise(latencies, (performance.now() - started) / 1000);
}

/** Polls until `check` is true, failing after `timeoutMs` with `what` in the message. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000, everyMs = 50) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
