import { applicationActivities } from './applications';
import { auditActivities } from './audit';
import type { ActivityDeps } from './deps';
import { grantActivities } from './grants';
import { inboxActivities } from './inbox';
import { notificationActivities } from './notifications';

/** All activities, built from their dependencies. Workflows type their proxies from this. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...auditActivities(deps),
    ...notificationActivities(deps),
    ...grantActivities(deps),
    ...inboxActivities(deps),
    ...applicationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
