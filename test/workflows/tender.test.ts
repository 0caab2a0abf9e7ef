import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { chineseWorkdayYears, deriveProvisionalYear, shanghaiDate, WorkingCalendar } from '../../domain/calendar';
import type { Db } from '../../lib/db';
import type { ProcedurePolicy } from '../../domain/policy';
import { calendarChangedSignal, completeTaskUpdate } from '../../workflows/messages';
import {
  amendTenderUpdate,
  announceTenderUpdate,
  confirmAwardUpdate,
  openTenderCommentUpdate,
  raiseTenderObjectionUpdate,
  submitUseReportUpdate,
  withdrawBidUpdate,
} from '../../workflows/tender-messages';
import { commercialTenderWorkflow, TenderInput } from '../../workflows/tender';
import { eventually, uniqueSuffix } from '../support/env';
import { ProcedureHarness, procedureSuite, recordHistory, rejection, settled } from '../support/procedures';
import {
  BIDDERS,
  decideTask,
  draftTender,
  openTaskFor,
  publicActor,
  scoreAll,
  staffActor,
  submitBid,
  workerUnderPolicy,
} from '../support/tenders';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The policy's default comment period on the implementation plan is "10 working days". */
const COMMENT_WORKING_DAYS = 10;

describe('commercial tender (Art. 27 ¶3) on the time-skipping server with real activities', () => {
  // Report workflows are running children of the follow-up: the suite finds and ends them.
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  async function start(input: TenderInput, taskQueue = h.taskQueue) {
    const handle = await env.client.workflow.start(commercialTenderWorkflow, {
      workflowId: `commercial-tender/${input.tenderNo}`,
      taskQueue,
      args: [input],
    });
    suite.trackId(handle.workflowId);
    // Updates go to a workflow that has finished its first task (a precaution: the hangs once blamed on
    // early Updates were the clock lock of terminated busy workflows, see endQuietly).
    await settled(env.client, handle.workflowId);
    return handle;
  }

  const tenderRow = (id: string) => db.tender.findUniqueOrThrow({ where: { id } });
  const statusBecomes = (id: string, status: string) =>
    eventually(async () => (await tenderRow(id)).status === status, `tender status ${status}`);
  const bidOf = async (tenderId: string, login: string) => {
    const u = await db.user.findUniqueOrThrow({ where: { login } });
    return db.bid.findUniqueOrThrow({ where: { tenderId_bidderId: { tenderId, bidderId: u.publicApplicantId! } } });
  };
  const mailsTo = (template: string, email: string, tenderNo: string) =>
    db.notification.findMany({ where: { template, recipient: email, data: { path: ['tenderNo'], equals: tenderNo } } });

  /**
   * Announce, three sealed bids, opening at the deadline, scoring: the tender is in publicity.
   * `pause` runs in the bid window and again once the scoring tasks are open (e.g. a worker restart);
   * `beforeScoring` once they are open.
   */
  async function throughEvaluation(
    t: Awaited<ReturnType<typeof draftTender>>,
    opts: { pause?: () => Promise<void>; beforeScoring?: () => Promise<void>; taskQueue?: string } = {},
  ) {
    const pause = opts.pause ?? (async () => {});
    const handle = await start(t.input, opts.taskQueue);
    await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: await staffActor(db, 'dsj.reviewer') }] });
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000);
    await pause();
    await env.sleep('21 days');
    await statusBecomes(t.id, 'EVALUATION');
    await eventually(
      async () => (await db.task.count({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS' } })) === 5,
      'five scoring tasks',
    );
    await pause();
    await opts.beforeScoring?.();
    await scoreAll(db, env.client, t, { [BIDDERS.hengxin]: 90, [BIDDERS.huarui]: 80, [BIDDERS.zhiyun]: 70 });
    await statusBecomes(t.id, 'PUBLICITY');
    return handle;
  }

  /**
   * Skips to noon (Shanghai) of the next Thursday followed by an ordinary Friday and weekend, and
   * returns the calendars after an operator loaded a notice that makes that Saturday a 调休上班日:
   * counting it, and the same data under a policy that does not count makeup workdays. Any working-
   * day period from that Thursday then ends a working day earlier when the Saturday counts.
   */
  async function makeupSaturdayAhead() {
    const official = chineseWorkdayYears({ applyKnownCorrections: true });
    const officialCalendar = new WorkingCalendar(official);
    const kind = (ms: number) => officialCalendar.dayKind(shanghaiDate(new Date(ms))).kind;
    const nowMs = await env.currentTimeMs();
    // 12:00 in Shanghai is 04:00 UTC of the same date, so the UTC weekday is Shanghai's.
    let fromMs = (Math.floor((nowMs + 8 * HOUR) / DAY) + 1) * DAY - 8 * HOUR + 12 * HOUR;
    while (
      new Date(fromMs).getUTCDay() !== 4 ||
      kind(fromMs + DAY) !== 'WORKDAY' ||
      kind(fromMs + 2 * DAY) !== 'WEEKEND'
    )
      fromMs += DAY;
    await env.sleep(fromMs - nowMs);
    const saturday = shanghaiDate(new Date(fromMs + 2 * DAY));
    const year = Number(saturday.slice(0, 4));
    const base = official.find((y) => y.year === year) ?? deriveProvisionalYear(year);
    const years = [
      ...official.filter((y) => y.year !== year),
      { ...base, makeupWorkdays: [...base.makeupWorkdays, { date: saturday, name: '测试调休上班日' }] },
    ];
    return {
      fromMs,
      year,
      withMakeup: new WorkingCalendar(years),
      withMakeupNotCounted: new WorkingCalendar(years, { countMakeupWorkdays: false }),
    };
  }

  it('awards a tender: sealed bids (one replaced) opened at the deadline, committee scoring, publicity, agreement, registration; then two report periods, one report late', async () => {
    const t = await draftTender(db, { termMonths: 12 });
    const handle = await start(t.input);
    const authority = await staffActor(db, 'dsj.reviewer');

    // The bid window is at least 20 days (policy); the default deadline is exactly that.
    const now = await env.currentTimeMs();
    expect(
      await rejection(
        handle.executeUpdate(announceTenderUpdate, { args: [{ actor: authority, bidDeadlineMs: now + 5 * DAY }] }),
      ),
    ).toBe('BID_WINDOW_TOO_SHORT');
    expect(
      await rejection(
        handle.executeUpdate(announceTenderUpdate, { args: [{ actor: await staffActor(db, 'gaj.reviewer') }] }),
      ),
    ).toBe('FORBIDDEN');
    const { bidDeadlineMs } = await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: authority }] });
    expect(bidDeadlineMs - now).toBeGreaterThanOrEqual(20 * DAY);
    expect((await tenderRow(t.id)).status).toBe('ANNOUNCED');

    await submitBid(db, env.client, t, BIDDERS.hengxin, 320000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000);
    const replaced = await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    expect(replaced.version).toBe(2);
    // 招标投标法 Art. 29: zhiyun withdraws and bids again before the deadline.
    const zhiyunActor = await publicActor(db, BIDDERS.zhiyun);
    const zhiyunFirst = await bidOf(t.id, BIDDERS.zhiyun);
    await handle.executeUpdate(withdrawBidUpdate, {
      args: [{ actor: zhiyunActor, submissionId: zhiyunFirst.submissionId! }],
    });
    expect((await bidOf(t.id, BIDDERS.zhiyun)).status).toBe('WITHDRAWN');
    expect((await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000)).version).toBe(2);
    // 实施条例 Art. 22: an objection to the documents in the bid window, answered in the authority's inbox.
    const docObjection = `doc-${uniqueSuffix()}`;
    const raised = await handle.executeUpdate(raiseTenderObjectionUpdate, {
      args: [{ actor: zhiyunActor, objectionId: docObjection, content: '评分标准中价格权重过低' }],
    });
    expect(raised.kind).toBe('DOCUMENTS');
    await decideTask(db, env.client, t.workflowId, 'ANSWER_OBJECTION', 'dsj.reviewer', 'DISMISS', {
      reasons: '价格权重符合实施方案',
      subjectRef: docObjection,
    });
    expect(await db.bid.count({ where: { tenderId: t.id } })).toBe(3);
    expect(Number((await bidOf(t.id, BIDDERS.hengxin)).price)).toBe(300000);
    expect(
      (await db.bid.findMany({ where: { tenderId: t.id } })).every((b) => b.status === 'SUBMITTED' && b.score === null),
    ).toBe(true);

    // Opening by the durable timer at the deadline; a late bid is refused by the workflow.
    await env.sleep('21 days');
    await statusBecomes(t.id, 'EVALUATION');
    expect((await tenderRow(t.id)).openedAt).not.toBeNull();
    expect(await rejection(submitBid(db, env.client, t, BIDDERS.zhiyun, 100000))).toBe('BID_DEADLINE_PASSED');
    expect((await db.bid.findMany({ where: { tenderId: t.id } })).map((b) => b.status)).toEqual([
      'VALID',
      'VALID',
      'VALID',
    ]);

    // Each committee member scores every valid bid in an inbox task addressed to that member alone.
    const tasks = await eventually(async () => {
      const rows = await db.task.findMany({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS' } });
      return rows.length === 5 && rows;
    }, 'five scoring tasks');
    expect(tasks.map((x) => x.subjectRef).sort()).toEqual([1, 2, 3, 4, 5].map((n) => `u-dsj.evaluator${n}`));
    const task1 = tasks.find((x) => x.subjectRef === 'u-dsj.evaluator1')!;
    const sendAs = async (login: string, payload: Record<string, unknown>) =>
      rejection(
        handle.executeUpdate(completeTaskUpdate, {
          args: [{ taskId: task1.id, decision: 'SUBMIT_SCORES', payload, actor: await staffActor(db, login) }],
        }),
      );
    expect(await sendAs('dsj.evaluator2', { scores: [] })).toBe('FORBIDDEN');
    expect(await sendAs('dsj.evaluator1', { scores: [{ bidId: 'x', criterion: 'plan', score: 50 }] })).toBe(
      'VALIDATION_FAILED',
    );
    await scoreAll(db, env.client, t, { [BIDDERS.hengxin]: 90, [BIDDERS.huarui]: 80, [BIDDERS.zhiyun]: 70 });

    // Ranking: hengxin 36+36+18.667, huarui 32+32+20, zhiyun 28+28+17.5.
    await statusBecomes(t.id, 'PUBLICITY');
    const winnerBid = await bidOf(t.id, BIDDERS.hengxin);
    expect(winnerBid.rank).toBe(1);
    expect(Number(winnerBid.score)).toBeCloseTo(90.667, 3);
    expect((await bidOf(t.id, BIDDERS.huarui)).rank).toBe(2);
    expect((await tenderRow(t.id)).proposedBidId).toBe(winnerBid.id);
    expect(await mailsTo('tender-publicity', 'bid@zhiyun.liaocheng.example', t.tenderNo)).toHaveLength(1);

    // After publicity (3 working days; 14 calendar days cover it even across a holiday week) without objections: award; the winner confirms through the API, the authority in its inbox.
    await env.sleep('14 days');
    await statusBecomes(t.id, 'AWARDED');
    expect(
      await rejection(
        handle.executeUpdate(confirmAwardUpdate, { args: [{ actor: await publicActor(db, BIDDERS.huarui) }] }),
      ),
    ).toBe('FORBIDDEN');
    await handle.executeUpdate(confirmAwardUpdate, { args: [{ actor: await publicActor(db, BIDDERS.hengxin) }] });
    await decideTask(db, env.client, t.workflowId, 'AGREEMENT_CONFIRM', 'dsj.reviewer', 'CONFIRM');
    const result = await handle.result();
    expect(result.outcome).toBe('AWARDED');
    suite.trackId(result.followUpWorkflowId!);
    await recordHistory('tender-awarded', handle);

    const auth = await db.authorization.findUniqueOrThrow({ where: { id: result.authorizationId } });
    expect(auth).toMatchObject({ status: 'ACTIVE', operatorId: 'pa-hengxin', tenderId: t.id, scope: t.scope });
    expect(auth.resourceIds.sort()).toEqual([...t.resourceIds].sort());
    expect(Number(auth.feeCap)).toBe(500000);
    expect((await db.agreement.findFirstOrThrow({ where: { authorizationId: auth.id } })).status).toBe('CONFIRMED');
    expect(await mailsTo('tender-award', 'bid@hengxin.liaocheng.example', t.tenderNo)).toHaveLength(1);
    expect(await mailsTo('tender-result', 'bid@huarui.liaocheng.example', t.tenderNo)).toHaveLength(1);
    expect(await mailsTo('tender-result', 'bid@zhiyun.liaocheng.example', t.tenderNo)).toHaveLength(1);
    expect(await mailsTo('tender-result', 'bid@hengxin.liaocheng.example', t.tenderNo)).toHaveLength(0);

    // Follow-up: the first periodic report on time, the second late (reminded while overdue).
    const operator = await publicActor(db, BIDDERS.hengxin);
    const report = (n: number) =>
      eventually(
        () =>
          db.authorizationReport.findFirst({
            where: { authorizationId: auth.id, kind: 'PERIODIC', periodNo: n, status: { not: 'SCHEDULED' } },
          }),
        `periodic report ${n} to open`,
      );
    await env.sleep('93 days');
    const r1 = await report(1);
    expect(r1.status).toBe('DUE');
    const filed1 = await env.client.workflow.getHandle(r1.workflowId!).executeUpdate(submitUseReportUpdate, {
      args: [{ actor: operator, summary: '第一季度：服务金融机构 12 家，未发生安全事件' }],
    });
    expect(filed1.late).toBe(false);
    await decideTask(db, env.client, r1.workflowId!, 'REVIEW_USE_REPORT', 'dsj.reviewer', 'ACCEPT');

    await env.sleep('92 days');
    const r2 = await report(2);
    await env.sleep('30 days');
    await eventually(
      async () => (await db.authorizationReport.findUniqueOrThrow({ where: { id: r2.id } })).status === 'OVERDUE',
      'report 2 overdue',
    );
    const reminders = await db.notification.findMany({
      where: { dedupeKey: { startsWith: `authorization-report:${r2.id}:overdue:` } },
    });
    expect(reminders.map((n) => n.recipient)).toEqual(
      expect.arrayContaining(['bid@hengxin.liaocheng.example', 'dsj.reviewer@liaocheng.example']),
    );
    const filed2 = await env.client.workflow
      .getHandle(r2.workflowId!)
      .executeUpdate(submitUseReportUpdate, { args: [{ actor: operator, summary: '第二季度：新增产品 1 项' }] });
    expect(filed2.late).toBe(true);
    await decideTask(db, env.client, r2.workflowId!, 'REVIEW_USE_REPORT', 'dsj.reviewer', 'ACCEPT');
    await eventually(
      async () => (await db.authorizationReport.findUniqueOrThrow({ where: { id: r2.id } })).status === 'ACCEPTED',
      'report 2 accepted',
    );

    const periodic = await db.authorizationReport.findMany({
      where: { authorizationId: auth.id, kind: 'PERIODIC', periodNo: { in: [1, 2] } },
      orderBy: { periodNo: 'asc' },
    });
    expect(periodic.map((r) => [r.status, r.late])).toEqual([
      ['ACCEPTED', false],
      ['ACCEPTED', true],
    ]);
    expect(await db.useReport.count({ where: { authorizationId: auth.id, period: { in: ['P1', 'P2'] } } })).toBe(2);
    expect((await db.authorization.findUniqueOrThrow({ where: { id: auth.id } })).status).toBe('ACTIVE');
  });

  it('survives worker restarts during the bid window and during scoring', async () => {
    await h.restartWorker([]);
    const t = await draftTender(db);
    await throughEvaluation(t, { pause: () => h.restartWorker([t.workflowId]) });
    expect((await bidOf(t.id, BIDDERS.hengxin)).rank).toBe(1);
    expect(await db.bid.count({ where: { tenderId: t.id } })).toBe(3);
    // Five members, three bids, two scored criteria each: every score recorded once.
    expect(await db.bidScore.count({ where: { bid: { tenderId: t.id } } })).toBe(30);
    expect(await db.task.count({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS', status: 'DONE' } })).toBe(5);
  });

  it('fails with two valid bids: everyone is told, and the authority re-runs it as a new round linked to the old one', async () => {
    const t = await draftTender(db);
    const handle = await start(t.input);
    await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: await staffActor(db, 'dsj.reviewer') }] });
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await env.sleep('21 days');
    await statusBecomes(t.id, 'FAILED');
    expect((await tenderRow(t.id)).outcomeReasons).toContain('少于 3 家');
    for (const email of [
      'bid@hengxin.liaocheng.example',
      'bid@huarui.liaocheng.example',
      'dsj.reviewer@liaocheng.example',
    ]) {
      expect(await mailsTo('tender-failed', email, t.tenderNo)).toHaveLength(1);
    }
    expect(await db.task.count({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS' } })).toBe(0);

    await decideTask(db, env.client, t.workflowId, 'RERUN_DECISION', 'dsj.reviewer', 'RERUN');
    const result = await handle.result();
    expect(result.outcome).toBe('FAILED');
    suite.trackId(result.nextRoundWorkflowId!);
    const round2 = await db.tender.findFirstOrThrow({
      where: { previousTenderId: t.id },
      include: { evaluators: true },
    });
    expect(round2).toMatchObject({
      round: 2,
      status: 'DRAFT',
      tenderNo: `${t.tenderNo}-R2`,
      workflowId: result.nextRoundWorkflowId,
      scope: t.scope,
    });
    expect(round2.evaluators).toHaveLength(5);

    // The new round is a tender of its own: announced, three bids, opened into evaluation.
    const next = env.client.workflow.getHandle(round2.workflowId);
    await settled(env.client, round2.workflowId);
    await next.executeUpdate(announceTenderUpdate, { args: [{ actor: await staffActor(db, 'dsj.admin') }] });
    await submitBid(db, env.client, round2, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, round2, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, round2, BIDDERS.zhiyun, 320000);
    await env.sleep('21 days');
    await statusBecomes(round2.id, 'EVALUATION');
    await openTaskFor(db, round2.workflowId, 'SCORE_BIDS');
  });

  it('a change to the announcement extends the bid window; a bid that misses the eligibility conditions is invalid at opening', async () => {
    const t = await draftTender(db);
    const handle = await start(t.input);
    const authority = await staffActor(db, 'dsj.reviewer');
    const { bidDeadlineMs } = await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: authority }] });
    await env.sleep('10 days');
    const amended = await handle.executeUpdate(amendTenderUpdate, {
      args: [
        {
          actor: authority,
          reason: '补充资格条件',
          changes: { eligibilityOther: ['依法设立的企业法人', '近三年无数据安全事故'] },
        },
      ],
    });
    // 15 days must remain after a change: the deadline moved from 10 to at least 15 days away.
    expect(amended.bidDeadlineMs).toBeGreaterThan(bidDeadlineMs);
    expect(amended.bidDeadlineMs - (await env.currentTimeMs())).toBeGreaterThanOrEqual(15 * DAY - 60_000);
    expect((await tenderRow(t.id)).announcementVersion).toBe(2);
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000, { securityCapability: false });
    await env.sleep('12 days');
    // Past the original deadline, still within the extended one: bids are still accepted.
    expect(await rejection(submitBid(db, env.client, t, BIDDERS.huarui, 270000))).toBeUndefined();
    expect((await tenderRow(t.id)).status).toBe('ANNOUNCED');
    await env.sleep('5 days');
    await statusBecomes(t.id, 'FAILED');
    const zhiyun = await bidOf(t.id, BIDDERS.zhiyun);
    expect(zhiyun.status).toBe('INVALID');
    expect(zhiyun.invalidReason).toContain('数据安全保障能力');
  });

  it('an evaluator affiliated with a bidder stands aside at opening; the authority appoints a replacement before scoring, so the committee stays odd (招标投标法 Art. 37)', async () => {
    const login = `dsj.evaluator-${uniqueSuffix()}`;
    await db.user.create({
      data: {
        id: `u-${login}`,
        login,
        displayName: '评审专家（替补）',
        email: `${login}@liaocheng.example`,
        accountType: 'STAFF',
        roles: ['EVALUATOR'],
        departmentId: 'dsj',
      },
    });
    // Seven members, one recused: six are still "at least five", but an even committee is topped up to seven.
    const others = [1, 2, 4, 5, 6, 7].map((n) => `dsj.evaluator${n}`);
    const t = await draftTender(db, {
      evaluators: [
        ...others.map((l) => ({ login: l })),
        { login: 'dsj.evaluator3', declaredAffiliations: ['91371500MA3C00002M'] },
      ],
    });
    const handle = await start(t.input);
    await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: await staffActor(db, 'dsj.reviewer') }] });
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000);
    await env.sleep('21 days');
    await statusBecomes(t.id, 'EVALUATION');
    const member = await db.tenderEvaluator.findUniqueOrThrow({
      where: { tenderId_userId: { tenderId: t.id, userId: 'u-dsj.evaluator3' } },
    });
    expect(member.recused).toBe(true);
    expect(member.recusalReason).toContain('pa-huarui');

    const appoint = await openTaskFor(db, t.workflowId, 'APPOINT_EVALUATORS');
    expect(appoint.title).toContain('尚缺 1 人');
    await decideTask(db, env.client, t.workflowId, 'APPOINT_EVALUATORS', 'dsj.reviewer', 'APPOINT', {
      payload: { evaluators: [{ userId: `u-${login}`, declaredAffiliations: [] }] },
    });
    const scoring = await eventually(async () => {
      const rows = await db.task.findMany({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS' } });
      return rows.length === 7 && rows;
    }, 'seven scoring tasks');
    expect(scoring.map((x) => x.subjectRef).sort()).toEqual([...others, login].map((l) => `u-${l}`).sort());
    await scoreAll(db, env.client, t, { [BIDDERS.hengxin]: 90, [BIDDERS.huarui]: 80, [BIDDERS.zhiyun]: 70 }, [
      ...others,
      login,
    ]);
    await statusBecomes(t.id, 'PUBLICITY');
    expect(await db.bidScore.count({ where: { bid: { tenderId: t.id }, evaluatorUserId: 'u-dsj.evaluator3' } })).toBe(
      0,
    );
    // Recorded before replacements were drawn (patch tender-drawn-replacements): it must replay as it ran.
    await recordHistory('tender-appointed-replacement', handle);
  });

  it("17. a drawn committee's replacement is drawn too (实施条例 Art. 46 ¶2): the member affiliated with a bidder stands aside, a pool member who declared an affiliation with a bidder is not drawn, and no one is appointed by hand", async () => {
    const members = [1, 2, 3, 4, 5].map((n) => `dsj.evaluator${n}`);
    const t = await draftTender(db, {
      evaluators: members.map((l) => ({
        login: l,
        declaredAffiliations: l === 'dsj.evaluator3' ? ['91371500MA3C00002M'] : [],
      })),
    });
    const affiliated = ['dsj.evaluator3', 'dsj.evaluator6'];
    // The record POST /api/tenders stores for a draw (api/routes/tender.ts formCommittee).
    await db.tender.update({
      where: { id: t.id },
      data: {
        committeeDraw: {
          method: 'DRAW',
          algorithm: 'test',
          seed: 'test',
          size: 5,
          pool: [],
          excluded: [],
          drawn: members.map((l) => ({ userId: `u-${l}`, login: l })),
          affiliations: affiliated.map((l) => ({
            userId: `u-${l}`,
            login: l,
            declaredAffiliations: ['91371500MA3C00002M'],
          })),
        },
      },
    });
    const handle = await start(t.input);
    await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: await staffActor(db, 'dsj.reviewer') }] });
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000);
    await env.sleep('21 days');
    await statusBecomes(t.id, 'EVALUATION');
    const scoring = await eventually(async () => {
      const rows = await db.task.findMany({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS' } });
      return rows.length === 5 && rows;
    }, 'five scoring tasks');
    expect(await db.task.count({ where: { workflowId: t.workflowId, step: 'APPOINT_EVALUATORS' } })).toBe(0);
    const record = (await tenderRow(t.id)).committeeDraw as {
      replacements: Array<{
        round: number;
        seed: string;
        drawn: Array<{ userId: string; login: string }>;
        excluded: Array<{ userId: string; reasons: string[] }>;
      }>;
    };
    expect(record.replacements).toHaveLength(1);
    const [replacement] = record.replacements;
    expect(replacement.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(replacement.drawn).toHaveLength(1);
    const drawn = replacement.drawn[0];
    expect([...members, 'dsj.evaluator6']).not.toContain(drawn.login);
    expect(replacement.excluded.find((e) => e.userId === 'u-dsj.evaluator3')!.reasons).toEqual([
      '已回避的评标委员会成员',
      '与投标人存在关联关系：pa-huarui',
    ]);
    expect(replacement.excluded.find((e) => e.userId === 'u-dsj.evaluator6')!.reasons).toEqual([
      '与投标人存在关联关系：pa-huarui',
    ]);
    expect(replacement.excluded.find((e) => e.userId === 'u-dsj.evaluator1')!.reasons).toEqual(['已是评标委员会成员']);
    const committee = [...members.filter((l) => l !== 'dsj.evaluator3'), drawn.login];
    expect(scoring.map((x) => x.subjectRef).sort()).toEqual(committee.map((l) => `u-${l}`).sort());
    expect(await db.auditLog.count({ where: { entityId: t.id, action: 'COMMITTEE_REPLACEMENTS_DRAWN' } })).toBe(1);
    await scoreAll(db, env.client, t, { [BIDDERS.hengxin]: 90, [BIDDERS.huarui]: 80, [BIDDERS.zhiyun]: 70 }, committee);
    await statusBecomes(t.id, 'PUBLICITY');
    await recordHistory('tender-drawn-replacement', handle);
  });

  it('an objection during publicity holds the award until the authority answers; upheld, the next in rank is published instead', async () => {
    const t = await draftTender(db);
    const handle = await throughEvaluation(t);
    const first = await bidOf(t.id, BIDDERS.hengxin);
    const second = await bidOf(t.id, BIDDERS.huarui);
    expect((await tenderRow(t.id)).proposedBidId).toBe(first.id);

    const objectionId = `obj-${uniqueSuffix()}`;
    expect(
      await rejection(
        handle.executeUpdate(raiseTenderObjectionUpdate, {
          args: [{ actor: await publicActor(db, 'citizen.zhang'), objectionId: `x-${objectionId}`, content: '不服' }],
        }),
      ),
    ).toBe('FORBIDDEN');
    await handle.executeUpdate(raiseTenderObjectionUpdate, {
      args: [
        { actor: await publicActor(db, BIDDERS.huarui), objectionId, content: '中标候选人的等保测评报告已过有效期' },
      ],
    });
    await openTaskFor(db, t.workflowId, 'ANSWER_OBJECTION', objectionId);

    // The publicity period ends, but nothing is awarded while the objection is unanswered.
    await env.sleep('14 days');
    expect((await tenderRow(t.id)).status).toBe('PUBLICITY');
    expect(await db.agreement.count({ where: { agreementNo: `${t.tenderNo}-XY` } })).toBe(0);
    expect(
      await rejection(
        handle.executeUpdate(raiseTenderObjectionUpdate, {
          args: [
            { actor: await publicActor(db, BIDDERS.zhiyun), objectionId: `late-${objectionId}`, content: '迟到的异议' },
          ],
        }),
      ),
    ).toBe('PUBLICITY_CLOSED');

    await expect(
      decideTask(db, env.client, t.workflowId, 'ANSWER_OBJECTION', 'dsj.reviewer', 'UPHOLD'),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await decideTask(db, env.client, t.workflowId, 'ANSWER_OBJECTION', 'dsj.reviewer', 'UPHOLD', {
      reasons: '经核实，测评报告已过期，取消中标候选资格',
    });
    await eventually(
      async () => (await tenderRow(t.id)).proposedBidId === second.id,
      'the second-ranked bid in publicity',
    );
    expect((await db.bid.findUniqueOrThrow({ where: { id: first.id } })).status).toBe('INVALID');
    const objection = await db.tenderObjection.findUniqueOrThrow({ where: { id: objectionId } });
    expect(objection).toMatchObject({ decision: 'UPHOLD', answeredById: 'u-dsj.reviewer' });
    expect(
      await db.notification.count({
        where: { dedupeKey: `tender-objection:${objectionId}:answered:bid@huarui.liaocheng.example` },
      }),
    ).toBe(1);

    await env.sleep('14 days');
    await statusBecomes(t.id, 'AWARDED');
    expect((await tenderRow(t.id)).proposedBidId).toBe(second.id);
    expect(await mailsTo('tender-award', 'bid@huarui.liaocheng.example', t.tenderNo)).toHaveLength(1);
  });

  it('an amendment may name a lawful earlier deadline; one under 20 days from the announcement or leaving less than 15 days after the change is refused, and nothing is recorded or mailed', async () => {
    const t = await draftTender(db);
    const handle = await start(t.input);
    const authority = await staffActor(db, 'dsj.reviewer');
    const announcedAt = await env.currentTimeMs();
    await handle.executeUpdate(announceTenderUpdate, {
      args: [{ actor: authority, bidDeadlineMs: announcedAt + 30 * DAY }],
    });
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    const amend = (reason: string, bidDeadlineMs?: number) =>
      handle.executeUpdate(amendTenderUpdate, { args: [{ actor: authority, reason, changes: { bidDeadlineMs } }] });
    const amendedMails = () =>
      db.notification.findMany({
        where: { dedupeKey: { startsWith: `tender:${t.id}:amended:` } },
        orderBy: { createdAt: 'asc' },
      });

    // 18 days after the announcement: under the 20-day window (Art. 24).
    expect(await rejection(amend('提前截止', announcedAt + 18 * DAY))).toBe('BID_WINDOW_TOO_SHORT');
    expect((await tenderRow(t.id)).bidDeadline!.getTime()).toBe(announcedAt + 30 * DAY);
    expect(await amendedMails()).toHaveLength(0);
    // 22 days: lawful, applied, and the mail says the deadline moved earlier.
    expect((await amend('提前截止', announcedAt + 22 * DAY)).bidDeadlineMs).toBe(announcedAt + 22 * DAY);
    expect((await amendedMails()).map((m) => (m.data as { message: string }).message)).toEqual([
      expect.stringContaining('提前至'),
    ]);

    // Ten days later 12 days are left: a named deadline must leave 15 days after the change (Art. 23).
    await env.sleep('10 days');
    const now = await env.currentTimeMs();
    expect(await rejection(amend('再次调整', now + 14 * DAY))).toBe('BID_DEADLINE_TOO_EARLY');
    expect((await tenderRow(t.id)).bidDeadline!.getTime()).toBe(announcedAt + 22 * DAY);
    expect(await amendedMails()).toHaveLength(1);
    // Without a named deadline the change extends it (应当顺延), and says so.
    const extended = await amend('补充资格条件');
    expect(extended.bidDeadlineMs).toBeGreaterThanOrEqual(now + 15 * DAY);
    expect((await tenderRow(t.id)).bidDeadline!.getTime()).toBe(extended.bidDeadlineMs);
    const mails = await amendedMails();
    expect(mails).toHaveLength(2);
    expect((mails[1].data as { message: string }).message).toContain('延长至');
  });

  it('Updates sent at the same moment take turns: two changes to the announcement and a bid are all applied, one after the other', async () => {
    const t = await draftTender(db);
    const handle = await start(t.input);
    const authority = await staffActor(db, 'dsj.reviewer');
    const { bidDeadlineMs } = await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: authority }] });
    const later = bidDeadlineMs + 3 * DAY;
    const [scope, extension, bid] = await Promise.all([
      handle.executeUpdate(amendTenderUpdate, {
        args: [{ actor: authority, reason: '更正授权范围', changes: { scope: '企业年报经营数据的商业开发利用' } }],
      }),
      handle.executeUpdate(amendTenderUpdate, {
        args: [{ actor: authority, reason: '延长投标截止时间', changes: { bidDeadlineMs: later } }],
      }),
      submitBid(db, env.client, t, BIDDERS.hengxin, 300000),
    ]);
    // Neither change was refused as busy, nor did they interleave: each saw the version the other left.
    expect([scope.announcementVersion, extension.announcementVersion].sort()).toEqual([2, 3]);
    expect(extension.bidDeadlineMs).toBe(later);
    expect((scope.announcementVersion === 3 ? scope : extension).bidDeadlineMs).toBe(later);
    expect(bid.version).toBe(1);
    expect([bidDeadlineMs, later]).toContain(bid.bidDeadlineMs);
    const row = await tenderRow(t.id);
    expect(row).toMatchObject({ announcementVersion: 3, scope: '企业年报经营数据的商业开发利用' });
    expect(row.bidDeadline!.getTime()).toBe(later);
    expect(
      await db.auditLog.count({
        where: { auditKey: { in: [`tender:${t.id}:amended:2`, `tender:${t.id}:amended:3`] } },
      }),
    ).toBe(2);

    // The bid window follows the moved deadline: still open past the first one, closed at the second.
    await env.sleep('21 days');
    expect((await tenderRow(t.id)).status).toBe('ANNOUNCED');
    await env.sleep('3 days');
    await statusBecomes(t.id, 'FAILED');
  });

  it("the policy's calendar switch reaches the tender's working-day periods: with 调休上班日 not counted, the comment period ends a working day later", async () => {
    const notCountingWorker = await workerUnderPolicy(h, { countMakeupWorkdays: false });
    try {
      const { fromMs, withMakeup, withMakeupNotCounted } = await makeupSaturdayAhead();
      h.calendar = withMakeup;
      h.noMakeupCalendar = withMakeupNotCounted;
      const counting = await draftTender(db);
      const notCounting = await draftTender(db);
      const handles = [await start(counting.input), await start(notCounting.input, notCountingWorker.taskQueue)];
      const authority = await staffActor(db, 'dsj.reviewer');
      const [countingEnd, notCountingEnd] = await Promise.all(
        handles.map(
          async (handle) =>
            (await handle.executeUpdate(openTenderCommentUpdate, { args: [{ actor: authority }] })).commentEndsAtMs,
        ),
      );

      const expected = (calendar: WorkingCalendar) =>
        calendar.deadline(new Date(fromMs), COMMENT_WORKING_DAYS).deadlineAt.getTime();
      expect(expected(withMakeupNotCounted)).toBeGreaterThan(expected(withMakeup));
      expect(countingEnd).toBe(expected(withMakeup));
      expect(notCountingEnd).toBe(expected(withMakeupNotCounted));
      expect((await tenderRow(notCounting.id)).commentEndsAt!.getTime()).toBe(notCountingEnd);
      // Both procedures now wait for the end of their comment period: quiet, so the suite can end them.
      await Promise.all(handles.map((handle) => settled(env.client, handle.workflowId)));
    } finally {
      await notCountingWorker.stop();
    }
  });

  it('the same switch reaches the publicity of the proposed winner (3 working days): it ends a working day later', async () => {
    const notCountingWorker = await workerUnderPolicy(h, { countMakeupWorkdays: false });
    try {
      const t = await draftTender(db);
      let ahead: Awaited<ReturnType<typeof makeupSaturdayAhead>> | undefined;
      await throughEvaluation(t, {
        taskQueue: notCountingWorker.taskQueue,
        // The last score sheet starts the publicity on the Thursday before the makeup Saturday.
        beforeScoring: async () => {
          ahead = await makeupSaturdayAhead();
          h.calendar = ahead.withMakeup;
          h.noMakeupCalendar = ahead.withMakeupNotCounted;
        },
      });
      const { fromMs, withMakeup, withMakeupNotCounted } = ahead!;
      const publicityEnd = (calendar: WorkingCalendar) => calendar.deadline(new Date(fromMs), 3).deadlineAt.getTime();
      expect(publicityEnd(withMakeupNotCounted)).toBeGreaterThan(publicityEnd(withMakeup));
      expect((await tenderRow(t.id)).publicityEndsAt!.getTime()).toBe(publicityEnd(withMakeupNotCounted));
      await settled(env.client, t.workflowId);
    } finally {
      await notCountingWorker.stop();
    }
  });

  it('a calendar change moves the end of a running comment period (working days), in the workflow and on the tender row', async () => {
    const { fromMs, year, withMakeup } = await makeupSaturdayAhead();
    const t = await draftTender(db);
    const handle = await start(t.input);
    const authority = await staffActor(db, 'dsj.reviewer');
    const { commentEndsAtMs } = await handle.executeUpdate(openTenderCommentUpdate, { args: [{ actor: authority }] });
    expect(commentEndsAtMs).toBe(h.calendar.deadline(new Date(fromMs), COMMENT_WORKING_DAYS).deadlineAt.getTime());

    // The operator loads a notice that makes the coming Saturday a working day: the period ends a working day earlier.
    h.calendar = withMakeup;
    await handle.signal(calendarChangedSignal, { year, loadedAt: new Date().toISOString() });
    const movedMs = withMakeup.deadline(new Date(fromMs), COMMENT_WORKING_DAYS).deadlineAt.getTime();
    expect(movedMs).toBeLessThan(commentEndsAtMs);
    await eventually(
      async () => (await tenderRow(t.id)).commentEndsAt!.getTime() === movedMs,
      'the comment period to end earlier',
    );
    const announce = () => handle.executeUpdate(announceTenderUpdate, { args: [{ actor: authority }] });
    expect(await rejection(announce())).toBe('CONFLICT');

    // At the moved end (before the old one) the authority may announce.
    await env.sleep(movedMs - (await env.currentTimeMs()));
    expect(await rejection(announce())).toBeUndefined();
    expect((await tenderRow(t.id)).status).toBe('ANNOUNCED');
  });

  it('a drill (演练) runs under its own drill policy version: windows of minutes, a term of drill months and its first report minutes after the registration', async () => {
    const drillId = `drill-wf-${uniqueSuffix()}`;
    await db.policyVersion.create({
      data: {
        id: drillId,
        drill: true,
        effectiveFrom: new Date(),
        description: '演练（测试）',
        values: { tenderMinBidWindow: '10 minutes', tenderPublicityPeriod: '5 minutes', drillMonth: '1 minute' },
      },
    });
    // The row stays: a drill version is never in force for other cases, and later runs of this
    // drill's follow-up (continued as new) load it again.
    const t = await draftTender(db, { termMonths: 12 });
    await db.tender.update({ where: { id: t.id }, data: { drillPolicyId: drillId } });
    const handle = await start({ ...t.input, drillPolicyId: drillId });
    const now = await env.currentTimeMs();
    const { bidDeadlineMs } = await handle.executeUpdate(announceTenderUpdate, {
      args: [{ actor: await staffActor(db, 'dsj.reviewer') }],
    });
    expect(bidDeadlineMs - now).toBeGreaterThanOrEqual(10 * 60_000);
    expect(bidDeadlineMs - now).toBeLessThan(HOUR);
    await submitBid(db, env.client, t, BIDDERS.hengxin, 300000);
    await submitBid(db, env.client, t, BIDDERS.huarui, 280000);
    await submitBid(db, env.client, t, BIDDERS.zhiyun, 320000);
    await env.sleep('11 minutes');
    await statusBecomes(t.id, 'EVALUATION');
    await eventually(
      async () => (await db.task.count({ where: { workflowId: t.workflowId, step: 'SCORE_BIDS' } })) === 5,
      'five scoring tasks',
    );
    await scoreAll(db, env.client, t, { [BIDDERS.hengxin]: 90, [BIDDERS.huarui]: 80, [BIDDERS.zhiyun]: 70 });
    await statusBecomes(t.id, 'PUBLICITY');
    const row = await tenderRow(t.id);
    expect(row.publicityEndsAt!.getTime() - (await env.currentTimeMs())).toBeLessThanOrEqual(5 * 60_000);
    await env.sleep('6 minutes');
    await statusBecomes(t.id, 'AWARDED');
    await handle.executeUpdate(confirmAwardUpdate, { args: [{ actor: await publicActor(db, BIDDERS.hengxin) }] });
    await decideTask(db, env.client, t.workflowId, 'AGREEMENT_CONFIRM', 'dsj.reviewer', 'CONFIRM');
    const result = await handle.result();
    expect(result.outcome).toBe('AWARDED');
    suite.trackId(result.followUpWorkflowId!);
    await recordHistory('tender-drill-awarded', handle);
    // Twelve drill months of one minute; a report every three of them, no yearly disclosure.
    const auth = await db.authorization.findUniqueOrThrow({ where: { id: result.authorizationId } });
    expect(auth.endsAt.getTime() - auth.startsAt.getTime()).toBe(12 * 60_000);
    const reports = await eventually(async () => {
      const rows = await db.authorizationReport.findMany({ where: { authorizationId: auth.id } });
      return rows.length > 0 && rows;
    }, 'the drill report plan');
    expect(reports.map((r) => r.kind)).toEqual(['PERIODIC', 'PERIODIC', 'PERIODIC', 'PERIODIC']);
    await env.sleep('4 minutes');
    await eventually(
      async () =>
        (await db.authorizationReport.findFirstOrThrow({ where: { authorizationId: auth.id, periodNo: 1 } })).status ===
        'DUE',
      'the first drill report due',
    );
  });

  it("19. in a drill the working-day limits run on the drill policy's working day (drillWorkingDay): a comment period of 10 working days lasts 10 minutes; a task of 10 working days is overdue after 10 minutes, reminded every minute and escalated after 5 more", async () => {
    const drillId = `drill-wd-${uniqueSuffix()}`;
    await db.policyVersion.create({
      data: {
        id: drillId,
        drill: true,
        effectiveFrom: new Date(),
        description: '演练（测试）：工作日以分钟计',
        values: { tenderMinBidWindow: '10 minutes', drillWorkingDay: '1 minute' },
      },
    });
    const t = await draftTender(db);
    await db.tender.update({ where: { id: t.id }, data: { drillPolicyId: drillId } });
    const handle = await start({ ...t.input, drillPolicyId: drillId });
    const authority = await staffActor(db, 'dsj.reviewer');
    // The policy's periods in working days count drill working days too: a comment period of "10 working days".
    const fromMs = await env.currentTimeMs();
    const { commentEndsAtMs } = await handle.executeUpdate(openTenderCommentUpdate, { args: [{ actor: authority }] });
    expect(commentEndsAtMs - fromMs).toBeGreaterThanOrEqual(COMMENT_WORKING_DAYS * 60_000);
    expect(commentEndsAtMs - fromMs).toBeLessThan(COMMENT_WORKING_DAYS * 60_000 + 60_000);
    await env.sleep(commentEndsAtMs + 1000 - (await env.currentTimeMs()));
    await handle.executeUpdate(announceTenderUpdate, { args: [{ actor: authority }] });
    // No bid: at the deadline the tender fails and the authority decides on a re-run within 10 working days.
    await env.sleep('11 minutes');
    await statusBecomes(t.id, 'FAILED');
    const task = await openTaskFor(db, t.workflowId, 'RERUN_DECISION');
    expect(task.workingDays).toBe(10);
    expect(task.dueAt!.getTime() - task.createdAt.getTime()).toBe(10 * 60_000);
    expect(task.warningAt!.getTime()).toBe(task.dueAt!.getTime() - 60_000);
    const auditOf = (action: string) => db.auditLog.count({ where: { entityId: task.id, action } });
    await env.sleep(task.dueAt!.getTime() + 30_000 - (await env.currentTimeMs()));
    await eventually(async () => (await db.task.findUniqueOrThrow({ where: { id: task.id } })).overdue, 'overdue');
    expect(await auditOf('TASK_WARNING')).toBe(1);
    expect(await auditOf('TASK_OVERDUE')).toBeGreaterThanOrEqual(1);
    expect(await auditOf('TASK_ESCALATED')).toBe(0);
    // escalateAfterOverdueWorkingDays (5) drill working days later the head and supervisors are told.
    await env.sleep('6 minutes');
    await eventually(async () => (await auditOf('TASK_ESCALATED')) >= 1, 'the escalation');
    await decideTask(db, env.client, t.workflowId, 'RERUN_DECISION', 'dsj.reviewer', 'CLOSE', { reasons: '演练结束' });
    expect((await handle.result()).outcome).toBe('FAILED');
  });

  it('19. a real policy version cannot make working days minutes: its drillWorkingDay is ignored and the task keeps its working days', async () => {
    // As a real PolicyVersion row would carry them: mergePolicy without `drill` drops both values.
    const real = await workerUnderPolicy(h, {
      drillWorkingDay: '1 minute',
      tenderMinBidWindow: '10 minutes',
    } as Partial<ProcedurePolicy>);
    try {
      const t = await draftTender(db);
      const handle = await start(t.input, real.taskQueue);
      const announcedMs = await env.currentTimeMs();
      const { bidDeadlineMs } = await handle.executeUpdate(announceTenderUpdate, {
        args: [{ actor: await staffActor(db, 'dsj.reviewer') }],
      });
      expect(bidDeadlineMs - announcedMs).toBeGreaterThanOrEqual(20 * DAY);
      await env.sleep(bidDeadlineMs + HOUR - (await env.currentTimeMs()));
      await statusBecomes(t.id, 'FAILED');
      const task = await openTaskFor(db, t.workflowId, 'RERUN_DECISION');
      // Ten working days, never ten minutes: whatever weekday the skipped clock lands on (a start on a
      // Saturday ends on the second Friday, 13 days later), ten working days span more than nine days.
      expect(task.workingDays).toBe(10);
      expect(task.dueAt!.getTime() - task.createdAt.getTime()).toBeGreaterThan(9 * DAY);
      await env.sleep('11 minutes');
      expect((await db.task.findUniqueOrThrow({ where: { id: task.id } })).overdue).toBe(false);
      expect(await db.auditLog.count({ where: { entityId: task.id, action: 'TASK_OVERDUE' } })).toBe(0);
      await decideTask(db, env.client, t.workflowId, 'RERUN_DECISION', 'dsj.reviewer', 'CLOSE', {
        reasons: '测试结束',
      });
      expect((await handle.result()).outcome).toBe('FAILED');
    } finally {
      await real.stop();
    }
  });
});
