/**
 * Messages of the open-data procedures that are not inbox decisions. A public applicant has no
 * department, so its step (accepting the open-use agreement, Art. 27 ¶1) cannot be an inbox task:
 * the API checks the signed-in applicant and sends this Update; the workflow validates it again.
 * The data authority's revocation of an authorised use (Art. 27 ¶4) is an Update too, so the
 * caller learns at once whether the procedure accepted it.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { PublicActor, TaskActor } from './messages';

export interface AnswerOpenAgreementInput {
  agreementNo: string;
  accept: boolean;
  comment?: string;
  actor: PublicActor;
}

export interface AnswerOpenAgreementResult {
  agreementNo: string;
  accepted: boolean;
  stage: string;
}

/** The applicant accepts (or declines) the open-use agreement (开放利用协议). */
export const answerOpenAgreementUpdate = defineUpdate<AnswerOpenAgreementResult, [AnswerOpenAgreementInput]>(
  'answerOpenAgreement',
);

export interface RevokeOpenAuthorizationInput {
  reasons: string;
  actor: TaskActor;
}

/** The data authority ends an authorised use early; the reasons reach the applicant. */
export const revokeOpenAuthorizationUpdate = defineUpdate<{ stage: string }, [RevokeOpenAuthorizationInput]>(
  'revokeOpenAuthorization',
);
