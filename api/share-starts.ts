/**
 * Starting the share procedures for stored applications. The API writes the application first
 * and then starts its workflow; if the process dies in between, a repeated submission or the
 * reconciler (run by the API server every minute) starts it later. Workflow ids are business
 * keys, so a start that already happened is never repeated.
 */
import { DEFAULT_POLICY } from '../domain/policy';
import type { Logger } from '../lib/logger';
import { conditionalShareWorkflow } from '../workflows/conditional-share';
import { unconditionalShareWorkflow } from '../workflows/unconditional-share';
import type { ApiDeps } from './deps';
import { startProcedure } from './kit/start';
import { temporalClient } from './kit/temporal';

export async function startShareWorkflow(deps: Pick<ApiDeps, 'db' | 'config' | 'temporal'>, applicationId: string): Promise<void> {
  const { db } = deps;
  const app = await db.application.findUniqueOrThrow({ where: { id: applicationId }, include: { resources: { include: { resource: true } } } });
  const providerDepts = [...new Set(app.resources.map((r) => r.resource.providerId))].sort();
  const client = await temporalClient(deps);
  const common = {
    workflowId: app.workflowId, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, procedure: app.procedure, stage: 'SUBMITTED',
    applicationNo: app.applicationNo, applicantDept: app.applicantDeptId ?? undefined, providerDepts,
    summary: `${app.procedure} ${app.applicationNo}: ${app.applicantDeptId} → ${providerDepts.join(', ')}`,
  };
  if (app.procedure === 'UNCONDITIONAL_SHARE') {
    await startProcedure(client, { ...common, workflow: unconditionalShareWorkflow, input: { applicationId: app.id, applicationNo: app.applicationNo, actorUserId: app.submittedById } });
    return;
  }
  const authority = await db.department.findFirstOrThrow({ where: { kind: 'AUTHORITY' } });
  await startProcedure(client, {
    ...common, workflow: conditionalShareWorkflow,
    input: {
      applicationId: app.id, applicationNo: app.applicationNo, applicantDeptId: app.applicantDeptId!, authorityDeptId: authority.id,
      providerDeptIds: providerDepts, usePeriodDays: app.usePeriodDays ?? DEFAULT_POLICY.defaultUsePeriodDays,
    },
  });
}

/** Starts the workflow of every share application still SUBMITTED after `olderThanMs`. */
export async function reconcileShareApplications(deps: Pick<ApiDeps, 'db' | 'config' | 'temporal'>, olderThanMs = 30_000): Promise<string[]> {
  const stuck = await deps.db.application.findMany({
    where: { status: 'SUBMITTED', procedure: { in: ['UNCONDITIONAL_SHARE', 'CONDITIONAL_SHARE'] }, submittedAt: { lt: new Date(Date.now() - olderThanMs) } },
    select: { id: true, applicationNo: true },
    take: 100,
  });
  for (const app of stuck) await startShareWorkflow(deps, app.id);
  return stuck.map((a) => a.applicationNo);
}

export function startReconciler(deps: Pick<ApiDeps, 'db' | 'config' | 'temporal'>, logger: Logger, everyMs = 60_000): () => void {
  const timer = setInterval(() => {
    reconcileShareApplications(deps)
      .then((started) => { if (started.length) logger.warn({ applications: started }, 'started workflows of applications left without one'); })
      .catch((err: Error) => logger.warn({ err: err.message }, 'reconciling applications failed; will retry'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
