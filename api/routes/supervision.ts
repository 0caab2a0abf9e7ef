/**
 * Supervision (电子监察, Art. 6 and 35): running cases across departments for supervisors and the
 * data authority, most urgent first, and each case's steps with how many working days late they
 * are. Metadata only: procedure, case number, step codes, departments and dates — no titles,
 * reasons, evidence or personal data. Read from the inbox rows in Postgres, never from workflow
 * queries, so a supervisor's list costs the workflows nothing.
 */
import { Router } from 'express';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import { CalendarCache } from '../../lib/calendar-store';
import { authorizeSignedIn } from '../access';
import type { ApiDeps } from '../deps';
import { AppError, parse } from '../errors';
import { documented } from '../openapi';

const PROCEDURES = [
  'UNCONDITIONAL_SHARE',
  'CONDITIONAL_SHARE',
  'NON_GOVERNMENT_ACCESS',
  'CONDITIONAL_OPEN',
  'COMMERCIAL_TENDER',
  'OBJECTION',
  'SECURITY_INCIDENT',
  'CATALOG_REVIEW',
] as const;

const flag = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();

const casesQuery = z
  .object({
    procedure: z.enum(PROCEDURES).optional(),
    stage: z.string().trim().min(1).max(64).optional(),
    actingDept: z.string().trim().min(1).max(64).optional(),
    overdue: flag,
    provisional: flag,
    dueBefore: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(400).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

const stepsQuery = z
  .object({
    workflowId: z
      .string()
      .trim()
      .min(3)
      .max(200)
      .regex(/^[a-z-]+\/[\w-]+$/),
  })
  .strict();

/** Position in the urgency order: overdue first, then the earliest open deadline, then the id. */
const cursorShape = z.object({ o: z.boolean(), d: z.number().nullable(), w: z.string() });
type Cursor = z.infer<typeof cursorShape>;

function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  try {
    return cursorShape.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
  } catch {
    throw new AppError(
      'VALIDATION_FAILED',
      { zh: 'cursor 不是本列表给出的游标', en: 'cursor is not one this list handed out' },
      [{ path: 'query.cursor', message: '未知的游标' }],
    );
  }
}
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

interface CaseRow {
  workflow_id: string;
  procedure: string;
  application_status: string | null;
  due_at: Date | null;
  overdue: boolean;
  provisional: boolean;
  acting_depts: string[];
  steps: string[];
  open_steps: number;
}

export function supervisionRouter(deps: ApiDeps): Router {
  const { db, config } = deps;
  const calendars = new CalendarCache({ minCheckIntervalMs: 60_000 });
  const temporalUrl = (workflowId: string) =>
    config.TEMPORAL_UI_URL
      ? `${config.TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`
      : null;
  // The data authority's supervisors and reviewers (ACCESS_MATRIX.supervision): every department's cases.
  const supervisor = (req: Parameters<typeof authorizeSignedIn>[0]) => authorizeSignedIn(req, 'supervision');

  const casesSchema = z.object({
    items: z.array(
      z.object({
        workflowId: z.string(),
        caseNo: z.string(),
        procedure: z.string(),
        stage: z.string(),
        openSteps: z.array(z.string()),
        openStepCount: z.number(),
        actingDepts: z.array(z.string()),
        dueAt: z.string().nullable(),
        overdue: z.boolean(),
        deadlineProvisional: z.boolean(),
        temporalUrl: z.string().nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  });
  const stepsSchema = z.object({
    workflowId: z.string(),
    temporalUrl: z.string().nullable(),
    steps: z.array(
      z.object({
        taskId: z.string(),
        step: z.string(),
        status: z.string(),
        department: z.string(),
        role: z.string(),
        openedAt: z.string(),
        dueAt: z.string().nullable(),
        workingDays: z.number().nullable(),
        deadlineProvisional: z.boolean(),
        completedAt: z.string().nullable(),
        decision: z.string().nullable(),
        overdue: z.boolean(),
        workingDaysLate: z.number(),
      }),
    ),
  });
  documented({
    method: 'get',
    path: '/api/supervision/cases',
    summary:
      'Running cases with open steps across departments, overdue first then by the earliest deadline (SUPERVISOR, AUTHORITY_REVIEWER of the data authority); metadata only',
    tags: ['supervision'],
    auth: 'required',
    query: casesQuery,
    errors: ['FORBIDDEN'],
    response: casesSchema,
    responses: { 200: 'A page of cases and the cursor of the next one', 403: 'Not a supervisor' },
  });
  documented({
    method: 'get',
    path: '/api/supervision/steps',
    summary:
      "One case's steps with deadlines and working days late (SUPERVISOR, AUTHORITY_REVIEWER of the data authority); the whole answer, not paged (the steps of one procedure)",
    tags: ['supervision'],
    auth: 'required',
    query: stepsQuery,
    errors: ['FORBIDDEN', 'NOT_FOUND'],
    response: stepsSchema,
    responses: { 200: 'The steps of the case', 403: 'Not a supervisor', 404: 'No such case' },
  });

  const router = Router();

  router.get('/api/supervision/cases', async (req, res) => {
    supervisor(req);
    const q = parse(casesQuery, req.query, 'query');
    const after = decodeCursor(q.cursor);
    const rowFilters: Prisma.Sql[] = [Prisma.sql`t.status IN ('OPEN', 'CLAIMED')`];
    if (q.procedure) rowFilters.push(Prisma.sql`t.procedure = ${q.procedure}::"Procedure"`);
    const having: Prisma.Sql[] = [Prisma.sql`TRUE`];
    if (q.stage) having.push(Prisma.sql`(${q.stage} = ANY(array_agg(t.step)) OR ${q.stage} = max(a.status::text))`);
    if (q.actingDept) having.push(Prisma.sql`${q.actingDept} = ANY(array_agg(t.candidate_dept_id))`);
    if (q.overdue !== undefined) having.push(Prisma.sql`bool_or(t.overdue) = ${q.overdue}`);
    if (q.provisional !== undefined) having.push(Prisma.sql`bool_or(t.deadline_provisional) = ${q.provisional}`);
    if (q.dueBefore) having.push(Prisma.sql`min(t.due_at) < ${new Date(q.dueBefore)}`);
    // Keyset on (overdue desc, due asc nulls last, workflow id asc).
    const keyset = after
      ? Prisma.sql`WHERE (c.overdue < ${after.o})
          OR (c.overdue = ${after.o} AND ${
            after.d === null
              ? Prisma.sql`c.due_at IS NULL AND c.workflow_id > ${after.w}`
              : Prisma.sql`(c.due_at > ${new Date(after.d)} OR c.due_at IS NULL
                  OR (c.due_at = ${new Date(after.d)} AND c.workflow_id > ${after.w}))`
          })`
      : Prisma.empty;
    const rows = await db.$queryRaw<CaseRow[]>`
      SELECT * FROM (
        SELECT t.workflow_id, t.procedure::text AS procedure, max(a.status::text) AS application_status,
               min(t.due_at) AS due_at, bool_or(t.overdue) AS overdue,
               bool_or(t.deadline_provisional) AS provisional,
               array_agg(DISTINCT t.candidate_dept_id ORDER BY t.candidate_dept_id) AS acting_depts,
               array_agg(DISTINCT t.step ORDER BY t.step) AS steps, count(*)::int AS open_steps
        FROM task t LEFT JOIN application a ON a.id = t.application_id
        WHERE ${Prisma.join(rowFilters, ' AND ')}
        GROUP BY t.workflow_id, t.procedure
        HAVING ${Prisma.join(having, ' AND ')}
      ) c
      ${keyset}
      ORDER BY c.overdue DESC, c.due_at ASC NULLS LAST, c.workflow_id ASC
      LIMIT ${q.limit + 1}`;
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map((r) => ({
        workflowId: r.workflow_id,
        caseNo: r.workflow_id.slice(r.workflow_id.indexOf('/') + 1),
        procedure: r.procedure,
        stage: r.application_status ?? r.steps[0],
        openSteps: r.steps,
        openStepCount: r.open_steps,
        actingDepts: r.acting_depts,
        dueAt: r.due_at,
        overdue: r.overdue,
        deadlineProvisional: r.provisional,
        temporalUrl: temporalUrl(r.workflow_id),
      })),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor({ o: last.overdue, d: last.due_at ? last.due_at.getTime() : null, w: last.workflow_id })
          : null,
    });
  });

  router.get('/api/supervision/steps', async (req, res) => {
    supervisor(req);
    const { workflowId } = parse(stepsQuery, req.query, 'query');
    const tasks = await db.task.findMany({
      where: { workflowId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: {
        id: true,
        procedure: true,
        step: true,
        status: true,
        candidateDeptId: true,
        candidateRole: true,
        createdAt: true,
        dueAt: true,
        workingDays: true,
        deadlineProvisional: true,
        overdue: true,
        completedAt: true,
        decision: true,
      },
    });
    if (tasks.length === 0)
      throw new AppError('NOT_FOUND', {
        zh: `案件 ${workflowId} 没有办理环节记录`,
        en: `No steps recorded for case ${workflowId}`,
      });
    const calendar = await calendars.get(db);
    const now = new Date();
    res.json({
      workflowId,
      temporalUrl: temporalUrl(workflowId),
      steps: tasks.map((t) => {
        const open = t.status === 'OPEN' || t.status === 'CLAIMED';
        const endedAt = open ? now : t.completedAt;
        // Working days after the step's last day (it is due at 24:00 of that day) until it was
        // handled, or until now while it is open.
        const late =
          t.dueAt && endedAt && endedAt > t.dueAt
            ? calendar.workingDaysBetween(new Date(t.dueAt.getTime() - 1), endedAt)
            : 0;
        return {
          taskId: t.id,
          step: t.step,
          status: t.status,
          department: t.candidateDeptId,
          role: t.candidateRole,
          openedAt: t.createdAt,
          dueAt: t.dueAt,
          workingDays: t.workingDays,
          deadlineProvisional: t.deadlineProvisional,
          completedAt: t.completedAt,
          decision: t.decision,
          overdue: open ? t.overdue : late > 0,
          workingDaysLate: late,
        };
      }),
    });
  });

  return router;
}
