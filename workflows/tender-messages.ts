/**
 * Messages of the commercial tender (Art. 27 ¶3) and of the follow-up of the authorisation it
 * awards (Art. 27 ¶4), shared by the API and the workflows. The authority's own tender
 * management and the public applicants' acts (bids, objections, the winner's confirmation,
 * use reports) are Updates sent by the API after it has checked the principal: public
 * applicants have no department, so they cannot hold inbox tasks. Inbox tasks (TaskRuntime)
 * are used for the authority's and the evaluators' decisions.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { BidderActor, TaskActor } from './messages';

export type { BidderActor } from './messages';

/** A signed-in public applicant acting for a legal person (统一社会信用代码 holder). */

export interface OpenCommentInput {
  actor: TaskActor;
}
export const openTenderCommentUpdate = defineUpdate<{ commentEndsAtMs: number }, [OpenCommentInput]>(
  'openTenderComment',
);

export interface AnnounceInput {
  actor: TaskActor;
  /** The deadline the plan states; at least the policy's minimum bid window from now. Default: exactly that minimum. */
  bidDeadlineMs?: number;
}
export const announceTenderUpdate = defineUpdate<{ bidDeadlineMs: number }, [AnnounceInput]>('announceTender');

export interface TenderChanges {
  title?: string;
  scope?: string;
  authorizationModel?: string;
  eligibilityOther?: string[];
  /** A later deadline the authority wants anyway; never earlier than what the change requires. */
  bidDeadlineMs?: number;
}
export interface AmendInput {
  actor: TaskActor;
  reason: string;
  changes: TenderChanges;
}
export const amendTenderUpdate = defineUpdate<{ bidDeadlineMs: number; announcementVersion: number }, [AmendInput]>(
  'amendTender',
);

export interface CancelTenderInput {
  actor: TaskActor;
  reasons: string;
}
export const cancelTenderUpdate = defineUpdate<{ stage: string }, [CancelTenderInput]>('cancelTender');

/** Only ids travel: the sealed envelope stays in Postgres (BidSubmission), not in the history. */
export interface SubmitBidInput {
  actor: BidderActor;
  submissionId: string;
}
export interface SubmitBidResult {
  bidId: string;
  version: number;
  acceptedAtMs: number;
  bidDeadlineMs: number;
}
export const submitBidUpdate = defineUpdate<SubmitBidResult, [SubmitBidInput]>('submitBid');

/**
 * 招标投标法 Art. 29: before the deadline a bidder may withdraw its bid; it no longer counts at the
 * opening. `submissionId` names the envelope withdrawn (the bid as the bidder last saw it).
 */
export interface WithdrawBidInput {
  actor: BidderActor;
  submissionId: string;
}
export const withdrawBidUpdate = defineUpdate<{ withdrawnAtMs: number; bidDeadlineMs: number }, [WithdrawBidInput]>(
  'withdrawBid',
);

/**
 * An objection: during the bid window to the tender documents (招标投标法实施条例 Art. 22, from any
 * legal person, until the policy's cut-off before the deadline), during publicity to the proposed
 * winner (Art. 54, from a bidder).
 */
export interface TenderObjectionInput {
  actor: BidderActor;
  objectionId: string;
  content: string;
}
export type TenderObjectionKind = 'DOCUMENTS' | 'RESULT';
export const raiseTenderObjectionUpdate = defineUpdate<
  { objectionId: string; kind?: TenderObjectionKind },
  [TenderObjectionInput]
>('raiseTenderObjection');

export interface ConfirmAwardInput {
  actor: BidderActor;
}
export const confirmAwardUpdate = defineUpdate<{ agreementNo: string }, [ConfirmAwardInput]>('confirmAward');

/** The authority suspends, reinstates or revokes an authorisation (with reasons). */
export type AuthorizationAction = 'SUSPEND' | 'REINSTATE' | 'REVOKE';
export interface ChangeAuthorizationInput {
  actor: TaskActor;
  action: AuthorizationAction;
  reasons: string;
}
export const changeAuthorizationUpdate = defineUpdate<{ status: string }, [ChangeAuthorizationInput]>(
  'changeAuthorization',
);

export interface SubmitUseReportInput {
  actor: BidderActor;
  summary: string;
  securityIncidents?: string;
}
export const submitUseReportUpdate = defineUpdate<{ reportId: string; late: boolean }, [SubmitUseReportInput]>(
  'submitUseReport',
);
