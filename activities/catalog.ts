/**
 * Catalog management (Chapter 3): the query model of entry review and publication and of the
 * Art. 18 update duty — drafts, published versions with who changed what, the entries in force,
 * grant reviews after a class change — and the mails of these steps. Publication is one
 * transaction keyed by the draft, so a retried activity (or a second seed run) publishes once.
 */
import type { CatalogDraft, Procedure } from '../generated/prisma/client';
import { closesAccess, type Duplicate, entryChanges, type EntryContent, findDuplicates } from '../domain/catalog-rules';
import type { Db } from '../lib/db';
import { newId } from '../lib/ids';
import { activityNow, type ActivityDeps } from './deps';
import { notificationActivities } from './notifications';
import { grantHolders } from './objection';
import { usersWithRole } from './recipients';

export const SHARE_PROCEDURES: Procedure[] = ['UNCONDITIONAL_SHARE', 'CONDITIONAL_SHARE', 'NON_GOVERNMENT_ACCESS'];
export const OPEN_PROCEDURES: Procedure[] = ['CONDITIONAL_OPEN'];

/** The content of a draft or an entry that a version records. */
export function contentOf(e: EntryContent): EntryContent {
  return {
    code: e.code,
    name: e.name,
    description: e.description,
    fields: [...e.fields],
    shareClass: e.shareClass,
    openClass: e.openClass,
    shareLegalBasis: e.shareLegalBasis ?? null,
    openLegalBasis: e.openLegalBasis ?? null,
    updateFrequency: e.updateFrequency,
    sourceSystem: e.sourceSystem ?? null,
  };
}

/**
 * Entries of other departments that look like the same data: published entries and drafts
 * under review (Art. 17). The same check runs when the API takes a submission and on every review round.
 */
export async function detectDuplicates(
  db: Db,
  draft: { id?: string; code: string; name: string; fields: string[]; departmentId: string },
): Promise<Duplicate[]> {
  const [entries, drafts] = await Promise.all([
    db.dataResource.findMany({
      where: { providerId: { not: draft.departmentId }, retiredAt: null },
      select: { code: true, name: true, fields: true, providerId: true },
    }),
    db.catalogDraft.findMany({
      where: {
        departmentId: { not: draft.departmentId },
        status: { in: ['SUBMITTED', 'RETURNED'] },
        // A retirement request repeats an entry in force: it is no new data.
        kind: 'ENTRY',
        ...(draft.id ? { id: { not: draft.id } } : {}),
      },
      select: { code: true, name: true, fields: true, departmentId: true },
    }),
  ]);
  return findDuplicates(draft, [
    ...entries.map((e) => ({ ...e, departmentId: e.providerId, source: 'PUBLISHED' as const })),
    ...drafts.map((d) => ({ ...d, source: 'SUBMITTED' as const })),
  ]);
}

export interface GrantToReview {
  grantId: string;
  applicationNo: string;
  granteeName: string;
  newClassText: string;
}

export interface Publication {
  resourceId: string;
  code: string;
  version: number;
  /** False when the draft was published before (a retry, a second seed run). */
  created: boolean;
  changes: Record<string, { from: unknown; to: unknown }>;
  grantsToReview: GrantToReview[];
  dutyWorkflowIds: string[];
  /** Art. 17 projects waiting for this draft (absent in results recorded before projects were procedures). */
  projectWorkflowIds?: string[];
}

/**
 * Publishes a draft into the city-level catalog as the entry's next version (or its first), in
 * one transaction: the entry in force, the version with what changed and who, the draft. An entry
 * without history whose content the draft repeats (a seeded entry) keeps its number: the draft
 * records the version in force. Grants a class change closes and update duties waiting for the
 * entry are returned for the workflow to act on.
 */
/** A retry of a publication (or retirement) already committed: the version it wrote, nothing new to do. */
async function publishedBefore(
  tx: Pick<Db, 'dataResourceVersion'>,
  draft: { id: string; code: string },
): Promise<Publication> {
  const v = await tx.dataResourceVersion.findUniqueOrThrow({ where: { draftId: draft.id } });
  return {
    resourceId: v.resourceId,
    code: draft.code,
    version: v.version,
    created: false,
    changes: v.changes as Publication['changes'],
    grantsToReview: [],
    dutyWorkflowIds: [],
  };
}

