import { applicationActivities } from './applications';
import { auditActivities } from './audit';
import type { ActivityDeps } from './deps';
import { grantActivities } from './grants';
import { inboxActivities } from './inbox';
import { incidentActivities } from './security-incident';
import { notificationActivities } from './notifications';
import { tenderActivities } from './tender';
import { objectionActivities } from './objection';
import { openDataActivities } from './conditional-open';

/** All activities, built from their dependencies. Workflows type their proxies from this. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...auditActivities(deps),
    ...notificationActivities(deps),
    ...grantActivities(deps),
    ...inboxActivities(deps),
    ...applicationActivities(deps),
    ...tenderActivities(deps),
    ...objectionActivities(deps),
    ...incidentActivities(deps),
    ...openDataActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
