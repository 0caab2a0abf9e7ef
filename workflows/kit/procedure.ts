/**
 * What every application procedure shares: recording a stage change everywhere it shows (search
 * attribute for supervisors, details in the Web UI, the application's status and timeline), and
 * withdrawal by the applicant.
 */
import { CancellationScope, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { PartyNotice, StatusChange } from '../../activities/applications';
import { withdrawUpdate } from '../messages';
import { SA } from '../search-attributes';
import { acts } from './activities';
import { MovableDeadline } from './deadline';
import { reject } from './reject';
import { settle } from './settle';
import { upsertChanged, withCarriedProcedure } from './search';

export { acts } from './activities';

// Module state is per workflow execution (the SDK gives every workflow its own module cache).
let lastStatus: string | undefined;

/** The case status last recorded, for answers to Updates. */
export function currentStatus(): string | undefined {
  return lastStatus;
}

/** Records a status that is not an application's (objections, incidents, tenders). */
export function noteStatus(status: string): void {
  lastStatus = status;
}

export interface StageExtra {
  reasons?: string;
  final?: boolean;
  data?: Record<string, unknown>;
  eventKey?: string;
}

export async function recordStage(
  procedureName: string,
  app: { applicationId: string; applicationNo: string },
  stage: string,
  status: StatusChange['status'],
  message: string,
  extra: StageExtra = {},
): Promise<void> {
  upsertChanged(withCarriedProcedure([{ key: SA.Stage, value: stage }]));
  lastStatus = status;
  setCurrentDetails(`**${procedureName} ${app.applicationNo}** — stage \`${stage}\`: ${message}`);
  await acts.setApplicationStatus({
    applicationId: app.applicationId,
    status,
    eventKey: extra.eventKey ?? `stage:${stage}`,
    message,
    reasons: extra.reasons,
    final: extra.final,
    data: extra.data,
  });
}

export interface Withdrawal {
  actorUserId: string;
  reason?: string;
}

/**
 * The applicant's staff may withdraw while the procedure is in one of `withdrawableStages`: the
 * main scope is cancelled and the procedure cleans up. Returns what was withdrawn, if anything.
 */
export function acceptWithdrawal(opts: {
  applicantDeptId: string;
  withdrawableStages: string[];
  stage: () => string;
  scope: CancellationScope;
}): () => Withdrawal | undefined {
  let withdrawal: Withdrawal | undefined;
  setHandler(
    withdrawUpdate,
    async (w) => {
      withdrawal = { actorUserId: w.actor.userId, reason: w.reason };
      opts.scope.cancel();
      await settle();
      return { stage: opts.stage(), status: currentStatus() };
    },
    {
      validator: (w) => {
        if (w.actor.departmentId !== opts.applicantDeptId || !w.actor.roles.includes('DEPT_STAFF')) {
          reject('FORBIDDEN', {
            zh: '只有申请部门的工作人员可以撤回该申请',
            en: "Only the applicant's staff may withdraw the application",
          });
        }
        if (withdrawal || !opts.withdrawableStages.includes(opts.stage())) {
          reject('CONFLICT', {
            zh: `该申请已不能撤回（阶段 ${opts.stage()}）`,
            en: `The application can no longer be withdrawn (stage ${opts.stage()})`,
          });
        }
      },
    },
  );
  return () => withdrawal;
}

type Enter<S extends string> = (
  stage: S,
  status: StatusChange['status'],
  message: string,
  extra?: StageExtra,
) => Promise<void>;

/**
 * A withdrawn procedure ends cleanly: nothing open can be decided any more, open tasks are
 * cancelled, grants not yet in use are revoked, and everyone involved is told.
 */
export async function endWithdrawn(w: {
  closeTasks: () => void;
  workflowId: string;
  applicationId: string;
  enter: Enter<'WITHDRAWN'>;
  message: string;
  reason?: string;
  notice: Omit<PartyNotice, 'template'>;
}): Promise<void> {
  w.closeTasks();
  await acts.cancelOpenTasks({ workflowId: w.workflowId, reason: '申请已撤回' });
  await acts.endGrants({ applicationId: w.applicationId, status: 'REVOKED', reason: '申请已撤回' });
  await w.enter('WITHDRAWN', 'WITHDRAWN', w.message, { reasons: w.reason, final: true });
  await acts.notifyParties({ ...w.notice, template: 'withdrawn' });
}

/**
 * Grants become usable, and end by themselves at their expiry (a durable timer); the applicant
 * is reminded a policy number of working days before and may apply again.
 *
 * The history of the term stays bounded by construction, so there is no continue-as-new and no
 * child per term: whatever its length (up to maxUsePeriodDays, three years), the term costs the
 * same events — two waits on `MovableDeadline` (a timer each) and seven local activities, 23
 * events measured — because nothing recurs while the grant is in use (no reports, one reminder)
 * and the procedure takes no Update any more (its tasks are decided, withdrawal is over; a refused
 * Update leaves no event). Only a calendarChanged signal adds to it, 7 events each (the reminder
 * is counted again; the expiry, in calendar days, stays), and calendars change about once a year.
 * test/workflows/long-terms.test.ts counts the events of a three-year term on the time-skipping
 * server.
 */
export async function useGrantsUntilExpiry(u: {
  applicationId: string;
  expiresAtMs: number;
  enter: Enter<'IN_USE' | 'EXPIRED'>;
  mailKey: (event: string) => string;
  inUseMessage: string;
  granted: Pick<PartyNotice, 'departmentIds' | 'roles'>;
  applicantDeptId: string;
  expiringTitle: string;
  reminderWorkingDays: number;
  /** The procedure policy's calendar switch (e.g. whether 调休 makeup days count). */
  calendarPolicy: { countMakeupWorkdays: boolean };
}): Promise<void> {
  const { applicationId, expiresAtMs } = u;
  await acts.activateGrants({ applicationId });
  await u.enter('IN_USE', 'APPROVED', u.inUseMessage, { final: true });
  await acts.notifyParties({
    eventKey: u.mailKey('granted'),
    template: 'grant',
    ...u.granted,
    applicationId,
    data: { expiresAtMs },
  });
  upsertSearchAttributes([
    { key: SA.DeadlineAt, value: new Date(expiresAtMs) },
    { key: SA.Overdue, value: false },
  ]);
  const remindAt = () =>
    acts.expiryReminderAt({ expiresAtMs, workingDays: u.reminderWorkingDays, calendarPolicy: u.calendarPolicy });
  // Working days before the expiry: a calendar change counts them again.
  await new MovableDeadline(await remindAt(), { recompute: remindAt }).wait();
  await acts.notifyParties({
    eventKey: u.mailKey('grant-expiring'),
    template: 'reminder',
    departmentIds: [u.applicantDeptId],
    roles: ['DEPT_STAFF'],
    applicationId,
    data: { taskTitle: u.expiringTitle, dueAtMs: expiresAtMs },
  });
  await new MovableDeadline(expiresAtMs).wait();
  await acts.endGrants({ applicationId, status: 'EXPIRED', reason: '使用期限届满' });
  await u.enter('EXPIRED', 'EXPIRED', '访问权限到期自动终止');
}
