/**
 * One commercial tender (Art. 27 ¶3) as state and transitions; workflows/tender.ts runs its phases
 * and routes the Updates here. Every command takes its turn (`Mutex`): one that arrives while
 * another is being applied waits, is checked again against the state the earlier ones left (as
 * of when it arrived), and is applied or refused then. The update validator runs the same check
 * on arrival, so what is plainly not allowed leaves no trace in the history. The tender's windows
 * (public comment, bids, publicity, the winner's confirmation) are movable deadlines: a change to
 * the announcement moves the bid deadline, a calendar change recounts the working-day periods.
 */
import {
  condition,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CalendarPolicyInput } from '../activities/deps';
import type { OpeningResult, RankingRow } from '../activities/tender';
import type { ProcedurePolicy } from '../domain/policy';
import { scoreSheetProblems, ScoreEntry, TenderCriterion } from '../domain/tender-ranking';
import type { authorizationFollowUpWorkflow } from './authorization-followup';
import { MovableDeadline } from './kit/deadline';
import { Mutex } from './kit/mutex';
import { acts } from './kit/procedure';
import { reject } from './kit/reject';
import { OpenTask, TaskRuntime, TaskSpec } from './kit/tasks';
import type { CompleteTaskInput, TaskActor } from './messages';
import { SA } from './search-attributes';
import type { commercialTenderWorkflow, Stage, TenderInput, TenderResult } from './tender';
import type {
  AmendInput,
  AnnounceInput,
  CancelTenderInput,
  ConfirmAwardInput,
  OpenCommentInput,
  SubmitBidInput,
  SubmitBidResult,
  TenderObjectionInput,
  TenderObjectionKind,
  WithdrawBidInput,
} from './tender-messages';

const PROCEDURE_NAME = '商业开发授权公开招标';

interface TenderObjection {
  id: string;
  bidderId: string;
  kind: TenderObjectionKind;
  /** 0 for an objection to the tender documents (bid window). */
  publicityRound: number;
  decision?: string;
  answer?: string;
}

interface Award {
  agreementId: string;
  agreementNo: string;
  winnerBidderId: string;
  winnerConfirmed: boolean;
}

/** What every inbox task of the tender shares is filled in by `openTask`. */
type TenderTaskSpec = Omit<
  TaskSpec,
  'procedure' | 'procedureName' | 'applicationNo' | 'candidateDeptId' | 'taskKey'
> & { key: string };

const iso = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '' : new Date(ms).toISOString();

export class TenderProcedure {
  private current: Stage = 'DRAFT';
  /** Updates, and the procedure's own cut-offs (bid opening, end of publicity), take turns here. */
  private readonly commands = new Mutex();
  private readonly wfId = workflowInfo().workflowId;
  /** The policy in force at the start (DESIGN.md "Policy versions"); a command sent before it arrives waits for it. */
  private readonly policyLoaded: Promise<ProcedurePolicy>;
  private policy!: ProcedurePolicy;
  private tasks!: TaskRuntime;
  private comment?: MovableDeadline;
  private bidWindow?: MovableDeadline;
  private announcementVersion = 0;
  /** The earliest bid deadline the announcement allowed (招标投标法 Art. 24); a change may not go below it. */
  private minBidDeadlineMs?: number;
  /** Answers to objections against the tender documents: the opening waits for all of them (实施条例 Art. 22). */
  private readonly documentAnswers: Promise<void>[] = [];
  private cancellation?: { reasons: string; actorUserId: string };
  /** Set in the procedure's turn after the deadline: from then on no bid or change is applied. */
  private opened = false;
  private bidderIds: string[] = [];
  private publicity?: { round: number; window: MovableDeadline };
  private readonly objections: TenderObjection[] = [];
  /** Recorded objections the publicity phase has not yet taken up (it opens their answer tasks). */
  private readonly unanswered: TenderObjection[] = [];
  private award?: Award;

  constructor(private readonly input: TenderInput) {
    upsertSearchAttributes([
      { key: SA.Procedure, value: 'COMMERCIAL_TENDER' },
      { key: SA.ApplicationNo, value: input.tenderNo },
    ]);
    this.enter('DRAFT', '数据主管部门编制实施方案');
    this.policyLoaded = input.drillPolicyId
      ? acts.loadDrillPolicy({ policyVersionId: input.drillPolicyId })
      : acts.loadPolicy({ atMs: Date.now() });
  }

  get stage(): Stage {
    return this.current;
  }

  // --- Commands (Updates). `check*` is the validator; in its turn the command runs it again, with the
  // time it arrived, against the state the commands before it left. ---

  checkOpenComment(u: OpenCommentInput): void {
    this.requireAuthority(u.actor);
    if (this.stage !== 'DRAFT')
      reject('CONFLICT', {
        zh: `只有草稿状态的招标可以开始公开征求意见（阶段 ${this.stage}）`,
        en: `Public comment can be opened only on a draft (stage ${this.stage})`,
      });
    this.refuseWhileCancelling();
  }

