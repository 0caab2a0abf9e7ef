/**
 * Objections (异议, Art. 33): the query model of the objection procedure — status, dispute
 * mark, scope, forward, decision, correction and closing — and the mails to the objector and
 * to those holding grants on the disputed resource. Every step is idempotent: a conditional
 * update or a natural key makes a retried activity change nothing a second time.
 */
import type { ObjectionKind, ObjectionScope, ObjectionStatus } from '../generated/prisma/client';
import type { Db } from '../lib/db';
import { newId } from '../lib/ids';
import type { ObjectionOutcome } from '../workflows/objection-messages';
import { auditOnce } from './audit';
import { activityNow, ActivityDeps } from './deps';
import { notificationActivities, Recipient } from './notifications';
import { shanghaiText } from './inbox';
import { usersWithRole } from './recipients';

export const OBJECTION_KIND_TEXT: Record<ObjectionKind, string> = {
  ERROR: '数据错误',
  OMISSION: '数据遗漏',
  TRADE_SECRET: '侵犯商业秘密',
  PRIVACY: '侵犯个人隐私',
};

const DECISION_STATE = {
  PENDING: '正在核实处理',
  CORRECT: '已决定更正，正在更正数据',
  REJECT: '经核实决定不予更正',
} as const;

/**
 * What the public sees on a disputed resource: where the objection stands (being verified, or
 * the decision as soon as it is taken), never the facts of a confidential objection.
 */
export function disputeMarkNote(
  kind: ObjectionKind,
  objectionNo: string,
  confidential: boolean,
  decision: keyof typeof DECISION_STATE = 'PENDING',
): string {
  const state = DECISION_STATE[decision];
  return confidential
    ? `存在异议（${objectionNo}），${state}；涉及商业秘密或个人隐私，详情不予公开`
    : `存在异议（${objectionNo}）：${OBJECTION_KIND_TEXT[kind]}，${state}`;
}

/** Everyone holding an ACTIVE grant on the resource: department staff, or the public grantee's account. */
export async function grantHolders(
  db: Db,
  resourceIds: string[],
  statuses: Array<'ACTIVE' | 'SUSPENDED'> = ['ACTIVE'],
): Promise<Recipient[]> {
  const grants = await db.accessGrant.findMany({
    where: { resourceId: { in: resourceIds }, status: { in: statuses } },
    include: { granteePublic: { include: { user: true } } },
  });
  const deptIds = [...new Set(grants.map((g) => g.granteeDeptId).filter((d): d is string => d !== null))];
  const staff = (await Promise.all(deptIds.map((d) => usersWithRole(db, d, ['DEPT_STAFF'])))).flat();
  const publics = grants
    .filter((g) => g.granteePublic)
    .map((g) => ({
      email: g.granteePublic!.user?.email ?? g.granteePublic!.contactEmail,
      name: g.granteePublic!.user?.displayName ?? g.granteePublic!.name,
    }));
  return [...staff, ...publics];
}

