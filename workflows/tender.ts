/**
 * 商业开发授权的公开招标 (Art. 27 ¶3): plan (with optional public comment) → announcement with
 * a bid window of at least the policy minimum (a change after publication extends it) → sealed
 * bids, replaceable until the deadline → opening by a durable timer (too few valid bids: the
 * tender fails; the authority may re-run it as a new, linked round) → scoring by the evaluation
 * committee in their inboxes → ranking → publicity with objections answered before award →
 * award, agreement confirmed by the winner (API) and the authority (inbox) → Authorization
 * registered and its follow-up started (authorization-followup.ts).
 */
import {
  allHandlersFinished, condition, ParentClosePolicy, setCurrentDetails, setHandler, startChild,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { OpeningResult, RankingRow } from '../activities/tenders';
import type { ProcedurePolicy } from '../domain/policy';
import { scoreSheetProblems, ScoreEntry, TenderCriterion } from '../domain/tender-ranking';
import type { authorizationFollowUpWorkflow } from './authorization-followup';
import { TaskRuntime } from './kit/tasks';
import type { TaskActor } from './messages';
import { SA } from './search-attributes';
import {
  amendTenderUpdate, announceTenderUpdate, cancelTenderUpdate, ConfirmAwardInput, confirmAwardUpdate, openTenderCommentUpdate, raiseTenderObjectionUpdate,
  SubmitBidInput, submitBidUpdate,
} from './tender-messages';
import { acts } from './kit/procedure';
import { reject } from './kit/reject';
import { answered, settle } from './kit/settle';


export interface TenderInput {
  tenderId: string;
  tenderNo: string;
  authorityDeptId: string;
  round: number;
}

export type TenderOutcome = 'AWARDED' | 'FAILED' | 'CANCELLED';

export interface TenderResult {
  outcome: TenderOutcome;
  authorizationId?: string;
  followUpWorkflowId?: string;
  /** A failed tender the authority re-runs: the new round's workflow. */
  nextRoundWorkflowId?: string;
}

export type Stage = 'DRAFT' | 'COMMENT' | 'BIDDING' | 'OPENING' | 'EVALUATION' | 'PUBLICITY' | 'AGREEMENT' | 'AWARDED' | 'FAILED' | 'CANCELLED';

const PROCEDURE_NAME = '商业开发授权公开招标';

interface TenderObjectionState { id: string; bidderId: string; publicityRound: number; decision?: string; answer?: string }


export async function commercialTenderWorkflow(input: TenderInput): Promise<TenderResult> {
  const wfId = workflowInfo().workflowId;
  // Handlers are installed before the first await, so an Update sent right after the start finds them.
  let loaded: ProcedurePolicy | undefined;
  const policyReady = async (): Promise<ProcedurePolicy> => {
    await condition(() => loaded !== undefined);
    return loaded!;
  };
  let stage: Stage = 'DRAFT';
  let busy = false;
  let commentEndsAtMs: number | null = null;
  let bidDeadlineMs: number | null = null;
  let deadlineVersion = 0;
  let announcementVersion = 0;
  let cancellation: { reasons: string; actorUserId: string } | undefined;
  let bidsInFlight = 0;
  let bidderIds: string[] = [];
  let publicity: { round: number; endsAtMs: number } | undefined;
  let objectionsInFlight = 0;
  const objections: TenderObjectionState[] = [];
  let award: { agreementId: string; agreementNo: string; winnerBidderId: string; winnerConfirmed: boolean } | undefined;

  const requireAuthority = (actor: TaskActor) => {
    if (actor.departmentId !== input.authorityDeptId || !(actor.roles.includes('AUTHORITY_REVIEWER') || actor.roles.includes('ADMIN'))) {
      reject('FORBIDDEN', 'Only a reviewer of the data authority may manage a tender');
    }
    if (busy) reject('CONFLICT', 'Another change to this tender is being applied; retry');
  };

  const enter = (next: Stage, message: string) => {
    stage = next;
    upsertSearchAttributes([{ key: SA.Stage, value: next }]);
    setCurrentDetails(`**${PROCEDURE_NAME} ${input.tenderNo}**（第${input.round}轮） — stage \`${next}\`: ${message}`);
  };
  upsertSearchAttributes([{ key: SA.Procedure, value: 'COMMERCIAL_TENDER' }, { key: SA.ApplicationNo, value: input.tenderNo }]);
  enter('DRAFT', '数据主管部门编制实施方案');

  setHandler(openTenderCommentUpdate, answered(async (u) => {
    busy = true;
    try {
      const endsAtMs = await acts.tenderPeriodEnd({ fromMs: Date.now(), period: (await policyReady()).tenderCommentPeriod });
      await acts.openTenderComment({ tenderId: input.tenderId, commentEndsAtMs: endsAtMs, actorUserId: u.actor.userId });
      commentEndsAtMs = endsAtMs;
      enter('COMMENT', '实施方案公开征求意见');
      return { commentEndsAtMs: endsAtMs };
    } finally {
      busy = false;
    }
  }), {
    validator: (u) => {
      requireAuthority(u.actor);
      if (stage !== 'DRAFT') reject('CONFLICT', `Public comment can be opened only on a draft (stage ${stage})`);
    },
  });

  setHandler(announceTenderUpdate, answered(async (u) => {
    busy = true;
    try {
      // 招标投标法 Art. 24: the window from announcement to deadline is at least the policy minimum.
      const policy = await policyReady();
      const minDeadlineMs = await acts.tenderPeriodEnd({ fromMs: Date.now(), period: policy.tenderMinBidWindow });
      const deadline = u.bidDeadlineMs ?? minDeadlineMs;
      if (deadline < minDeadlineMs) {
        reject('BID_WINDOW_TOO_SHORT', `The bid deadline must leave at least ${policy.tenderMinBidWindow} from the announcement (not before ${new Date(minDeadlineMs).toISOString()})`);
      }
      await acts.announceTender({ tenderId: input.tenderId, bidDeadlineMs: deadline, actorUserId: u.actor.userId });
      bidDeadlineMs = deadline;
      announcementVersion = 1;
      enter('BIDDING', `招标公告已发布，投标截止 ${new Date(deadline).toISOString()}`);
      return { bidDeadlineMs: deadline };
    } finally {
      busy = false;
    }
  }), {
    validator: (u) => {
      requireAuthority(u.actor);
      if (stage !== 'DRAFT' && stage !== 'COMMENT') reject('CONFLICT', `The tender is already announced or closed (stage ${stage})`);
      if (stage === 'COMMENT' && commentEndsAtMs !== null && Date.now() < commentEndsAtMs) {
        reject('CONFLICT', `The public comment period runs until ${new Date(commentEndsAtMs).toISOString()}`);
      }
    },
  });

  setHandler(amendTenderUpdate, answered(async (u) => {
    busy = true;
    try {
      // 招标投标法 Art. 23: after a change at least the policy's remaining window must be left.
      const minDeadlineMs = await acts.tenderPeriodEnd({ fromMs: Date.now(), period: (await policyReady()).tenderAmendmentMinRemaining });
      const deadline = Math.max(bidDeadlineMs ?? 0, minDeadlineMs, u.changes.bidDeadlineMs ?? 0);
      const version = announcementVersion + 1;
      await acts.amendTender({ tenderId: input.tenderId, version, bidDeadlineMs: deadline, reason: u.reason, actorUserId: u.actor.userId, changes: u.changes });
      announcementVersion = version;
      if (deadline !== bidDeadlineMs) {
        bidDeadlineMs = deadline;
        deadlineVersion += 1;
      }
      setCurrentDetails(`**${PROCEDURE_NAME} ${input.tenderNo}** — stage \`BIDDING\`: 招标公告第${version - 1}次变更，投标截止 ${new Date(deadline).toISOString()}`);
      return { bidDeadlineMs: deadline, announcementVersion: version };
    } finally {
      busy = false;
    }
  }), {
    validator: (u) => {
      requireAuthority(u.actor);
      if (stage !== 'BIDDING' || bidDeadlineMs === null || Date.now() >= bidDeadlineMs) reject('CONFLICT', 'Only a published tender can be changed, before its bid deadline');
      if (!u.reason?.trim()) reject('REASONS_REQUIRED', 'A change to the announcement needs a reason');
    },
  });

  setHandler(cancelTenderUpdate, async (u) => {
    cancellation = { reasons: u.reasons, actorUserId: u.actor.userId };
    await settle();
    return { stage };
  }, {
    validator: (u) => {
      requireAuthority(u.actor);
      if (!['DRAFT', 'COMMENT', 'BIDDING'].includes(stage) || cancellation) reject('CONFLICT', `The tender can no longer be cancelled (stage ${stage})`);
      if (!u.reasons?.trim()) reject('REASONS_REQUIRED', 'Cancelling a tender needs reasons');
    },
  });

  setHandler(submitBidUpdate, answered(async (u) => {
    bidsInFlight += 1;
    try {
      const acceptedAtMs = Date.now();
      const bid = await acts.acceptBid({ tenderId: input.tenderId, submissionId: u.submissionId, acceptedAtMs });
      return { bidId: bid.bidId, version: bid.version, acceptedAtMs, bidDeadlineMs: bidDeadlineMs! };
    } finally {
      bidsInFlight -= 1;
    }
  }), {
    validator: (_u: SubmitBidInput) => {
      if (stage === 'DRAFT' || stage === 'COMMENT') reject('CONFLICT', 'The tender is not announced yet: bids are not accepted');
      // The deadline is the workflow's durable timer: what arrives at or after it is too late.
      if (stage !== 'BIDDING' || bidDeadlineMs === null || Date.now() >= bidDeadlineMs) {
        reject('BID_DEADLINE_PASSED', `The bid deadline ${bidDeadlineMs ? new Date(bidDeadlineMs).toISOString() : ''} has passed: bids are no longer accepted`);
      }
      if (cancellation) reject('CONFLICT', 'The tender is being cancelled');
    },
  });

  setHandler(raiseTenderObjectionUpdate, answered(async (u) => {
    objectionsInFlight += 1;
    try {
      await acts.recordTenderObjection({
        objectionId: u.objectionId, tenderId: input.tenderId, bidderId: u.actor.publicApplicantId, submittedById: u.actor.userId,
        content: u.content, authorityDeptId: input.authorityDeptId,
      });
      const o: TenderObjectionState = { id: u.objectionId, bidderId: u.actor.publicApplicantId, publicityRound: publicity!.round };
      objections.push(o);
      void answerObjection(o);
      return { objectionId: u.objectionId };
    } finally {
      objectionsInFlight -= 1;
    }
  }), {
    validator: (u) => {
      if (stage !== 'PUBLICITY' || !publicity || Date.now() >= publicity.endsAtMs) reject('PUBLICITY_CLOSED', 'Objections are accepted only during the publicity period');
      if (!bidderIds.includes(u.actor.publicApplicantId)) reject('FORBIDDEN', 'Only a bidder of this tender may object to its result');
      if (!u.content?.trim()) reject('VALIDATION_FAILED', 'content: an objection needs facts and reasons');
      if (objections.some((o) => o.id === u.objectionId)) reject('CONFLICT', 'This objection was already received');
    },
  });

  setHandler(confirmAwardUpdate, answered(async (_u: ConfirmAwardInput) => {
    await acts.confirmAgreement({ agreementId: award!.agreementId, party: 'B' });
    award!.winnerConfirmed = true;
    return { agreementNo: award!.agreementNo };
  }), {
    validator: (u) => {
      if (stage !== 'AGREEMENT' || !award) reject('CONFLICT', `There is no authorisation agreement to confirm (stage ${stage})`);
      if (u.actor.publicApplicantId !== award.winnerBidderId) reject('FORBIDDEN', 'Only the winning bidder confirms the authorisation agreement');
      if (award.winnerConfirmed) reject('CONFLICT', 'The agreement is already confirmed');
    },
  });

  /** 实施条例 Art. 54: an objection is answered before the tender goes on. */
  async function answerObjection(o: TenderObjectionState): Promise<void> {
    const policy = await policyReady();
    const task = await tasks.open({
      taskKey: `${wfId}:objection:${o.id}`, procedure: 'COMMERCIAL_TENDER', step: 'ANSWER_OBJECTION',
      title: `答复中标候选人公示异议（招标 ${input.tenderNo}）`, subjectRef: o.id, candidateDeptId: input.authorityDeptId,
      candidateRole: 'AUTHORITY_REVIEWER', allowedDecisions: ['DISMISS', 'UPHOLD'], reasonsRequiredFor: ['DISMISS', 'UPHOLD'],
      workingDays: policy.tenderObjectionAnswerWorkingDays, procedureName: PROCEDURE_NAME, applicationNo: input.tenderNo,
    });
    const d = await tasks.decision(task);
    await acts.answerTenderObjection({ objectionId: o.id, decision: d.decision, answer: d.reasons ?? '', actorUserId: d.actor.userId });
    o.answer = d.reasons ?? '';
    o.decision = d.decision;
  }

  async function finish(result: TenderResult): Promise<TenderResult> {
    tasks.closeAll();
    await condition(allHandlersFinished);
    return result;
  }

  async function cancelled(): Promise<TenderResult> {
    await acts.cancelTender({ tenderId: input.tenderId, reasons: cancellation!.reasons, actorUserId: cancellation!.actorUserId, authorityDeptId: input.authorityDeptId });
    enter('CANCELLED', `招标已终止：${cancellation!.reasons}`);
    return finish({ outcome: 'CANCELLED' });
  }

  /** The tender failed; the authority decides in its inbox whether to re-run it as a new round. */
  async function failed(reasons: string, validBids: number): Promise<TenderResult> {
    await acts.failTender({ tenderId: input.tenderId, reasons, validBids, minValidBids: policy.tenderMinValidBids, authorityDeptId: input.authorityDeptId });
    enter('FAILED', reasons);
    const task = await tasks.open({
      taskKey: `${wfId}:rerun`, procedure: 'COMMERCIAL_TENDER', step: 'RERUN_DECISION', title: `招标 ${input.tenderNo} 失败，是否重新招标`,
      subjectRef: input.tenderId, candidateDeptId: input.authorityDeptId, candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['RERUN', 'CLOSE'], reasonsRequiredFor: ['CLOSE'], workingDays: policy.tenderRerunDecisionWorkingDays,
      procedureName: PROCEDURE_NAME, applicationNo: input.tenderNo,
    });
    const d = await tasks.decision(task);
    if (d.decision !== 'RERUN') return finish({ outcome: 'FAILED' });
    const next = await acts.createNextRound({ tenderId: input.tenderId, actorUserId: d.actor.userId });
    await startChild<typeof commercialTenderWorkflow>('commercialTenderWorkflow', {
      workflowId: next.workflowId, parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ tenderId: next.tenderId, tenderNo: next.tenderNo, authorityDeptId: input.authorityDeptId, round: next.round }],
    });
    return finish({ outcome: 'FAILED', nextRoundWorkflowId: next.workflowId });
  }

  /** One committee member scores every valid bid; the task is addressed to that member alone. */
  async function scoreBids(userId: string, bidIds: string[], criteria: TenderCriterion[]): Promise<void> {
    const task = await tasks.open({
      taskKey: `${wfId}:score:${userId}`, procedure: 'COMMERCIAL_TENDER', step: 'SCORE_BIDS', title: `评审投标文件（招标 ${input.tenderNo}）`,
      subjectRef: userId, candidateDeptId: input.authorityDeptId, candidateRole: 'EVALUATOR', allowedDecisions: ['SUBMIT_SCORES'],
      reasonsRequiredFor: [], workingDays: policy.tenderEvaluationWorkingDays, procedureName: PROCEDURE_NAME, applicationNo: input.tenderNo,
    }, {
      validate: (d) => {
        if (d.actor.userId !== userId) reject('FORBIDDEN', 'This scoring task belongs to another member of the evaluation committee');
        const entries = d.payload?.scores;
        if (!Array.isArray(entries)) reject('VALIDATION_FAILED', 'payload.scores: a list of { bidId, criterion, score } is required');
        const problems = scoreSheetProblems(entries as ScoreEntry[], bidIds, criteria);
        if (problems.length) reject('VALIDATION_FAILED', `payload.scores: ${problems.slice(0, 5).join('; ')}`);
      },
    });
    const d = await tasks.decision(task);
    const entries = (d.payload!.scores as ScoreEntry[]).map((e) => ({ bidId: e.bidId, criterion: e.criterion, score: e.score }));
    await acts.recordScores({ tenderId: input.tenderId, evaluatorUserId: userId, entries });
  }

  /** Too many members stood aside: the authority appoints replacements until the committee is large enough. */
  async function topUpCommittee(committee: string[]): Promise<string[]> {
    for (let round = 1; committee.length < policy.tenderMinEvaluators; round++) {
      const task = await tasks.open({
        taskKey: `${wfId}:appoint-evaluators:${round}`, procedure: 'COMMERCIAL_TENDER', step: 'APPOINT_EVALUATORS',
        title: `补充评标委员会成员（招标 ${input.tenderNo}，尚缺 ${policy.tenderMinEvaluators - committee.length} 人）`, subjectRef: input.tenderId,
        candidateDeptId: input.authorityDeptId, candidateRole: 'AUTHORITY_REVIEWER', allowedDecisions: ['APPOINT'], reasonsRequiredFor: [],
        workingDays: policy.tenderEvaluationWorkingDays, procedureName: PROCEDURE_NAME, applicationNo: input.tenderNo,
      }, {
        validate: (d) => {
          const list = d.payload?.evaluators;
          if (!Array.isArray(list) || list.length === 0 || !list.every((e) => typeof e?.userId === 'string' && Array.isArray(e?.declaredAffiliations))) {
            reject('VALIDATION_FAILED', 'payload.evaluators: a list of { userId, declaredAffiliations[] } is required');
          }
        },
      });
      const d = await tasks.decision(task);
      const result = await acts.appointEvaluators({ tenderId: input.tenderId, authorityDeptId: input.authorityDeptId, evaluators: d.payload!.evaluators as Array<{ userId: string; declaredAffiliations: string[] }> });
      committee = [...committee, ...result.appointed];
    }
    return committee;
  }

  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: Date.now() });
  loaded = policy;
  const tasks = new TaskRuntime(policy, () => stage);

  // Plan → (public comment) → announcement.
  await condition(() => stage === 'BIDDING' || cancellation !== undefined);
  if (cancellation) return cancelled();

  // The bid window: a durable timer that a change to the announcement may move later.
  for (;;) {
    if (cancellation) return cancelled();
    const remaining = bidDeadlineMs! - Date.now();
    if (remaining <= 0) break;
    const seen = deadlineVersion;
    await condition(() => deadlineVersion !== seen || cancellation !== undefined, remaining);
  }
  enter('OPENING', '投标截止，开标');
  // A bid accepted just before the deadline is still being stored: open only after it.
  await condition(() => bidsInFlight === 0 && !busy);
  if (cancellation) return cancelled();

  const opening: OpeningResult = await acts.openBids({ tenderId: input.tenderId });
  bidderIds = opening.bidderIds;
  if (opening.validBids.length < policy.tenderMinValidBids) {
    return failed(`有效投标人 ${opening.validBids.length} 家，少于 ${policy.tenderMinValidBids} 家，招标失败`, opening.validBids.length);
  }

  if (opening.recused.length) {
    await acts.noticeTenderParties({
      tenderId: input.tenderId, eventKey: 'recusals', bidderIds: [], authorityDeptId: input.authorityDeptId, headline: '评标委员会成员回避',
      message: `评标委员会成员 ${opening.recused.map((r) => r.userId).join('、')} 与投标人存在关联关系，已回避。`,
    });
  }
  await acts.startEvaluation({ tenderId: input.tenderId });
  enter('EVALUATION', `有效投标 ${opening.validBids.length} 份，评标委员会评审`);
  const committee = await topUpCommittee(opening.committee);
  const bidIds = opening.validBids.map((b) => b.bidId);
  await Promise.all(committee.map((userId) => scoreBids(userId, bidIds, opening.criteria)));
  const ranking: RankingRow[] = await acts.rankTender({ tenderId: input.tenderId, committee });

  // Publicity of the proposed winner; an upheld objection passes the proposal to the next in rank.
  const candidates = [...ranking];
  let winner: RankingRow | undefined;
  for (let round = 1; !winner; round++) {
    const proposed = candidates.shift();
    if (!proposed) return failed('中标候选人均因异议成立被取消资格，招标失败', 0);
    const { publicityEndsAtMs } = await acts.startPublicity({ tenderId: input.tenderId, bidId: proposed.bidId, period: policy.tenderPublicityPeriod });
    publicity = { round, endsAtMs: publicityEndsAtMs };
    enter('PUBLICITY', `中标候选人 ${proposed.bidderName} 公示至 ${new Date(publicityEndsAtMs).toISOString()}`);
    if (publicityEndsAtMs > Date.now()) await condition(() => false, Math.max(1, publicityEndsAtMs - Date.now()));
    await condition(() => objectionsInFlight === 0 && objections.every((o) => o.decision !== undefined));
    const upheld = objections.filter((o) => o.publicityRound === round && o.decision === 'UPHOLD');
    if (upheld.length === 0) winner = proposed;
    else await acts.disqualifyBid({ bidId: proposed.bidId, reason: `公示期异议成立：${upheld.map((o) => o.answer).join('；')}` });
  }

  // Award: the authority confirms in its inbox, the winner through the API (a public applicant has no inbox).
  enter('AGREEMENT', `中标人 ${winner.bidderName}，待双方确认授权运营协议`);
  const awarded = await acts.awardTender({ tenderId: input.tenderId, bidId: winner.bidId, authorityDeptId: input.authorityDeptId });
  award = { ...awarded, winnerConfirmed: false };
  const agreed = award;
  const authorityConfirms = (async () => {
    const task = await tasks.open({
      taskKey: `${wfId}:agreement:authority`, procedure: 'COMMERCIAL_TENDER', step: 'AGREEMENT_CONFIRM', title: `确认授权运营协议 ${agreed.agreementNo}`,
      subjectRef: agreed.agreementId, candidateDeptId: input.authorityDeptId, candidateRole: 'AUTHORITY_REVIEWER', allowedDecisions: ['CONFIRM'],
      reasonsRequiredFor: [], workingDays: policy.agreementConfirmWorkingDays, procedureName: PROCEDURE_NAME, applicationNo: input.tenderNo,
    });
    await tasks.decision(task);
    await acts.confirmAgreement({ agreementId: agreed.agreementId, party: 'A' });
  })();
  const winnerConfirms = (async () => {
    const remindAtMs = await acts.tenderPeriodEnd({ fromMs: Date.now(), period: policy.tenderWinnerConfirmPeriod });
    if (await condition(() => agreed.winnerConfirmed, Math.max(1, remindAtMs - Date.now()))) return;
    await acts.noticeTenderParties({
      tenderId: input.tenderId, eventKey: 'winner-confirm-overdue', bidderIds: [agreed.winnerBidderId], authorityDeptId: input.authorityDeptId,
      headline: '授权运营协议尚未确认', message: `请尽快确认授权运营协议 ${agreed.agreementNo}；数据主管部门已收到提醒。`,
    });
    await condition(() => agreed.winnerConfirmed);
  })();
  await Promise.all([authorityConfirms, winnerConfirms]);

  const authorization = await acts.createAuthorization({ tenderId: input.tenderId, agreementId: agreed.agreementId, authorityDeptId: input.authorityDeptId });
  enter('AWARDED', `授权 ${authorization.authorizationNo} 已登记，进入跟踪管理`);
  await startChild<typeof authorizationFollowUpWorkflow>('authorizationFollowUpWorkflow', {
    workflowId: authorization.workflowId, parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [{
      authorizationId: authorization.authorizationId, authorizationNo: authorization.authorizationNo, tenderId: input.tenderId,
      operatorId: authorization.operatorId, authorityDeptId: input.authorityDeptId, startsAtMs: authorization.startsAtMs, endsAtMs: authorization.endsAtMs,
    }],
  });
  return finish({ outcome: 'AWARDED', authorizationId: authorization.authorizationId, followUpWorkflowId: authorization.workflowId });
}
