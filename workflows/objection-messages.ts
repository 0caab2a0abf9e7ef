/**
 * Inputs and messages of the objection (Art. 33) and security incident (Art. 32) procedures,
 * shared by the API and the workflows. Their human steps are inbox tasks completed through
 * the shared `completeTask` Update; only what is not a task step is defined here.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { TaskActor } from './messages';

export interface ObjectionInput {
  objectionId: string;
  objectionNo: string;
  resourceId: string;
  resourceCode: string;
  /** The data's owner: decides in its scope (after the forward) and applies corrections. */
  providerDeptId: string;
  authorityDeptId: string;
  /** Art. 33: every deadline but the provider's counts from this instant (epoch ms). */
  receivedAtMs: number;
  /** Who filed it: the one who may withdraw it (absent in cases started before withdrawal existed). */
  objectorUserId?: string;
}

export type ObjectionOutcome = 'CORRECTED' | 'REJECTED' | 'WITHDRAWN';

export interface WithdrawObjectionInput {
  actor: TaskActor;
  reason?: string;
}

/**
 * The objector withdraws the objection while nothing has been decided on it yet: open tasks are
 * cancelled, the dispute mark is cleared and the objection closes as WITHDRAWN; answered once closed.
 */
export const withdrawObjectionUpdate = defineUpdate<
  { stage: string; outcome: ObjectionOutcome },
  [WithdrawObjectionInput]
>('withdrawObjection');

export interface SecurityIncidentInput {
  incidentId: string;
  incidentNo: string;
  /** The department where it happened: it remediates, tells the users and reports. */
  responsibleDeptId: string;
  authorityDeptId: string;
  reporterUserId: string;
  reportedAtMs: number;
  /**
   * The reporter asks for the grants on the affected resources to be suspended until the
   * incident is closed: at once where the reporter is the resource's provider or the data
   * authority, otherwise as a decision task for the provider (Art. 13: the data's owner decides).
   */
  suspendGrants: boolean;
  /** Reported by a citizen or company: the data authority triages it before anything else. */
  triage?: boolean;
}

export interface SuspendGrantsInput {
  actor: TaskActor;
  reason?: string;
  /** Only these grants (on the incident's resources); absent = every grant on them. */
  grantIds?: string[];
}

/**
 * The data authority (any affected resource) or a resource's provider (its own resources)
 * suspends grants of a running incident; answers how many grants this suspension covers.
 */
export const suspendIncidentGrantsUpdate = defineUpdate<{ suspended: number; stage: string }, [SuspendGrantsInput]>(
  'suspendIncidentGrants',
);
