/**
 * Test data and helpers for the commercial tender (Art. 27 ¶3) and the follow-up of its
 * authorisation: rows as the API writes them, bids and scores sent as the API sends them.
 */
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { mergePolicy, ProcedurePolicy } from '../../domain/policy';
import type { TenderCriterion } from '../../domain/tender-ranking';
import type { TenderEligibility } from '../../domain/tender-rules';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { createLogger } from '../../lib/logger';
import { decisionUpdateId } from '../../api/kit/decisions';
import { completeTaskUpdate, CompleteTaskResult, TaskActor } from '../../workflows/messages';
import { BidderActor, submitBidUpdate, SubmitBidResult } from '../../workflows/tender-messages';
import { eventually, uniqueSuffix } from './env';
import type { ProcedureHarness } from './procedures';

export const TENDER_CRITERIA: TenderCriterion[] = [
  { key: 'plan', name: '开发利用方案', weight: 40, kind: 'SCORED' },
  { key: 'security', name: '数据安全保障措施', weight: 40, kind: 'SCORED' },
  { key: 'price', name: '收费报价', weight: 20, kind: 'PRICE' },
];

export const TENDER_ELIGIBILITY: TenderEligibility = {
  requireSecurityCapability: true,
  requireNoSeriousViolations: true,
  other: ['依法设立的企业法人'],
};

export const BIDDERS = { hengxin: 'company.hengxin', huarui: 'company.huarui', zhiyun: 'company.zhiyun' } as const;
export const EVALUATORS = ['dsj.evaluator1', 'dsj.evaluator2', 'dsj.evaluator3', 'dsj.evaluator4', 'dsj.evaluator5'];

export function bidBody(price: number, overrides: Partial<{ securityCapability: boolean }> = {}) {
  return {
    price,
    plan: '基于企业年报数据开发区域经济运行监测产品，面向金融机构提供风险评估服务',
    securityMeasures: '数据不出域；隐私计算平台；访问留痕；等保三级',
    eligibilityDocuments: ['营业执照', '等级保护测评报告', '无重大违法记录声明'],
    declarations: { securityCapability: overrides.securityCapability ?? true, noSeriousViolations: true },
  };
}

/** A tender plan in DRAFT with its committee, as POST /api/tenders writes it. */
export async function draftTender(
  db: Db,
  opts: {
    termMonths?: number;
    evaluators?: Array<{ login: string; declaredAffiliations?: string[] }>;
    resourceCodes?: string[];
  } = {},
) {
  const tenderNo = `ZB-T-${uniqueSuffix()}`;
  const resources = await db.dataResource.findMany({
    where: { code: { in: opts.resourceCodes ?? ['SCJG-004', 'YBJ-003'] } },
  });
  const evaluators: Array<{ login: string; declaredAffiliations?: string[] }> =
    opts.evaluators ?? EVALUATORS.map((login) => ({ login }));
  const tender = await db.tender.create({
    data: {
      id: newId(),
      tenderNo,
      workflowId: `commercial-tender/${tenderNo}`,
      title: '企业经营数据商业开发授权',
      resourceIds: resources.map((r) => r.id),
      scope: '企业年报经营数据与医保基金运行汇总数据的商业开发利用',
      authorizationModel: '整体授权',
      termMonths: opts.termMonths ?? 12,
      feeCap: 500000,
      eligibility: TENDER_ELIGIBILITY as object,
      criteria: TENDER_CRITERIA as object,
      createdById: 'u-dsj.reviewer',
      evaluators: {
        create: evaluators.map((e) => ({ userId: `u-${e.login}`, declaredAffiliations: e.declaredAffiliations ?? [] })),
      },
    },
  });
  return { ...tender, input: { tenderId: tender.id, tenderNo, authorityDeptId: 'dsj', round: 1 } };
}

export async function staffActor(db: Db, login: string): Promise<TaskActor> {
  const u = await db.user.findUniqueOrThrow({ where: { login } });
  return { userId: u.id, login: u.login, departmentId: u.departmentId, roles: u.roles };
}

export async function publicActor(db: Db, login: string): Promise<BidderActor> {
  const u = await db.user.findUniqueOrThrow({ where: { login } });
  return { userId: u.id, login: u.login, publicApplicantId: u.publicApplicantId! };
}

/** A sealed envelope stored first, then the workflow asked to accept it — what PUT /api/tenders/:id/bid does. */
export async function submitBid(
  db: Db,
  client: Client,
  tender: { id: string; workflowId: string },
  login: string,
  price: number,
  overrides: Partial<{ securityCapability: boolean }> = {},
): Promise<SubmitBidResult> {
  const actor = await publicActor(db, login);
  const { price: _p, ...body } = bidBody(price, overrides);
  const submission = await db.bidSubmission.create({
    data: {
      id: newId(),
      tenderId: tender.id,
      bidderId: actor.publicApplicantId,
      submittedById: actor.userId,
      body,
      price,
    },
  });
  return client.workflow
    .getHandle(tender.workflowId)
    .executeUpdate(submitBidUpdate, { args: [{ actor, submissionId: submission.id }], updateId: submission.id });
}

