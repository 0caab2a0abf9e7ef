/**
 * Commercial tender (Art. 27 ¶3) and the follow-up of the authorisation it awards (Art. 27 ¶4):
 * the query model (tender, sealed bids, committee, scores, objections, authorisation, report
 * duties), deadlines from the calendar, and the mail to bidders, operators and the authority.
 * Every activity is idempotent: natural keys, conditional updates, createMany skipDuplicates.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { AuthorizationStatus, Prisma } from '../generated/prisma/client';
import { CommitteeDraw, drawCommittee } from '../domain/committee-draw';
import { drillCalendarFor, TaskCalendar } from '../domain/drill-time';
import { rankBids, ScoreSheet, TenderCriterion } from '../domain/tender-ranking';
import {
  addShanghaiMonths,
  BidDeclarations,
  bidInvalidReasons,
  parsePolicyPeriod,
  periodMs,
  recusals,
  ReportDuty,
  reportSchedule,
  TenderEligibility,
} from '../domain/tender-rules';
import type { ProcedurePolicy } from '../domain/policy';
import { newId } from '../lib/ids';
import { policyInForce } from '../lib/policies';
import { auditOnce } from './audit';
import { activityNow, ActivityDeps, CalendarPolicyInput } from './deps';
import { shanghaiText } from './inbox';
import { notificationActivities, Recipient } from './notifications';
import { usersWithRole } from './recipients';

export interface SealedBidBody {
  plan: string;
  securityMeasures: string;
  eligibilityDocuments: string[];
  declarations: BidDeclarations;
}

/** The committee record the API stores on a tender (api/routes/tender.ts formCommittee), as far as a replacement draw reads it. */
type StoredCommitteeRecord =
  | { method: 'DESIGNATED' }
  | (CommitteeDraw & {
      affiliations?: Array<{ userId: string; login: string; declaredAffiliations: string[] }>;
      replacements?: Array<CommitteeDraw & { round: number }>;
    });

export interface OpeningResult {
  validBids: Array<{ bidId: string; bidderId: string }>;
  /** Every bidder that handed in a bid, valid or not: all of them hear the outcome. */
  bidderIds: string[];
  committee: string[];
  recused: Array<{ userId: string; bidderIds: string[] }>;
  criteria: TenderCriterion[];
}

export interface RankingRow {
  bidId: string;
  bidderId: string;
  bidderName: string;
  total: number;
  rank: number;
  price: number;
}

export interface ReportDutyRef {
  reportId: string;
  kind: 'PERIODIC' | 'YEARLY';
  periodNo: number;
  opensAtMs: number;
  dueAtMs: number;
}

export interface AuthorizationRef {
  authorizationId: string;
  authorizationNo: string;
  workflowId: string;
  operatorId: string;
  startsAtMs: number;
  endsAtMs: number;
}

export interface NextRoundRef {
  tenderId: string;
  tenderNo: string;
  workflowId: string;
  round: number;
}

/** A drill's reporting periods: fixed lengths from the start to the end of the (drill-length) term. */
function drillReportSchedule(startsAt: Date, endsAt: Date, periodMs: number): ReportDuty[] {
  const duties: ReportDuty[] = [];
  for (let n = 1, start = startsAt.getTime(); start < endsAt.getTime() && n <= 1200; n++) {
    const end = Math.min(startsAt.getTime() + n * periodMs, endsAt.getTime());
    duties.push({
      kind: 'PERIODIC',
      periodNo: n,
      periodStart: new Date(start),
      periodEnd: new Date(end),
      opensAt: new Date(end),
      dueAt: null,
    });
    start = end;
  }
  return duties;
}

function deadlineChangeText(previousMs: number | undefined, nextMs: number): string {
  const next = shanghaiText(new Date(nextMs));
  if (previousMs === undefined || previousMs === nextMs) return `投标截止时间不变，仍为 ${next}。`;
  const verb = nextMs > previousMs ? '延长' : '提前';
  return `投标截止时间由 ${shanghaiText(new Date(previousMs))} ${verb}至 ${next}。`;
}

export const tenderWorkflowId = (tenderNo: string) => `commercial-tender/${tenderNo}`;
export const followUpWorkflowId = (authorizationNo: string) => `authorization-followup/${authorizationNo}`;

