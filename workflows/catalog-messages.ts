/**
 * Inputs and messages of the catalog procedures (Chapter 3): review and publication of an entry
 * (Art. 16–17, with Art. 21, 24), and the Art. 18 update duty. Their human steps are inbox tasks
 * completed through the shared `completeTask` Update.
 */
import { defineSignal } from '@temporalio/workflow';

export interface CatalogReviewInput {
  draftId: string;
  draftNo: string;
  /** The department whose catalog the entry belongs to: it resubmits and reviews grants. */
  departmentId: string;
  authorityDeptId: string;
  code: string;
  submittedAtMs: number;
}

/** INTEGRATED: the authority named an existing entry as the source and this draft was withdrawn (Art. 17). */
export type CatalogReviewOutcome = 'PUBLISHED' | 'WITHDRAWN' | 'INTEGRATED';

export interface CatalogUpdateDutyInput {
  dutyId: string;
  dutyNo: string;
  departmentId: string;
  /** Art. 18: the 15 working days count from the day the situation occurred (00:00 Asia/Shanghai that day). */
  occurredAtMs: number;
  resourceIds: string[];
  resourceCodes: string[];
}

/** A review workflow published a new version of an entry; the update duties waiting for it take note. */
export interface CatalogEntryPublished {
  resourceId: string;
  version: number;
  draftNo: string;
}
export const catalogEntryPublishedSignal = defineSignal<[CatalogEntryPublished]>('catalogEntryPublished');

export interface CatalogProjectInput {
  projectId: string;
  projectNo: string;
  /** The department that registered the project: it is told of the decision. */
  departmentId: string;
  authorityDeptId: string;
  name: string;
  /** The project's catalog drafts (Art. 17: compiled with the project), by number and entry code. */
  draftNos: string[];
  codes: string[];
  registeredAtMs: number;
}

export type CatalogProjectOutcome = 'APPROVED' | 'RETURNED';
