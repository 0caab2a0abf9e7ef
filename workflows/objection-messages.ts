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
}

export type ObjectionOutcome = 'CORRECTED' | 'REJECTED';

export interface SecurityIncidentInput {
  incidentId: string;
  incidentNo: string;
  /** The department where it happened: it remediates, tells the users and reports. */
  responsibleDeptId: string;
  authorityDeptId: string;
  reporterUserId: string;
  reportedAtMs: number;
  /** Suspend the grants on the affected resources at once, until the incident is closed. */
  suspendGrants: boolean;
}

export interface SuspendGrantsInput {
  actor: TaskActor;
  reason?: string;
}

/** The data authority suspends the grants on the affected resources of a running incident. */
export const suspendIncidentGrantsUpdate = defineUpdate<{ suspended: number; stage: string }, [SuspendGrantsInput]>(
  'suspendIncidentGrants',
);