export async function publishDraft(
  db: Db,
  input: { draftId: string; actorUserId: string; at: Date; reasons?: string },
): Promise<Publication> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM catalog_draft WHERE id = ${input.draftId} FOR UPDATE`;
    const draft = await tx.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
    const content = contentOf(draft);
    const existing = draft.resourceId
      ? await tx.dataResource.findUnique({ where: { id: draft.resourceId } })
      : await tx.dataResource.findUnique({ where: { code: draft.code } });
    if (draft.status === 'PUBLISHED') return publishedBefore(tx, draft);
    const last = existing
      ? await tx.dataResourceVersion.findFirst({ where: { resourceId: existing.id }, orderBy: { version: 'desc' } })
      : null;
    const before = last ? (last.snapshot as unknown as EntryContent) : existing ? contentOf(existing) : null;
    // The entry in force may be newer than its last recorded version (an objection's correction);
    // the source system is recorded in versions only (an entry without history has none to compare).
    const inForce = existing
      ? contentOf({ ...existing, sourceSystem: last ? (before?.sourceSystem ?? null) : content.sourceSystem })
      : null;
    const changes = entryChanges(inForce, content);
    const version = !existing
      ? 1
      : !last && Object.keys(changes).length === 0
        ? existing.version
        : Math.max(existing.version, last?.version ?? 0) + 1;
    const resourceId = existing?.id ?? draft.resourceId ?? newId();
    const catalogId = `catalog-${draft.departmentId}`;
    await tx.catalog.upsert({
      where: { id: catalogId },
      create: {
        id: catalogId,
        departmentId: draft.departmentId,
        name: '政务信息资源目录',
        status: 'PUBLISHED',
        publishedAt: input.at,
      },
      update: { status: 'PUBLISHED', publishedAt: input.at },
    });
    const entry = {
      code: draft.code,
      name: draft.name,
      description: draft.description,
      fields: draft.fields,
      shareClass: draft.shareClass,
      openClass: draft.openClass,
      shareLegalBasis: draft.shareLegalBasis,
      openLegalBasis: draft.openLegalBasis,
      updateFrequency: draft.updateFrequency,
      version,
    };
    await tx.dataResource.upsert({
      where: { id: resourceId },
      create: { id: resourceId, providerId: draft.departmentId, catalogId, ...entry },
      update: entry,
    });
    await tx.dataResourceVersion.create({
      data: {
        id: newId(),
        resourceId,
        version,
        draftId: draft.id,
        snapshot: content as object,
        changes: changes as object,
        changeNote: draft.changeNote,
        submittedById: draft.createdById,
        publishedById: input.actorUserId,
        publishedAt: input.at,
      },
    });
    await tx.catalogDraft.update({
      where: { id: draft.id },
      data: { status: 'PUBLISHED', resourceId, publishedAt: input.at, publishedVersion: version },
    });
    await tx.auditLog.createMany({
      data: [
        {
          auditKey: `catalog-draft:${draft.id}:published`,
          actor: input.actorUserId,
          action: 'CATALOG_ENTRY_PUBLISHED',
          entityType: 'DataResource',
          entityId: resourceId,
          details: { draftNo: draft.draftNo, code: draft.code, version, changes, reasons: input.reasons } as object,
        },
      ],
      skipDuplicates: true,
    });

    const closing = closesAccess(before, content);
    const procedures = [...(closing.share ? SHARE_PROCEDURES : []), ...(closing.open ? OPEN_PROCEDURES : [])];
    const grants = procedures.length
      ? await tx.accessGrant.findMany({
          where: { resourceId, status: 'ACTIVE', application: { procedure: { in: procedures } } },
          include: { application: true, granteeDept: true, granteePublic: true },
          orderBy: { grantedAt: 'asc' },
        })
      : [];
    const duties = await tx.catalogUpdateDuty.findMany({
      where: { status: 'OPEN', resourceIds: { has: resourceId } },
      select: { workflowId: true },
    });
    const projects = await tx.infoSystemProject.findMany({
      where: { status: 'REGISTERED', draftIds: { has: draft.id } },
      select: { workflowId: true },
    });
    return {
      resourceId,
      code: draft.code,
      version,
      created: true,
      changes,
      grantsToReview: grants.map((g) => ({
        grantId: g.id,
        applicationNo: g.application.applicationNo,
        granteeName: g.granteeDept?.name ?? g.granteePublic?.name ?? '使用方',
        newClassText: SHARE_PROCEDURES.includes(g.application.procedure) ? '不予共享类' : '不予开放类',
      })),
      dutyWorkflowIds: duties.map((d) => d.workflowId),
      projectWorkflowIds: projects.map((p) => p.workflowId),
    };
  });
}

/**
 * Retires (撤销/停用) the entry a retirement request names, in one transaction keyed by the
 * request: the entry leaves both catalogues (`retiredAt`), its history records the retirement as
 * the next version (the content as it stood, marked retired, with the reasons and who asked and
 * who approved), and every active grant on it is returned for the provider to keep or suspend —
 * the path of a class change to NOT_SHARED. Applications keep citing the version they cited.
 */
export async function retireEntry(
  db: Db,
  input: { draftId: string; actorUserId: string; at: Date; reasons?: string },
): Promise<Publication> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM catalog_draft WHERE id = ${input.draftId} FOR UPDATE`;
    const draft = await tx.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
    if (draft.status === 'PUBLISHED') return publishedBefore(tx, draft);
    const entry = await tx.dataResource.findUniqueOrThrow({ where: { id: draft.resourceId! } });
    const last = await tx.dataResourceVersion.findFirst({
      where: { resourceId: entry.id },
      orderBy: { version: 'desc' },
    });
    const version = Math.max(entry.version, last?.version ?? 0) + 1;
    const changes = { retired: { from: false, to: true } };
    await tx.dataResource.update({ where: { id: entry.id }, data: { retiredAt: input.at, version } });
    await tx.dataResourceVersion.create({
      data: {
        id: newId(),
        resourceId: entry.id,
        version,
        draftId: draft.id,
        snapshot: { ...contentOf(draft), retired: true } as object,
        changes,
        changeNote: draft.changeNote,
        submittedById: draft.createdById,
        publishedById: input.actorUserId,
        publishedAt: input.at,
      },
    });
    await tx.catalogDraft.update({
      where: { id: draft.id },
      data: { status: 'PUBLISHED', publishedAt: input.at, publishedVersion: version },
    });
    await tx.auditLog.createMany({
      data: [
        {
          auditKey: `catalog-draft:${draft.id}:retired`,
          actor: input.actorUserId,
          action: 'CATALOG_ENTRY_RETIRED',
          entityType: 'DataResource',
          entityId: entry.id,
          details: {
            draftNo: draft.draftNo,
            code: draft.code,
            version,
            requestReasons: draft.changeNote,
            reasons: input.reasons,
          } as object,
        },
      ],
      skipDuplicates: true,
    });
    const grants = await tx.accessGrant.findMany({
      where: { resourceId: entry.id, status: 'ACTIVE' },
      include: { application: true, granteeDept: true, granteePublic: true },
      orderBy: { grantedAt: 'asc' },
    });
    const duties = await tx.catalogUpdateDuty.findMany({
      where: { status: 'OPEN', resourceIds: { has: entry.id } },
      select: { workflowId: true },
    });
    return {
      resourceId: entry.id,
      code: draft.code,
      version,
      created: true,
      changes,
      grantsToReview: grants.map((g) => ({
        grantId: g.id,
        applicationNo: g.application.applicationNo,
        granteeName: g.granteeDept?.name ?? g.granteePublic?.name ?? '使用方',
        newClassText: '停用（撤销）',
      })),
      dutyWorkflowIds: duties.map((d) => d.workflowId),
    };
  });
}