export function openTaskFor(db: Db, workflowId: string, step: string, subjectRef?: string) {
  return eventually(
    async () =>
      (await db.task.findFirst({
        where: { workflowId, step, status: { in: ['OPEN', 'CLAIMED'] }, ...(subjectRef ? { subjectRef } : {}) },
        orderBy: { createdAt: 'desc' },
      })) ?? undefined,
    `an open ${step} task in ${workflowId}`,
  );
}

export async function decideTask(
  db: Db,
  client: Client,
  workflowId: string,
  step: string,
  login: string,
  decision: string,
  extra: { reasons?: string; payload?: Record<string, unknown>; subjectRef?: string } = {},
): Promise<CompleteTaskResult> {
  const actor = await staffActor(db, login);
  const task = await openTaskFor(db, workflowId, step, extra.subjectRef);
  return client.workflow.getHandle(workflowId).executeUpdate(completeTaskUpdate, {
    args: [{ taskId: task.id, decision, reasons: extra.reasons, payload: extra.payload, actor }],
    updateId: decisionUpdateId(task.id, task.decisionRound),
  });
}

/**
 * Every committee member scores every valid bid; `quality` per bidder login (0–100) decides the
 * order, so the tests know who wins.
 */
export async function scoreAll(
  db: Db,
  client: Client,
  tender: { id: string; workflowId: string },
  quality: Record<string, number>,
  evaluators = EVALUATORS,
): Promise<void> {
  const bids = await db.bid.findMany({ where: { tenderId: tender.id, status: 'VALID' } });
  const users = await db.user.findMany({ where: { publicApplicantId: { in: bids.map((b) => b.bidderId) } } });
  for (const login of evaluators) {
    const scores = bids.flatMap((b) => {
      const q = quality[users.find((u) => u.publicApplicantId === b.bidderId)!.login] ?? 60;
      return [
        { bidId: b.id, criterion: 'plan', score: q },
        { bidId: b.id, criterion: 'security', score: q },
      ];
    });
    await decideTask(db, client, tender.workflowId, 'SCORE_BIDS', login, 'SUBMIT_SCORES', {
      payload: { scores },
      subjectRef: `u-${login}`,
    });
  }
}

/** An authorisation as the award registers it, for follow-up tests that do not run a tender. */
export async function registeredAuthorization(db: Db, opts: { termMonths: number; startsAt: Date; endsAt: Date }) {
  const tender = await draftTender(db, { termMonths: opts.termMonths });
  await db.tender.update({ where: { id: tender.id }, data: { status: 'AWARDED', awardedAt: opts.startsAt } });
  const authorizationNo = `SQ-${tender.tenderNo}`;
  const auth = await db.authorization.create({
    data: {
      id: newId(),
      authorizationNo,
      workflowId: `authorization-followup/${authorizationNo}`,
      tenderId: tender.id,
      operatorId: 'pa-hengxin',
      resourceIds: tender.resourceIds,
      scope: tender.scope,
      startsAt: opts.startsAt,
      endsAt: opts.endsAt,
      feeCap: 500000,
    },
  });
  return {
    tender,
    authorization: auth,
    input: {
      authorizationId: auth.id,
      authorizationNo,
      tenderId: tender.id,
      operatorId: 'pa-hengxin',
      authorityDeptId: 'dsj',
      startsAtMs: opts.startsAt.getTime(),
      endsAtMs: opts.endsAt.getTime(),
    },
  };
}

/**
 * A worker of its own on which procedures run under a policy version with `values` (e.g. 调休上班日
 * not counted), with the harness's calendars. loadPolicy answers that version instead of a stored
 * PolicyVersion row: a row would reach every procedure started meanwhile on the shared database.
 * Stop it only once its workflows are quiet (or ended).
 */
export async function workerUnderPolicy(
  h: ProcedureHarness,
  values: Partial<ProcedurePolicy>,
): Promise<{ taskQueue: string; stop: () => Promise<void> }> {
  const taskQueue = `tq-policy-${uniqueSuffix()}`;
  const activities = createActivities({
    db: h.db,
    logger: createLogger('test', 'silent'),
    calendar: async (policy) => (policy?.countMakeupWorkdays === false ? h.noMakeupCalendar : h.calendar),
  });
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: h.bundle,
    activities: { ...activities, loadPolicy: async () => mergePolicy([values]) },
  });
  const running = worker.run();
  return {
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

/**
 * Puts a drafted tender straight into evaluation with one opened bid of 恒信 (400,000), as rows:
 * for tests that read a tender in that state, not the procedure that brings it there.
 */
export async function inEvaluationWithOneBid(db: Db, tenderId: string): Promise<void> {
  await db.tender.update({
    where: { id: tenderId },
    data: { status: 'EVALUATION', announcedAt: new Date(), openedAt: new Date(), bidDeadline: new Date() },
  });
  const submission = await db.bidSubmission.create({
    data: {
      id: newId(),
      tenderId,
      bidderId: 'pa-hengxin',
      submittedById: 'u-company.hengxin',
      body: {},
      price: 400000,
      acceptedAt: new Date(),
    },
  });
  await db.bid.create({
    data: { id: newId(), tenderId, bidderId: 'pa-hengxin', sealedBody: {}, price: 400000, submissionId: submission.id },
  });
}
