import { applicationActivities } from './applications';
import { auditActivities } from './audit';
import { calendarActivities } from './calendar';
import { type ActivityDeps, withFinalNotFound } from './deps';
import { grantActivities } from './grants';
import { inboxActivities } from './inbox';
import { incidentActivities } from './security-incident';
import { notificationActivities } from './notifications';
import { tenderActivities } from './tender';
import { objectionActivities } from './objection';
import { openDataActivities } from './conditional-open';
import { evaluationActivities } from './evaluation';
import { catalogActivities } from './catalog';

/**
 * All activities, built from their dependencies. Workflows type their proxies from this. A "not
 * found" from any of them is final (non-retryable), see `withFinalNotFound`.
 */
export function createActivities(deps: ActivityDeps) {
  return withFinalNotFound({
    ...auditActivities(deps),
    ...notificationActivities(deps),
    ...grantActivities(deps),
    ...inboxActivities(deps),
    ...applicationActivities(deps),
    ...tenderActivities(deps),
    ...objectionActivities(deps),
    ...incidentActivities(deps),
    ...openDataActivities(deps),
    ...evaluationActivities(deps),
    ...catalogActivities(deps),
    ...calendarActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
