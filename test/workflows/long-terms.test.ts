/**
 * Procedures that wait months keep their histories bounded. A grant term waits by construction in
 * a handful of events (workflows/kit/procedure.ts, useGrantsUntilExpiry): these tests count them
 * on the time-skipping server with the real activities. The follow-up of a tender's authorisation,
 * which recurs every period, continues as new instead (authorization-followup.test.ts).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { Db } from '../../lib/db';
import { conditionalShareWorkflow, ConditionalShareInput } from '../../workflows/conditional-share';
import { calendarChangedSignal } from '../../workflows/messages';
import { eventually } from '../support/env';
import { activityName, ProcedureHarness, procedureSuite, recordHistory, settled } from '../support/procedures';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * The bound this file proves for a grant term of any length (up to maxUsePeriodDays) with two
 * calendar changes. Measured: 23 events for a term without a change, whether 30 days or three
 * years, and 7 more per calendar change (58 and 12 before the kit's steps ran as local activities).
 */
const TERM_EVENTS_BOUND = 100;

describe('grant terms on the time-skipping server: the history of a term does not grow with its length', () => {
  const suite = procedureSuite();
  let env: TestWorkflowEnvironment;
  let db: Db;
  let h: ProcedureHarness;
  beforeEach(() => ({ env, db, h } = suite));

  /** A conditional share approved and confirmed: its grant is in use from now for `usePeriodDays`. */
  async function grantInUse(usePeriodDays: number) {
    const app = await h.application('CONDITIONAL_SHARE', 'rsj', ['GAJ-001']);
    const input: ConditionalShareInput = {
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantDeptId: 'rsj',
      authorityDeptId: 'dsj',
      providerDeptIds: app.providerDeptIds,
      usePeriodDays,
    };
    const handle = suite.track(
      await env.client.workflow.start(conditionalShareWorkflow, {
        workflowId: app.workflowId,
        taskQueue: h.taskQueue,
        args: [input],
      }),
    );
    await h.decide(app.workflowId, 'PROVIDER_REPLY', 'gaj.reviewer', 'AGREE');
    await h.decide(app.workflowId, 'AUTHORITY_REVIEW', 'dsj.reviewer', 'APPROVE');
    await h.decide(app.workflowId, 'AGREEMENT_CONFIRM', 'gaj.reviewer', 'CONFIRM');
    await h.decide(app.workflowId, 'AGREEMENT_CONFIRM', 'rsj.staff', 'CONFIRM');
    await eventually(
      async () => (await db.accessGrant.findFirst({ where: { applicationId: app.id, status: 'ACTIVE' } })) ?? undefined,
      'the grant in use',
    );
    await settled(env.client, app.workflowId);
    return { ...app, handle };
  }

  /** The events of the term: from the grant's activation to the end of the procedure. */
  async function termEvents(handle: {
    fetchHistory(): Promise<temporal.api.history.v1.IHistory>;
  }): Promise<HistoryEvent[]> {
    const events = (await handle.fetchHistory()).events ?? [];
    const from = events.findIndex((e) => activityName(e) === 'activateGrants');
    expect(from).toBeGreaterThan(0);
    return events.slice(from);
  }
  const activities = (events: HistoryEvent[], name: string) => events.filter((e) => activityName(e) === name);

  it('a three-year grant costs the events of a thirty-day one, plus a few per calendar change', async () => {
    const month = await grantInUse(30);
    expect(await month.handle.result()).toEqual({ outcome: 'APPROVED_AND_EXPIRED' });
    const monthTerm = await termEvents(month.handle);

    const years = await grantInUse(3 * 365);
    const expiresAt = (await db.accessGrant.findFirstOrThrow({ where: { applicationId: years.id } })).expiresAt!;
    const expiryYear = Number(
      new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(expiresAt),
    );
    // The calendar is reloaded once a year during the term (the State Council publishes the next year's holidays).
    const calendarChanges = 2;
    for (let i = 0; i < calendarChanges; i++) {
      await env.sleep('365 days');
      await years.handle.signal(calendarChangedSignal, { year: expiryYear, loadedAt: new Date().toISOString() });
      await settled(env.client, years.workflowId);
    }
    expect(await years.handle.result()).toEqual({ outcome: 'APPROVED_AND_EXPIRED' });
    expect((await db.accessGrant.findFirstOrThrow({ where: { applicationId: years.id } })).status).toBe('EXPIRED');
    expect(
      await db.notification.count({ where: { dedupeKey: { startsWith: `${years.workflowId}:grant-expiring:` } } }),
    ).toBeGreaterThan(0);
    const yearsTerm = await termEvents(years.handle);

    // The reminder (working days before the expiry) was computed again after each change.
    expect(activities(yearsTerm, 'expiryReminderAt')).toHaveLength(1 + calendarChanges);
    expect(activities(monthTerm, 'expiryReminderAt')).toHaveLength(1);
    // Measured: 23 events from activation to the end for either term, 37 for the three years with two changes.
    // Thirty-six times the term, no more events than a calendar change's few.
    expect(yearsTerm.length - monthTerm.length).toBeLessThanOrEqual(calendarChanges * 15);
    expect(yearsTerm.length).toBeLessThan(TERM_EVENTS_BOUND);
    await recordHistory('conditional-share-long-term-calendar-changes', years.handle);
  });
});
