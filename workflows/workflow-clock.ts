/**
 * The field the workflow kit adds to the input of a local activity: the workflow's clock
 * (`Date.now()` in workflow code, the time the server gave the workflow task) when it asked for
 * the activity. A local activity's attempt times come from the worker's own clock, which the
 * time-skipping test server does not move; `activityNow` (activities/deps.ts) counts from this
 * instead, so a local activity sees the time its workflow's timers run on, like a remote one.
 */
export const WORKFLOW_NOW_FIELD = '__workflowNowMs';
