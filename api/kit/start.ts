/**
 * Starting a procedure: business-key workflow ids (a retried submission never starts twice) and
 * typed search attributes for the supervisors.
 */
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import { SA } from '../../workflows/search-attributes';
import { unavailable } from './temporal';

export interface ProcedureStart<I> {
  workflow: (input: I) => Promise<unknown>;
  workflowId: string;
  taskQueue: string;
  input: I;
  procedure: string;
  stage: string;
  applicationNo: string;
  applicantDept?: string;
  providerDepts?: string[];
  /** Shown in the Temporal Web UI list; codes only, no personal data. */
  summary: string;
}

export async function startProcedure<I>(client: Client, p: ProcedureStart<I>): Promise<void> {
  const pairs: SearchAttributePair[] = [
    { key: SA.Procedure, value: p.procedure },
    { key: SA.Stage, value: p.stage },
    { key: SA.ApplicationNo, value: p.applicationNo },
    { key: SA.Overdue, value: false },
  ];
  if (p.applicantDept) pairs.push({ key: SA.ApplicantDept, value: p.applicantDept });
  if (p.providerDepts?.length) pairs.push({ key: SA.ProviderDepts, value: p.providerDepts });
  try {
    await client.workflow.start(p.workflow, {
      workflowId: p.workflowId,
      taskQueue: p.taskQueue,
      args: [p.input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: new TypedSearchAttributes(pairs),
      staticSummary: p.summary,
    });
  } catch (err) {
    // A closed workflow with this id means the procedure already ran: the submission was a repeat.
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return;
    throw unavailable(err);
  }
}