export function catalogActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);

  const audit = (auditKey: string, actor: string, action: string, draft: CatalogDraft, details: object = {}) =>
    db.auditLog.createMany({
      data: [{ auditKey, actor, action, entityType: 'CatalogDraft', entityId: draft.id, details }],
      skipDuplicates: true,
    });
  const staff = (departmentId: string) => usersWithRole(db, departmentId, ['DEPT_STAFF']);
  const mailData = (d: CatalogDraft) => ({ draftNo: d.draftNo, code: d.code, name: d.name });

  return {
    /** Every review round starts here: the duplicates the reviewer sees, found again. */
    async checkCatalogDraft(input: {
      draftId: string;
      round: number;
    }): Promise<{ duplicates: Duplicate[]; kind: 'ENTRY' | 'RETIREMENT'; reasons: string | null }> {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      // A retirement request names an entry in force: there is nothing new to compare.
      if (draft.kind === 'RETIREMENT') return { duplicates: [], kind: draft.kind, reasons: draft.changeNote };
      const duplicates = await detectDuplicates(db, draft);
      await db.catalogDraft.update({ where: { id: draft.id }, data: { duplicates: duplicates as object[] } });
      if (duplicates.length)
        await audit(
          `catalog-draft:${draft.id}:duplicates:${input.round}`,
          'system',
          'CATALOG_DUPLICATES_FOUND',
          draft,
          {
            duplicates,
          },
        );
      return { duplicates, kind: draft.kind, reasons: draft.changeNote };
    },

    /** Art. 16: returned with reasons; the department revises and resubmits. */
    async returnCatalogDraft(input: { draftId: string; round: number; reasons: string; actorUserId: string }) {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      await db.catalogDraft.updateMany({
        where: { id: draft.id, status: 'SUBMITTED', round: input.round },
        data: { status: 'RETURNED', returnReasons: input.reasons },
      });
      await audit(
        `catalog-draft:${draft.id}:returned:${input.round}`,
        input.actorUserId,
        'CATALOG_DRAFT_RETURNED',
        draft,
        {
          round: input.round,
          reasons: input.reasons,
        },
      );
      await notify({
        eventKey: `catalog:${draft.draftNo}:returned:${input.round}`,
        template: 'catalog-returned',
        recipients: await staff(draft.departmentId),
        data: {
          ...mailData(draft),
          reasons: input.reasons,
          round: input.round,
          retirement: draft.kind === 'RETIREMENT',
        },
      });
    },

    async resubmitCatalogDraft(input: { draftId: string; round: number; actorUserId: string }): Promise<void> {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      await db.catalogDraft.updateMany({
        where: { id: draft.id, status: 'RETURNED', round: input.round - 1 },
        data: { status: 'SUBMITTED', round: input.round, submittedAt: now() },
      });
      await audit(
        `catalog-draft:${draft.id}:resubmitted:${input.round}`,
        input.actorUserId,
        'CATALOG_DRAFT_RESUBMITTED',
        draft,
        {
          round: input.round,
        },
      );
    },

    async withdrawCatalogDraft(input: { draftId: string; actorUserId: string }): Promise<void> {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      await db.catalogDraft.updateMany({
        where: { id: draft.id, status: { in: ['SUBMITTED', 'RETURNED'] } },
        data: { status: 'WITHDRAWN' },
      });
      await audit(`catalog-draft:${draft.id}:withdrawn`, input.actorUserId, 'CATALOG_DRAFT_WITHDRAWN', draft);
    },

    async publishCatalogDraft(input: {
      draftId: string;
      actorUserId: string;
      reasons?: string;
      comment?: string;
    }): Promise<Publication> {
      const kind = (await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } })).kind;
      const published =
        kind === 'RETIREMENT'
          ? await retireEntry(db, { ...input, at: now() })
          : await publishDraft(db, { ...input, at: now() });
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      if (kind === 'RETIREMENT') {
        await notify({
          eventKey: `catalog:${draft.draftNo}:retired`,
          template: 'catalog-retired',
          recipients: await staff(draft.departmentId),
          data: { ...mailData(draft), version: published.version, comment: input.comment ?? '' },
        });
        return published;
      }
      await notify({
        eventKey: `catalog:${draft.draftNo}:published`,
        template: 'catalog-published',
        recipients: await staff(draft.departmentId),
        data: { ...mailData(draft), version: published.version, comment: input.comment ?? '' },
      });
      return published;
    },

    /** The provider's decision on one grant after a class change that closes access. */
    async applyCatalogGrantReview(input: {
      draftId: string;
      grantId: string;
      keep: boolean;
      reasons: string;
      actorUserId: string;
    }): Promise<void> {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      if (!input.keep) {
        const suspended = await db.accessGrant.updateMany({
          where: { id: input.grantId, status: 'ACTIVE' },
          data: { status: 'SUSPENDED', endReason: `目录分类变更（${draft.draftNo}）：${input.reasons}` },
        });
        if (suspended.count > 0) {
          const grant = await db.accessGrant.findUniqueOrThrow({ where: { id: input.grantId } });
          await notify({
            eventKey: `catalog:${draft.draftNo}:grant-suspended:${input.grantId}`,
            template: 'catalog-grant-suspended',
            recipients: await grantHoldersOf(db, grant),
            data: { ...mailData(draft), reasons: input.reasons },
          });
        }
      }
      await db.auditLog.createMany({
        data: [
          {
            auditKey: `catalog-draft:${draft.id}:grant:${input.grantId}`,
            actor: input.actorUserId,
            action: input.keep ? 'CATALOG_GRANT_KEPT' : 'CATALOG_GRANT_SUSPENDED',
            entityType: 'AccessGrant',
            entityId: input.grantId,
            details: { draftNo: draft.draftNo, code: draft.code, reasons: input.reasons },
          },
        ],
        skipDuplicates: true,
      });
    },

    /**
     * Versions of the duty's entries published since it was recorded (the workflow hears of later
     * ones by signal): what a start the reconciler finished late would otherwise miss.
     */
    async catalogDutyProgress(input: {
      dutyId: string;
    }): Promise<{ published: Array<{ resourceId: string; version: number }> }> {
      const duty = await db.catalogUpdateDuty.findUniqueOrThrow({ where: { id: input.dutyId } });
      const versions = await db.dataResourceVersion.findMany({
        where: { resourceId: { in: duty.resourceIds }, publishedAt: { gt: duty.recordedAt } },
        select: { resourceId: true, version: true },
      });
      return { published: versions };
    },

    /**
     * Art. 17 (发现目录重复的，应当整合): the authority's integration of a draft's duplicates, recorded
     * on the draft once per round. USE_EXISTING withdraws the draft (and, for a revision, marks the
     * department's own entry as referring to the source); the department is told by mail.
     */
    async integrateCatalogDuplicates(input: {
      draftId: string;
      round: number;
      decision: 'USE_EXISTING' | 'USE_THIS' | 'KEEP_BOTH';
      sourceCode: string;
      duplicates: Duplicate[];
      reasons: string;
      actorUserId: string;
    }): Promise<void> {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      const record = {
        round: input.round,
        decision: input.decision,
        sourceCode: input.sourceCode,
        duplicates: input.duplicates.map((d) => d.code),
        reasons: input.reasons,
        actorUserId: input.actorUserId,
      };
      await db.catalogDraft.update({ where: { id: draft.id }, data: { integration: record } });
      if (input.decision === 'USE_EXISTING') {
        await db.catalogDraft.updateMany({
          where: { id: draft.id, status: { in: ['SUBMITTED', 'RETURNED'] } },
          data: { status: 'WITHDRAWN' },
        });
        if (draft.resourceId)
          await db.dataResource.updateMany({
            where: { id: draft.resourceId },
            data: { refersToCode: input.sourceCode },
          });
      }
      await audit(
        `catalog-draft:${draft.id}:integrated:${input.round}`,
        input.actorUserId,
        'CATALOG_DUPLICATES_INTEGRATED',
        draft,
        record,
      );
      await notify({
        eventKey: `catalog:${draft.draftNo}:integrated:${input.round}`,
        template: 'catalog-integrated',
        recipients: await staff(draft.departmentId),
        data: {
          ...mailData(draft),
          sourceCode: input.sourceCode,
          reasons: input.reasons,
          useExisting: input.decision === 'USE_EXISTING',
          useThis: input.decision === 'USE_THIS',
          keepBoth: input.decision === 'KEEP_BOTH',
          duplicates: record.duplicates.join('、'),
        },
      });
    },

    /**
     * After a USE_THIS integration the draft's entry is published: the other departments' published
     * duplicates are marked as referring to it (not cut: their grants and cases stay), audited and mailed.
     */
    async applyCatalogIntegration(input: { draftId: string; round: number }): Promise<{ marked: string[] }> {
      const draft = await db.catalogDraft.findUniqueOrThrow({ where: { id: input.draftId } });
      const integration = draft.integration as {
        decision?: string;
        duplicates?: string[];
        reasons?: string;
        actorUserId?: string;
      } | null;
      if (integration?.decision !== 'USE_THIS') return { marked: [] };
      const entries = await db.dataResource.findMany({
        where: { code: { in: integration.duplicates ?? [] }, providerId: { not: draft.departmentId } },
      });
      for (const e of entries) {
        await db.dataResource.updateMany({ where: { id: e.id }, data: { refersToCode: draft.code } });
        await db.auditLog.createMany({
          data: [
            {
              auditKey: `catalog-draft:${draft.id}:refers:${e.id}`,
              actor: integration.actorUserId ?? 'system',
              action: 'CATALOG_ENTRY_REFERS_TO_SOURCE',
              entityType: 'DataResource',
              entityId: e.id,
              details: { code: e.code, sourceCode: draft.code, draftNo: draft.draftNo, reasons: integration.reasons },
            },
          ],
          skipDuplicates: true,
        });
        await notify({
          eventKey: `catalog:${draft.draftNo}:refers:${e.code}`,
          template: 'catalog-integrated',
          recipients: await staff(e.providerId),
          data: {
            draftNo: draft.draftNo,
            code: e.code,
            name: e.name,
            sourceCode: draft.code,
            reasons: integration.reasons ?? '',
            marked: true,
          },
        });
      }
      return { marked: entries.map((e) => e.code).sort() };
    },

    /** Art. 17: the project's drafts already published (the workflow hears of later ones by signal). */
    async catalogProjectProgress(input: { projectId: string }): Promise<{ published: string[] }> {
      const project = await db.infoSystemProject.findUniqueOrThrow({ where: { id: input.projectId } });
      const drafts = await db.catalogDraft.findMany({
        where: { id: { in: project.draftIds }, status: 'PUBLISHED' },
        select: { draftNo: true },
      });
      return { published: drafts.map((d) => d.draftNo).sort() };
    },

    /** Art. 17: the data authority's decision on the project, recorded once; the department is told by mail. */
    async decideCatalogProject(input: {
      projectId: string;
      approve: boolean;
      reasons: string;
      comment: string;
      actorUserId: string;
    }): Promise<void> {
      const at = now();
      const project = await db.infoSystemProject.findUniqueOrThrow({ where: { id: input.projectId } });
      await db.infoSystemProject.updateMany({
        where: { id: project.id, status: 'REGISTERED' },
        data: input.approve
          ? { status: 'APPROVED', approvedById: input.actorUserId, approvedAt: at }
          : { status: 'RETURNED', returnedById: input.actorUserId, returnedAt: at, returnReasons: input.reasons },
      });
      const outcome = input.approve ? 'approved' : 'returned';
      await db.auditLog.createMany({
        data: [
          {
            auditKey: `project:${project.id}:${outcome}`,
            actor: input.actorUserId,
            action: input.approve ? 'INFO_SYSTEM_PROJECT_APPROVED' : 'INFO_SYSTEM_PROJECT_RETURNED',
            entityType: 'InfoSystemProject',
            entityId: project.id,
            details: {
              projectNo: project.projectNo,
              reasons: input.reasons || undefined,
              comment: input.comment || undefined,
            },
          },
        ],
        skipDuplicates: true,
      });
      await notify({
        eventKey: `catalog-project:${project.projectNo}:${outcome}`,
        template: `catalog-project-${outcome}`,
        recipients: await staff(project.departmentId),
        data: { projectNo: project.projectNo, name: project.name, reasons: input.reasons, comment: input.comment },
      });
    },

    async fulfilCatalogDuty(input: {
      dutyId: string;
      actorUserId: string;
      versions: Record<string, number>;
    }): Promise<void> {
      const at = now();
      await db.catalogUpdateDuty.updateMany({
        where: { id: input.dutyId, status: 'OPEN' },
        data: { status: 'FULFILLED', fulfilledAt: at },
      });
      await db.auditLog.createMany({
        data: [
          {
            auditKey: `catalog-duty:${input.dutyId}:fulfilled`,
            actor: input.actorUserId,
            action: 'CATALOG_DUTY_FULFILLED',
            entityType: 'CatalogUpdateDuty',
            entityId: input.dutyId,
            details: { versions: input.versions },
          },
        ],
        skipDuplicates: true,
      });
    },
  };
}

async function grantHoldersOf(db: Db, grant: { resourceId: string; granteeDeptId: string | null }) {
  if (grant.granteeDeptId) return usersWithRole(db, grant.granteeDeptId, ['DEPT_STAFF']);
  return grantHolders(db, [grant.resourceId], ['SUSPENDED']);
}
