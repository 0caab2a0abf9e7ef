/**
 * The monthly evaluation report (Art. 6): every government department's head gets the figures of
 * the month before by mail. Idempotent per period: the outbox key names the period, department
 * and recipient, so running a period again sends nothing new.
 */
import { previousMonth, parsePeriod } from '../domain/evaluation';
import { CalendarCache } from '../lib/calendar-store';
import { evaluateDepartment } from '../lib/evaluation';
import { auditOnce } from './audit';
import type { ActivityDeps } from './deps';
import { notificationActivities } from './notifications';

export interface EvaluationReportInput {
  /** `2026-11`; when absent, the month before `atMs` (the schedule's run time). */
  period?: string;
  atMs: number;
}

export function evaluationActivities(deps: ActivityDeps) {
  const { db } = deps;
  const fallback = new CalendarCache();
  const calendarNow = () => (deps.calendar ? deps.calendar() : fallback.get(db));
  const { notify } = notificationActivities(deps);
  return {
    async sendEvaluationReports(input: EvaluationReportInput): Promise<{ period: string; mails: number }> {
      const period = input.period ? parsePeriod(input.period) : previousMonth(new Date(input.atMs));
      if (!period) throw new Error(`Invalid evaluation period ${input.period}`);
      const departments = await db.department.findMany({
        where: { kind: { in: ['GOVERNMENT', 'AUTHORITY'] } },
        orderBy: { id: 'asc' },
        select: {
          id: true,
          name: true,
          users: { where: { active: true, roles: { has: 'DEPT_HEAD' } }, select: { email: true, displayName: true } },
        },
      });
      let mails = 0;
      for (const d of departments) {
        if (d.users.length === 0) continue;
        const e = await evaluateDepartment(db, calendarNow, d.id, period);
        const steps = e.steps.map((s) => ({
          ...s,
          onTimePercent: s.onTimeRate === null ? '—' : `${Math.round(s.onTimeRate * 100)}%`,
        }));
        mails += await notify({
          eventKey: `evaluation:${period.label}:${d.id}`,
          template: 'evaluation-report',
          recipients: d.users.map((u) => ({ email: u.email, name: u.displayName })),
          data: { ...e, steps, departmentName: d.name, periodLabel: period.label },
        });
      }
      await auditOnce(db, {
        auditKey: `evaluation-report:${period.label}`,
        actor: 'system',
        action: 'EVALUATION_REPORTED',
        entityType: 'Evaluation',
        entityId: period.label,
        details: { departments: departments.length },
      });
      return { period: period.label, mails };
    },
  };
}