export function objectionActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);

  async function load(objectionId: string) {
    return db.objection.findUniqueOrThrow({
      where: { id: objectionId },
      include: { resource: { include: { provider: true } } },
    });
  }

  async function objector(userId: string): Promise<Recipient[]> {
    const u = await db.user.findUnique({ where: { id: userId } });
    return u && u.active ? [{ email: u.email, name: u.displayName }] : [];
  }

  async function audit(
    auditKey: string,
    actor: string,
    action: string,
    objectionId: string,
    details: Record<string, unknown> = {},
  ) {
    await auditOnce(db, { auditKey, actor, action, entityType: 'Objection', entityId: objectionId, details });
  }

  /** Moves the status forward only from the listed states, so a retry or a late step never moves it back. */
  async function advance(
    objectionId: string,
    from: ObjectionStatus[],
    to: ObjectionStatus,
    data: Record<string, unknown> = {},
  ) {
    await db.objection.updateMany({ where: { id: objectionId, status: { in: from } }, data: { status: to, ...data } });
  }

  function common(o: Awaited<ReturnType<typeof load>>) {
    return {
      objectionNo: o.objectionNo,
      resourceCode: o.resource.code,
      resourceName: o.resource.name,
      kindText: OBJECTION_KIND_TEXT[o.kind],
    };
  }

  return {
    /** Receipt acknowledged; the objector learns the number under which to follow the objection. */
    async acceptObjection(input: { objectionId: string }): Promise<void> {
      const o = await load(input.objectionId);
      await advance(o.id, ['SUBMITTED'], 'ACCEPTED');
      await audit(`objection:${o.id}:accepted`, 'system', 'OBJECTION_ACCEPTED', o.id, { receivedAt: o.receivedAt });
      await notify({
        eventKey: `objection:${o.objectionNo}:received`,
        template: 'objection-received',
        recipients: await objector(o.objectorUserId),
        data: { ...common(o), receivedAt: shanghaiText(o.receivedAt) },
      });
    },

    /** Art. 33 ¶2: the dispute mark, visible wherever the resource is shown and to every grant holder. */
    async placeDisputeMark(input: { objectionId: string; actorUserId: string }): Promise<{ markedAtMs: number }> {
      const o = await load(input.objectionId);
      const note = disputeMarkNote(o.kind, o.objectionNo, o.confidential);
      const mark = await db.disputeMark.upsert({
        where: { objectionId: o.id },
        update: {},
        create: { id: newId(), objectionId: o.id, resourceId: o.resourceId, note, markedAt: now() },
      });
      await advance(o.id, ['SUBMITTED', 'ACCEPTED'], 'MARKED');
      await audit(`objection:${o.id}:marked`, input.actorUserId, 'DISPUTE_MARK_PLACED', o.id, {
        resourceId: o.resourceId,
        markId: mark.id,
        markedAt: mark.markedAt,
      });
      await notify({
        eventKey: `objection:${o.objectionNo}:marked`,
        template: 'objection-marked',
        recipients: await grantHolders(db, [o.resourceId]),
        data: { ...common(o), note, markedAt: shanghaiText(mark.markedAt) },
      });
      return { markedAtMs: mark.markedAt.getTime() };
    },

    async setObjectionScope(input: { objectionId: string; scope: ObjectionScope; actorUserId: string }): Promise<void> {
      await db.objection.updateMany({ where: { id: input.objectionId, scope: null }, data: { scope: input.scope } });
      await audit(
        `objection:${input.objectionId}:scope`,
        input.actorUserId,
        'OBJECTION_SCOPE_DETERMINED',
        input.objectionId,
        { scope: input.scope },
      );
    },

    /** Art. 33 ¶2 (二): the forward instant starts the provider's 5 working days; recorded once. */
    async forwardObjection(input: {
      objectionId: string;
      actorUserId: string;
      comment?: string;
    }): Promise<{ forwardedAtMs: number }> {
      await db.objection.updateMany({
        where: { id: input.objectionId, forwardedAt: null },
        data: { forwardedAt: now() },
      });
      const o = await load(input.objectionId);
      await advance(o.id, ['SUBMITTED', 'ACCEPTED', 'MARKED'], 'FORWARDED');
      await audit(`objection:${o.id}:forwarded`, input.actorUserId, 'OBJECTION_FORWARDED', o.id, {
        providerId: o.resource.providerId,
        forwardedAt: o.forwardedAt,
        comment: input.comment,
      });
      await notify({
        eventKey: `objection:${o.objectionNo}:forwarded`,
        template: 'objection-forwarded',
        recipients: await usersWithRole(db, o.resource.providerId, ['PROVIDER_REVIEWER']),
        data: { ...common(o), forwardedAt: shanghaiText(o.forwardedAt), comment: input.comment ?? '' },
      });
      return { forwardedAtMs: o.forwardedAt!.getTime() };
    },

    /** Whether to correct, by the authority (own scope) or the provider (after the forward). */
    async recordObjectionDecision(input: {
      objectionId: string;
      decision: 'CORRECT' | 'REJECT';
      reasons: string;
      decidedBy: ObjectionScope;
      actorUserId: string;
    }): Promise<void> {
      const to: ObjectionStatus = input.decision === 'CORRECT' ? 'CORRECTING' : 'DECIDED';
      await advance(input.objectionId, ['SUBMITTED', 'ACCEPTED', 'MARKED', 'FORWARDED'], to, {
        outcomeReasons: input.reasons,
      });
      // Art. 33 ¶2: the public mark shows the decision at once, not only when the mark is cleared.
      const o = await load(input.objectionId);
      await db.disputeMark.updateMany({
        where: { objectionId: o.id, clearedAt: null },
        data: { note: disputeMarkNote(o.kind, o.objectionNo, o.confidential, input.decision) },
      });
      await audit(`objection:${input.objectionId}:decided`, input.actorUserId, 'OBJECTION_DECIDED', input.objectionId, {
        decision: input.decision,
        reasons: input.reasons,
        decidedBy: input.decidedBy,
      });
    },

    /** Art. 33 ¶2 (二) "及时将处理结果告知异议提出人": the decision reaches the objector before the correction is done. */
    async informObjectorOfDecision(input: {
      objectionId: string;
      decision: 'CORRECT' | 'REJECT';
      reasons: string;
      comment?: string;
      actorUserId: string;
    }): Promise<void> {
      const o = await load(input.objectionId);
      await audit(`objection:${o.id}:objector-informed`, input.actorUserId, 'OBJECTOR_INFORMED', o.id, {
        decision: input.decision,
        reasons: input.reasons,
        comment: input.comment,
      });
      await notify({
        eventKey: `objection:${o.objectionNo}:decision`,
        template: 'objection-decision',
        recipients: await objector(o.objectorUserId),
        data: {
          ...common(o),
          decisionText: input.decision === 'CORRECT' ? '决定更正' : '决定不予更正',
          reasons: input.reasons,
          comment: input.comment ?? '',
        },
      });
    },

    /**
     * The owner corrected the data: the catalog entry's version goes up exactly once (the
     * objection row remembers it) and everyone holding an active grant on it is told.
     */
    async applyCorrection(input: {
      objectionId: string;
      actorUserId: string;
      note?: string;
    }): Promise<{ version: number }> {
      const at = now();
      await db.$transaction(async (tx) => {
        const claimed = await tx.objection.updateMany({
          where: { id: input.objectionId, correctedAt: null },
          data: { correctedAt: at },
        });
        if (claimed.count === 0) return;
        const o = await tx.objection.findUniqueOrThrow({ where: { id: input.objectionId } });
        const r = await tx.dataResource.update({ where: { id: o.resourceId }, data: { version: { increment: 1 } } });
        await tx.objection.update({ where: { id: o.id }, data: { correctedVersion: r.version } });
      });
      const o = await load(input.objectionId);
      await audit(`objection:${o.id}:corrected`, input.actorUserId, 'CATALOG_ENTRY_CORRECTED', o.id, {
        resourceId: o.resourceId,
        version: o.correctedVersion,
        note: input.note,
      });
      await notify({
        eventKey: `objection:${o.objectionNo}:corrected`,
        template: 'objection-corrected',
        recipients: await grantHolders(db, [o.resourceId]),
        data: { ...common(o), version: o.correctedVersion ?? o.resource.version, note: input.note ?? '' },
      });
      return { version: o.correctedVersion ?? o.resource.version };
    },

    /** The objection ends: the mark is cleared in the same transaction and the objector learns the outcome with reasons. */
    async closeObjection(input: {
      objectionId: string;
      outcome: ObjectionOutcome;
      reasons: string;
      comment?: string;
    }): Promise<void> {
      const at = now();
      await db.$transaction([
        db.disputeMark.updateMany({
          where: { objectionId: input.objectionId, clearedAt: null },
          data: { clearedAt: at },
        }),
        db.objection.updateMany({
          where: { id: input.objectionId, status: { not: 'CLOSED' } },
          data: { status: 'CLOSED', closedAt: at, outcome: input.outcome, outcomeReasons: input.reasons },
        }),
      ]);
      const o = await load(input.objectionId);
      await audit(`objection:${o.id}:closed`, 'system', 'OBJECTION_CLOSED', o.id, {
        outcome: o.outcome,
        reasons: o.outcomeReasons,
        closedAt: o.closedAt,
      });
      await audit(`objection:${o.id}:mark-cleared`, 'system', 'DISPUTE_MARK_CLEARED', o.id, {
        resourceId: o.resourceId,
      });
      await notify({
        eventKey: `objection:${o.objectionNo}:outcome`,
        template: 'objection-outcome',
        recipients: await objector(o.objectorUserId),
        data: {
          ...common(o),
          outcomeText:
            o.outcome === 'CORRECTED'
              ? `已更正（目录条目版本 ${o.correctedVersion ?? o.resource.version}）`
              : o.outcome === 'WITHDRAWN'
                ? '已由您撤回'
                : '不予更正',
          reasons: o.outcomeReasons ?? input.reasons,
          comment: input.comment ?? '',
          closedAt: shanghaiText(o.closedAt),
        },
      });
    },
  };
}
