/**
 * The procedure policy's calendar switch reaches every deadline: with countMakeupWorkdays = false
 * (a policy version, as an operator would set it) a 调休 makeup Saturday is not a working day for
 * a first deadline, a forward counted from receipt, and a deadline resumed after 补正.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chineseWorkdayYears, shanghaiDate, WorkingCalendar } from '../../domain/calendar';
import type { CalendarYear } from '../../domain/calendar';
import type { Db } from '../../lib/db';
import { conditionalShareWorkflow } from '../../workflows/conditional-share';
import { objectionWorkflow } from '../../workflows/objection';
import { eventually, uniqueSuffix } from '../support/env';
import { objectionRow, testResource } from '../support/objections';
import { ProcedureHarness, procedureSuite } from '../support/procedures';

describe('calendar policy countMakeupWorkdays = false on the time-skipping server with real activities', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  let policyId: string;
  beforeEach(async () => {
    ({ env, db, h } = suite);
    policyId = `test-no-makeup-${uniqueSuffix()}`;
    await db.policyVersion.create({
      data: {
        id: policyId,
        effectiveFrom: new Date('2020-01-01T00:00:00Z'),
        description: 'test: makeup workdays do not count',
        values: { countMakeupWorkdays: false },
      },
    });
  });
  afterEach(async () => {
    await db.policyVersion.deleteMany({ where: { id: policyId } });
  });

  it('an objection filed on Fri 13 Feb 2026, the eve of 春节: the mark and the forward skip the makeup Saturday 14 Feb', async () => {
    // 2026 notice: 春节 Sun 15 – Mon 23 Feb off, makeup workdays Sat 14 and Sat 28 Feb. Counting
    // makeup days the mark would be due at the end of Sat 14 Feb and the forward Tue 24 Feb.
    const receivedAtMs = Date.parse('2026-02-13T02:00:00Z');
    const { input, workflowId } = await objectionRow(db, {
      resource: await testResource(db, 'rsj'),
      objectorLogin: 'citizen.zhang',
      receivedAtMs,
    });
    suite.track(
      await env.client.workflow.start(objectionWorkflow, { workflowId, taskQueue: h.taskQueue, args: [input] }),
    );

    const mark = await h.openTask(workflowId, 'MARK_DISPUTED', 'dsj');
    expect(mark.dueAt!.toISOString()).toBe('2026-02-24T16:00:00.000Z');
    await h.decide(workflowId, 'MARK_DISPUTED', 'dsj.reviewer', 'MARK');
    const forward = await h.openTask(workflowId, 'DETERMINE_SCOPE', 'dsj');
    expect(forward.dueAt!.toISOString()).toBe('2026-02-25T16:00:00.000Z');
    expect(h.calendar.deadline(new Date(receivedAtMs), 2).deadlineAt.toISOString()).toBe('2026-02-24T16:00:00.000Z');
  });

  it('a conditional share: the first deadline and the one resumed after 补正 skip a makeup Saturday', async () => {
    // A makeup Saturday in the coming week, on whatever day the test runs.
    const nowMs = await env.currentTimeMs();
    let saturday = shanghaiDate(new Date(nowMs + 86_400_000));
    for (let d = 1; new Date(`${saturday}T12:00:00+08:00`).getUTCDay() !== 6; d++)
      saturday = shanghaiDate(new Date(nowMs + (1 + d) * 86_400_000));
    const year = Number(saturday.slice(0, 4));
    const official = chineseWorkdayYears({ applyKnownCorrections: true });
    const base: CalendarYear = official.find((y) => y.year === year) ?? {
      year,
      status: 'PROVISIONAL',
      source: 'test',
      holidays: [],
      makeupWorkdays: [],
    };
    const withMakeup = [
      ...official.filter((y) => y.year !== year),
      { ...base, makeupWorkdays: [...base.makeupWorkdays, { date: saturday, name: '测试调休' }] },
    ];
    h.calendar = new WorkingCalendar(withMakeup);
    h.noMakeupCalendar = new WorkingCalendar(withMakeup, { countMakeupWorkdays: false });

    const app = await h.application('CONDITIONAL_SHARE', 'rsj', ['GAJ-001']);
    suite.track(
      await env.client.workflow.start(conditionalShareWorkflow, {
        workflowId: app.workflowId,
        taskQueue: h.taskQueue,
        args: [
          {
            applicationId: app.id,
            applicationNo: app.applicationNo,
            applicantDeptId: 'rsj',
            authorityDeptId: 'dsj',
            providerDeptIds: app.providerDeptIds,
            usePeriodDays: 30,
          },
        ],
      }),
    );
    const first = await h.openTask(app.workflowId, 'PROVIDER_REPLY', 'gaj');
    expect(first.dueAt!.getTime()).toBe(h.noMakeupCalendar.deadline(first.createdAt, 10).deadlineAt.getTime());
    expect(first.dueAt!.getTime()).not.toBe(h.calendar.deadline(first.createdAt, 10).deadlineAt.getTime());

    // 补正 over the makeup Saturday: the pause counts working days under the same policy.
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'REQUEST_SUPPLEMENT', {
      reasons: '请补充依据文件',
    });
    await h.openTask(app.workflowId, 'SUPPLEMENT', 'rsj');
    await env.sleep('8 days');
    await h.decide(app.workflowId, 'SUPPLEMENT', 'rsj.staff', 'SUPPLEMENT', { comment: '已补正' });
    const resumed = await eventually(async () => {
      const t = await db.task.findUniqueOrThrow({ where: { id: first.id } });
      return t.pausedAt === null && t.pausedWorkingDays > 0 && t;
    }, 'the provider task to resume');
    expect(resumed.dueAt!.getTime()).toBe(
      h.noMakeupCalendar.deadline(first.createdAt, 10 + resumed.pausedWorkingDays).deadlineAt.getTime(),
    );
    // The pause began right after the task was opened and ended now; the makeup Saturday lies inside.
    const resumedAt = new Date(await env.currentTimeMs());
    expect(resumed.pausedWorkingDays).toBe(h.noMakeupCalendar.workingDaysBetween(first.createdAt, resumedAt));
    expect(h.calendar.workingDaysBetween(first.createdAt, resumedAt)).toBe(resumed.pausedWorkingDays + 1);
  });
});
