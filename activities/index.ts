import { auditActivities } from './audit';
import type { ActivityDeps } from './deps';
import { grantActivities } from './grants';
import { notificationActivities } from './notifications';

/** All activities, built from their dependencies. Workflows type their proxies from this. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...auditActivities(deps),
    ...notificationActivities(deps),
    ...grantActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