  openComment(u: OpenCommentInput): Promise<{ commentEndsAtMs: number }> {
    const fromMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkOpenComment(u);
      const period = (await this.policyLoaded).tenderCommentPeriod;
      const commentEndsAtMs = await this.periodEnd(period, fromMs);
      await acts.openTenderComment({ tenderId: this.input.tenderId, commentEndsAtMs, actorUserId: u.actor.userId });
      this.comment = this.periodDeadline(period, fromMs, commentEndsAtMs, 'COMMENT');
      this.enter('COMMENT', '实施方案公开征求意见');
      return { commentEndsAtMs };
    });
  }

  checkAnnounce(u: AnnounceInput, atMs = Date.now()): void {
    this.requireAuthority(u.actor);
    if (this.stage !== 'DRAFT' && this.stage !== 'COMMENT')
      reject('CONFLICT', {
        zh: `该招标已发布或已结束（阶段 ${this.stage}）`,
        en: `The tender is already announced or closed (stage ${this.stage})`,
      });
    this.refuseWhileCancelling();
    const commentEndsAtMs = this.comment?.atMs ?? null;
    if (this.stage === 'COMMENT' && commentEndsAtMs !== null && atMs < commentEndsAtMs) {
      reject('CONFLICT', {
        zh: `公开征求意见期至 ${iso(commentEndsAtMs)} 结束`,
        en: `The public comment period runs until ${iso(commentEndsAtMs)}`,
      });
    }
  }

  announce(u: AnnounceInput): Promise<{ bidDeadlineMs: number }> {
    const receivedAtMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkAnnounce(u, receivedAtMs);
      // 招标投标法 Art. 24: the window from announcement to deadline is at least the policy minimum.
      const policy = await this.policyLoaded;
      const minDeadlineMs = await this.periodEnd(policy.tenderMinBidWindow, Date.now());
      const deadline = u.bidDeadlineMs ?? minDeadlineMs;
      if (deadline < minDeadlineMs) {
        reject('BID_WINDOW_TOO_SHORT', {
          zh: `投标截止时间距发布之日不得少于 ${policy.tenderMinBidWindow}（不早于 ${iso(minDeadlineMs)}）`,
          en:
            `The bid deadline must leave at least ${policy.tenderMinBidWindow} from the announcement ` +
            `(not before ${iso(minDeadlineMs)})`,
        });
      }
      await acts.announceTender({
        tenderId: this.input.tenderId,
        bidDeadlineMs: deadline,
        actorUserId: u.actor.userId,
      });
      // The announced deadline is a published instant: only a change to the announcement moves it, not the calendar.
      this.bidWindow = new MovableDeadline(deadline);
      this.minBidDeadlineMs = minDeadlineMs;
      this.announcementVersion = 1;
      this.enter('BIDDING', `招标公告已发布，投标截止 ${iso(deadline)}`);
      return { bidDeadlineMs: deadline };
    });
  }

  checkAmend(u: AmendInput, atMs = Date.now()): void {
    this.requireAuthority(u.actor);
    if (!this.biddingOpenAt(atMs))
      reject('CONFLICT', {
        zh: '只有已发布的招标可以变更，且须在投标截止时间之前',
        en: 'Only a published tender can be changed, before its bid deadline',
      });
    this.refuseWhileCancelling();
    if (!u.reason?.trim())
      reject('REASONS_REQUIRED', { zh: '变更招标公告须说明理由', en: 'A change to the announcement needs a reason' });
    const asked = u.changes.bidDeadlineMs;
    if (asked !== undefined && this.minBidDeadlineMs !== undefined && asked < this.minBidDeadlineMs) {
      reject('BID_WINDOW_TOO_SHORT', {
        zh: `投标截止时间距发布之日不得少于 ${this.policy?.tenderMinBidWindow ?? '政策规定的最短期限'}（不早于 ${iso(this.minBidDeadlineMs)}）；${iso(asked)} 过早`,
        en:
          `The bid deadline must leave at least ${this.policy?.tenderMinBidWindow ?? 'the policy minimum'} from the ` +
          `announcement (not before ${iso(this.minBidDeadlineMs)}); ${iso(asked)} is earlier`,
      });
    }
  }

  amend(u: AmendInput): Promise<{ bidDeadlineMs: number; announcementVersion: number }> {
    const receivedAtMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkAmend(u, receivedAtMs);
      // 招标投标法 Art. 23: after a change at least the policy's remaining window must be left.
      const minRemaining = (await this.policyLoaded).tenderAmendmentMinRemaining;
      const minDeadlineMs = await this.periodEnd(minRemaining, Date.now());
      const window = this.bidWindow!;
      const previousMs = window.atMs ?? 0;
      const asked = u.changes.bidDeadlineMs;
      let deadline: number;
      if (patched('tender-amend-deadline-rules')) {
        // A deadline the authority names must itself be lawful; without one, a change too close to the
        // deadline extends it (应当顺延). An earlier deadline is allowed only within both limits.
        if (asked !== undefined && asked < minDeadlineMs) {
          reject('BID_DEADLINE_TOO_EARLY', {
            zh: `变更后，投标截止时间须至少留出 ${minRemaining}（不早于 ${iso(minDeadlineMs)}）；${iso(asked)} 过早`,
            en:
              `After a change the bid deadline must leave at least ${minRemaining} (not before ${iso(minDeadlineMs)}); ` +
              `${iso(asked)} is earlier`,
          });
        }
        deadline = asked ?? Math.max(previousMs, minDeadlineMs);
      } else {
        deadline = Math.max(previousMs, minDeadlineMs, asked ?? 0);
      }
      const version = this.announcementVersion + 1;
      await acts.amendTender({
        tenderId: this.input.tenderId,
        version,
        previousBidDeadlineMs: previousMs,
        bidDeadlineMs: deadline,
        reason: u.reason,
        actorUserId: u.actor.userId,
        changes: u.changes,
      });
      this.announcementVersion = version;
      if (deadline !== window.atMs) window.move(deadline);
      this.show(`招标公告第${version - 1}次变更，投标截止 ${iso(deadline)}`);
      return { bidDeadlineMs: deadline, announcementVersion: version };
    });
  }

  checkCancel(u: CancelTenderInput, atMs = Date.now()): void {
    this.requireAuthority(u.actor);
    const cancellable = this.stage === 'DRAFT' || this.stage === 'COMMENT' || this.biddingOpenAt(atMs);
    if (!cancellable || this.cancellation)
      reject('CONFLICT', {
        zh: `该招标已不能取消（阶段 ${this.stage}）`,
        en: `The tender can no longer be cancelled (stage ${this.stage})`,
      });
    if (!u.reasons?.trim())
      reject('REASONS_REQUIRED', { zh: '取消招标须说明理由', en: 'Cancelling a tender needs reasons' });
  }

  /** Only records the cancellation: the procedure ends the tender where it waits (see `cancelled`). */
  cancel(u: CancelTenderInput): Promise<void> {
    const receivedAtMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkCancel(u, receivedAtMs);
      this.cancellation = { reasons: u.reasons, actorUserId: u.actor.userId };
    });
  }

  checkBid(_u: SubmitBidInput, atMs = Date.now()): void {
    if (this.stage === 'DRAFT' || this.stage === 'COMMENT')
      reject('CONFLICT', {
        zh: '该招标尚未发布，不接受投标',
        en: 'The tender is not announced yet: bids are not accepted',
      });
    // The deadline is the workflow's durable timer: what arrives at or after it is too late.
    if (!this.biddingOpenAt(atMs)) {
      reject('BID_DEADLINE_PASSED', {
        zh: `投标截止时间 ${iso(this.bidWindow?.atMs)} 已过，不再接受投标`,
        en: `The bid deadline ${iso(this.bidWindow?.atMs)} has passed: bids are no longer accepted`,
      });
    }
    this.refuseWhileCancelling();
  }

  /** A bid counts from when it arrived: one waiting behind another command is still in time. */
  submitBid(u: SubmitBidInput): Promise<SubmitBidResult> {
    const acceptedAtMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkBid(u, acceptedAtMs);
      const bid = await acts.acceptBid({ tenderId: this.input.tenderId, submissionId: u.submissionId, acceptedAtMs });
      return { bidId: bid.bidId, version: bid.version, acceptedAtMs, bidDeadlineMs: this.bidWindow!.atMs! };
    });
  }

  checkWithdraw(u: WithdrawBidInput, atMs = Date.now()): void {
    this.checkBid({ actor: u.actor, submissionId: u.submissionId }, atMs);
  }

  /** 招标投标法 Art. 29: withdrawn before the deadline (as of its arrival), the bid is not opened and does not count. */
  withdrawBid(u: WithdrawBidInput): Promise<{ withdrawnAtMs: number; bidDeadlineMs: number }> {
    const withdrawnAtMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkWithdraw(u, withdrawnAtMs);
      await acts.withdrawBid({
        tenderId: this.input.tenderId,
        bidderId: u.actor.publicApplicantId,
        submissionId: u.submissionId,
        withdrawnById: u.actor.userId,
        withdrawnAtMs,
      });
      return { withdrawnAtMs, bidDeadlineMs: this.bidWindow!.atMs! };
    });
  }

  /** Which objection the moment allows: to the documents in the bid window, to the result during publicity. */
  private objectionKindAt(atMs: number): TenderObjectionKind {
    if (this.biddingOpenAt(atMs)) return 'DOCUMENTS';
    const endsAtMs = this.publicity?.window.atMs ?? null;
    if (this.stage !== 'PUBLICITY' || endsAtMs === null || atMs >= endsAtMs) {
      reject('PUBLICITY_CLOSED', {
        zh: '对招标文件的异议须在投标期内提出，对评标结果的异议须在公示期内提出',
        en: 'Objections are accepted to the tender documents during the bid window and to the result during the publicity period',
      });
    }
    return 'RESULT';
  }

  checkObjection(u: TenderObjectionInput, atMs = Date.now()): void {
    const kind = this.objectionKindAt(atMs);
    if (kind === 'RESULT' && !this.bidderIds.includes(u.actor.publicApplicantId))
      reject('FORBIDDEN', {
        zh: '只有本次招标的投标人可以对结果提出异议',
        en: 'Only a bidder of this tender may object to its result',
      });
    if (!u.content?.trim())
      reject('VALIDATION_FAILED', {
        zh: 'content：异议须写明事实和理由',
        en: 'content: an objection needs facts and reasons',
      });
    if (this.objections.some((o) => o.id === u.objectionId))
      reject('CONFLICT', { zh: '该异议已经收到', en: 'This objection was already received' });
  }

  /**
   * Recorded, then answered in the authority's inbox: an objection to the result is queued for the
   * publicity phase (see `publish`); one to the documents gets its answer task at once, and the
   * opening waits for the answer (实施条例 Art. 22: 作出答复前，应当暂停招标投标活动).
   */
  raiseObjection(u: TenderObjectionInput): Promise<{ objectionId: string; kind: TenderObjectionKind }> {
    const receivedAtMs = Date.now();
    return this.commands.runExclusive(async () => {
      this.checkObjection(u, receivedAtMs);
      const kind = this.objectionKindAt(receivedAtMs);
      if (kind === 'DOCUMENTS') {
        const policy = await this.policyLoaded;
        const cutoff = policy.tenderDocumentObjectionCutoff;
        // In time if the cut-off period, counted from its arrival, still ends by the deadline.
        if ((await this.periodEnd(cutoff, receivedAtMs)) > this.bidWindow!.atMs!) {
          reject('OBJECTION_CLOSED', {
            zh: `对招标文件的异议须在投标截止时间 ${iso(this.bidWindow!.atMs)} 前至少 ${cutoff} 提出`,
            en: `Objections to the tender documents are raised at least ${cutoff} before the bid deadline ${iso(this.bidWindow!.atMs)}`,
          });
        }
      }
      await acts.recordTenderObjection({
        objectionId: u.objectionId,
        tenderId: this.input.tenderId,
        bidderId: u.actor.publicApplicantId,
        submittedById: u.actor.userId,
        content: u.content,
        authorityDeptId: this.input.authorityDeptId,
        kind,
      });
      const o: TenderObjection = {
        id: u.objectionId,
        bidderId: u.actor.publicApplicantId,
        kind,
        publicityRound: kind === 'RESULT' ? this.publicity!.round : 0,
      };
      this.objections.push(o);
      if (kind === 'RESULT') this.unanswered.push(o);
      else {
        const answer = this.answerObjection(o);
        // Handled at once: a failure surfaces where the opening awaits it, not as an unhandled rejection meanwhile.
        answer.catch(() => undefined);
        this.documentAnswers.push(answer);
      }
      return { objectionId: u.objectionId, kind };
    });
  }

  checkConfirmAward(u: ConfirmAwardInput): Award {
    const award = this.award;
    if (this.stage !== 'AGREEMENT' || !award)
      return reject('CONFLICT', {
        zh: `当前没有待确认的授权协议（阶段 ${this.stage}）`,
        en: `There is no authorisation agreement to confirm (stage ${this.stage})`,
      });
    if (u.actor.publicApplicantId !== award.winnerBidderId)
      reject('FORBIDDEN', {
        zh: '只有中标人可以确认授权协议',
        en: 'Only the winning bidder confirms the authorisation agreement',
      });
    if (award.winnerConfirmed) reject('CONFLICT', { zh: '该协议已经确认', en: 'The agreement is already confirmed' });
    return award;
  }

  confirmAward(u: ConfirmAwardInput): Promise<{ agreementNo: string }> {
    return this.commands.runExclusive(async () => {
      const award = this.checkConfirmAward(u);
      await acts.confirmAgreement({ agreementId: award.agreementId, party: 'B' });
      award.winnerConfirmed = true;
      return { agreementNo: award.agreementNo };
    });
  }

  // --- Phases, in the order workflows/tender.ts runs them. ---

  async start(): Promise<void> {
    this.policy = await this.policyLoaded;
    this.tasks = new TaskRuntime(this.policy, () => this.stage);
  }

  /** The plan as a draft, optionally under public comment, until it is announced; false if cancelled. */
  async untilAnnounced(): Promise<boolean> {
    const decided = () => this.stage === 'BIDDING' || this.cancellation !== undefined;
    await condition(() => decided() || this.comment !== undefined);
    // The comment period is counted in working days: waiting on it lets a calendar change move its end.
    if (this.comment && !decided() && (await this.comment.wait(decided)) === 'due')
      this.show('公开征求意见期已结束，待发布招标公告');
    await condition(decided);
    return this.cancellation === undefined;
  }

  /** The bid window until its (movable) deadline; false if cancelled. */
  async untilBidDeadline(): Promise<boolean> {
    const window = this.bidWindow!;
    for (;;) {
      if ((await window.wait(() => this.cancellation !== undefined)) === 'done') return false;
      // Commands that arrived before the deadline go first: a last bid is stored, a change may extend the window.
      const closed = await this.commands.runExclusive(() => {
        this.opened = window.passed() && this.cancellation === undefined;
        return this.opened;
      });
      if (closed) break;
    }
    this.enter('OPENING', '投标截止，开标');
    return true;
  }

  async openBids(): Promise<OpeningResult> {
    if (this.documentAnswers.length) {
      this.show('投标截止；招标文件异议答复前暂停开标');
      await Promise.all(this.documentAnswers);
    }
    const opening = await acts.openBids({ tenderId: this.input.tenderId });
    this.bidderIds = opening.bidderIds;
    return opening;
  }

  /** 招标投标法 Art. 28: fewer valid bids than the policy minimum and the tender fails. The reason, if so. */
  tooFewValidBids(opening: OpeningResult): string | undefined {
    const min = this.policy.tenderMinValidBids;
    return opening.validBids.length < min
      ? `有效投标人 ${opening.validBids.length} 家，少于 ${min} 家，招标失败`
      : undefined;
  }

  /** The committee (topped up after recusals) scores every valid bid in their inboxes; the ranking follows. */
  async evaluate(opening: OpeningResult): Promise<RankingRow[]> {
    if (opening.recused.length) {
      await acts.noticeTenderParties({
        tenderId: this.input.tenderId,
        eventKey: 'recusals',
        bidderIds: [],
        authorityDeptId: this.input.authorityDeptId,
        headline: '评标委员会成员回避',
        message: `评标委员会成员 ${opening.recused.map((r) => r.userId).join('、')} 与投标人存在关联关系，已回避。`,
      });
    }
    await acts.startEvaluation({ tenderId: this.input.tenderId });
    this.enter('EVALUATION', `有效投标 ${opening.validBids.length} 份，评标委员会评审`);
    const committee = await this.topUpCommittee(opening.committee);
    const bidIds = opening.validBids.map((b) => b.bidId);
    await Promise.all(committee.map((userId) => this.scoreBids(userId, bidIds, opening.criteria)));
    return acts.rankTender({ tenderId: this.input.tenderId, committee });
  }

  /** Publicity of the proposed winner; an upheld objection passes the proposal to the next in rank. */
  async publicize(ranking: RankingRow[]): Promise<RankingRow | undefined> {
    const candidates = [...ranking];
    for (let round = 1; ; round++) {
      const proposed = candidates.shift();
      if (!proposed) return undefined;
      const upheld = await this.publish(proposed, round);
      if (upheld.length === 0) return proposed;
      await acts.disqualifyBid({
        bidId: proposed.bidId,
        reason: `公示期异议成立：${upheld.map((o) => o.answer).join('；')}`,
      });
    }
  }

  /** Award: the authority confirms in its inbox, the winner through the API (a public applicant has no inbox). */
  async agree(winner: RankingRow): Promise<Award> {
    this.enter('AGREEMENT', `中标人 ${winner.bidderName}，待双方确认授权运营协议`);
    const awarded = await acts.awardTender({
      tenderId: this.input.tenderId,
      bidId: winner.bidId,
      authorityDeptId: this.input.authorityDeptId,
    });
    const award: Award = { ...awarded, winnerConfirmed: false };
    this.award = award;
    await Promise.all([this.authorityConfirms(award), this.winnerConfirms(award)]);
    return award;
  }

  /** The Authorization is registered and its follow-up (Art. 27 ¶4) runs as a workflow of its own. */
  async authorize(award: Award): Promise<TenderResult> {
    const { input } = this;
    const authorization = await acts.createAuthorization({
      tenderId: input.tenderId,
      agreementId: award.agreementId,
      authorityDeptId: input.authorityDeptId,
      ...(input.drillPolicyId && this.policy.drillMonth ? { drillMonth: this.policy.drillMonth } : {}),
    });
    this.enter('AWARDED', `授权 ${authorization.authorizationNo} 已登记，进入跟踪管理`);
    await startChild<typeof authorizationFollowUpWorkflow>('authorizationFollowUpWorkflow', {
      workflowId: authorization.workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          authorizationId: authorization.authorizationId,
          authorizationNo: authorization.authorizationNo,
          tenderId: input.tenderId,
          operatorId: authorization.operatorId,
          authorityDeptId: input.authorityDeptId,
          startsAtMs: authorization.startsAtMs,
          endsAtMs: authorization.endsAtMs,
          ...(input.drillPolicyId ? { drillPolicyId: input.drillPolicyId } : {}),
        },
      ],
    });
    return {
      outcome: 'AWARDED',
      authorizationId: authorization.authorizationId,
      followUpWorkflowId: authorization.workflowId,
    };
  }

  async cancelled(): Promise<TenderResult> {
    const c = this.cancellation!;
    await acts.cancelTender({
      tenderId: this.input.tenderId,
      reasons: c.reasons,
      actorUserId: c.actorUserId,
      authorityDeptId: this.input.authorityDeptId,
    });
    this.enter('CANCELLED', `招标已终止：${c.reasons}`);
    return { outcome: 'CANCELLED' };
  }

  /** The tender failed; the authority decides in its inbox whether to re-run it as a new round. */
  async failed(reasons: string, validBids: number): Promise<TenderResult> {
    const { input, policy } = this;
    await acts.failTender({
      tenderId: input.tenderId,
      reasons,
      validBids,
      minValidBids: policy.tenderMinValidBids,
      authorityDeptId: input.authorityDeptId,
    });
    this.enter('FAILED', reasons);
    const task = await this.openTask({
      key: 'rerun',
      step: 'RERUN_DECISION',
      title: `招标 ${input.tenderNo} 失败，是否重新招标`,
      subjectRef: input.tenderId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['RERUN', 'CLOSE'],
      reasonsRequiredFor: ['CLOSE'],
      workingDays: policy.tenderRerunDecisionWorkingDays,
    });
    const d = await this.tasks.decision(task);
    if (d.decision !== 'RERUN') return { outcome: 'FAILED' };
    const next = await acts.createNextRound({ tenderId: input.tenderId, actorUserId: d.actor.userId });
    await startChild<typeof commercialTenderWorkflow>('commercialTenderWorkflow', {
      workflowId: next.workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          tenderId: next.tenderId,
          tenderNo: next.tenderNo,
          authorityDeptId: input.authorityDeptId,
          round: next.round,
          ...(input.drillPolicyId ? { drillPolicyId: input.drillPolicyId } : {}),
        },
      ],
    });
    return { outcome: 'FAILED', nextRoundWorkflowId: next.workflowId };
  }

  /** The procedure has ended: nothing open may be decided any more. */
  closeTasks(): void {
    this.tasks?.closeAll();
  }

  // --- Steps inside the phases. ---

  /**
   * One publicity round (招标投标法实施条例 Art. 54): every objection received before its end is
   * answered before the tender goes on. The answers run beside the wait and are awaited here.
   */
  private async publish(proposed: RankingRow, round: number): Promise<TenderObjection[]> {
    const period = this.policy.tenderPublicityPeriod;
    const fromMs = Date.now();
    const { publicityEndsAtMs } = await acts.startPublicity({
      tenderId: this.input.tenderId,
      bidId: proposed.bidId,
      period,
      fromMs,
      calendarPolicy: this.calendarPolicy(this.policy),
    });
    const window = this.periodDeadline(period, fromMs, publicityEndsAtMs, 'PUBLICITY');
    this.publicity = { round, window };
    this.enter('PUBLICITY', `中标候选人 ${proposed.bidderName} 公示至 ${iso(publicityEndsAtMs)}`);
    const answers: Promise<void>[] = [];
    const takeUp = () => {
      for (let o = this.unanswered.shift(); o; o = this.unanswered.shift()) {
        const answer = this.answerObjection(o);
        // Handled at once: a failure surfaces at the Promise.all below, not as an unhandled rejection meanwhile.
        answer.catch(() => undefined);
        answers.push(answer);
      }
    };
    for (;;) {
      takeUp();
      if ((await window.wait(() => this.unanswered.length > 0)) === 'due') break;
    }
    // Objections that arrived before the end may still be being recorded: they go first.
    await this.commands.runExclusive(() => undefined);
    takeUp();
    await Promise.all(answers);
    return this.objections.filter((o) => o.publicityRound === round && o.decision === 'UPHOLD');
  }

  private async answerObjection(o: TenderObjection): Promise<void> {
    const task = await this.openTask({
      key: `objection:${o.id}`,
      step: 'ANSWER_OBJECTION',
      title:
        o.kind === 'DOCUMENTS'
          ? `答复招标文件异议（招标 ${this.input.tenderNo}）`
          : `答复中标候选人公示异议（招标 ${this.input.tenderNo}）`,
      subjectRef: o.id,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['DISMISS', 'UPHOLD'],
      reasonsRequiredFor: ['DISMISS', 'UPHOLD'],
      workingDays: this.policy.tenderObjectionAnswerWorkingDays,
    });
    const d = await this.tasks.decision(task);
    await acts.answerTenderObjection({
      objectionId: o.id,
      decision: d.decision,
      answer: d.reasons ?? '',
      actorUserId: d.actor.userId,
    });
    o.answer = d.reasons ?? '';
    o.decision = d.decision;
  }

  /** One committee member scores every valid bid; the task is addressed to that member alone. */
  private async scoreBids(userId: string, bidIds: string[], criteria: TenderCriterion[]): Promise<void> {
    const task = await this.openTask(
      {
        key: `score:${userId}`,
        step: 'SCORE_BIDS',
        title: `评审投标文件（招标 ${this.input.tenderNo}）`,
        subjectRef: userId,
        candidateRole: 'EVALUATOR',
        allowedDecisions: ['SUBMIT_SCORES'],
        reasonsRequiredFor: [],
        workingDays: this.policy.tenderEvaluationWorkingDays,
      },
      (d) => {
        if (d.actor.userId !== userId)
          reject('FORBIDDEN', {
            zh: '该评分任务属于评标委员会的其他成员',
            en: 'This scoring task belongs to another member of the evaluation committee',
          });
        const entries = d.payload?.scores;
        if (!Array.isArray(entries))
          reject('VALIDATION_FAILED', {
            zh: 'payload.scores：须提供 { bidId, criterion, score } 列表',
            en: 'payload.scores: a list of { bidId, criterion, score } is required',
          });
        const problems = scoreSheetProblems(entries as ScoreEntry[], bidIds, criteria);
        if (problems.length)
          reject('VALIDATION_FAILED', {
            zh: `评分表有误（payload.scores）：${problems
              .slice(0, 5)
              .map((q) => q.zh)
              .join('；')}`,
            en: `payload.scores: ${problems
              .slice(0, 5)
              .map((q) => q.en)
              .join('; ')}`,
          });
      },
    );
    const d = await this.tasks.decision(task);
    const entries = (d.payload!.scores as ScoreEntry[]).map((e) => ({
      bidId: e.bidId,
      criterion: e.criterion,
      score: e.score,
    }));
    await acts.recordScores({ tenderId: this.input.tenderId, evaluatorUserId: userId, entries });
  }

  /** Too many members stood aside: replacements are drawn (or appointed by the authority) until the committee is large enough. */
  private async topUpCommittee(committee: string[]): Promise<string[]> {
    const min = this.policy.tenderMinEvaluators;
    // 招标投标法 Art. 37: five or more, an odd number; older cases only kept the minimum.
    const missing = (c: string[]) =>
      Math.max(0, min - c.length) || (c.length % 2 === 0 && patched('tender-odd-committee') ? 1 : 0);
    for (let round = 1; missing(committee) > 0; round++) {
      // 实施条例 Art. 46 ¶2: a drawn committee's replacements are drawn too; the authority appoints only what the pool cannot give.
      if (patched('tender-drawn-replacements')) {
        const { drawn } = await acts.drawReplacementEvaluators({
          tenderId: this.input.tenderId,
          authorityDeptId: this.input.authorityDeptId,
          count: missing(committee),
          round,
        });
        committee = [...committee, ...drawn];
        if (missing(committee) === 0) break;
      }
      const task = await this.openTask(
        {
          key: `appoint-evaluators:${round}`,
          step: 'APPOINT_EVALUATORS',
          subjectRef: this.input.tenderId,
          title: `补充评标委员会成员（招标 ${this.input.tenderNo}，尚缺 ${missing(committee)} 人）`,
          candidateRole: 'AUTHORITY_REVIEWER',
          allowedDecisions: ['APPOINT'],
          reasonsRequiredFor: [],
          workingDays: this.policy.tenderEvaluationWorkingDays,
        },
        (d) => {
          const list = d.payload?.evaluators;
          if (
            !Array.isArray(list) ||
            list.length === 0 ||
            !list.every((e) => typeof e?.userId === 'string' && Array.isArray(e?.declaredAffiliations))
          ) {
            reject('VALIDATION_FAILED', {
              zh: 'payload.evaluators：须提供 { userId, declaredAffiliations[] } 列表',
              en: 'payload.evaluators: a list of { userId, declaredAffiliations[] } is required',
            });
          }
        },
      );
      const d = await this.tasks.decision(task);
      const evaluators = d.payload!.evaluators as Array<{ userId: string; declaredAffiliations: string[] }>;
      const result = await acts.appointEvaluators({
        tenderId: this.input.tenderId,
        authorityDeptId: this.input.authorityDeptId,
        evaluators,
      });
      committee = [...committee, ...result.appointed];
    }
    return committee;
  }

  private async authorityConfirms(award: Award): Promise<void> {
    const task = await this.openTask({
      key: 'agreement:authority',
      step: 'AGREEMENT_CONFIRM',
      title: `确认授权运营协议 ${award.agreementNo}`,
      subjectRef: award.agreementId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['CONFIRM'],
      reasonsRequiredFor: [],
      workingDays: this.policy.agreementConfirmWorkingDays,
    });
    await this.tasks.decision(task);
    await acts.confirmAgreement({ agreementId: award.agreementId, party: 'A' });
  }

  /** 招标投标法 Art. 46: the winner is reminded when it has not confirmed within the policy period. */
  private async winnerConfirms(award: Award): Promise<void> {
    const period = this.policy.tenderWinnerConfirmPeriod;
    const fromMs = Date.now();
    const reminder = this.periodDeadline(period, fromMs, await this.periodEnd(period, fromMs));
    if ((await reminder.wait(() => award.winnerConfirmed)) === 'done') return;
    await acts.noticeTenderParties({
      tenderId: this.input.tenderId,
      eventKey: 'winner-confirm-overdue',
      bidderIds: [award.winnerBidderId],
      authorityDeptId: this.input.authorityDeptId,
      headline: '授权运营协议尚未确认',
      message: `请尽快确认授权运营协议 ${award.agreementNo}；数据主管部门已收到提醒。`,
    });
    await condition(() => award.winnerConfirmed);
  }

  // --- Helpers. ---

  /** Bids and changes are taken while the announced window is open at `atMs` and the opening has not begun. */
  private biddingOpenAt(atMs: number): boolean {
    const deadline = this.bidWindow?.atMs ?? null;
    return this.stage === 'BIDDING' && !this.opened && deadline !== null && atMs < deadline;
  }

  private requireAuthority(actor: TaskActor): void {
    if (
      actor.departmentId !== this.input.authorityDeptId ||
      !(actor.roles.includes('AUTHORITY_REVIEWER') || actor.roles.includes('ADMIN'))
    ) {
      reject('FORBIDDEN', {
        zh: '只有政务数据主管部门的审核人员可以管理招标',
        en: 'Only a reviewer of the data authority may manage a tender',
      });
    }
  }

  private refuseWhileCancelling(): void {
    if (this.cancellation) reject('CONFLICT', { zh: '该招标正在取消', en: 'The tender is being cancelled' });
  }

  private calendarPolicy(policy: ProcedurePolicy): CalendarPolicyInput {
    return {
      countMakeupWorkdays: policy.countMakeupWorkdays,
      ...(policy.drillWorkingDay ? { drillWorkingDay: policy.drillWorkingDay } : {}),
    };
  }

  /** The end of a policy period from an instant, on the calendar the procedure's policy chooses (调休上班日). */
  private async periodEnd(period: string, fromMs: number): Promise<number> {
    const policy = await this.policyLoaded;
    return acts.tenderPeriodEnd({ fromMs, period, calendarPolicy: this.calendarPolicy(policy) });
  }

  /**
   * A window counted from `fromMs`: a calendar change recounts it from the same start (a period in
   * working days moves; one in calendar days stays), and the tender row shows a comment or
   * publicity period's new end.
   */
  private periodDeadline(
    period: string,
    fromMs: number,
    endsAtMs: number,
    shown?: 'COMMENT' | 'PUBLICITY',
  ): MovableDeadline {
    const deadline: MovableDeadline = new MovableDeadline(endsAtMs, {
      recompute: async () => {
        const moved = await this.periodEnd(period, fromMs);
        if (shown && moved !== deadline.atMs)
          await acts.moveTenderPeriod({ tenderId: this.input.tenderId, period: shown, endsAtMs: moved });
        return moved;
      },
    });
    return deadline;
  }

  private openTask(spec: TenderTaskSpec, validate?: (input: CompleteTaskInput) => void): Promise<OpenTask> {
    const { key, ...rest } = spec;
    return this.tasks.open(
      {
        ...rest,
        taskKey: `${this.wfId}:${key}`,
        procedure: 'COMMERCIAL_TENDER',
        candidateDeptId: this.input.authorityDeptId,
        procedureName: PROCEDURE_NAME,
        applicationNo: this.input.tenderNo,
      },
      { validate },
    );
  }

  private enter(next: Stage, message: string): void {
    this.current = next;
    upsertSearchAttributes([{ key: SA.Stage, value: next }]);
    this.show(message);
  }

  private show(message: string): void {
    const drill = this.input.drillPolicyId ? '【演练】' : '';
    setCurrentDetails(
      `${drill}**${PROCEDURE_NAME} ${this.input.tenderNo}**（第${this.input.round}轮） — stage \`${this.stage}\`: ${message}`,
    );
  }
}
