/**
 * 商业开发授权的公开招标 (Art. 27 ¶3): plan (with optional public comment) → announcement with
 * a bid window of at least the policy minimum (a change after publication extends it) → sealed
 * bids, replaceable until the deadline → opening by a durable timer (too few valid bids: the
 * tender fails; the authority may re-run it as a new, linked round) → scoring by the evaluation
 * committee in their inboxes → ranking → publicity with objections answered before award →
 * award, agreement confirmed by the winner (API) and the authority (inbox) → Authorization
 * registered and its follow-up started (authorization-followup.ts).
 *
 * This file is the procedure's outline; the state and its transitions are in tender-state.ts.
 * Updates wait their turn there rather than being refused while another is applied, and each
 * answers once the procedure has carried it through (`answered`).
 */
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { answered, settle } from './kit/settle';
import {
  amendTenderUpdate,
  announceTenderUpdate,
  cancelTenderUpdate,
  confirmAwardUpdate,
  openTenderCommentUpdate,
  raiseTenderObjectionUpdate,
  submitBidUpdate,
  withdrawBidUpdate,
} from './tender-messages';
import { TenderProcedure } from './tender-state';

export interface TenderInput {
  tenderId: string;
  tenderNo: string;
  authorityDeptId: string;
  round: number;
  /** A drill (演练): the drill PolicyVersion it runs under instead of the policy in force. */
  drillPolicyId?: string;
}

export type TenderOutcome = 'AWARDED' | 'FAILED' | 'CANCELLED';

export interface TenderResult {
  outcome: TenderOutcome;
  authorizationId?: string;
  followUpWorkflowId?: string;
  /** A failed tender the authority re-runs: the new round's workflow. */
  nextRoundWorkflowId?: string;
}

export type Stage =
  | 'DRAFT'
  | 'COMMENT'
  | 'BIDDING'
  | 'OPENING'
  | 'EVALUATION'
  | 'PUBLICITY'
  | 'AGREEMENT'
  | 'AWARDED'
  | 'FAILED'
  | 'CANCELLED';

export async function commercialTenderWorkflow(input: TenderInput): Promise<TenderResult> {
  const tender = new TenderProcedure(input);
  // Installed before the first await, so an Update sent right after the start finds them.
  acceptCommands(tender);
  const result = await runPhases(tender);
  tender.closeTasks();
  // The history grows by a few events per bid, objection and task only: no continue-as-new needed.
  await condition(allHandlersFinished);
  return result;
}

async function runPhases(tender: TenderProcedure): Promise<TenderResult> {
  await tender.start();
  if (!(await tender.untilAnnounced()) || !(await tender.untilBidDeadline())) return tender.cancelled();
  const opening = await tender.openBids();
  const tooFew = tender.tooFewValidBids(opening);
  if (tooFew) return tender.failed(tooFew, opening.validBids.length);
  const ranking = await tender.evaluate(opening);
  const winner = await tender.publicize(ranking);
  if (!winner) return tender.failed('中标候选人均因异议成立被取消资格，招标失败', 0);
  return tender.authorize(await tender.agree(winner));
}

function acceptCommands(t: TenderProcedure): void {
  setHandler(
    openTenderCommentUpdate,
    answered((u) => t.openComment(u)),
    { validator: (u) => t.checkOpenComment(u) },
  );
  setHandler(
    announceTenderUpdate,
    answered((u) => t.announce(u)),
    { validator: (u) => t.checkAnnounce(u) },
  );
  setHandler(
    amendTenderUpdate,
    answered((u) => t.amend(u)),
    { validator: (u) => t.checkAmend(u) },
  );
  // Answered with the stage the procedure reached after ending the tender.
  setHandler(
    cancelTenderUpdate,
    async (u) => {
      await t.cancel(u);
      await settle();
      return { stage: t.stage };
    },
    { validator: (u) => t.checkCancel(u) },
  );
  setHandler(
    submitBidUpdate,
    answered((u) => t.submitBid(u)),
    { validator: (u) => t.checkBid(u) },
  );
  setHandler(
    withdrawBidUpdate,
    answered((u) => t.withdrawBid(u)),
    { validator: (u) => t.checkWithdraw(u) },
  );
  setHandler(
    raiseTenderObjectionUpdate,
    answered((u) => t.raiseObjection(u)),
    { validator: (u) => t.checkObjection(u) },
  );
  setHandler(
    confirmAwardUpdate,
    answered((u) => t.confirmAward(u)),
    { validator: (u) => t.checkConfirmAward(u) },
  );
}
