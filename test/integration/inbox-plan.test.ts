/**
 * The inbox page stays an index range however large the group (issue 14 point 2): with 30,000
 * tasks in one reviewer group, the first page and a deep page read about a page of rows from the
 * task index, never the table, and stop at LIMIT. Postgres's own plan and row counts (EXPLAIN
 * ANALYZE), not times: the bench measures those.
 */
import { Prisma } from '../../generated/prisma/client';
import { inboxPageSql, type InboxFilter } from '../../api/kit/inbox-query';
import { createDb, type Db } from '../../lib/db';
import { uniqueSuffix } from '../support/env';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

const flatten = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(flatten)];

const TASKS = 30_000;
const LIMIT = 20;

describe('inbox page plan at 30,000 tasks in the group (Postgres EXPLAIN ANALYZE)', () => {
  let db: Db;
  const prefix = `plan-${uniqueSuffix()}`;
  const group: Pick<InboxFilter, 'departmentId' | 'roles' | 'userId' | 'status' | 'sort' | 'limit'> = {
    departmentId: 'zrzyj',
    roles: ['PROVIDER_REVIEWER'],
    userId: 'u-zrzyj.reviewer',
    status: 'open',
    sort: 'due',
    limit: LIMIT,
  };

  beforeAll(async () => {
    // As the schema owner: the app role may write tasks but not ANALYZE the table.
    db = createDb(process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL!);
    await db.$executeRaw`
      INSERT INTO task (id, task_key, workflow_id, procedure, step, status, candidate_dept_id, candidate_role,
        allowed_decisions, title, due_at, created_at)
      SELECT gen_random_uuid()::text, ${prefix} || ':' || g, ${prefix} || '/' || g, 'CONDITIONAL_SHARE'::"Procedure",
        'PROVIDER_REPLY', (CASE WHEN g % 10 = 0 THEN 'DONE' ELSE 'OPEN' END)::"TaskStatus", 'zrzyj',
        'PROVIDER_REVIEWER'::"Role", ARRAY['AGREE','REFUSE'], '计划测试任务 ' || g,
        now() + (g % 9973) * interval '1 minute', now()
      FROM generate_series(1, ${TASKS}::int) AS g`;
    await db.$executeRawUnsafe('ANALYZE task');
  }, 120_000);

  afterAll(async () => {
    if (!db) return;
    await db.$executeRaw`DELETE FROM task WHERE workflow_id LIKE ${`${prefix}/%`}`;
    await db.$disconnect();
  });

  async function plan(sql: Prisma.Sql): Promise<{ nodes: PlanNode[]; rows: number }> {
    const [row] = await db.$queryRaw<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>`
      EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`;
    const root = row['QUERY PLAN'][0].Plan;
    return { nodes: flatten(root), rows: root['Actual Rows'] };
  }

  function expectIndexRanges(nodes: PlanNode[]) {
    const onTask = nodes.filter((n) => n['Relation Name'] === 'task');
    expect(onTask.length).toBeGreaterThan(0);
    // Every read of the table goes through an index (a bitmap one the planner may pick for a range
    // it expects empty), and none reads the whole group.
    for (const n of onTask) expect(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']).toContain(n['Node Type']);
    expect(nodes.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'task')).toBe(false);
    // Each index range of the page (open, and claimed by the reader) stops at LIMIT + 1 rows.
    const read = onTask.reduce((sum, n) => sum + n['Actual Rows'] * n['Actual Loops'], 0);
    expect(read).toBeLessThanOrEqual(onTask.length * (LIMIT + 1));
  }

  it('the first page: index ranges cut at LIMIT, 21 rows out of 27,000 open ones', async () => {
    const { nodes, rows } = await plan(inboxPageSql(group));
    expect(rows).toBe(LIMIT + 1);
    expectIndexRanges(nodes);
  });

  it('a page half-way down the due order reads no more than the first one', async () => {
    const [middle] = await db.$queryRaw<Array<{ id: string; due_at: Date; created_at: Date }>>`
      SELECT id, due_at, created_at FROM task
      WHERE candidate_dept_id = 'zrzyj' AND candidate_role = 'PROVIDER_REVIEWER' AND status = 'OPEN'
        AND due_at IS NOT NULL
      ORDER BY due_at, id OFFSET ${Math.floor(TASKS * 0.45)} LIMIT 1`;
    const { nodes, rows } = await plan(
      inboxPageSql({ ...group, after: { id: middle.id, dueAt: middle.due_at, createdAt: middle.created_at } }),
    );
    expect(rows).toBe(LIMIT + 1);
    expectIndexRanges(nodes);
  });
});
