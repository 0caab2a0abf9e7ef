/**
 * One start-once mechanism for every procedure (DESIGN.md, "The command path, written once").
 * The API stores a case under the caller's idempotency key, then starts its workflow under the
 * case's business key with a bounded wait (./start.ts) and notes the confirmed start on the row
 * (`workflowStartedAt`). A case whose start was never confirmed — the process died between the
 * write and the start, or Temporal did not answer in time (START_PENDING) — is started by a
 * repeat of the same request or by the reconciler the API server runs every minute. Each
 * procedure has one starter here: how to find its unstarted cases and how to start one.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { ERROR_STATUS } from '../../domain/error-codes';
import { DEFAULT_POLICY } from '../../domain/policy';
import type { Prisma, Procedure } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { conditionalOpenWorkflow } from '../../workflows/conditional-open';
import { policyInForce } from '../../lib/policies';
import { conditionalShareWorkflow } from '../../workflows/conditional-share';
import { nonGovernmentAccessWorkflow } from '../../workflows/non-government-access';
import { catalogReviewWorkflow } from '../../workflows/catalog-review';
import { catalogUpdateDutyWorkflow } from '../../workflows/catalog-update-duty';
import { catalogProjectWorkflow } from '../../workflows/catalog-project';
import { objectionWorkflow } from '../../workflows/objection';
import { securityIncidentWorkflow } from '../../workflows/security-incident';
import { commercialTenderWorkflow } from '../../workflows/tender';
import { unconditionalShareWorkflow } from '../../workflows/unconditional-share';
import { AppError } from '../errors';
import { afterFirstStep, startProcedure, withinStartBound, type ProcedureStart, type StartDeps } from './start';
import { resendPendingDecisions } from './decisions';
import { temporalClient } from './temporal';
import { ensureCalendarRollouts, rolloutSettings } from '../../lib/calendar-rollout';
import { oneLine } from '../../lib/one-line';

/** Every procedure a submission starts. */
export type StartedProcedure = Procedure;
type ApplicationProcedure = Extract<
  StartedProcedure,
  'UNCONDITIONAL_SHARE' | 'CONDITIONAL_SHARE' | 'NON_GOVERNMENT_ACCESS' | 'CONDITIONAL_OPEN'
>;

export interface StoredCase {
  id: string;
  caseNo: string;
  workflowId: string;
}

interface PendingQuery {
  /** Only cases stored before this: a younger one may still be starting in its own request. */
  storedBefore: Date;
  take: number;
  caseNos?: string[];
}

interface Starter {
  /** Stored cases of the procedure whose workflow start was never confirmed, oldest first. */
  pending(db: Db, q: PendingQuery): Promise<StoredCase[]>;
  /** Starts one stored case's workflow (bounded, at most once) and notes the confirmed start. */
  start(deps: StartDeps, id: string): Promise<void>;
}

const onlyCases = <K extends string>(key: K, caseNos?: string[]) =>
  caseNos ? ({ [key]: { in: caseNos } } as Record<K, { in: string[] }>) : {};

// --- Applications: share (Art. 21–22 ¶1–2), non-government access (Art. 22 ¶3),
// conditional open (Art. 27 ¶1–2)

type StoredApplication = Prisma.ApplicationGetPayload<{ include: { resources: { include: { resource: true } } } }>;
type ApplicationStart = (deps: StartDeps, app: StoredApplication) => Promise<void>;

const authorityDeptId = async (db: Db) => (await db.department.findFirstOrThrow({ where: { kind: 'AUTHORITY' } })).id;
const providerDeptsOf = (app: StoredApplication) =>
  [...new Set(app.resources.map((r) => r.resource.providerId))].sort();

/** The names of the providing departments, for the messages people read. */
async function providerNames(db: StartDeps['db'], app: StoredApplication): Promise<Record<string, string>> {
  const rows = await db.department.findMany({
    where: { id: { in: providerDeptsOf(app) } },
    select: { id: true, name: true },
  });
  return Object.fromEntries(rows.map((d) => [d.id, d.name]));
}

