/**
 * Every procedure workflow the worker registers, each wrapped so that the writes the kit holds
 * for a carrier are all sent before the procedure ends (see `sendingWrites`).
 */
import { sendingWrites } from './kit/activities';
import { unconditionalShareWorkflow as unconditionalShare } from './unconditional-share';
import { conditionalShareWorkflow as conditionalShare } from './conditional-share';
import { nonGovernmentAccessWorkflow as nonGovernmentAccess } from './non-government-access';
import { conditionalOpenWorkflow as conditionalOpen } from './conditional-open';
import { objectionWorkflow as objection } from './objection';
import { securityIncidentWorkflow as securityIncident } from './security-incident';
import { commercialTenderWorkflow as commercialTender } from './tender';
import {
  authorizationFollowUpWorkflow as authorizationFollowUp,
  useReportWorkflow as useReport,
} from './authorization-followup';
import { evaluationReportWorkflow as evaluationReport } from './evaluation-report';
import { catalogReviewWorkflow as catalogReview } from './catalog-review';
import { catalogUpdateDutyWorkflow as catalogUpdateDuty } from './catalog-update-duty';
import { catalogProjectWorkflow as catalogProject } from './catalog-project';
import { calendarRolloutWorkflow as calendarRollout } from './calendar-rollout';

export const unconditionalShareWorkflow = sendingWrites(unconditionalShare);
export const conditionalShareWorkflow = sendingWrites(conditionalShare);
export const nonGovernmentAccessWorkflow = sendingWrites(nonGovernmentAccess);
export const conditionalOpenWorkflow = sendingWrites(conditionalOpen);
export const objectionWorkflow = sendingWrites(objection);
export const securityIncidentWorkflow = sendingWrites(securityIncident);
export const commercialTenderWorkflow = sendingWrites(commercialTender);
export const authorizationFollowUpWorkflow = sendingWrites(authorizationFollowUp);
export const useReportWorkflow = sendingWrites(useReport);
export const evaluationReportWorkflow = sendingWrites(evaluationReport);
export const catalogReviewWorkflow = sendingWrites(catalogReview);
export const catalogUpdateDutyWorkflow = sendingWrites(catalogUpdateDuty);
export const catalogProjectWorkflow = sendingWrites(catalogProject);
export const calendarRolloutWorkflow = sendingWrites(calendarRollout);
