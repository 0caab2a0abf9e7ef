/**
 * Starting a procedure: business-key workflow ids (a retried submission never starts twice),
 * typed search attributes for the supervisors, and a bounded wait. A start Temporal does not
 * confirm in START_TIMEOUT_MS is answered as START_PENDING: the case is stored, so a repeat of
 * the request or the start reconciler (api/kit/starters.ts) finishes it.
 */
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import { stepDoneUpdate } from '../../workflows/messages';
import { SA } from '../../workflows/search-attributes';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { temporalClient, unavailable } from './temporal';

export type StartDeps = Pick<ApiDeps, 'db' | 'config' | 'temporal'>;

export interface ProcedureStart<I> {
  workflow: (input: I) => Promise<unknown>;
  workflowId: string;
  taskQueue: string;
  input: I;
  procedure: string;
  stage: string;
  /** The case number (application, tender, objection or incident number). */
  applicationNo: string;
  applicantDept?: string;
  providerDepts?: string[];
  /** Shown in the Temporal Web UI list; codes only, no personal data. */
  summary: string;
}

type CaseLabels = Pick<
  ProcedureStart<unknown>,
  'procedure' | 'stage' | 'applicationNo' | 'applicantDept' | 'providerDepts'
>;

function searchAttributes(p: CaseLabels): TypedSearchAttributes {
  const pairs: SearchAttributePair[] = [
    { key: SA.Procedure, value: p.procedure },
    { key: SA.Stage, value: p.stage },
    { key: SA.ApplicationNo, value: p.applicationNo },
    { key: SA.Overdue, value: false },
  ];
  if (p.applicantDept) pairs.push({ key: SA.ApplicantDept, value: p.applicantDept });
  if (p.providerDepts?.length) pairs.push({ key: SA.ProviderDepts, value: p.providerDepts });
  return new TypedSearchAttributes(pairs);
}

export function startPending(caseNo: string, timeoutMs: number): AppError {
  return new AppError(
    'START_PENDING',
    {
      zh: `案件 ${caseNo} 已保存，但工作流服务未在 ${timeoutMs} 毫秒内确认其办理程序已启动；程序将会启动：请重复同一请求（使用同一幂等键），或凭案件编号跟踪办理情况`,
      en:
        `Case ${caseNo} is stored, but the workflow service did not confirm the start of its procedure ` +
        `within ${timeoutMs} ms; it will be started: repeat the same request (same idempotency key) ` +
        'or follow the case under its number',
    },
    { caseNo },
  );
}

/** Settles with `work`, or rejects once `signal` aborts (the work itself is left to finish or fail). */
function beforeAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs `fn` with a Temporal client under one deadline of START_TIMEOUT_MS that covers connecting
 * too (a Temporal that accepts TCP but never answers must not hold the request). Past the
 * deadline: START_PENDING naming the case; any other failure: SERVICE_UNAVAILABLE.
 */
export async function withinStartBound<T>(
  deps: StartDeps,
  caseNo: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const timeoutMs = deps.config.START_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const client = await beforeAbort(temporalClient(deps), signal);
    return await client.withAbortSignal(signal, () => beforeAbort(fn(client), signal));
  } catch (err) {
    if (signal.aborted) throw startPending(caseNo, timeoutMs);
    if (err instanceof AppError) throw err;
    throw unavailable(err);
  }
}

/** Starts the procedure's workflow, or finds it already started; never a second one for the case. */
export async function startProcedure<I>(deps: StartDeps, p: ProcedureStart<I>): Promise<void> {
  await withinStartBound(deps, p.applicationNo, async (client) => {
    try {
      await client.workflow.start(p.workflow, {
        workflowId: p.workflowId,
        taskQueue: p.taskQueue,
        args: [p.input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: searchAttributes(p),
        staticSummary: p.summary,
      });
    } catch (err) {
      // A closed workflow with this id means the procedure already ran: the submission was a repeat.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  });
}

/**
 * Waits, at most START_ANSWER_WAIT_MS, until a procedure just started has carried out its first
 * step (its first inbox tasks are open), or `procedureEnds`: until it has ended (one with no human
 * step), so the submission's answer shows them; the same Update id for every call, so a repeated
 * submission is answered from the stored result. Never fails: a worker that is down or slow only
 * means the answer shows the case before its first step.
 */
export async function afterFirstStep(
  deps: StartDeps,
  workflowId: string,
  opts: { procedureEnds?: boolean } = {},
): Promise<void> {
  const waitMs = deps.config.START_ANSWER_WAIT_MS;
  if (waitMs === 0) return;
  const signal = AbortSignal.timeout(waitMs);
  try {
    const client = await beforeAbort(temporalClient(deps), signal);
    const handle = client.workflow.getHandle(workflowId);
    await client.withAbortSignal(signal, () =>
      beforeAbort(
        opts.procedureEnds ? handle.result() : handle.executeUpdate(stepDoneUpdate, { updateId: 'first-step' }),
        signal,
      ),
    );
  } catch {
    // Not confirmed in time, or the procedure already ended: the answer shows the case as stored.
  }
}
