/**
 * Supervision over HTTP (real Postgres, Temporal dev server and worker): cases across
 * departments most urgent first, filters, paging, steps with working days late, metadata only.
 * Cases are made overdue by data (their task rows), not by waiting.
 */
import type { Db } from '../../lib/db';
import { signedIn } from '../support/http';
import { eventually, testApp, testDb, uniqueSuffix } from '../support/env';
import { startTestWorker, TestWorker } from '../support/worker';

describe('supervision API', () => {
  let db: Db;
  let worker: TestWorker;
  let api: ReturnType<typeof testApp>;
  const http = signedIn(() => api.app);
  const cases: string[] = [];

  async function submit(login: string, resource: string): Promise<{ no: string; taskId: string }> {
    const res = await http.post(login, '/api/applications', {
      idempotencyKey: `sup-${uniqueSuffix()}`,
      resourceCodes: [resource],
      purpose: '核验社会保险待遇领取人员户籍状态',
      legalDuty: '《社会保险法》第八十一条',
      fieldsRequested: ['姓名'],
      usePeriodDays: 30,
      accessMode: 'INTERFACE',
    });
    expect(res.status).toBe(201);
    const no: string = res.body.applicationNo;
    cases.push(no);
    const task = await eventually(
      () => db.task.findFirst({ where: { application: { applicationNo: no }, step: 'PROVIDER_REPLY' } }),
      `the provider task of ${no}`,
    );
    return { no, taskId: task.id };
  }

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    api = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue, TEMPORAL_UI_URL: 'http://ui.example:8233' });
  });
  afterAll(async () => {
    for (const no of cases) await http.post('rsj.staff', `/api/applications/${no}/withdraw`, {});
    await worker?.stop();
    await db?.$disconnect();
  });

  it('lists overdue cases first, by the earliest deadline, with filters and stable paging; metadata only', async () => {
    const a = await submit('rsj.staff', 'GAJ-001');
    const b = await submit('rsj.staff', 'ZRZY-002');
    const c = await submit('rsj.staff', 'GAJ-002');
    // Made overdue by data, deadlines far in the past so only these three match dueBefore.
    await db.task.update({ where: { id: a.taskId }, data: { dueAt: new Date('2001-01-10T16:00:00Z'), overdue: true } });
    await db.task.update({ where: { id: b.taskId }, data: { dueAt: new Date('2001-01-05T16:00:00Z'), overdue: true } });
    await db.task.update({
      where: { id: c.taskId },
      data: { dueAt: new Date('2001-01-20T16:00:00Z'), overdue: false },
    });

    const list = await http.get('dsj.supervisor', '/api/supervision/cases?dueBefore=2001-02-01T00:00:00Z');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { caseNo: string }) => i.caseNo)).toEqual([b.no, a.no, c.no]);
    const first = list.body.items[0];
    expect(first).toEqual({
      workflowId: `conditional-share/${b.no}`,
      caseNo: b.no,
      procedure: 'CONDITIONAL_SHARE',
      stage: 'PROVIDER_REVIEW',
      openSteps: ['PROVIDER_REPLY'],
      openStepCount: 1,
      actingDepts: ['zrzyj'],
      dueAt: '2001-01-05T16:00:00.000Z',
      overdue: true,
      deadlineProvisional: false,
      temporalUrl: `http://ui.example:8233/namespaces/default/workflows/conditional-share%2F${b.no}`,
    });

    // Filters.
    const byDept = await http.get(
      'dsj.reviewer',
      '/api/supervision/cases?dueBefore=2001-02-01T00:00:00Z&actingDept=gaj&overdue=true',
    );
    expect(byDept.body.items.map((i: { caseNo: string }) => i.caseNo)).toEqual([a.no]);
    const byStage = await http.get(
      'dsj.supervisor',
      '/api/supervision/cases?dueBefore=2001-02-01T00:00:00Z&stage=PROVIDER_REPLY&procedure=CONDITIONAL_SHARE&overdue=false',
    );
    expect(byStage.body.items.map((i: { caseNo: string }) => i.caseNo)).toEqual([c.no]);

    // Paging one at a time gives the same order, each case once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await http.get(
        'dsj.supervisor',
        `/api/supervision/cases?dueBefore=2001-02-01T00:00:00Z&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: { caseNo: string }) => i.caseNo));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([b.no, a.no, c.no]);
  });

  it('gives a case’s steps with working days late, counted on the calendar', async () => {
    const { no, taskId } = await submit('rsj.staff', 'GAJ-001');
    // Due at 24:00 on Friday 2026-11-13, handled on Thursday 11-19: Mon–Thu, four working days late.
    await db.task.update({
      where: { id: taskId },
      data: {
        dueAt: new Date('2026-11-13T16:00:00Z'),
        overdue: true,
      },
    });
    const open = await http.get('dsj.supervisor', `/api/supervision/steps?workflowId=conditional-share/${no}`);
    expect(open.status).toBe(200);
    expect(open.body.steps).toHaveLength(1);
    expect(open.body.steps[0]).toMatchObject({
      step: 'PROVIDER_REPLY',
      status: 'OPEN',
      overdue: true,
      department: 'gaj',
    });
    expect(open.body.steps[0].workingDaysLate).toBeGreaterThan(4);
    expect(Object.keys(open.body.steps[0])).not.toContain('title');

    await db.task.update({
      where: { id: taskId },
      data: { status: 'DONE', completedAt: new Date('2026-11-19T02:00:00Z'), decision: 'AGREE' },
    });
    const done = await http.get('dsj.supervisor', `/api/supervision/steps?workflowId=conditional-share/${no}`);
    expect(done.body.steps[0]).toMatchObject({ status: 'DONE', overdue: true, workingDaysLate: 4 });
    await db.task.update({ where: { id: taskId }, data: { status: 'OPEN', completedAt: null, decision: null } });
  });

  it.each([
    ['a department reviewer', 'gaj.reviewer', '/api/supervision/cases', 403, 'FORBIDDEN'],
    ['a department’s staff', 'rsj.staff', '/api/supervision/steps?workflowId=conditional-share/x', 403, 'FORBIDDEN'],
    ['a citizen', 'citizen.zhang', '/api/supervision/cases', 403, 'FORBIDDEN'],
    ['an unknown case', 'dsj.supervisor', '/api/supervision/steps?workflowId=conditional-share/nope', 404, 'NOT_FOUND'],
    ['a forged cursor', 'dsj.supervisor', '/api/supervision/cases?cursor=abc', 400, 'VALIDATION_FAILED'],
    ['an unknown filter', 'dsj.supervisor', '/api/supervision/cases?colour=red', 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_what, login, url, status, code) => {
    const res = await http.get(login, url);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });
});