/** What every application's start shares: its business key, queue, search attributes and summary. */
function applicationStart(deps: StartDeps, app: StoredApplication): Omit<ProcedureStart<never>, 'workflow' | 'input'> {
  const providerDepts = providerDeptsOf(app);
  return {
    workflowId: app.workflowId,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    procedure: app.procedure,
    stage: 'SUBMITTED',
    applicationNo: app.applicationNo,
    applicantDept: app.applicantDeptId ?? undefined,
    providerDepts,
    summary: `${app.procedure} ${app.applicationNo}: ${app.applicantDeptId} → ${providerDepts.join(', ')}`,
  };
}

function applicationStarter(procedure: ApplicationProcedure, start: ApplicationStart): Starter {
  return {
    async pending(db, q) {
      const rows = await db.application.findMany({
        where: {
          procedure,
          workflowStartedAt: null,
          submittedAt: { lt: q.storedBefore },
          ...onlyCases('applicationNo', q.caseNos),
        },
        orderBy: { submittedAt: 'asc' },
        take: q.take,
        select: { id: true, applicationNo: true, workflowId: true },
      });
      return rows.map((a) => ({ id: a.id, caseNo: a.applicationNo, workflowId: a.workflowId }));
    },
    async start(deps, id) {
      const app = await deps.db.application.findUniqueOrThrow({
        where: { id },
        include: { resources: { include: { resource: true } } },
      });
      if (app.workflowStartedAt) return;
      if (app.procedure !== procedure)
        throw new Error(`Application ${app.applicationNo} is ${app.procedure}, not ${procedure}`);
      await start(deps, app);
      await deps.db.application.updateMany({
        where: { id, workflowStartedAt: null },
        data: { workflowStartedAt: new Date() },
      });
    },
  };
}

const unconditionalShare = applicationStarter('UNCONDITIONAL_SHARE', (deps, app) =>
  startProcedure(deps, {
    ...applicationStart(deps, app),
    workflow: unconditionalShareWorkflow,
    input: { applicationId: app.id, applicationNo: app.applicationNo, actorUserId: app.submittedById },
  }),
);

const conditionalShare = applicationStarter('CONDITIONAL_SHARE', async (deps, app) =>
  startProcedure(deps, {
    ...applicationStart(deps, app),
    workflow: conditionalShareWorkflow,
    input: {
      policy: await policyInForce(deps.db, Date.now()),
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantDeptId: app.applicantDeptId!,
      authorityDeptId: await authorityDeptId(deps.db),
      providerDeptIds: providerDeptsOf(app),
      deptNames: await providerNames(deps.db, app),
      usePeriodDays: app.usePeriodDays ?? DEFAULT_POLICY.defaultUsePeriodDays,
    },
  }),
);

const nonGovernmentAccess = applicationStarter('NON_GOVERNMENT_ACCESS', async (deps, app) => {
  const government = await deps.db.department.findFirstOrThrow({ where: { kind: 'MUNICIPAL_GOVERNMENT' } });
  await startProcedure(deps, {
    ...applicationStart(deps, app),
    workflow: nonGovernmentAccessWorkflow,
    input: {
      policy: await policyInForce(deps.db, Date.now()),
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantDeptId: app.applicantDeptId!,
      authorityDeptId: await authorityDeptId(deps.db),
      governmentDeptId: government.id,
      providerDeptIds: providerDeptsOf(app),
      usePeriodDays: app.usePeriodDays ?? DEFAULT_POLICY.defaultUsePeriodDays,
      receivedAtMs: app.submittedAt.getTime(),
    },
  });
});

const conditionalOpen = applicationStarter('CONDITIONAL_OPEN', async (deps, app) =>
  startProcedure(deps, {
    ...applicationStart(deps, app),
    workflow: conditionalOpenWorkflow,
    // No applicant in the search attributes: they are stored in clear and a citizen's name is personal data.
    applicantDept: undefined,
    summary: `CONDITIONAL_OPEN ${app.applicationNo} → ${providerDeptsOf(app).join(', ')}`,
    input: {
      policy: await policyInForce(deps.db, Date.now()),
      applicationId: app.id,
      applicationNo: app.applicationNo,
      applicantPublicId: app.applicantPublicId!,
      authorityDeptId: await authorityDeptId(deps.db),
      providerDeptIds: providerDeptsOf(app),
      deptNames: await providerNames(deps.db, app),
      usePeriodDays: app.usePeriodDays ?? DEFAULT_POLICY.defaultUsePeriodDays,
    },
  }),
);

