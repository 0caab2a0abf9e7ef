/**
 * Department evaluation (Art. 6: the data authority evaluates each department's collection,
 * sharing and opening work). Pure: the figures of one department and period from its stored task
 * rows, objections and downloads, with handling times in working days on the given calendar.
 * Definitions (also in the README):
 * - received: cases (workflows) with a step for the department opened in the period;
 *   handled: cases with a step the department completed in the period;
 * - per step, over the steps completed in the period: on time = completed by the deadline (24:00
 *   of its last day; a step without a deadline counts as on time); handling time = working days
 *   from the day the step opened to the day it was completed (same day = 0), median and 90th
 *   percentile (nearest rank);
 * - overdue: steps due in the period that were not completed by their deadline (completed late,
 *   or still open at the end of the period or now, whichever is earlier); escalated: those of them
 *   escalated to the head and supervisors;
 * - objections received / corrected: objections to the department's data filed / corrected in the
 *   period; share requests answered: provider replies to share and non-government applications
 *   completed in the period; open-data downloads: downloads of the department's data.
 */

export interface Period {
  label: string;
  from: Date;
  to: Date;
}

export interface EvaluationTask {
  workflowId: string;
  procedure: string;
  step: string;
  status: 'OPEN' | 'CLAIMED' | 'DONE' | 'CANCELLED';
  createdAt: Date;
  dueAt: Date | null;
  completedAt: Date | null;
  escalated: boolean;
}

export interface EvaluationInput {
  departmentId: string;
  period: Period;
  now: Date;
  tasks: EvaluationTask[];
  objections: Array<{ createdAt: Date; correctedAt: Date | null }>;
  downloads: number;
  workingDaysBetween: (from: Date, to: Date) => number;
}

export interface StepFigures {
  procedure: string;
  step: string;
  handled: number;
  onTime: number;
  onTimeRate: number | null;
  medianWorkingDays: number | null;
  p90WorkingDays: number | null;
}

export interface Evaluation {
  departmentId: string;
  period: { label: string; from: string; to: string };
  procedures: Array<{ procedure: string; received: number; handled: number }>;
  steps: StepFigures[];
  overdue: number;
  escalated: number;
  objectionsReceived: number;
  objectionsCorrected: number;
  shareRequestsAnswered: number;
  openDataDownloads: number;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** `2026-11` (a month) or `2026` (a year), in Shanghai time. */
export function parsePeriod(label: string): Period | undefined {
  const m = /^(\d{4})(?:-(0[1-9]|1[0-2]))?$/.exec(label);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (year < 2000 || year > 2199) return undefined;
  if (m[2] === undefined)
    return {
      label,
      from: new Date(Date.UTC(year, 0, 1) - SHANGHAI_OFFSET_MS),
      to: new Date(Date.UTC(year + 1, 0, 1) - SHANGHAI_OFFSET_MS),
    };
  const month = Number(m[2]) - 1;
  return {
    label,
    from: new Date(Date.UTC(year, month, 1) - SHANGHAI_OFFSET_MS),
    to: new Date(Date.UTC(year, month + 1, 1) - SHANGHAI_OFFSET_MS),
  };
}

/** The month before the one `at` falls in (Shanghai time), e.g. for a report run on the 1st. */
export function previousMonth(at: Date): Period {
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth(); // 0-based: the previous month is m - 1
  const year = m === 0 ? y - 1 : y;
  const month = m === 0 ? 12 : m;
  return parsePeriod(`${year}-${String(month).padStart(2, '0')}`)!;
}

function nearestRank(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const within = (d: Date | null, p: Period): d is Date => d !== null && d >= p.from && d < p.to;

const ANSWER_STEPS = new Set(['CONDITIONAL_SHARE:PROVIDER_REPLY', 'NON_GOVERNMENT_ACCESS:OPINION']);

export function evaluate(input: EvaluationInput): Evaluation {
  const { period, tasks } = input;
  const received = new Map<string, Set<string>>();
  const handled = new Map<string, Set<string>>();
  const steps = new Map<string, { procedure: string; step: string; onTime: number; days: number[] }>();
  let overdue = 0;
  let escalated = 0;
  let answered = 0;
  const cutoff = input.now < period.to ? input.now : period.to;

  for (const t of tasks) {
    if (within(t.createdAt, period)) {
      const set = received.get(t.procedure) ?? new Set<string>();
      set.add(t.workflowId);
      received.set(t.procedure, set);
    }
    if (t.status === 'DONE' && within(t.completedAt, period)) {
      const set = handled.get(t.procedure) ?? new Set<string>();
      set.add(t.workflowId);
      handled.set(t.procedure, set);
      const key = `${t.procedure}:${t.step}`;
      const s = steps.get(key) ?? { procedure: t.procedure, step: t.step, onTime: 0, days: [] };
      if (t.dueAt === null || t.completedAt <= t.dueAt) s.onTime++;
      s.days.push(Math.max(0, input.workingDaysBetween(t.createdAt, t.completedAt)));
      steps.set(key, s);
      if (ANSWER_STEPS.has(key)) answered++;
    }
    if (within(t.dueAt, period) && t.status !== 'CANCELLED') {
      const late = t.completedAt ? t.completedAt > t.dueAt : cutoff > t.dueAt;
      if (late) {
        overdue++;
        if (t.escalated) escalated++;
      }
    }
  }

  const procedures = [...new Set([...received.keys(), ...handled.keys()])].sort();
  return {
    departmentId: input.departmentId,
    period: { label: period.label, from: period.from.toISOString(), to: period.to.toISOString() },
    procedures: procedures.map((procedure) => ({
      procedure,
      received: received.get(procedure)?.size ?? 0,
      handled: handled.get(procedure)?.size ?? 0,
    })),
    steps: [...steps.values()]
      .sort((a, b) => a.procedure.localeCompare(b.procedure) || a.step.localeCompare(b.step))
      .map((s) => {
        const days = [...s.days].sort((a, b) => a - b);
        return {
          procedure: s.procedure,
          step: s.step,
          handled: days.length,
          onTime: s.onTime,
          onTimeRate: days.length ? s.onTime / days.length : null,
          medianWorkingDays: nearestRank(days, 50),
          p90WorkingDays: nearestRank(days, 90),
        };
      }),
    overdue,
    escalated,
    objectionsReceived: input.objections.filter((o) => within(o.createdAt, period)).length,
    objectionsCorrected: input.objections.filter((o) => within(o.correctedAt, period)).length,
    shareRequestsAnswered: answered,
    openDataDownloads: input.downloads,
  };
}
