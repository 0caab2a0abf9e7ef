/**
 * The inbox page as keyset SQL on the index (candidate_dept_id, candidate_role, status, due_at, id)
 * (or created_at for the created order): one small index range per role and status the reader
 * may see, each with LIMIT, merged and cut to the page. Prisma's cursor paging would read every
 * row after the cursor and its OR of statuses defeats the index; at 100,000 open tasks in a group
 * that is the difference between about a millisecond and two seconds a page.
 */
import { Prisma } from '../../generated/prisma/client';
import type { Role } from '../../generated/prisma/client';

export interface InboxFilter {
  departmentId: string;
  roles: Role[];
  userId: string;
  status: 'open' | 'claimed' | 'done';
  procedure?: string;
  step?: string;
  overdue?: boolean;
  dueBefore?: Date;
  caseNo?: string;
  sort: 'due' | 'created';
  /** The last row of the previous page: its id and sort key. */
  after?: { id: string; dueAt: Date | null; createdAt: Date };
  limit: number;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** SELECT id … of the page's rows (one more than the limit tells whether another page follows), in order. */
export function inboxPageSql(f: InboxFilter): Prisma.Sql {
  const filters: Prisma.Sql[] = [];
  if (f.procedure) filters.push(Prisma.sql`procedure = ${f.procedure}::"Procedure"`);
  if (f.step) filters.push(Prisma.sql`step = ${f.step}`);
  if (f.overdue !== undefined) filters.push(Prisma.sql`overdue = ${f.overdue}`);
  if (f.caseNo)
    filters.push(
      Prisma.sql`(application_id IN (SELECT id FROM application WHERE application_no = ${f.caseNo})
        OR workflow_id LIKE ${`%/${likeEscape(f.caseNo)}`})`,
    );
  const extra = filters.length ? Prisma.sql` AND ${Prisma.join(filters, ' AND ')}` : Prisma.empty;

  const branches: Prisma.Sql[] =
    f.status === 'open'
      ? [Prisma.sql`status = 'OPEN'`, Prisma.sql`status = 'CLAIMED' AND claimed_by_id = ${f.userId}`]
      : f.status === 'claimed'
        ? [Prisma.sql`status = 'CLAIMED' AND claimed_by_id = ${f.userId}`]
        : [Prisma.sql`status = 'DONE'`];

  const take = f.limit + 1;
  // Ranges of the sort key, each an index range: due rows then rows without a deadline (NULLS LAST).
  const ranges: Array<{ key: Prisma.Sql; order: Prisma.Sql }> = [];
  if (f.sort === 'created') {
    const key = f.after ? Prisma.sql`(created_at, id) > (${f.after.createdAt}, ${f.after.id})` : Prisma.sql`TRUE`;
    ranges.push({ key, order: Prisma.sql`created_at, id` });
  } else {
    const before = f.dueBefore ? Prisma.sql` AND due_at < ${f.dueBefore}` : Prisma.empty;
    if (!f.after || f.after.dueAt !== null) {
      const key = f.after
        ? Prisma.sql`due_at IS NOT NULL AND (due_at, id) > (${f.after.dueAt}, ${f.after.id})${before}`
        : Prisma.sql`due_at IS NOT NULL${before}`;
      ranges.push({ key, order: Prisma.sql`due_at, id` });
    }
    // Tasks without a deadline come last; a dueBefore filter excludes them.
    if (!f.dueBefore) {
      const key =
        f.after && f.after.dueAt === null
          ? Prisma.sql`due_at IS NULL AND id > ${f.after.id}`
          : Prisma.sql`due_at IS NULL`;
      ranges.push({ key, order: Prisma.sql`id` });
    }
  }
  const extraCreated = f.sort === 'created' && f.dueBefore ? Prisma.sql` AND due_at < ${f.dueBefore}` : Prisma.empty;

  const parts: Prisma.Sql[] = [];
  for (const role of [...new Set(f.roles)])
    for (const branch of branches)
      for (const r of ranges)
        parts.push(Prisma.sql`(SELECT id, due_at, created_at FROM task
          WHERE candidate_dept_id = ${f.departmentId} AND candidate_role = ${role}::"Role" AND ${branch}
            AND ${r.key}${extra}${extraCreated}
          ORDER BY ${r.order} LIMIT ${take})`);
  if (parts.length === 0) return Prisma.sql`SELECT NULL::text AS id WHERE FALSE`;
  const order = f.sort === 'created' ? Prisma.sql`created_at, id` : Prisma.sql`due_at ASC NULLS LAST, id`;
  return Prisma.sql`SELECT id FROM (${Prisma.join(parts, ' UNION ALL ')}) page ORDER BY ${order} LIMIT ${take}`;
}