// --- Commercial tender (Art. 27 ¶3): a plan drafted through the API starts its workflow in DRAFT.

const commercialTender: Starter = {
  async pending(db, q) {
    // Only plans drafted through the API: a later round is started by its predecessor's workflow
    // as a child, and a start from here would make that child start fail.
    const rows = await db.tender.findMany({
      where: {
        workflowStartedAt: null,
        previousTenderId: null,
        createdAt: { lt: q.storedBefore },
        ...onlyCases('tenderNo', q.caseNos),
      },
      orderBy: { createdAt: 'asc' },
      take: q.take,
      select: { id: true, tenderNo: true, workflowId: true },
    });
    return rows.map((t) => ({ id: t.id, caseNo: t.tenderNo, workflowId: t.workflowId }));
  },
  async start(deps, id) {
    const { db } = deps;
    const t = await db.tender.findUniqueOrThrow({ where: { id } });
    if (t.workflowStartedAt) return;
    if (t.previousTenderId)
      throw new Error(`Tender ${t.tenderNo} is a later round: its predecessor's workflow starts it`);
    const drafter = t.createdById
      ? await db.user.findUnique({ where: { id: t.createdById }, select: { departmentId: true } })
      : null;
    const codes = (
      await db.dataResource.findMany({ where: { id: { in: t.resourceIds } }, select: { code: true } })
    ).map((r) => r.code);
    await startProcedure(deps, {
      workflow: commercialTenderWorkflow,
      workflowId: t.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      procedure: 'COMMERCIAL_TENDER',
      stage: 'DRAFT',
      applicationNo: t.tenderNo,
      summary: `COMMERCIAL_TENDER ${t.tenderNo}: ${codes.join(', ')}`,
      // The drafting member's department runs the tender: the data authority (only it may draft one).
      input: {
        tenderId: t.id,
        tenderNo: t.tenderNo,
        authorityDeptId: drafter?.departmentId ?? (await authorityDeptId(db)),
        round: t.round,
        ...(t.drillPolicyId ? { drillPolicyId: t.drillPolicyId } : {}),
      },
    });
    await db.tender.updateMany({ where: { id, workflowStartedAt: null }, data: { workflowStartedAt: new Date() } });
  },
};

// --- Objection (Art. 33)

const objection: Starter = {
  async pending(db, q) {
    const rows = await db.objection.findMany({
      where: { workflowStartedAt: null, receivedAt: { lt: q.storedBefore }, ...onlyCases('objectionNo', q.caseNos) },
      orderBy: { receivedAt: 'asc' },
      take: q.take,
      select: { id: true, objectionNo: true, workflowId: true },
    });
    return rows.map((o) => ({ id: o.id, caseNo: o.objectionNo, workflowId: o.workflowId }));
  },
  async start(deps, id) {
    const o = await deps.db.objection.findUniqueOrThrow({ where: { id }, include: { resource: true } });
    if (o.workflowStartedAt) return;
    await startProcedure(deps, {
      workflow: objectionWorkflow,
      workflowId: o.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      procedure: 'OBJECTION',
      stage: 'RECEIVED',
      applicationNo: o.objectionNo,
      providerDepts: [o.resource.providerId],
      // Codes only: search attributes and summaries are stored in clear.
      summary: `OBJECTION ${o.objectionNo}: ${o.kind} on ${o.resource.code}`,
      input: {
        objectionId: o.id,
        objectionNo: o.objectionNo,
        resourceId: o.resourceId,
        resourceCode: o.resource.code,
        providerDeptId: o.resource.providerId,
        authorityDeptId: await authorityDeptId(deps.db),
        receivedAtMs: o.receivedAt.getTime(),
        objectorUserId: o.objectorUserId,
      },
    });
    await deps.db.objection.updateMany({
      where: { id, workflowStartedAt: null },
      data: { workflowStartedAt: new Date() },
    });
  },
};

// --- Security incident (Art. 32 ¶2)