export function tenderActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);
  /** The calendar under the procedure's policy (e.g. whether 调休上班日 count), as the inbox uses it. */
  const calendar = async (policy?: CalendarPolicyInput): Promise<TaskCalendar> => {
    // A drill's working day of fixed length (drillWorkingDay) counts its "working days" periods too.
    let drill;
    try {
      drill = drillCalendarFor(policy);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'INVALID_POLICY');
    }
    if (drill) return drill;
    if (!deps.calendar) throw ApplicationFailure.nonRetryable('No working-day calendar configured for activities');
    return deps.calendar(policy);
  };

  async function periodEnd(from: Date, text: string, policy?: CalendarPolicyInput): Promise<Date> {
    let period;
    try {
      period = parsePolicyPeriod(text);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'INVALID_POLICY');
    }
    const ms = periodMs(period);
    return ms !== null
      ? new Date(from.getTime() + ms)
      : (await calendar(policy)).deadline(from, period.amount).deadlineAt;
  }

  async function audit(
    auditKey: string,
    actor: string,
    action: string,
    entityType: string,
    entityId: string,
    details: Record<string, unknown> = {},
  ) {
    await auditOnce(db, { auditKey, actor, action, entityType, entityId, details });
  }

  async function applicants(ids: string[]): Promise<Recipient[]> {
    const rows = await db.publicApplicant.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } });
    return rows.map((r) => ({ email: r.contactEmail, name: r.name }));
  }

  const authority = (deptId: string) => usersWithRole(db, deptId, ['AUTHORITY_REVIEWER']);

  async function tenderOf(tenderId: string) {
    return db.tender.findUniqueOrThrow({ where: { id: tenderId } });
  }

  /** Bidders whose bid stands (a withdrawn bid's bidder is no longer a party, 招标投标法 Art. 29). */
  async function bidderIdsOf(tenderId: string): Promise<string[]> {
    return (
      await db.bid.findMany({
        where: { tenderId, status: { not: 'WITHDRAWN' } },
        select: { bidderId: true },
        orderBy: { bidderId: 'asc' },
      })
    ).map((b) => b.bidderId);
  }

  /** One month of a drill's term ("2 minutes"), in ms; undefined for calendar months. */
  function drillMonthMs(text?: string): number | undefined {
    if (!text) return undefined;
    const ms = periodMs(parsePolicyPeriod(text));
    if (ms === null)
      throw ApplicationFailure.nonRetryable(`drillMonth "${text}" must be a fixed length`, 'INVALID_POLICY');
    return ms;
  }

  return {
    /**
     * The policy of a drill (演练) case: the real policy in force now with the drill version's values
     * over it (periods in minutes allowed). Refused for a version that is not marked as a drill.
     */
    async loadDrillPolicy(input: { policyVersionId: string }): Promise<ProcedurePolicy> {
      const drill = await db.policyVersion.findUnique({ where: { id: input.policyVersionId } });
      if (!drill?.drill)
        throw ApplicationFailure.nonRetryable(
          `${input.policyVersionId} is not a drill policy version`,
          'INVALID_POLICY',
        );
      return policyInForce(db, now().getTime(), drill);
    },

    /** The end of a policy period ("20 days", "3 working days", …) counted from an instant. */
    async tenderPeriodEnd(input: {
      fromMs: number;
      period: string;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<number> {
      return (await periodEnd(new Date(input.fromMs), input.period, input.calendarPolicy)).getTime();
    },

    /**
     * A running comment or publicity period counted again after a calendar change: the public
     * tender view (and the comment route, which reads commentEndsAt) shows the new end.
     */
    async moveTenderPeriod(input: {
      tenderId: string;
      period: 'COMMENT' | 'PUBLICITY';
      endsAtMs: number;
    }): Promise<void> {
      const endsAt = new Date(input.endsAtMs);
      if (input.period === 'COMMENT')
        await db.tender.updateMany({
          where: { id: input.tenderId, status: 'COMMENT' },
          data: { commentEndsAt: endsAt },
        });
      else
        await db.tender.updateMany({
          where: { id: input.tenderId, status: 'PUBLICITY' },
          data: { publicityEndsAt: endsAt },
        });
      await audit(
        `tender:${input.tenderId}:${input.period.toLowerCase()}-moved:${input.endsAtMs}`,
        'system',
        'TENDER_PERIOD_MOVED',
        'Tender',
        input.tenderId,
        { period: input.period, endsAt },
      );
    },

    async openTenderComment(input: { tenderId: string; commentEndsAtMs: number; actorUserId: string }): Promise<void> {
      await db.tender.updateMany({
        where: { id: input.tenderId, status: 'DRAFT' },
        data: { status: 'COMMENT', commentEndsAt: new Date(input.commentEndsAtMs) },
      });
      await audit(
        `tender:${input.tenderId}:comment`,
        input.actorUserId,
        'TENDER_COMMENT_OPENED',
        'Tender',
        input.tenderId,
        { commentEndsAt: new Date(input.commentEndsAtMs) },
      );
    },

    /** 招标公告: published on the public tender list with its bid deadline. */
    async announceTender(input: { tenderId: string; bidDeadlineMs: number; actorUserId: string }): Promise<void> {
      const at = now();
      await db.tender.updateMany({
        where: { id: input.tenderId, status: { in: ['DRAFT', 'COMMENT'] } },
        data: {
          status: 'ANNOUNCED',
          announcedAt: at,
          bidDeadline: new Date(input.bidDeadlineMs),
          announcementVersion: 1,
        },
      });
      await audit(
        `tender:${input.tenderId}:announced`,
        input.actorUserId,
        'TENDER_ANNOUNCED',
        'Tender',
        input.tenderId,
        { bidDeadline: new Date(input.bidDeadlineMs) },
      );
    },

    /** A change after publication: the new text, the (possibly later) deadline, and word to those who already bid. */
    async amendTender(input: {
      tenderId: string;
      version: number;
      /** The deadline before the change (absent in histories from before it was passed). */
      previousBidDeadlineMs?: number;
      bidDeadlineMs: number;
      reason: string;
      actorUserId: string;
      changes: { title?: string; scope?: string; authorizationModel?: string; eligibilityOther?: string[] };
    }): Promise<void> {
      const tender = await tenderOf(input.tenderId);
      const eligibility = tender.eligibility as unknown as TenderEligibility;
      await db.tender.updateMany({
        where: { id: input.tenderId, announcementVersion: { lt: input.version } },
        data: {
          announcementVersion: input.version,
          bidDeadline: new Date(input.bidDeadlineMs),
          ...(input.changes.title ? { title: input.changes.title } : {}),
          ...(input.changes.scope ? { scope: input.changes.scope } : {}),
          ...(input.changes.authorizationModel ? { authorizationModel: input.changes.authorizationModel } : {}),
          ...(input.changes.eligibilityOther
            ? { eligibility: { ...eligibility, other: input.changes.eligibilityOther } as object }
            : {}),
        },
      });
      await audit(
        `tender:${input.tenderId}:amended:${input.version}`,
        input.actorUserId,
        'TENDER_AMENDED',
        'Tender',
        input.tenderId,
        { ...input.changes, reason: input.reason, bidDeadline: new Date(input.bidDeadlineMs) },
      );
      await notify({
        eventKey: `tender:${input.tenderId}:amended:${input.version}`,
        template: 'tender-notice',
        recipients: await applicants(await bidderIdsOf(input.tenderId)),
        data: {
          tenderNo: tender.tenderNo,
          title: input.changes.title ?? tender.title,
          headline: '招标公告已变更',
          // What the change did to the deadline, in so many words: the reason is the authority's text, not a fact.
          message: `招标公告已变更，变更理由：${input.reason}。${deadlineChangeText(input.previousBidDeadlineMs, input.bidDeadlineMs)}截止前您可以替换或撤回已递交的投标文件。`,
        },
      });
    },

    async cancelTender(input: {
      tenderId: string;
      reasons: string;
      actorUserId: string;
      authorityDeptId: string;
    }): Promise<void> {
      const tender = await tenderOf(input.tenderId);
      await db.tender.updateMany({
        where: { id: input.tenderId, status: { in: ['DRAFT', 'COMMENT', 'ANNOUNCED'] } },
        data: { status: 'CANCELLED', closedAt: now(), outcomeReasons: input.reasons },
      });
      await audit(
        `tender:${input.tenderId}:cancelled`,
        input.actorUserId,
        'TENDER_CANCELLED',
        'Tender',
        input.tenderId,
        { reasons: input.reasons },
      );
      await notify({
        eventKey: `tender:${input.tenderId}:cancelled`,
        template: 'tender-notice',
        recipients: [
          ...(await applicants(await bidderIdsOf(input.tenderId))),
          ...(await authority(input.authorityDeptId)),
        ],
        data: {
          tenderNo: tender.tenderNo,
          title: tender.title,
          headline: '招标已终止',
          message: `本次招标已终止。理由：${input.reasons}`,
        },
      });
    },

    /**
     * The workflow accepted an envelope before the deadline: it becomes the bidder's bid (a later
     * envelope replaces an earlier one). Retried with the same submission, nothing changes.
     */
    async acceptBid(input: {
      tenderId: string;
      submissionId: string;
      acceptedAtMs: number;
    }): Promise<{ bidId: string; version: number }> {
      const sub = await db.bidSubmission.findUniqueOrThrow({ where: { id: input.submissionId } });
      if (sub.tenderId !== input.tenderId)
        throw ApplicationFailure.nonRetryable('Bid submission belongs to another tender', 'CONFLICT');
      const acceptedAt = new Date(input.acceptedAtMs);
      const bid = await db.$transaction(async (tx) => {
        const existing = await tx.bid.findUnique({
          where: { tenderId_bidderId: { tenderId: sub.tenderId, bidderId: sub.bidderId } },
        });
        if (existing?.submissionId === sub.id) return existing;
        await tx.bidSubmission.update({ where: { id: sub.id }, data: { acceptedAt } });
        if (existing) {
          return tx.bid.update({
            where: { id: existing.id },
            data: {
              sealedBody: sub.body as object,
              price: sub.price,
              submittedAt: acceptedAt,
              submissionId: sub.id,
              version: existing.version + 1,
              status: 'SUBMITTED',
            },
          });
        }
        return tx.bid.create({
          data: {
            id: newId(),
            tenderId: sub.tenderId,
            bidderId: sub.bidderId,
            sealedBody: sub.body as object,
            price: sub.price,
            submittedAt: acceptedAt,
            submissionId: sub.id,
            version: 1,
          },
        });
      });
      const tender = await tenderOf(input.tenderId);
      await audit(`bid:${sub.id}:accepted`, sub.submittedById, 'BID_ACCEPTED', 'Tender', input.tenderId, {
        bidderId: sub.bidderId,
        version: bid.version,
      });
      await notify({
        eventKey: `bid:${sub.id}:received`,
        template: 'tender-bid-received',
        recipients: await applicants([sub.bidderId]),
        data: {
          tenderNo: tender.tenderNo,
          title: tender.title,
          version: bid.version,
          receivedAt: shanghaiText(acceptedAt),
          bidDeadline: shanghaiText(tender.bidDeadline),
          overFeeCap: Number(sub.price) > Number(tender.feeCap),
          feeCap: Number(tender.feeCap),
          price: Number(sub.price),
        },
      });
      return { bidId: bid.id, version: bid.version };
    },

    /**
     * 招标投标法 Art. 29: the bidder withdrew the envelope it last submitted before the deadline.
     * Idempotent: only that envelope's bid changes, once; a later envelope makes it a bid again.
     */
    async withdrawBid(input: {
      tenderId: string;
      bidderId: string;
      submissionId: string;
      withdrawnById: string;
      withdrawnAtMs: number;
    }): Promise<{ withdrawn: boolean }> {
      const r = await db.bid.updateMany({
        where: {
          tenderId: input.tenderId,
          bidderId: input.bidderId,
          submissionId: input.submissionId,
          status: { not: 'WITHDRAWN' },
        },
        data: { status: 'WITHDRAWN' },
      });
      const tender = await tenderOf(input.tenderId);
      await audit(`bid:${input.submissionId}:withdrawn`, input.withdrawnById, 'BID_WITHDRAWN', 'Tender', tender.id, {
        bidderId: input.bidderId,
        withdrawnAt: new Date(input.withdrawnAtMs),
      });
      await notify({
        eventKey: `bid:${input.submissionId}:withdrawn`,
        template: 'tender-notice',
        recipients: await applicants([input.bidderId]),
        data: {
          tenderNo: tender.tenderNo,
          title: tender.title,
          headline: '投标已撤回',
          message: `您的投标文件已于 ${shanghaiText(new Date(input.withdrawnAtMs))} 撤回，不参加开标。投标截止（${shanghaiText(tender.bidDeadline)}）前您可以重新递交。`,
        },
      });
      return { withdrawn: r.count > 0 };
    },

    /**
     * 开标 at the deadline: each bid is checked against the fee cap and the declared eligibility,
     * and the committee members affiliated with a bidder stand aside.
     */
    async openBids(input: { tenderId: string }): Promise<OpeningResult> {
      const tender = await db.tender.findUniqueOrThrow({
        where: { id: input.tenderId },
        include: {
          // A withdrawn bid is not opened (招标投标法 Art. 29).
          bids: { where: { status: { not: 'WITHDRAWN' } }, orderBy: { submittedAt: 'asc' } },
          evaluators: { orderBy: { userId: 'asc' } },
        },
      });
      const eligibility = tender.eligibility as unknown as TenderEligibility;
      const feeCap = Number(tender.feeCap);
      const at = tender.openedAt ?? now();
      const valid: OpeningResult['validBids'] = [];
      await db.$transaction(async (tx) => {
        for (const bid of tender.bids) {
          const body = bid.sealedBody as unknown as SealedBidBody;
          const reasons = bidInvalidReasons(
            {
              price: Number(bid.price),
              declarations: body.declarations ?? { securityCapability: false, noSeriousViolations: false },
            },
            { feeCap, eligibility },
          );
          await tx.bid.update({
            where: { id: bid.id },
            data: {
              status: reasons.length ? 'INVALID' : 'VALID',
              invalidReason: reasons.length ? reasons.join('；') : null,
            },
          });
          if (!reasons.length) valid.push({ bidId: bid.id, bidderId: bid.bidderId });
        }
        await tx.tender.update({ where: { id: tender.id }, data: { openedAt: at } });
      });
      const bidders = await db.publicApplicant.findMany({ where: { id: { in: valid.map((b) => b.bidderId) } } });
      const conflicts = recusals(
        tender.evaluators,
        bidders.map((b) => ({ bidderId: b.id, creditCode: b.unifiedCreditCode })),
      );
      for (const c of conflicts) {
        await db.tenderEvaluator.update({
          where: { tenderId_userId: { tenderId: tender.id, userId: c.userId } },
          data: { recused: true, recusalReason: `与投标人存在关联关系：${c.bidderIds.join('、')}` },
        });
      }
      await audit(`tender:${tender.id}:opened`, 'system', 'TENDER_OPENED', 'Tender', tender.id, {
        bids: tender.bids.length,
        valid: valid.length,
        recused: conflicts.map((c) => c.userId),
      });
      const recusedIds = new Set(conflicts.map((c) => c.userId));
      return {
        validBids: valid,
        bidderIds: tender.bids.map((b) => b.bidderId),
        committee: tender.evaluators.filter((e) => !e.recused && !recusedIds.has(e.userId)).map((e) => e.userId),
        recused: conflicts,
        criteria: tender.criteria as unknown as TenderCriterion[],
      };
    },

    /** Fewer valid bids than the policy minimum (招标投标法 Art. 28): the tender fails and everyone is told. */
    async failTender(input: {
      tenderId: string;
      reasons: string;
      validBids: number;
      minValidBids: number;
      authorityDeptId: string;
    }): Promise<void> {
      const tender = await tenderOf(input.tenderId);
      await db.tender.updateMany({
        where: { id: input.tenderId, status: { notIn: ['FAILED', 'CANCELLED'] } },
        data: { status: 'FAILED', closedAt: now(), outcomeReasons: input.reasons },
      });
      await audit(`tender:${input.tenderId}:failed`, 'system', 'TENDER_FAILED', 'Tender', input.tenderId, {
        reasons: input.reasons,
      });
      await notify({
        eventKey: `tender:${input.tenderId}:failed`,
        template: 'tender-failed',
        recipients: [
          ...(await applicants(await bidderIdsOf(input.tenderId))),
          ...(await authority(input.authorityDeptId)),
        ],
        data: {
          tenderNo: tender.tenderNo,
          title: tender.title,
          validBids: input.validBids,
          minValidBids: input.minValidBids,
          reasons: input.reasons,
        },
      });
    },

    /** A notice about a tender to some bidders and, with authorityDeptId, the authority's reviewers. */
    async noticeTenderParties(input: {
      tenderId: string;
      eventKey: string;
      bidderIds: string[];
      authorityDeptId?: string;
      headline: string;
      message: string;
    }): Promise<number> {
      const tender = await tenderOf(input.tenderId);
      return notify({
        eventKey: `tender:${tender.id}:${input.eventKey}`,
        template: 'tender-notice',
        recipients: [
          ...(await applicants(input.bidderIds)),
          ...(input.authorityDeptId ? await authority(input.authorityDeptId) : []),
        ],
        data: { tenderNo: tender.tenderNo, title: tender.title, headline: input.headline, message: input.message },
      });
    },

    async startEvaluation(input: { tenderId: string }): Promise<void> {
      await db.tender.updateMany({
        where: { id: input.tenderId, status: 'ANNOUNCED' },
        data: { status: 'EVALUATION' },
      });
    },

    /**
     * 实施条例 Art. 46 ¶2: members replacing those who stood aside are drawn the way the committee
     * was (a DRAW committee only; a designated one is completed by the authority). Drawn at random
     * from the pool minus the committee (members and those who stood aside), the members who asked
     * to stand aside before the first draw and those whose declared affiliations match a valid
     * bidder; the draw of each round is kept on the tender, so a retry returns the same members.
     * Fewer eligible than missing: all eligible are drawn, the authority appoints the rest.
     */
    async drawReplacementEvaluators(input: {
      tenderId: string;
      authorityDeptId: string;
      count: number;
      round: number;
    }): Promise<{ drawn: string[] }> {
      const tender = await db.tender.findUniqueOrThrow({
        where: { id: input.tenderId },
        include: { evaluators: true },
      });
      const record = tender.committeeDraw as unknown as StoredCommitteeRecord | null;
      if (record?.method !== 'DRAW') return { drawn: [] };
      const done = record.replacements?.find((r) => r.round === input.round);
      if (done) return { drawn: done.drawn.map((m) => m.userId) };
      const pool = await db.user.findMany({
        where: { departmentId: input.authorityDeptId, active: true, roles: { has: 'EVALUATOR' } },
        orderBy: { id: 'asc' },
      });
      const validBids = await db.bid.findMany({ where: { tenderId: tender.id, status: 'VALID' } });
      const bidders = await db.publicApplicant.findMany({ where: { id: { in: validBids.map((b) => b.bidderId) } } });
      const exclusions: Array<{ userId: string; reason: string }> = [
        ...tender.evaluators.map((e) => ({
          userId: e.userId,
          reason: e.recused ? '已回避的评标委员会成员' : '已是评标委员会成员',
        })),
        ...record.excluded.flatMap((e) => e.reasons.map((reason) => ({ userId: e.userId, reason }))),
        ...recusals(
          (record.affiliations ?? []).map((a) => ({ userId: a.userId, declaredAffiliations: a.declaredAffiliations })),
          bidders.map((b) => ({ bidderId: b.id, creditCode: b.unifiedCreditCode })),
        ).map((c) => ({ userId: c.userId, reason: `与投标人存在关联关系：${c.bidderIds.join('、')}` })),
      ];
      const members = pool.map((u) => ({ userId: u.id, login: u.login }));
      const excludedIds = new Set(exclusions.map((e) => e.userId));
      const eligible = members.filter((m) => !excludedIds.has(m.userId)).length;
      const size = Math.min(input.count, eligible);
      const outcome = drawCommittee({ pool: members, exclusions, size, seed: randomBytes(16).toString('hex') });
      if (!outcome.ok) throw new Error('unreachable: the draw size is at most the eligible members');
      const replacement = { round: input.round, missing: input.count, ...outcome.draw, drawnAt: now().toISOString() };
      const affiliationsOf = (userId: string) =>
        (record.affiliations ?? []).find((a) => a.userId === userId)?.declaredAffiliations ?? [];
      await db.$transaction([
        db.tender.update({
          where: { id: tender.id },
          data: {
            committeeDraw: {
              ...record,
              replacements: [...(record.replacements ?? []), replacement],
            } as unknown as Prisma.InputJsonValue,
          },
        }),
        db.tenderEvaluator.createMany({
          data: outcome.draw.drawn.map((m) => ({
            tenderId: tender.id,
            userId: m.userId,
            declaredAffiliations: affiliationsOf(m.userId),
          })),
          skipDuplicates: true,
        }),
      ]);
      await audit(
        `tender:${tender.id}:replacements:${input.round}`,
        'system',
        'COMMITTEE_REPLACEMENTS_DRAWN',
        'Tender',
        tender.id,
        replacement as unknown as Record<string, unknown>,
      );
      return { drawn: outcome.draw.drawn.map((m) => m.userId) };
    },

    /** Replacement committee members: evaluators of the authority with no affiliation to a valid bidder. */
    async appointEvaluators(input: {
      tenderId: string;
      authorityDeptId: string;
      evaluators: Array<{ userId: string; declaredAffiliations: string[] }>;
    }): Promise<{ appointed: string[]; rejected: Array<{ userId: string; reason: string }> }> {
      const users = await db.user.findMany({ where: { id: { in: input.evaluators.map((e) => e.userId) } } });
      const validBidders = await db.bid.findMany({ where: { tenderId: input.tenderId, status: 'VALID' } });
      const bidders = await db.publicApplicant.findMany({ where: { id: { in: validBidders.map((b) => b.bidderId) } } });
      const existing = new Set(
        (await db.tenderEvaluator.findMany({ where: { tenderId: input.tenderId } })).map((e) => e.userId),
      );
      const appointed: string[] = [];
      const rejected: Array<{ userId: string; reason: string }> = [];
      for (const e of input.evaluators) {
        const u = users.find((x) => x.id === e.userId);
        if (!u || !u.active || u.departmentId !== input.authorityDeptId || !u.roles.includes('EVALUATOR'))
          rejected.push({ userId: e.userId, reason: '不是数据主管部门的评审专家' });
        else if (existing.has(e.userId))
          rejected.push({ userId: e.userId, reason: '已是（或已回避的）评标委员会成员' });
        else if (
          recusals(
            [e],
            bidders.map((b) => ({ bidderId: b.id, creditCode: b.unifiedCreditCode })),
          ).length
        )
          rejected.push({ userId: e.userId, reason: '与投标人存在关联关系' });
        else appointed.push(e.userId);
      }
      await db.tenderEvaluator.createMany({
        data: input.evaluators
          .filter((e) => appointed.includes(e.userId))
          .map((e) => ({ tenderId: input.tenderId, userId: e.userId, declaredAffiliations: e.declaredAffiliations })),
        skipDuplicates: true,
      });
      return { appointed, rejected };
    },

    async recordScores(input: {
      tenderId: string;
      evaluatorUserId: string;
      entries: Array<{ bidId: string; criterion: string; score: number }>;
    }): Promise<void> {
      await db.bidScore.createMany({
        data: input.entries.map((e) => ({
          bidId: e.bidId,
          evaluatorUserId: input.evaluatorUserId,
          criterion: e.criterion,
          score: e.score,
        })),
        skipDuplicates: true,
      });
      await audit(
        `tender:${input.tenderId}:scored:${input.evaluatorUserId}`,
        input.evaluatorUserId,
        'TENDER_SCORED',
        'Tender',
        input.tenderId,
        { entries: input.entries.length },
      );
    },

    /** The ranking from the committee's scores (domain/tender-ranking.ts), stored on the bids. */
    async rankTender(input: { tenderId: string; committee: string[] }): Promise<RankingRow[]> {
      const tender = await db.tender.findUniqueOrThrow({
        where: { id: input.tenderId },
        include: { bids: { where: { status: 'VALID' }, include: { scores: true } } },
      });
      const criteria = tender.criteria as unknown as TenderCriterion[];
      const sheets: ScoreSheet[] = input.committee.map((userId) => ({
        evaluatorUserId: userId,
        entries: tender.bids.flatMap((b) =>
          b.scores
            .filter((s) => s.evaluatorUserId === userId)
            .map((s) => ({ bidId: b.id, criterion: s.criterion, score: Number(s.score) })),
        ),
      }));
      const ranked = rankBids(
        tender.bids.map((b) => ({
          bidId: b.id,
          bidderId: b.bidderId,
          price: Number(b.price),
          submittedAtMs: b.submittedAt.getTime(),
        })),
        criteria,
        sheets,
      );
      for (const r of ranked) await db.bid.update({ where: { id: r.bidId }, data: { score: r.total, rank: r.rank } });
      const names = new Map(
        (await db.publicApplicant.findMany({ where: { id: { in: ranked.map((r) => r.bidderId) } } })).map((p) => [
          p.id,
          p.name,
        ]),
      );
      return ranked.map((r) => ({
        bidId: r.bidId,
        bidderId: r.bidderId,
        bidderName: names.get(r.bidderId) ?? r.bidderId,
        total: r.total,
        rank: r.rank,
        price: r.price,
      }));
    },

    /** 公示: the proposed winner is published; every bidder is told and may object until the end. */
    async startPublicity(input: {
      tenderId: string;
      bidId: string;
      period: string;
      fromMs?: number;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<{ publicityEndsAtMs: number }> {
      const tender = await tenderOf(input.tenderId);
      if (tender.proposedBidId === input.bidId && tender.publicityEndsAt && tender.status === 'PUBLICITY')
        return { publicityEndsAtMs: tender.publicityEndsAt.getTime() };
      // Counted from the instant the workflow chose, so a recount after a calendar change starts from the same day.
      const endsAt = await periodEnd(
        input.fromMs !== undefined ? new Date(input.fromMs) : now(),
        input.period,
        input.calendarPolicy,
      );
      await db.tender.update({
        where: { id: tender.id },
        data: { status: 'PUBLICITY', proposedBidId: input.bidId, publicityEndsAt: endsAt },
      });
      const bid = await db.bid.findUniqueOrThrow({ where: { id: input.bidId } });
      const winner = await db.publicApplicant.findUniqueOrThrow({ where: { id: bid.bidderId } });
      await audit(`tender:${tender.id}:publicity:${input.bidId}`, 'system', 'TENDER_PUBLICITY', 'Tender', tender.id, {
        bidId: input.bidId,
        publicityEndsAt: endsAt,
      });
      await notify({
        eventKey: `tender:${tender.id}:publicity:${input.bidId}`,
        template: 'tender-publicity',
        recipients: await applicants(await bidderIdsOf(tender.id)),
        data: {
          tenderNo: tender.tenderNo,
          title: tender.title,
          winnerName: winner.name,
          total: Number(bid.score ?? 0),
          publicityEnds: shanghaiText(endsAt),
        },
      });
      return { publicityEndsAtMs: endsAt.getTime() };
    },

    async recordTenderObjection(input: {
      objectionId: string;
      tenderId: string;
      bidderId: string;
      submittedById: string;
      content: string;
      authorityDeptId: string;
      /** Absent in histories from before objections to the documents: RESULT. */
      kind?: 'DOCUMENTS' | 'RESULT';
    }): Promise<void> {
      await db.tenderObjection.createMany({
        data: [
          {
            id: input.objectionId,
            tenderId: input.tenderId,
            bidderId: input.bidderId,
            submittedById: input.submittedById,
            kind: input.kind ?? 'RESULT',
            content: input.content,
            submittedAt: now(),
          },
        ],
        skipDuplicates: true,
      });
      await audit(
        `tender-objection:${input.objectionId}:received`,
        input.submittedById,
        'TENDER_OBJECTION_RECEIVED',
        'Tender',
        input.tenderId,
        { objectionId: input.objectionId },
      );
    },

    async answerTenderObjection(input: {
      objectionId: string;
      decision: string;
      answer: string;
      actorUserId: string;
    }): Promise<void> {
      const o = await db.tenderObjection.findUniqueOrThrow({
        where: { id: input.objectionId },
        include: { tender: true },
      });
      await db.tenderObjection.updateMany({
        where: { id: o.id, answeredAt: null },
        data: { decision: input.decision, answer: input.answer, answeredById: input.actorUserId, answeredAt: now() },
      });
      await audit(
        `tender-objection:${o.id}:answered`,
        input.actorUserId,
        'TENDER_OBJECTION_ANSWERED',
        'Tender',
        o.tenderId,
        { objectionId: o.id, decision: input.decision },
      );
      await notify({
        eventKey: `tender-objection:${o.id}:answered`,
        template: 'tender-notice',
        recipients: await applicants([o.bidderId]),
        data: {
          tenderNo: o.tender.tenderNo,
          title: o.tender.title,
          headline: input.decision === 'UPHOLD' ? '异议成立' : '异议不成立',
          message:
            o.kind === 'DOCUMENTS'
              ? `您对招标文件提出的异议${input.decision === 'UPHOLD' ? '成立，招标文件将依法修改并公告' : '经审查不成立'}。答复：${input.answer}`
              : `您对中标候选人提出的异议${input.decision === 'UPHOLD' ? '成立，中标候选人将依排名顺延并重新公示' : '经审查不成立'}。答复：${input.answer}`,
        },
      });
    },

    /** An upheld objection against the proposed winner: its bid leaves the ranking. */
    async disqualifyBid(input: { bidId: string; reason: string }): Promise<void> {
      await db.bid.update({ where: { id: input.bidId }, data: { status: 'INVALID', invalidReason: input.reason } });
    },

    /** 中标通知: the agreement is drawn up for both parties' confirmation; the losing bidders are told. */
    async awardTender(input: {
      tenderId: string;
      bidId: string;
      authorityDeptId: string;
    }): Promise<{ agreementId: string; agreementNo: string; winnerBidderId: string }> {
      const tender = await tenderOf(input.tenderId);
      const bid = await db.bid.findUniqueOrThrow({ where: { id: input.bidId } });
      const winner = await db.publicApplicant.findUniqueOrThrow({ where: { id: bid.bidderId } });
      const agreementNo = `${tender.tenderNo}-XY`;
      const agreement = await db.$transaction(async (tx) => {
        await tx.tender.updateMany({
          where: { id: tender.id, status: 'PUBLICITY' },
          data: { status: 'AWARDED', awardedAt: now(), proposedBidId: bid.id },
        });
        return tx.agreement.upsert({
          where: { agreementNo },
          update: {},
          create: {
            id: newId(),
            agreementNo,
            kind: 'AUTHORIZATION',
            partyA: input.authorityDeptId,
            partyB: winner.id,
            terms: `授权运营协议：${winner.name}在${tender.termMonths}个月内按“${tender.scope}”（${tender.authorizationModel || '授权开发利用'}）开发利用授权数据，收费不超过 ${tender.feeCap.toString()} 元，按期报送利用情况并年度披露，保障数据安全。`,
          },
        });
      });
      await audit(`tender:${tender.id}:awarded`, 'system', 'TENDER_AWARDED', 'Tender', tender.id, {
        bidId: bid.id,
        bidderId: bid.bidderId,
      });
      await notify({
        eventKey: `tender:${tender.id}:award`,
        template: 'tender-award',
        recipients: await applicants([winner.id]),
        data: { tenderNo: tender.tenderNo, title: tender.title, agreementNo },
      });
      const losers = (await bidderIdsOf(tender.id)).filter((id) => id !== winner.id);
      await notify({
        eventKey: `tender:${tender.id}:result`,
        template: 'tender-result',
        recipients: await applicants(losers),
        data: { tenderNo: tender.tenderNo, title: tender.title, winnerName: winner.name },
      });
      return { agreementId: agreement.id, agreementNo, winnerBidderId: winner.id };
    },

    /** Both parties confirmed: the Authorization is registered for its term, scope and fee cap. */
    async createAuthorization(input: {
      tenderId: string;
      agreementId: string;
      authorityDeptId: string;
      /** A drill's month ("2 minutes"): the term lasts termMonths of them. */
      drillMonth?: string;
    }): Promise<AuthorizationRef> {
      const tender = await tenderOf(input.tenderId);
      const bid = await db.bid.findUniqueOrThrow({ where: { id: tender.proposedBidId! } });
      const authorizationNo = `SQ-${tender.tenderNo}`;
      const startsAt = now();
      const auth = await db.$transaction(async (tx) => {
        const existing = await tx.authorization.findUnique({ where: { authorizationNo } });
        if (existing) return existing;
        const created = await tx.authorization.create({
          data: {
            id: newId(),
            authorizationNo,
            workflowId: followUpWorkflowId(authorizationNo),
            tenderId: tender.id,
            operatorId: bid.bidderId,
            resourceIds: tender.resourceIds,
            scope: tender.scope,
            startsAt,
            endsAt: drillMonthMs(input.drillMonth)
              ? new Date(startsAt.getTime() + tender.termMonths * drillMonthMs(input.drillMonth)!)
              : addShanghaiMonths(startsAt, tender.termMonths),
            feeCap: tender.feeCap,
          },
        });
        await tx.agreement.update({ where: { id: input.agreementId }, data: { authorizationId: created.id } });
        return created;
      });
      await audit(
        `authorization:${auth.id}:registered`,
        'system',
        'AUTHORIZATION_REGISTERED',
        'Authorization',
        auth.id,
        { tenderId: tender.id, operatorId: auth.operatorId, resourceIds: auth.resourceIds },
      );
      await notify({
        eventKey: `authorization:${auth.id}:registered`,
        template: 'tender-authorization',
        recipients: [...(await applicants([auth.operatorId])), ...(await authority(input.authorityDeptId))],
        data: {
          authorizationNo,
          headline: '授权已登记生效',
          message: `授权运营协议已经双方确认，授权自 ${shanghaiText(auth.startsAt)} 起至 ${shanghaiText(auth.endsAt)} 止。请按期报送数据利用情况报告，并按期完成年度披露。`,
        },
      });
      return {
        authorizationId: auth.id,
        authorizationNo,
        workflowId: auth.workflowId!,
        operatorId: auth.operatorId,
        startsAtMs: auth.startsAt.getTime(),
        endsAtMs: auth.endsAt.getTime(),
      };
    },

    /** A re-run (failed tender) or re-tender (expired authorisation): a new round linked to the old tender. */
    async createNextRound(input: { tenderId: string; actorUserId: string }): Promise<NextRoundRef> {
      const old = await db.tender.findUniqueOrThrow({ where: { id: input.tenderId }, include: { evaluators: true } });
      const existing = await db.tender.findFirst({ where: { previousTenderId: old.id } });
      const next =
        existing ??
        (await db.$transaction(async (tx) => {
          const round = old.round + 1;
          const tenderNo = `${old.tenderNo.replace(/-R\d+$/, '')}-R${round}`;
          const created = await tx.tender.create({
            data: {
              id: newId(),
              tenderNo,
              workflowId: tenderWorkflowId(tenderNo),
              round,
              previousTenderId: old.id,
              title: old.title,
              resourceIds: old.resourceIds,
              scope: old.scope,
              termMonths: old.termMonths,
              feeCap: old.feeCap,
              eligibility: old.eligibility as object,
              criteria: old.criteria as object,
              authorizationModel: old.authorizationModel,
              drillPolicyId: old.drillPolicyId,
              // The same committee sits again; its record says how it was formed.
              committeeDraw: (old.committeeDraw ?? undefined) as Prisma.InputJsonValue | undefined,
              createdById: input.actorUserId,
            },
          });
          await tx.tenderEvaluator.createMany({
            data: old.evaluators.map((e) => ({
              tenderId: created.id,
              userId: e.userId,
              declaredAffiliations: e.declaredAffiliations,
            })),
          });
          return created;
        }));
      await audit(`tender:${old.id}:next-round`, input.actorUserId, 'TENDER_NEXT_ROUND', 'Tender', old.id, {
        nextTenderId: next.id,
        round: next.round,
      });
      return { tenderId: next.id, tenderNo: next.tenderNo, workflowId: next.workflowId, round: next.round };
    },

    /** The operator's reporting duties over the term, stored so the API can list what is due. */
    async planAuthorizationReports(input: {
      authorizationId: string;
      periodMonths: number;
      dueWorkingDays: number;
      disclosureDueMonth: number;
      calendarPolicy?: CalendarPolicyInput;
      /** A drill's month ("2 minutes"): periods of periodMonths of them, no yearly disclosure. */
      drillMonth?: string;
    }): Promise<ReportDutyRef[]> {
      const auth = await db.authorization.findUniqueOrThrow({ where: { id: input.authorizationId } });
      const monthMs = drillMonthMs(input.drillMonth);
      const duties = monthMs
        ? drillReportSchedule(auth.startsAt, auth.endsAt, input.periodMonths * monthMs)
        : reportSchedule({
            startsAt: auth.startsAt,
            endsAt: auth.endsAt,
            periodMonths: input.periodMonths,
            disclosureDueMonth: input.disclosureDueMonth,
          });
      const cal = await calendar(input.calendarPolicy);
      const rows: Prisma.AuthorizationReportCreateManyInput[] = duties.map((d) => ({
        id: newId(),
        authorizationId: auth.id,
        kind: d.kind,
        periodNo: d.periodNo,
        periodStart: d.periodStart,
        periodEnd: d.periodEnd,
        dueAt: d.dueAt ?? cal.deadline(d.periodEnd, input.dueWorkingDays).deadlineAt,
      }));
      await db.authorizationReport.createMany({ data: rows, skipDuplicates: true });
      const stored = await db.authorizationReport.findMany({ where: { authorizationId: auth.id } });
      return duties.map((d) => {
        const r = stored.find((s) => s.kind === d.kind && s.periodNo === d.periodNo)!;
        return {
          reportId: r.id,
          kind: d.kind,
          periodNo: d.periodNo,
          opensAtMs: d.opensAt.getTime(),
          dueAtMs: r.dueAt.getTime(),
        };
      });
    },

    async openAuthorizationReport(input: { reportId: string; workflowId: string }): Promise<void> {
      const r = await db.authorizationReport.findUniqueOrThrow({
        where: { id: input.reportId },
        include: { authorization: true },
      });
      await db.authorizationReport.updateMany({
        where: { id: r.id, status: 'SCHEDULED' },
        data: { status: 'DUE', workflowId: input.workflowId },
      });
      await notify({
        eventKey: `authorization-report:${r.id}:due`,
        template: 'tender-authorization',
        recipients: await applicants([r.authorization.operatorId]),
        data: {
          authorizationNo: r.authorization.authorizationNo ?? r.authorizationId,
          headline: r.kind === 'YEARLY' ? `请报送${r.periodNo}年度披露` : `请报送第${r.periodNo}期利用情况报告`,
          message: `报告期 ${shanghaiText(r.periodStart)} 至 ${shanghaiText(r.periodEnd)}，请于 ${shanghaiText(r.dueAt)} 前报送。`,
        },
      });
    },

    /** A missing report: overdue, the operator is reminded and the authority told, every round. */
    async markAuthorizationReportOverdue(input: {
      reportId: string;
      round: number;
      authorityDeptId: string;
    }): Promise<void> {
      const r = await db.authorizationReport.findUniqueOrThrow({
        where: { id: input.reportId },
        include: { authorization: true },
      });
      await db.authorizationReport.updateMany({
        where: { id: r.id, status: { in: ['DUE', 'OVERDUE'] }, overdueNotices: { lte: input.round } },
        data: { status: 'OVERDUE', overdueNotices: input.round + 1 },
      });
      await audit(
        `authorization-report:${r.id}:overdue:${input.round}`,
        'system',
        'REPORT_OVERDUE',
        'Authorization',
        r.authorizationId,
        { reportId: r.id, round: input.round },
      );
      await notify({
        eventKey: `authorization-report:${r.id}:overdue:${input.round}`,
        template: 'tender-authorization',
        recipients: [
          ...(await applicants([r.authorization.operatorId])),
          ...(input.round === 0 ? await authority(input.authorityDeptId) : []),
        ],
        data: {
          authorizationNo: r.authorization.authorizationNo ?? r.authorizationId,
          headline: `${r.kind === 'YEARLY' ? `${r.periodNo}年度披露` : `第${r.periodNo}期报告`}已逾期（第${input.round + 1}次催报）`,
          message: `应于 ${shanghaiText(r.dueAt)} 前报送，至今未收到。请立即报送；逾期不报可能导致授权被暂停或撤销。`,
        },
      });
    },

    async fileAuthorizationReport(input: {
      reportId: string;
      summary: string;
      securityIncidents?: string;
      submittedById: string;
      submittedAtMs: number;
    }): Promise<{ late: boolean }> {
      const r = await db.authorizationReport.findUniqueOrThrow({ where: { id: input.reportId } });
      if (r.submittedAt) return { late: r.late };
      const submittedAt = new Date(input.submittedAtMs);
      const late = submittedAt.getTime() > r.dueAt.getTime();
      await db.$transaction(async (tx) => {
        const period = `${r.kind === 'YEARLY' ? 'Y' : 'P'}${r.periodNo}`;
        const useReport = await tx.useReport.upsert({
          where: { authorizationId_period: { authorizationId: r.authorizationId, period } },
          update: {},
          create: {
            id: newId(),
            authorizationId: r.authorizationId,
            period,
            summary: input.summary,
            securityIncidents: input.securityIncidents ?? null,
            submittedById: input.submittedById,
            submittedAt,
          },
        });
        await tx.authorizationReport.update({
          where: { id: r.id },
          data: { status: 'SUBMITTED', submittedAt, late, useReportId: useReport.id },
        });
      });
      await audit(
        `authorization-report:${r.id}:filed`,
        input.submittedById,
        'REPORT_FILED',
        'Authorization',
        r.authorizationId,
        { reportId: r.id, late },
      );
      return { late };
    },

    async reviewAuthorizationReport(input: {
      reportId: string;
      decision: string;
      reasons?: string;
      actorUserId: string;
    }): Promise<void> {
      await db.authorizationReport.updateMany({
        where: { id: input.reportId, reviewedAt: null },
        data: {
          status: input.decision === 'ACCEPT' ? 'ACCEPTED' : 'FLAGGED',
          reviewDecision: input.decision,
          reviewReasons: input.reasons ?? null,
          reviewedById: input.actorUserId,
          reviewedAt: now(),
        },
      });
    },

    /** A revoked authorisation owes no further reports. */
    async waiveAuthorizationReports(input: { authorizationId: string; reportIds?: string[] }): Promise<number> {
      const r = await db.authorizationReport.updateMany({
        where: {
          authorizationId: input.authorizationId,
          status: { in: ['SCHEDULED', 'DUE', 'OVERDUE'] },
          ...(input.reportIds ? { id: { in: input.reportIds } } : {}),
        },
        data: { status: 'WAIVED' },
      });
      return r.count;
    },

    /** Suspension, reinstatement, revocation (with reasons) or expiry; the operator and the authority are told. */
    async setAuthorizationStatus(input: {
      authorizationId: string;
      status: AuthorizationStatus;
      reasons: string;
      actorUserId: string;
      eventKey: string;
      authorityDeptId: string;
    }): Promise<void> {
      const at = now();
      const auth = await db.authorization.findUniqueOrThrow({ where: { id: input.authorizationId } });
      const final = input.status === 'REVOKED' || input.status === 'EXPIRED';
      await db.authorization.updateMany({
        where: { id: auth.id, status: { notIn: ['REVOKED', 'EXPIRED'] } },
        data: {
          status: input.status,
          ...(input.status === 'SUSPENDED' ? { suspendedAt: at } : {}),
          ...(input.status === 'ACTIVE' ? { suspendedAt: null } : {}),
          ...(input.status === 'REVOKED' ? { revokedAt: at } : {}),
          ...(final ? { endedReason: input.reasons } : {}),
        },
      });
      await audit(
        `authorization:${auth.id}:${input.eventKey}`,
        input.actorUserId,
        `AUTHORIZATION_${input.status}`,
        'Authorization',
        auth.id,
        { reasons: input.reasons },
      );
      const headline = {
        ACTIVE: '授权已恢复',
        SUSPENDED: '授权已暂停',
        REVOKED: '授权已撤销',
        EXPIRED: '授权期限届满',
      }[input.status];
      await notify({
        eventKey: `authorization:${auth.id}:${input.eventKey}`,
        template: 'tender-authorization',
        recipients: [...(await applicants([auth.operatorId])), ...(await authority(input.authorityDeptId))],
        data: { authorizationNo: auth.authorizationNo ?? auth.id, headline, message: `${headline}。${input.reasons}` },
      });
    },
  };
}
