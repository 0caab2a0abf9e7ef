/**
 * Department evaluation against a scenario with known outcomes: rows stored for a department of
 * this test only (tasks, an escalation audit row, objections, downloads) in November 2026, read
 * back over HTTP as JSON, CSV and XLSX (real Postgres; the November calendar has no holidays).
 */
import ExcelJS from 'exceljs';
import request from 'supertest';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { signedIn } from '../support/http';
import { testApp, testDb, uniqueSuffix } from '../support/env';

describe('department evaluation (Art. 6)', () => {
  let db: Db;
  let api: ReturnType<typeof testApp>;
  const http = signedIn(() => api.app);
  const dept = `eval-${uniqueSuffix()}`;
  const wf = (x: string) => `conditional-share/${dept}-${x}`;
  const taskIds: string[] = [];
  let resourceId: string;

  async function task(
    procedure: 'CONDITIONAL_SHARE' | 'OBJECTION' | 'NON_GOVERNMENT_ACCESS',
    step: string,
    workflowId: string,
    createdAt: string,
    dueAt: string | null,
    completedAt: string | null,
    status: 'OPEN' | 'DONE' | 'CANCELLED' = completedAt ? 'DONE' : 'OPEN',
  ): Promise<string> {
    const id = newId();
    taskIds.push(id);
    await db.task.create({
      data: {
        id,
        taskKey: `${workflowId}:${step}:${id}`,
        workflowId,
        procedure,
        step,
        status,
        candidateDeptId: dept,
        candidateRole: 'PROVIDER_REVIEWER',
        allowedDecisions: ['AGREE'],
        title: '评估测试',
        createdAt: new Date(createdAt),
        dueAt: dueAt ? new Date(dueAt) : null,
        completedAt: completedAt ? new Date(completedAt) : null,
      },
    });
    return id;
  }

  beforeAll(async () => {
    db = testDb();
    api = testApp(db);
    await db.department.create({ data: { id: dept, name: `评估测试局 ${dept}`, kind: 'GOVERNMENT' } });
    const catalogId = newId();
    await db.catalog.create({ data: { id: catalogId, departmentId: dept, name: '评估测试目录' } });
    resourceId = newId();
    await db.dataResource.create({
      data: {
        id: resourceId,
        code: `EVAL-${uniqueSuffix()}`,
        name: '评估测试数据',
        description: '评估测试',
        catalogId,
        providerId: dept,
        shareClass: 'UNCONDITIONAL',
        openClass: 'UNCONDITIONAL',
        updateFrequency: '每日',
      },
    });
    // Shanghai is UTC+8: 01:00Z is 09:00 the same day. November 2026 has no holidays.
    await task(
      'CONDITIONAL_SHARE',
      'PROVIDER_REPLY',
      wf('a'),
      '2026-11-02T01:00:00Z',
      '2026-11-16T16:00:00Z',
      '2026-11-05T02:00:00Z',
    ); // on time, 3 days
    const late = await task(
      'CONDITIONAL_SHARE',
      'PROVIDER_REPLY',
      wf('b'),
      '2026-11-02T01:00:00Z',
      '2026-11-09T16:00:00Z',
      '2026-11-12T02:00:00Z',
    ); // late, 8 days
    await task('CONDITIONAL_SHARE', 'AGREEMENT_CONFIRM', wf('a'), '2026-11-05T03:00:00Z', null, '2026-11-06T03:00:00Z'); // no deadline, 1 day
    await task('OBJECTION', 'CORRECTION', `objection/${dept}-c`, '2026-10-20T01:00:00Z', '2026-11-03T16:00:00Z', null); // still open, overdue
    await task(
      'NON_GOVERNMENT_ACCESS',
      'OPINION',
      `non-government-access/${dept}-d`,
      '2026-11-25T01:00:00Z',
      '2026-12-08T16:00:00Z',
      '2026-12-02T01:00:00Z',
    ); // received, handled in December
    await task(
      'CONDITIONAL_SHARE',
      'PROVIDER_REPLY',
      wf('e'),
      '2026-11-10T01:00:00Z',
      '2026-11-20T16:00:00Z',
      null,
      'CANCELLED',
    ); // withdrawn
    await task(
      'CONDITIONAL_SHARE',
      'PROVIDER_REPLY',
      wf('f'),
      '2026-10-01T01:00:00Z',
      '2026-10-15T16:00:00Z',
      '2026-10-14T01:00:00Z',
    ); // October only
    await db.auditLog.create({
      data: {
        auditKey: `task:${late}:overdue:3`,
        actor: 'system',
        action: 'TASK_ESCALATED',
        entityType: 'Task',
        entityId: late,
      },
    });
    for (const [no, receivedAt, correctedAt] of [
      ['o1', '2026-11-03T02:00:00Z', '2026-11-20T02:00:00Z'],
      ['o2', '2026-10-15T02:00:00Z', null],
    ] as const) {
      await db.objection.create({
        data: {
          id: newId(),
          objectionNo: `${dept}-${no}`,
          workflowId: `objection/${dept}-${no}`,
          resourceId,
          objectorUserId: 'test',
          kind: 'ERROR',
          facts: '评估测试',
          requestedCorrection: '评估测试',
          receivedAt: new Date(receivedAt),
          correctedAt: correctedAt ? new Date(correctedAt) : null,
          workflowStartedAt: new Date(receivedAt),
        },
      });
    }
    for (const at of ['2026-11-01T00:00:00Z', '2026-11-15T00:00:00Z', '2026-11-30T15:59:59Z', '2026-11-30T16:00:00Z'])
      await db.openDataDownload.create({
        data: { id: newId(), resourceId, requestId: newId(), downloadedAt: new Date(at) },
      });
  });

  afterAll(async () => {
    await db.openDataDownload.deleteMany({ where: { resourceId } });
    await db.objection.deleteMany({ where: { resourceId } });
    await db.task.deleteMany({ where: { id: { in: taskIds } } });
    await db.dataResource.deleteMany({ where: { providerId: dept } });
    await db.catalog.deleteMany({ where: { departmentId: dept } });
    await db.department.deleteMany({ where: { id: dept } });
    await db.$disconnect();
  });

  const expected = {
    departmentId: dept,
    period: { label: '2026-11', from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T16:00:00.000Z' },
    procedures: [
      { procedure: 'CONDITIONAL_SHARE', received: 3, handled: 2 },
      { procedure: 'NON_GOVERNMENT_ACCESS', received: 1, handled: 0 },
    ],
    steps: [
      {
        procedure: 'CONDITIONAL_SHARE',
        step: 'AGREEMENT_CONFIRM',
        handled: 1,
        onTime: 1,
        onTimeRate: 1,
        medianWorkingDays: 1,
        p90WorkingDays: 1,
      },
      {
        procedure: 'CONDITIONAL_SHARE',
        step: 'PROVIDER_REPLY',
        handled: 2,
        onTime: 1,
        onTimeRate: 0.5,
        medianWorkingDays: 3,
        p90WorkingDays: 8,
      },
    ],
    overdue: 2,
    escalated: 1,
    objectionsReceived: 1,
    objectionsCorrected: 1,
    shareRequestsAnswered: 2,
    openDataDownloads: 3,
  };

  it('computes the figures of a month from the stored rows', async () => {
    const res = await http.get('dsj.supervisor', `/api/evaluation?period=2026-11&department=${dept}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expected]);
  });

  it('exports the same figures as CSV and XLSX, and audits the export', async () => {
    const csv = await http.get('dsj.reviewer', `/api/evaluation?period=2026-11&department=${dept}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`evaluation-2026-11-${dept}.csv`);
    const lines = csv.text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('部门 department,期间 period,事项 procedure,环节 step,指标 figure,值 value');
    expect(lines).toContain(`${dept},2026-11,CONDITIONAL_SHARE,PROVIDER_REPLY,按时率 onTimeRate,0.5`);
    expect(lines).toContain(`${dept},2026-11,,,逾期环节数 overdue,2`);

    const token = await http.as('dsj.reviewer');
    const xlsx = await request(api.app)
      .get(`/api/evaluation?period=2026-11&department=${dept}&format=xlsx`)
      .auth(token, { type: 'bearer' })
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as ArrayBuffer);
    const rows = book.getWorksheet('部门评估')!.getSheetValues().filter(Boolean) as unknown[][];
    expect(rows.length).toBe(lines.length);
    expect(rows.some((r) => r[5] === '逾期环节数 overdue' && r[6] === 2)).toBe(true);

    const audit = await db.auditLog.findMany({
      where: { action: 'EVALUATION_EXPORTED', entityId: `2026-11:${dept}` },
    });
    expect(audit.map((a) => (a.details as { format: string }).format).sort()).toEqual(['csv', 'xlsx']);
  });

  it('lets a department head read only its own department', async () => {
    expect((await http.get('gaj.head', '/api/evaluation?period=2026-11')).body.items[0].departmentId).toBe('gaj');
    const other = await http.get('gaj.head', `/api/evaluation?period=2026-11&department=${dept}`);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');
  });

  it.each([
    ['a reviewer', 'gaj.reviewer', '/api/evaluation?period=2026-11', 403, 'FORBIDDEN'],
    ['a citizen', 'citizen.zhang', '/api/evaluation?period=2026-11', 403, 'FORBIDDEN'],
    ['a malformed period', 'dsj.supervisor', '/api/evaluation?period=2026-13', 400, 'VALIDATION_FAILED'],
    ['an unknown department', 'dsj.supervisor', '/api/evaluation?period=2026&department=nope', 404, 'NOT_FOUND'],
    ['an unknown format', 'dsj.supervisor', '/api/evaluation?period=2026&format=pdf', 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_what, login, url, status, code) => {
    const res = await http.get(login, url);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });
});