const securityIncident: Starter = {
  async pending(db, q) {
    const rows = await db.securityIncident.findMany({
      where: { workflowStartedAt: null, reportedAt: { lt: q.storedBefore }, ...onlyCases('incidentNo', q.caseNos) },
      orderBy: { reportedAt: 'asc' },
      take: q.take,
      select: { id: true, incidentNo: true, workflowId: true },
    });
    return rows.map((i) => ({ id: i.id, caseNo: i.incidentNo, workflowId: i.workflowId }));
  },
  async start(deps, id) {
    const i = await deps.db.securityIncident.findUniqueOrThrow({ where: { id } });
    if (i.workflowStartedAt) return;
    await startProcedure(deps, {
      workflow: securityIncidentWorkflow,
      workflowId: i.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      procedure: 'SECURITY_INCIDENT',
      stage: 'REPORTED',
      applicationNo: i.incidentNo,
      applicantDept: i.responsibleDeptId,
      summary: `SECURITY_INCIDENT ${i.incidentNo}: ${i.kind} at ${i.responsibleDeptId}`,
      input: {
        incidentId: i.id,
        incidentNo: i.incidentNo,
        responsibleDeptId: i.responsibleDeptId,
        authorityDeptId: await authorityDeptId(deps.db),
        reporterUserId: i.reporterUserId,
        reportedAtMs: i.reportedAt.getTime(),
        suspendGrants: i.suspendGrants,
        // Reported by a citizen or company: the authority triages it first.
        ...(i.reporterDeptId === null ? { triage: true } : {}),
      },
    });
    await deps.db.securityIncident.updateMany({
      where: { id, workflowStartedAt: null },
      data: { workflowStartedAt: new Date() },
    });
  },
};

// --- Catalog entry review and publication (Art. 16–17), and the Art. 18 update duty

const catalogReview: Starter = {
  async pending(db, q) {
    const rows = await db.catalogDraft.findMany({
      where: {
        workflowStartedAt: null,
        status: { not: 'DRAFT' },
        submittedAt: { lt: q.storedBefore },
        ...onlyCases('draftNo', q.caseNos),
      },
      orderBy: { submittedAt: 'asc' },
      take: q.take,
      select: { id: true, draftNo: true, workflowId: true },
    });
    return rows.map((d) => ({ id: d.id, caseNo: d.draftNo, workflowId: d.workflowId }));
  },
  async start(deps, id) {
    const d = await deps.db.catalogDraft.findUniqueOrThrow({ where: { id } });
    if (d.workflowStartedAt) return;
    if (d.status === 'DRAFT') throw new Error(`Catalog draft ${d.draftNo} is not submitted`);
    await startProcedure(deps, {
      workflow: catalogReviewWorkflow,
      workflowId: d.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      procedure: 'CATALOG_REVIEW',
      stage: 'SUBMITTED',
      applicationNo: d.draftNo,
      applicantDept: d.departmentId,
      providerDepts: [d.departmentId],
      summary: `CATALOG_REVIEW ${d.draftNo}: ${d.code} of ${d.departmentId}`,
      input: {
        draftId: d.id,
        draftNo: d.draftNo,
        departmentId: d.departmentId,
        authorityDeptId: await authorityDeptId(deps.db),
        code: d.code,
        submittedAtMs: d.submittedAt.getTime(),
      },
    });
    await deps.db.catalogDraft.updateMany({
      where: { id, workflowStartedAt: null },
      data: { workflowStartedAt: new Date() },
    });
  },
};

/** 00:00 Asia/Shanghai of a DATE column's day (read as UTC midnight). */
export const shanghaiDayStartMs = (day: Date) => day.getTime() - 8 * 3600_000;

const catalogUpdate: Starter = {
  async pending(db, q) {
    const rows = await db.catalogUpdateDuty.findMany({
      where: { workflowStartedAt: null, recordedAt: { lt: q.storedBefore }, ...onlyCases('dutyNo', q.caseNos) },
      orderBy: { recordedAt: 'asc' },
      take: q.take,
      select: { id: true, dutyNo: true, workflowId: true },
    });
    return rows.map((d) => ({ id: d.id, caseNo: d.dutyNo, workflowId: d.workflowId }));
  },
  async start(deps, id) {
    const d = await deps.db.catalogUpdateDuty.findUniqueOrThrow({ where: { id } });
    if (d.workflowStartedAt) return;
    const resources = await deps.db.dataResource.findMany({
      where: { id: { in: d.resourceIds } },
      select: { id: true, code: true },
    });
    const codeOf = new Map(resources.map((r) => [r.id, r.code]));
    await startProcedure(deps, {
      workflow: catalogUpdateDutyWorkflow,
      workflowId: d.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      procedure: 'CATALOG_UPDATE',
      stage: 'UPDATE_DUE',
      applicationNo: d.dutyNo,
      applicantDept: d.departmentId,
      providerDepts: [d.departmentId],
      summary: `CATALOG_UPDATE ${d.dutyNo}: ${d.kind} at ${d.departmentId}`,
      input: {
        dutyId: d.id,
        dutyNo: d.dutyNo,
        departmentId: d.departmentId,
        occurredAtMs: shanghaiDayStartMs(d.occurredOn),
        resourceIds: d.resourceIds,
        resourceCodes: d.resourceIds.map((r) => codeOf.get(r) ?? r),
      },
    });
    await deps.db.catalogUpdateDuty.updateMany({
      where: { id, workflowStartedAt: null },
      data: { workflowStartedAt: new Date() },
    });
  },
};

