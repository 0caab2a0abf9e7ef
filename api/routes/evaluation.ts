/**
 * Department evaluation (Art. 6) over HTTP: JSON, CSV or XLSX for a month or a year. The data
 * authority's supervisors and reviewers read every department (Art. 6 gives the evaluation to the
 * authority); a department head reads its own.
 */
import { Router } from 'express';
import { z } from 'zod';
import { parsePeriod } from '../../domain/evaluation';
import { CalendarCache } from '../../lib/calendar-store';
import { evaluateDepartment, evaluationCsv, evaluationXlsx } from '../../lib/evaluation';
import { newId } from '../../lib/ids';
import { authorizeSignedIn } from '../access';
import type { ApiDeps } from '../deps';
import { AppError, fieldText, parse } from '../errors';
import { documented } from '../openapi';

const evaluationQuery = z
  .object({
    period: z
      .string()
      .regex(
        /^\d{4}(-(0[1-9]|1[0-2]))?$/,
        fieldText('须为月份（如 2026-11）或年份（如 2026）', 'must be a month (2026-11) or a year (2026)'),
      ),
    department: z.string().trim().min(1).max(64).optional(),
    format: z.enum(['json', 'csv', 'xlsx']).default('json'),
  })
  .strict();

/** domain/evaluation.ts Evaluation, one per department. */
const evaluationSchema = z.object({
  departmentId: z.string(),
  period: z.object({ label: z.string(), from: z.string(), to: z.string() }),
  procedures: z.array(z.object({ procedure: z.string(), received: z.number(), handled: z.number() })),
  steps: z.array(
    z.object({
      procedure: z.string(),
      step: z.string(),
      handled: z.number(),
      onTime: z.number(),
      onTimeRate: z.number().nullable(),
      medianWorkingDays: z.number().nullable(),
      p90WorkingDays: z.number().nullable(),
    }),
  ),
  overdue: z.number(),
  escalated: z.number(),
  objectionsReceived: z.number(),
  objectionsCorrected: z.number(),
  shareRequestsAnswered: z.number(),
  openDataDownloads: z.number(),
});

export function evaluationRouter(deps: ApiDeps): Router {
  const { db } = deps;
  const calendars = new CalendarCache({ minCheckIntervalMs: 60_000 });
  documented({
    method: 'get',
    path: '/api/evaluation',
    summary:
      'Department evaluation for a month or a year (Art. 6): cases received and handled, on-time rate and handling time per step, overdue and escalated steps, objections, share answers, downloads. JSON, CSV or XLSX; a report, whole in one answer (one item per department), not paged',
    tags: ['supervision'],
    auth: 'required',
    query: evaluationQuery,
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: z.object({ items: z.array(evaluationSchema) }),
    files: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    responses: {
      200: 'The figures (one department, or every department for supervisors when none is named)',
      403: "Not a supervisor or reviewer of the data authority, nor the department's head",
      404: 'Unknown department',
    },
  });
  const router = Router();
  router.get('/api/evaluation', async (req, res) => {
    const a = authorizeSignedIn(req, 'evaluation');
    const p = a.p;
    const q = parse(evaluationQuery, req.query, 'query');
    const period = parsePeriod(q.period);
    if (!period)
      throw new AppError(
        'VALIDATION_FAILED',
        { zh: `期间 ${q.period} 超出支持的年份范围`, en: `period ${q.period} is outside the supported years` },
        [{ path: 'query.period', message: '年份须在 2000–2199 之间' }],
      );
    const overseer = a.scopes.has('all');
    const wanted = q.department ?? (overseer ? undefined : (p.departmentId ?? undefined));
    if (!overseer && wanted !== p.departmentId)
      throw new AppError('FORBIDDEN', {
        zh: `部门负责人只能查看本部门（${p.departmentId}）的考核评价`,
        en: `A department head reads the evaluation of department ${p.departmentId} only`,
      });
    const departments = await db.department.findMany({
      where: wanted ? { id: wanted } : { kind: { in: ['GOVERNMENT', 'AUTHORITY'] } },
      orderBy: { id: 'asc' },
      select: { id: true },
    });
    if (wanted && departments.length === 0)
      throw new AppError('NOT_FOUND', { zh: `部门 ${wanted} 不存在`, en: `No department ${wanted}` });
    const evaluations = [];
    for (const d of departments) evaluations.push(await evaluateDepartment(db, () => calendars.get(db), d.id, period));
    if (q.format !== 'json') {
      // An export leaves the system: who took which figures is audited.
      await db.auditLog.create({
        data: {
          auditKey: `export:${newId()}`,
          actor: p.userId,
          action: 'EVALUATION_EXPORTED',
          entityType: 'Evaluation',
          entityId: `${period.label}:${wanted ?? 'all'}`,
          details: { format: q.format },
        },
      });
    }
    const name = `evaluation-${period.label}-${wanted ?? 'all'}`;
    if (q.format === 'csv') {
      res.type('text/csv; charset=utf-8').attachment(`${name}.csv`).send(evaluationCsv(evaluations));
    } else if (q.format === 'xlsx') {
      res
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .attachment(`${name}.xlsx`)
        .send(await evaluationXlsx(evaluations));
    } else {
      res.json({ items: evaluations });
    }
  });
  return router;
}
