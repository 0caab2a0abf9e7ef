/**
 * What every application procedure shares: one activity proxy with one timeout and retry policy,
 * recording a stage change everywhere it shows (search attribute for supervisors, details in the
 * Web UI, the application's status and timeline), and withdrawal by the applicant.
 */
import {
  ApplicationFailure, CancellationScope, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StatusChange } from '../activities/applications';
import { withdrawUpdate } from './messages';
import { SA } from './search-attributes';

export const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface StageExtra { reasons?: string; final?: boolean; data?: Record<string, unknown>; eventKey?: string }

export async function recordStage(
  procedureName: string,
  app: { applicationId: string; applicationNo: string },
  stage: string,
  status: StatusChange['status'],
  message: string,
  extra: StageExtra = {},
): Promise<void> {
  upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
  setCurrentDetails(`**${procedureName} ${app.applicationNo}** — stage \`${stage}\`: ${message}`);
  await acts.setApplicationStatus({
    applicationId: app.applicationId, status, eventKey: extra.eventKey ?? `stage:${stage}`, message,
    reasons: extra.reasons, final: extra.final, data: extra.data,
  });
}

export interface Withdrawal { actorUserId: string; reason?: string }

/**
 * The applicant's staff may withdraw while the procedure is in one of `withdrawableStages`: the
 * main scope is cancelled and the procedure cleans up. Returns what was withdrawn, if anything.
 */
export function acceptWithdrawal(opts: {
  applicantDeptId: string; withdrawableStages: string[]; stage: () => string; scope: CancellationScope;
}): () => Withdrawal | undefined {
  let withdrawal: Withdrawal | undefined;
  setHandler(withdrawUpdate, (w) => {
    withdrawal = { actorUserId: w.actor.userId, reason: w.reason };
    opts.scope.cancel();
    return { stage: opts.stage() };
  }, {
    validator: (w) => {
      if (w.actor.departmentId !== opts.applicantDeptId || !w.actor.roles.includes('DEPT_STAFF')) {
        throw ApplicationFailure.create({ type: 'FORBIDDEN', message: "Only the applicant's staff may withdraw the application", nonRetryable: true });
      }
      if (withdrawal || !opts.withdrawableStages.includes(opts.stage())) {
        throw ApplicationFailure.create({ type: 'CONFLICT', message: `The application can no longer be withdrawn (stage ${opts.stage()})`, nonRetryable: true });
      }
    },
  });
  return () => withdrawal;
}