/** Art. 17: a registered information system project's approval procedure. */
const catalogProject: Starter = {
  async pending(db, q) {
    const rows = await db.infoSystemProject.findMany({
      where: {
        workflowStartedAt: null,
        status: 'REGISTERED',
        createdAt: { lt: q.storedBefore },
        ...onlyCases('projectNo', q.caseNos),
      },
      orderBy: { createdAt: 'asc' },
      take: q.take,
      select: { id: true, projectNo: true, workflowId: true },
    });
    return rows.map((p) => ({ id: p.id, caseNo: p.projectNo, workflowId: p.workflowId }));
  },
  async start(deps, id) {
    const p = await deps.db.infoSystemProject.findUniqueOrThrow({ where: { id } });
    if (p.workflowStartedAt) return;
    const drafts = await deps.db.catalogDraft.findMany({
      where: { id: { in: p.draftIds } },
      select: { id: true, draftNo: true, code: true },
    });
    const ordered = p.draftIds.map((d) => drafts.find((x) => x.id === d)!).filter(Boolean);
    await startProcedure(deps, {
      workflow: catalogProjectWorkflow,
      workflowId: p.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      procedure: 'CATALOG_PROJECT',
      stage: 'APPROVAL',
      applicationNo: p.projectNo,
      applicantDept: p.departmentId,
      providerDepts: [p.departmentId],
      summary: `CATALOG_PROJECT ${p.projectNo}: ${p.name} of ${p.departmentId}`,
      input: {
        projectId: p.id,
        projectNo: p.projectNo,
        departmentId: p.departmentId,
        authorityDeptId: await authorityDeptId(deps.db),
        name: p.name,
        draftNos: ordered.map((d) => d.draftNo),
        codes: ordered.map((d) => d.code),
        registeredAtMs: p.createdAt.getTime(),
      },
    });
    await deps.db.infoSystemProject.updateMany({
      where: { id, workflowStartedAt: null },
      data: { workflowStartedAt: new Date() },
    });
  },
};

export const STARTERS: Record<StartedProcedure, Starter> = {
  UNCONDITIONAL_SHARE: unconditionalShare,
  CONDITIONAL_SHARE: conditionalShare,
  NON_GOVERNMENT_ACCESS: nonGovernmentAccess,
  CONDITIONAL_OPEN: conditionalOpen,
  COMMERCIAL_TENDER: commercialTender,
  OBJECTION: objection,
  SECURITY_INCIDENT: securityIncident,
  CATALOG_REVIEW: catalogReview,
  CATALOG_UPDATE: catalogUpdate,
  CATALOG_PROJECT: catalogProject,
};

// --- What the routers call: each starts a stored case, or does nothing if its start is confirmed.

export async function startApplication(deps: StartDeps, applicationId: string): Promise<void> {
  const { procedure, workflowId } = await deps.db.application.findUniqueOrThrow({
    where: { id: applicationId },
    select: { procedure: true, workflowId: true },
  });
  if (procedure === 'CATALOG_REVIEW' || procedure === 'CATALOG_UPDATE' || procedure === 'CATALOG_PROJECT')
    throw new Error(`Application ${applicationId} has no procedure to start`);
  await STARTERS[procedure].start(deps, applicationId);
  // The unconditional share opens no inbox task: it grants at once, so its answer waits for the end.
  await afterFirstStep(deps, workflowId, { procedureEnds: procedure === 'UNCONDITIONAL_SHARE' });
}

