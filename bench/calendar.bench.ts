/**
 * Benchmark (not a test): WorkingCalendar.deadline vs a naive day-by-day walk over the same
 * calendar data. Run with `npx tsx bench/calendar.bench.ts [count]`.
 */
import { WorkingCalendar, chineseWorkdayYears, deriveProvisionalYear } from '../domain/calendar';
import type { CalendarYear } from '../domain/calendar';

const COUNT = Number(process.argv[2] ?? 200_000);
const DAY = 86_400_000;
const OFFSET = 8 * 3_600_000;
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
const log = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

// Deterministic inputs (mulberry32) so runs are comparable.
let seed = 0x5eed;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const heapBefore = process.memoryUsage().heapUsed;
const t = performance.now();
const official = chineseWorkdayYears();
const cal = new WorkingCalendar(official);
log(
  `setup: chinese-workday years ${official[0].year}..${official[official.length - 1].year}, calendar built in ${(performance.now() - t).toFixed(1)} ms`,
);

// The naive side walks the same data: official years plus the provisional years the
// calendar fills in, as a map from epoch day to kind.
const years: CalendarYear[] = [...official];
for (let y = 2000; y <= 2100; y++) if (!official.some((o) => o.year === y)) years.push(deriveProvisionalYear(y));
const kindByDay = new Map<number, 'H' | 'M'>();
for (const y of years) {
  for (const h of y.holidays) kindByDay.set(Date.parse(`${h.date}T00:00:00Z`) / DAY, 'H');
  for (const m of y.makeupWorkdays) kindByDay.set(Date.parse(`${m.date}T00:00:00Z`) / DAY, 'M');
}
function naiveDeadline(receivedAt: Date, n: number): number {
  let day = Math.floor((receivedAt.getTime() + OFFSET) / DAY);
  let left = n;
  while (left > 0) {
    day++;
    const k = kindByDay.get(day);
    const dow = (day + 4) % 7;
    const working = k === 'M' || (k !== 'H' && dow !== 0 && dow !== 6);
    if (working) left--;
  }
  return (day + 1) * DAY - OFFSET; // 24:00 Shanghai of the due date
}

const lo = Date.UTC(2015, 0, 1) - OFFSET;
const hi = Date.UTC(2028, 0, 1) - OFFSET;

function scenario(count: number, maxN: number): boolean {
  const instants: Date[] = new Array<Date>(count);
  const ns = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    instants[i] = new Date(lo + Math.floor(random() * (hi - lo)));
    ns[i] = 1 + Math.floor(random() * maxN);
  }
  log(`\ninputs: ${count} receipts in 2015..2027 (Shanghai), N in 1..${maxN}`);

  function run(name: string, f: (i: number) => number): { rate: number; out: Float64Array } {
    const out = new Float64Array(count);
    // Warm-up so the JIT has seen the code before timing.
    for (let i = 0; i < Math.min(count, 5000); i++) f(i);
    const start = performance.now();
    const step = Math.max(1, Math.floor(count / 4));
    for (let i = 0; i < count; i++) {
      out[i] = f(i);
      if ((i + 1) % step === 0 && i + 1 < count) {
        log(`  ${name}: ${i + 1}/${count} (${((performance.now() - start) / 1000).toFixed(2)} s)`);
      }
    }
    const secs = (performance.now() - start) / 1000;
    const rate = count / secs;
    log(
      `${name}: ${count} deadlines in ${secs.toFixed(3)} s = ${Math.round(rate).toLocaleString('en-US')} deadlines/s`,
    );
    return { rate, out };
  }

  const fast = run('WorkingCalendar.deadline', (i) => cal.deadline(instants[i], ns[i]).deadlineAt.getTime());
  const naive = run('naive day-by-day walk   ', (i) => naiveDeadline(instants[i], ns[i]));

  let mismatches = 0;
  for (let i = 0; i < count; i++) {
    if (fast.out[i] !== naive.out[i]) {
      if (mismatches < 5) {
        log(
          `MISMATCH ${instants[i].toISOString()} N=${ns[i]}: ${new Date(fast.out[i]).toISOString()} vs ${new Date(naive.out[i]).toISOString()}`,
        );
      }
      mismatches++;
    }
  }
  log(`results identical: ${mismatches === 0 ? 'yes' : `NO (${mismatches} mismatches)`}`);
  log(`speed ratio (calendar / naive): ${(fast.rate / naive.rate).toFixed(1)}x`);
  log(`heap used: ${mb(process.memoryUsage().heapUsed)}`);
  return mismatches === 0;
}

const ok1 = scenario(COUNT, 60);
const ok2 = scenario(Math.max(1, Math.floor(COUNT / 4)), 500);
log(`\nheap used at start: ${mb(heapBefore)}; at end: ${mb(process.memoryUsage().heapUsed)}`);
if (!ok1 || !ok2) process.exitCode = 1;
