/** Every procedure workflow the worker registers. */
export { unconditionalShareWorkflow } from './unconditional-share';
export { conditionalShareWorkflow } from './conditional-share';
export { nonGovernmentAccessWorkflow } from './non-government-access';
export { conditionalOpenWorkflow } from './conditional-open';
export { objectionWorkflow } from './objection';
export { securityIncidentWorkflow } from './security-incident';
export { commercialTenderWorkflow } from './tender';
export { authorizationFollowUpWorkflow, useReportWorkflow } from './authorization-followup';
export { evaluationReportWorkflow } from './evaluation-report';
export { catalogReviewWorkflow } from './catalog-review';
export { catalogUpdateDutyWorkflow } from './catalog-update-duty';
export { catalogProjectWorkflow } from './catalog-project';
export { calendarRolloutWorkflow } from './calendar-rollout';