export const startTender = (deps: StartDeps, tenderId: string) => STARTERS.COMMERCIAL_TENDER.start(deps, tenderId);
export const startObjection = (deps: StartDeps, objectionId: string) => STARTERS.OBJECTION.start(deps, objectionId);
export const startCatalogReview = (deps: StartDeps, draftId: string) => STARTERS.CATALOG_REVIEW.start(deps, draftId);
export const startCatalogUpdateDuty = (deps: StartDeps, dutyId: string) => STARTERS.CATALOG_UPDATE.start(deps, dutyId);
export const startCatalogProject = (deps: StartDeps, projectId: string) =>
  STARTERS.CATALOG_PROJECT.start(deps, projectId);
export const startIncident = (deps: StartDeps, incidentId: string) =>
  STARTERS.SECURITY_INCIDENT.start(deps, incidentId);

// --- The reconciler

export interface ReconcileOptions {
  /** Cases stored less than this long ago are left to their own request (default 30 s). */
  olderThanMs?: number;
  /** At most this many cases per procedure and run (default 20), so one run stays short. */
  batchSize?: number;
  /** Only these case numbers: a narrower run for an operator or a test. */
  caseNos?: string[];
  logger?: Logger;
}

const isTemporalDown = (err: unknown) => err instanceof AppError && ERROR_STATUS[err.code] === 503;
const messageOf = (err: unknown) => oneLine(err);

async function workflowExists(deps: StartDeps, c: StoredCase): Promise<boolean> {
  return withinStartBound(deps, c.caseNo, async (client) => {
    try {
      await client.workflow.getHandle(c.workflowId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  });
}

/**
 * Starts the workflow of every stored case whose start was never confirmed, for every procedure;
 * returns the case numbers whose start it confirmed (started now, or found already running when
 * the confirmation was lost). Stops at the first sign that Temporal is down or slow: the next run
 * retries. A case that fails for another reason is logged and skipped.
 */
export async function reconcileStarts(deps: StartDeps, opts: ReconcileOptions = {}): Promise<string[]> {
  const q: PendingQuery = {
    storedBefore: new Date(Date.now() - (opts.olderThanMs ?? 30_000)),
    take: opts.batchSize ?? 20,
    caseNos: opts.caseNos,
  };
  const confirmed: string[] = [];
  for (const [procedure, starter] of Object.entries(STARTERS) as Array<[StartedProcedure, Starter]>) {
    for (const c of await starter.pending(deps.db, q)) {
      const line = { procedure, caseNo: c.caseNo, workflowId: c.workflowId };
      try {
        const existed = await workflowExists(deps, c);
        await starter.start(deps, c.id);
        confirmed.push(c.caseNo);
        if (existed)
          opts.logger?.info(line, 'start reconciler: the stored case already had its workflow; start confirmed');
        else opts.logger?.warn(line, 'start reconciler: started the workflow of a stored case that had none');
      } catch (err) {
        if (isTemporalDown(err)) throw err;
        opts.logger?.error(
          { ...line, err: messageOf(err) },
          'start reconciler: could not start the workflow of a stored case; will retry',
        );
      }
    }
  }
  return confirmed;
}

/**
 * Runs the reconciler every `everyMs` (default a minute): unstarted cases, unconfirmed decisions,
 * unstarted calendar rollouts. A run never overlaps the previous one and never throws.
 */
export function startReconciler(
  deps: StartDeps,
  logger: Logger,
  opts: Omit<ReconcileOptions, 'logger'> & { everyMs?: number } = {},
): () => void {
  const { everyMs = 60_000, ...options } = opts;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.resolve()
      .then(() => reconcileStarts(deps, { ...options, logger }))
      // Decisions answered 202 that Temporal never confirmed are sent again, with the same Update id.
      .then(() => resendPendingDecisions(deps, deps.config.UPDATE_TIMEOUT_MS * 2))
      .then((applied) => {
        if (applied.length)
          logger.warn({ tasks: applied }, 'applied pending decisions that were not confirmed in time');
      })
      // A calendar load whose rollout never started (the API died right after the load).
      .then(async () => ensureCalendarRollouts(await temporalClient(deps), deps.db, rolloutSettings(deps.config)))
      .catch((err: unknown) => logger.warn({ err: messageOf(err) }, 'start reconciler: run failed; will retry'))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
