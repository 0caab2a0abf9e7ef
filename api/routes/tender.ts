/**
 * Commercial tender (Art. 27 ¶3): the authority drafts, opens comment, announces, amends or
 * cancels; the public tender list and detail (never a bid's contents before opening — not even
 * for the authority); bids by legal persons, replaceable until the deadline; objections during
 * publicity; the winner's confirmation of the agreement; evaluators' score sheets. Public
 * applicants have no department and so no inbox: their acts are Updates this router sends after
 * checking the principal. The authority's other steps are inbox tasks (generic task API).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { Prisma, type Tender } from '../../generated/prisma/client';
import { drillPolicyProblems, isDrillPeriod, ProcedurePolicy } from '../../domain/policy';
import { criteriaProblems } from '../../domain/tender-ranking';
import { joinTexts } from '../../domain/error-codes';
import { committeeSize, committeeSizeProblem, CommitteeDraw, drawCommittee } from '../../domain/committee-draw';
import type { Db } from '../../lib/db';
import { policyInForce } from '../../lib/policies';
import { newId } from '../../lib/ids';
import type { TaskActor } from '../../workflows/messages';
import {
  amendTenderUpdate,
  announceTenderUpdate,
  cancelTenderUpdate,
  confirmAwardUpdate,
  openTenderCommentUpdate,
  BidderActor,
  raiseTenderObjectionUpdate,
  submitBidUpdate,
  withdrawBidUpdate,
} from '../../workflows/tender-messages';
import { authorizeSignedIn } from '../access';
import { Principal, requirePrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { refuseRetired } from '../catalog-citations';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { documented } from '../openapi';
import { creditCodeField } from '../kit/credit-code';
import { startTender } from '../kit/starters';
import { temporalClient } from '../kit/temporal';
import { decideTask, decisionAnswerSchema, decisionPendingSchema } from '../kit/decisions';
import { executeBounded } from '../kit/updates';
import { hashRequest, idempotencyKeySchema } from '../submissions';
import { checkCursor, pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';

const text = (max: number) => z.string().trim().min(1).max(max);

const criterionSchema = z
  .object({
    key: z
      .string()
      .trim()
      .regex(
        /^[a-z][a-z0-9_-]{0,31}$/,
        fieldText('只能包含小写字母、数字、_ 和 -', 'lower-case letters, digits, _ and -'),
      ),
    name: text(100),
    weight: z.number().positive().max(100),
    kind: z.enum(['SCORED', 'PRICE']).default('SCORED'),
  })
  .strict();

/** An evaluator's declared affiliations (unified credit codes): at the opening a member affiliated with a bidder stands aside. */
const affiliationSchema = z
  .object({ login: text(100), declaredAffiliations: z.array(creditCodeField).max(50).default([]) })
  .strict();

/**
 * 招标投标法 Art. 37 / 实施条例 Art. 46: the committee is drawn at random from the evaluator pool
 * (DRAW, the default); only a special tender (Art. 37 ¶3, 实施条例 Art. 47: 技术复杂、专业性强或者国家有
 * 特殊要求) may have its members designated by the authority, with its reasons (DESIGNATED).
 */
const committeeSchema = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('DRAW'),
      /** Odd, at least the policy minimum (tenderMinEvaluators); default the smallest such number. */
      size: z.number().int().min(1).max(25).optional(),
      /** Pool members who stand aside before the draw (主动回避), each with the reason. */
      recusals: z
        .array(z.object({ login: text(100), reason: text(500) }).strict())
        .max(100)
        .default([]),
      /** What pool members declared (kept with whoever is drawn, checked against the bidders at the opening). */
      affiliations: z.array(affiliationSchema).max(100).default([]),
    })
    .strict(),
  z
    .object({
      method: z.literal('DESIGNATED'),
      /** Why the tender is special (实施条例 Art. 47): recorded and audited. */
      reason: text(2000),
      members: z.array(affiliationSchema).min(1).max(25),
    })
    .strict(),
]);

const createBody = z
  .object({
    idempotencyKey: idempotencyKeySchema,
    title: text(200),
    resourceCodes: z
      .array(text(64))
      .min(1)
      .max(50)
      .refine((c) => new Set(c).size === c.length, fieldText('数据资源不得重复', 'must not repeat a resource')),
    scope: text(4000),
    authorizationModel: text(200),
    termMonths: z.number().int().min(1).max(120),
    feeCap: z.number().positive().max(1e12),
    eligibility: z
      .object({
        requireSecurityCapability: z.boolean().default(true),
        requireNoSeriousViolations: z.boolean().default(true),
        other: z.array(text(500)).max(50).default([]),
      })
      .strict(),
    criteria: z.array(criterionSchema).min(1).max(20),
    committee: committeeSchema.default({ method: 'DRAW', recusals: [], affiliations: [] }),
    /** A drill (演练): the id of a drill PolicyVersion; only where the deployment enables drills. */
    drillPolicyVersionId: text(80).optional(),
  })
  .strict();

const announceBody = z.object({ bidDeadline: z.iso.datetime({ offset: true }).optional() }).strict();
const amendBody = z
  .object({
    reason: text(2000),
    title: text(200).optional(),
    scope: text(4000).optional(),
    authorizationModel: text(200).optional(),
    eligibilityOther: z.array(text(500)).max(50).optional(),
    bidDeadline: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
const reasonsBody = z.object({ reasons: text(4000) }).strict();
const commentBody = z.object({ content: text(4000) }).strict();
const bidBody = z
  .object({
    price: z.number().positive().max(1e12),
    plan: text(20000),
    securityMeasures: text(20000),
    eligibilityDocuments: z.array(text(500)).min(1).max(50),
    declarations: z.object({ securityCapability: z.boolean(), noSeriousViolations: z.boolean() }).strict(),
  })
  .strict();
const objectionBody = z.object({ content: text(4000) }).strict();
const scoresBody = z
  .object({
    scores: z
      .array(z.object({ bidId: text(64), criterion: text(32), score: z.number().min(0).max(100) }).strict())
      .min(1)
      .max(2000),
    comment: z.string().trim().max(4000).optional(),
  })
  .strict();
const listQuery = z
  .object({
    status: z
      .enum(['DRAFT', 'COMMENT', 'ANNOUNCED', 'EVALUATION', 'PUBLICITY', 'AWARDED', 'FAILED', 'CANCELLED'])
      .optional(),
    ...pageQuery,
  })
  .strict();
const noParam = z.object({ no: z.string().min(1).max(80) });
const drillPolicyParam = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,63}$/, fieldText('只能包含小写字母、数字和 -', 'lower-case letters, digits and -')),
});
const drillPolicyBody = z
  .object({ description: text(500), values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) })
  .strict();

const commentsQuery = z.object({ ...pageQuery }).strict();
/** A tender's bids, in the order they came in, a page at a time. */
const bidsQuery = z.object(pageQuery).strict();

/** What the public sees of a tender: everything but drafts. */
const PUBLIC_STATUSES = ['COMMENT', 'ANNOUNCED', 'EVALUATION', 'PUBLICITY', 'AWARDED', 'FAILED', 'CANCELLED'] as const;

export function isAuthority(p: Principal | undefined): boolean {
  return (
    !!p && p.departmentKind === 'AUTHORITY' && (p.roles.includes('AUTHORITY_REVIEWER') || p.roles.includes('ADMIN'))
  );
}

export function requireAuthority(req: Request): Principal {
  const p = requirePrincipal(req);
  if (!isAuthority(p))
    throw new AppError('FORBIDDEN', {
      zh: '只有政务数据主管部门的审核人员或管理员可以管理招标',
      en: 'Only a reviewer or administrator of the data authority may manage tenders',
    });
  return p;
}

/** 法人: bids and objections come from a legal person's account (招标投标法 Art. 25). */
function requireLegalPerson(req: Request, db: Db): Promise<{ p: Principal; actor: BidderActor }> {
  const p = requirePrincipal(req);
  if (!p.publicApplicantId)
    throw new AppError('BIDDER_NOT_ELIGIBLE', {
      zh: '只有已注册且为法人的公众申请人可以投标',
      en: 'Only registered public applicants that are legal persons may bid',
    });
  return db.publicApplicant.findUniqueOrThrow({ where: { id: p.publicApplicantId } }).then((pa) => {
    if (pa.kind !== 'LEGAL_PERSON')
      throw new AppError('BIDDER_NOT_ELIGIBLE', {
        zh: `只有法人可以参加商业开发授权的投标；${pa.name} 的注册类型为 ${pa.kind}`,
        en: `Only legal persons may bid for a commercial authorisation; ${pa.name} is registered as ${pa.kind}`,
      });
    return { p, actor: { userId: p.userId, login: p.login, publicApplicantId: pa.id } };
  });
}

export const staffActor = (p: Principal): TaskActor => ({
  userId: p.userId,
  login: p.login,
  departmentId: p.departmentId,
  roles: p.roles,
});

export async function policyNow(db: Db, drillPolicyId?: string): Promise<ProcedurePolicy> {
  const drill = drillPolicyId ? await db.policyVersion.findUniqueOrThrow({ where: { id: drillPolicyId } }) : undefined;
  return policyInForce(db, Date.now(), drill);
}

/** Flagged at submission: a price over the cap makes the bid invalid at opening (domain/tender-rules bidInvalidReasons). */
function overFeeCap(price: number, tender: Tender) {
  const cap = Number(tender.feeCap);
  if (price <= cap) return { overFeeCap: false, warnings: [] };
  return {
    overFeeCap: true,
    warnings: [
      {
        code: 'OVER_FEE_CAP',
        message: `报价 ${price} 超过收费上限 ${cap}：开标时该投标将被认定为无效 (the price exceeds the fee cap; the bid will be invalid at opening)`,
      },
    ],
  };
}

type CommitteeRecord =
  | (CommitteeDraw & {
      drawnAt: string;
      drawnById: string;
      /** What pool members declared: replacements drawn at the opening are checked against the bidders with it. */
      affiliations: Array<{ userId: string; login: string; declaredAffiliations: string[] }>;
    })
  | {
      method: 'DESIGNATED';
      reason: string;
      members: Array<{ userId: string; login: string }>;
      designatedAt: string;
      designatedById: string;
    };

/**
 * The evaluation committee of a new tender (招标投标法 Art. 37, 实施条例 Art. 46–47): drawn at random
 * from the evaluator pool (active EVALUATORs of the data authority) after the members who stand
 * aside (recusals, each with its reason) are removed — or, for a special tender, designated with
 * reasons. A conflict with a bidder is known only at the opening: there a member whose declared
 * affiliations match a bidder stands aside (activities/tender.ts openBids). The seed comes from
 * crypto randomness here; the record (pool, excluded and why, seed, drawn) is stored and audited,
 * and domain/committee-draw.ts recomputes the draw from it.
 */
async function formCommittee(
  db: Db,
  p: Principal,
  spec: z.infer<typeof committeeSchema>,
  min: number,
): Promise<{ members: Array<{ userId: string; declaredAffiliations: string[] }>; record: CommitteeRecord }> {
  const poolUsers = await db.user.findMany({
    where: { departmentId: p.departmentId, active: true, roles: { has: 'EVALUATOR' } },
    orderBy: { id: 'asc' },
  });
  const byLogin = new Map(poolUsers.map((u) => [u.login, u]));
  const named = spec.method === 'DRAW' ? [...spec.recusals, ...spec.affiliations] : spec.members;
  const notInPool = [...new Set(named.map((e) => e.login).filter((l) => !byLogin.has(l)))];
  if (notInPool.length)
    throw new AppError(
      'COMMITTEE_INVALID',
      {
        zh: `以下账号不在数据主管部门的评标专家库中：${notInPool.join('、')}`,
        en: `Not in the evaluator pool of the data authority: ${notInPool.join(', ')}`,
      },
      { notInPool },
    );
  const exclusions: Array<{ userId: string; reason: string }> = [];
  const affiliationsOf = (login: string) =>
    (spec.method === 'DRAW' ? spec.affiliations : spec.members).find((a) => a.login === login)?.declaredAffiliations ??
    [];
  const now = new Date().toISOString();

  if (spec.method === 'DESIGNATED') {
    const logins = spec.members.map((m) => m.login);
    const size = new Set(logins).size;
    const sizeProblem = size !== logins.length ? 'different members' : committeeSizeProblem(size, min);
    if (sizeProblem)
      throw new AppError(
        'COMMITTEE_INVALID',
        {
          zh: `评标委员会成员应为 ${min} 人以上的单数且互不相同（招标投标法第三十七条）；指定 ${logins.length} 人，其中不同成员 ${size} 人`,
          en: `The committee needs an odd number of at least ${min} different members (招标投标法 Art. 37); ${logins.length} designated, ${size} different`,
        },
        { members: logins.length, different: size, min },
      );
    const members = spec.members.map((m) => ({ userId: byLogin.get(m.login)!.id, login: m.login }));
    return {
      members: members.map((m) => ({ userId: m.userId, declaredAffiliations: affiliationsOf(m.login) })),
      record: { method: 'DESIGNATED', reason: spec.reason, members, designatedAt: now, designatedById: p.userId },
    };
  }

  const size = committeeSize(min, spec.size);
  const sizeProblem = committeeSizeProblem(size, min);
  if (sizeProblem)
    throw new AppError(
      'COMMITTEE_INVALID',
      {
        zh: `评标委员会成员应为 ${min} 人以上的单数（招标投标法第三十七条）；要求抽取 ${size} 人`,
        en: `committee.size: ${size} asked; the committee needs an odd number of at least ${min} members (招标投标法 Art. 37)`,
      },
      { size, min, problem: sizeProblem },
    );
  for (const r of spec.recusals)
    exclusions.push({ userId: byLogin.get(r.login)!.id, reason: `本人申请回避：${r.reason}` });
  const outcome = drawCommittee({
    pool: poolUsers.map((u) => ({ userId: u.id, login: u.login })),
    exclusions,
    size,
    seed: randomBytes(16).toString('hex'),
  });
  if (!outcome.ok)
    throw new AppError(
      'COMMITTEE_INVALID',
      {
        zh: `评标专家库可供抽取的专家不足：库内 ${outcome.poolSize} 人，回避 ${outcome.excludedCount} 人，可抽取 ${outcome.eligible} 人，评标委员会需要 ${outcome.size} 人`,
        en: `Too few evaluators to draw from: ${outcome.poolSize} in the pool, ${outcome.excludedCount} excluded, ${outcome.eligible} eligible, the committee needs ${outcome.size}`,
      },
      { pool: outcome.poolSize, excluded: outcome.excludedCount, eligible: outcome.eligible, size: outcome.size },
    );
  return {
    members: outcome.draw.drawn.map((m) => ({ userId: m.userId, declaredAffiliations: affiliationsOf(m.login) })),
    record: {
      ...outcome.draw,
      drawnAt: now,
      drawnById: p.userId,
      affiliations: spec.affiliations.map((a) => ({
        userId: byLogin.get(a.login)!.id,
        login: a.login,
        declaredAffiliations: a.declaredAffiliations,
      })),
    },
  };
}

function newTenderNo(): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replace(/-/g, '');
  return `ZB-${day}-${newId().slice(0, 8).toUpperCase()}`;
}

/** What overFeeCap adds to a bid receipt. */
const feeCapCheck = {
  overFeeCap: z.boolean(),
  warnings: z.array(z.object({ code: z.literal('OVER_FEE_CAP'), message: z.string() })),
};
/**
 * A tender as tenderView() answers it: the public's fields; for the authority also its objection
 * count, workflow id and committee draw; bids only once opened, with score and rank once ranked.
 */
const tenderSchema = z
  .object({
    tenderNo: z.string(),
    drill: z.boolean(),
    notice: z.string().optional(),
    round: z.number(),
    previousTenderNo: z.string().nullable(),
    title: z.string(),
    status: z.string(),
    resources: z.array(z.object({ code: z.string(), name: z.string(), openClass: z.string() })),
    scope: z.string(),
    authorizationModel: z.string(),
    termMonths: z.number(),
    feeCap: z.number(),
    eligibility: z.unknown(),
    criteria: z.unknown(),
    createdAt: z.string(),
    commentEndsAt: z.string().nullable(),
    announcedAt: z.string().nullable(),
    announcementVersion: z.number(),
    bidDeadline: z.string().nullable(),
    openedAt: z.string().nullable(),
    publicityEndsAt: z.string().nullable(),
    proposedWinner: z.string().nullable(),
    awardedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    outcomeReasons: z.string().nullable(),
    commentCount: z.number(),
    objectionCount: z.number().optional(),
    workflowId: z.string().optional(),
    committee: z.unknown().optional(),
    sealed: z.boolean(),
    bids: z
      .array(
        z.object({
          bidderName: z.string(),
          price: z.number(),
          status: z.string(),
          invalidReason: z.string().nullable(),
          score: z.number().nullable().optional(),
          rank: z.number().nullable().optional(),
        }),
      )
      .nullable()
      .describe('null while sealed (招标投标法 Art. 22)'),
  })
  .loose();
const tenderListItemSchema = z
  .object({
    tenderNo: z.string(),
    round: z.number(),
    title: z.string(),
    status: z.string(),
    termMonths: z.number(),
    feeCap: z.number(),
    announcedAt: z.string().nullable(),
    bidDeadline: z.string().nullable(),
    publicityEndsAt: z.string().nullable(),
    awardedAt: z.string().nullable(),
    drill: z.boolean(),
    previousTenderNo: z.string().nullable(),
  })
  .loose();
const openedBidsSchema = z.object({
  tenderNo: z.string(),
  openedAt: z.string(),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
  items: z.array(
    z.object({
      id: z.string(),
      bidderId: z.string(),
      bidderName: z.string().optional(),
      status: z.string(),
      invalidReason: z.string().nullable(),
      price: z.number(),
      version: z.number(),
      submittedAt: z.string(),
      contents: z.unknown().describe('The opened bid; null for a withdrawn one'),
      score: z.number().nullable(),
      rank: z.number().nullable(),
    }),
  ),
});
const bidReceiptSchema = z.object({
  tenderNo: z.string(),
  submissionId: z.string(),
  version: z.number(),
  acceptedAt: z.string(),
  bidDeadline: z.string(),
  sealed: z.literal(true),
  ...feeCapCheck,
});
const bidWithdrawnSchema = z.object({
  tenderNo: z.string(),
  withdrawn: z.literal(true),
  withdrawnAt: z.string(),
  bidDeadline: z.string(),
});
const ownBidSchema = z.object({
  tenderNo: z.string(),
  version: z.number(),
  submittedAt: z.string(),
  status: z.string(),
  sealed: z.boolean(),
  overFeeCap: feeCapCheck.overFeeCap.optional(),
  warnings: feeCapCheck.warnings.optional(),
});
const drillPolicySchema = z.object({
  id: z.string(),
  drill: z.literal(true),
  description: z.string(),
  values: z.record(z.string(), z.unknown()),
  shortPeriods: z.array(z.string()),
});

export function tendersRouter(deps: ApiDeps): Router {
  const { db } = deps;
  const tag = ['tenders'];
  documented({
    method: 'post',
    path: '/api/tenders',
    summary:
      'Draft a commercial-authorisation tender (implementation plan) and start its procedure. The evaluation committee is ' +
      'drawn at random from the evaluator pool (committee.method DRAW, 招标投标法 Art. 37, 实施条例 Art. 46) after the ' +
      'members who ask to stand aside (recusals, with reasons); the draw (pool, excluded and why, ' +
      'seed, drawn) is recorded and shown to the authority as `committee`. A special tender (实施条例 Art. 47) may have its ' +
      'members designated instead (method DESIGNATED, with the reason).',
    tags: tag,
    auth: 'required',
    body: createBody,
    errors: [
      'FORBIDDEN',
      'IDEMPOTENCY_KEY_REUSED',
      'NOT_FOUND',
      'RESOURCE_CLASS_MISMATCH',
      'CATALOG_ENTRY_RETIRED',
      'DRILLS_DISABLED',
      'COMMITTEE_INVALID',
      'SERVICE_UNAVAILABLE',
      'START_PENDING',
    ],
    response: tenderSchema,
    responses: {
      201: 'Drafted',
      403: 'Not the data authority',
      422: 'DRILLS_DISABLED (drillPolicyVersionId where the deployment does not enable drills); RESOURCE_CLASS_MISMATCH (a resource is not CONDITIONAL-open); CATALOG_ENTRY_RETIRED (a resource was retired, 撤销/停用); COMMITTEE_INVALID (招标投标法 Art. 37: a committee size that is not an odd number of at least the minimum; a named member not in the evaluator pool; too few members left to draw from after the recusals, with the numbers)',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'get',
    path: '/api/tenders',
    summary: 'Public tender list (drafts only for the authority); newest first, in pages of cursor/limit',
    tags: tag,
    auth: 'optional',
    query: listQuery,
    response: pageSchema(tenderListItemSchema),
  });
  documented({
    method: 'get',
    path: '/api/tenders/{no}',
    summary: 'Tender detail; bids appear only after opening, never their sealed contents',
    tags: tag,
    auth: 'optional',
    errors: ['NOT_FOUND'],
    response: tenderSchema,
  });
  documented({
    method: 'get',
    path: '/api/tenders/{no}/bids',
    summary:
      'Opened bids with their contents, for the authority and the committee, in the order they came in, a page at a time (cursor/limit; `items`, `nextCursor`, beside `tenderNo` and `openedAt`)',
    tags: tag,
    auth: 'required',
    query: bidsQuery,
    errors: ['NOT_FOUND', 'FORBIDDEN', 'BIDS_SEALED'],
    response: openedBidsSchema,
    responses: { 200: 'OK', 403: 'BIDS_SEALED before opening, or not allowed' },
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/comment-period',
    summary: 'Open the public comment period on the plan',
    tags: tag,
    auth: 'required',
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE'],
    response: tenderSchema.extend({ commentEndsAt: z.string() }),
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/comments',
    summary: 'Comment on a plan during its comment period',
    tags: tag,
    auth: 'required',
    body: commentBody,
    errors: ['NOT_FOUND', 'CONFLICT'],
    response: z.object({ id: z.string(), createdAt: z.string() }),
    responses: { 201: 'Received', 409: 'CONFLICT: not in the comment period' },
  });
  documented({
    method: 'get',
    path: '/api/tenders/{no}/comments',
    summary:
      'Public comments on the implementation plan (content and time; the author only for the authority); oldest ' +
      'first, in pages of cursor/limit',
    tags: tag,
    auth: 'optional',
    query: commentsQuery,
    errors: ['NOT_FOUND'],
    response: z.object({
      tenderNo: z.string(),
      commentEndsAt: z.string().nullable(),
      items: z.array(z.object({ id: z.string(), content: z.string(), createdAt: z.string() }).loose()),
      nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
    }),
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/announce',
    summary: 'Publish the announcement with its bid deadline (at least the policy minimum)',
    tags: tag,
    auth: 'required',
    body: announceBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE', 'BID_WINDOW_TOO_SHORT'],
    response: tenderSchema,
    responses: { 200: 'Announced', 422: 'BID_WINDOW_TOO_SHORT' },
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/amend',
    summary:
      'Change the announcement. Without bidDeadline a change less than the policy minimum (15 days, 招标投标法 Art. 23) ' +
      'before the deadline extends it; a named bidDeadline (later or earlier) must leave that minimum after the change ' +
      'and the minimum window (20 days, Art. 24) after the announcement. Bidders are mailed what changed.',
    tags: tag,
    auth: 'required',
    body: amendBody,
    errors: [
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
      'SERVICE_UNAVAILABLE',
      'REASONS_REQUIRED',
      'BID_WINDOW_TOO_SHORT',
      'BID_DEADLINE_TOO_EARLY',
    ],
    response: tenderSchema,
    responses: {
      200: 'Changed',
      409: 'CONFLICT: not in the bid window',
      422: 'BID_DEADLINE_TOO_EARLY (less than the minimum after the change), BID_WINDOW_TOO_SHORT (under the window from the announcement), REASONS_REQUIRED',
    },
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/cancel',
    summary: 'Cancel a tender before opening',
    tags: tag,
    auth: 'required',
    body: reasonsBody,
    errors: ['FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE', 'REASONS_REQUIRED'],
    response: tenderSchema,
  });
  documented({
    method: 'put',
    path: '/api/tenders/{no}/bid',
    summary: "Submit or replace the signed-in legal person's sealed bid before the deadline",
    tags: tag,
    auth: 'required',
    body: bidBody,
    errors: [
      'BIDDER_NOT_ELIGIBLE',
      'NOT_FOUND',
      'BID_DEADLINE_PASSED',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
      'SERVICE_UNAVAILABLE',
    ],
    response: bidReceiptSchema,
    responses: {
      200: 'Accepted (receipt only); overFeeCap and warnings when the price exceeds the fee cap (the bid will be invalid at opening)',
      403: 'BIDDER_NOT_ELIGIBLE',
      409: 'BID_DEADLINE_PASSED',
    },
  });
  documented({
    method: 'delete',
    path: '/api/tenders/{no}/bid',
    summary:
      "Withdraw the signed-in legal person's bid before the deadline (招标投标法 Art. 29); it is not opened and does not count",
    tags: tag,
    auth: 'required',
    errors: [
      'BIDDER_NOT_ELIGIBLE',
      'NOT_FOUND',
      'BID_DEADLINE_PASSED',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
      'SERVICE_UNAVAILABLE',
    ],
    response: bidWithdrawnSchema,
    responses: {
      200: 'Withdrawn',
      403: 'BIDDER_NOT_ELIGIBLE',
      404: 'NOT_FOUND: no standing bid',
      409: 'BID_DEADLINE_PASSED',
    },
  });
  documented({
    method: 'get',
    path: '/api/tenders/{no}/bid',
    summary: "Receipt of the signed-in bidder's bid (never its contents before opening)",
    tags: tag,
    auth: 'required',
    errors: ['BIDDER_NOT_ELIGIBLE', 'NOT_FOUND'],
    response: ownBidSchema,
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/objections',
    summary:
      'An objection: during the bid window any legal person objects to the tender documents (until the policy cut-off, ' +
      '10 days before the deadline, 实施条例 Art. 22; the opening waits for the answer); during publicity a bidder objects to the proposed winner',
    tags: tag,
    auth: 'required',
    body: objectionBody,
    errors: [
      'BIDDER_NOT_ELIGIBLE',
      'NOT_FOUND',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
      'SERVICE_UNAVAILABLE',
      'PUBLICITY_CLOSED',
      'FORBIDDEN',
      'OBJECTION_CLOSED',
    ],
    response: z.object({ objectionId: z.string(), tenderNo: z.string(), kind: z.enum(['DOCUMENTS', 'RESULT']) }),
    responses: {
      201: 'Received (kind DOCUMENTS or RESULT)',
      403: 'BIDDER_NOT_ELIGIBLE, or FORBIDDEN (not a bidder, for the result)',
      409: 'PUBLICITY_CLOSED (neither window open), OBJECTION_CLOSED (past the documents cut-off)',
    },
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/agreement/confirm',
    summary: 'The winner confirms the authorisation agreement',
    tags: tag,
    auth: 'required',
    errors: ['BIDDER_NOT_ELIGIBLE', 'NOT_FOUND', 'CONFLICT', 'WORKFLOW_TIMEOUT', 'SERVICE_UNAVAILABLE', 'FORBIDDEN'],
    response: z.object({ agreementNo: z.string(), confirmed: z.literal(true) }),
  });
  documented({
    method: 'post',
    path: '/api/tenders/{no}/scores',
    summary: 'A committee member submits the score sheet of their inbox task (all valid bids × scored criteria)',
    tags: tag,
    auth: 'required',
    body: scoresBody,
    errors: [
      'NOT_FOUND',
      'FORBIDDEN',
      'TASK_ALREADY_DECIDED',
      'SERVICE_UNAVAILABLE',
      'CONFLICT',
      'WORKFLOW_TIMEOUT',
      'TASK_NOT_OPEN',
      'TASK_CLAIMED_BY_OTHER',
      'DECISION_NOT_ALLOWED',
      'REASONS_REQUIRED',
    ],
    response: decisionAnswerSchema,
    bodies: { 202: decisionPendingSchema },
    responses: {
      200: 'Scored (the task decision answer)',
      202: 'DECISION_PENDING: recorded, the procedure has not confirmed it yet',
    },
  });

  documented({
    method: 'put',
    path: '/api/admin/drill-policies/{id}',
    summary:
      'Create or replace a drill (演练) policy version (ADMIN of the data authority): periods may be in minutes or seconds, ' +
      'drillMonth sets the length of a month of the term, drillWorkingDay (e.g. "1 minute") the length of a working day of ' +
      "the drill case's task limits and working-day periods; never in force for real cases, only for tenders drafted with its id",
    tags: tag,
    auth: 'required',
    body: drillPolicyBody,
    errors: ['FORBIDDEN', 'DRILLS_DISABLED', 'CONFLICT'],
    response: drillPolicySchema,
    responses: {
      200: 'Stored',
      403: 'FORBIDDEN: not an administrator of the data authority',
      409: 'CONFLICT: the id names a real policy version',
      422: 'DRILLS_DISABLED: the deployment does not enable drills',
    },
  });

  const router = Router();

  router.put('/api/admin/drill-policies/:id', async (req, res) => {
    // The data authority's administrators (ACCESS_MATRIX.drillPolicy): drills are of its tenders.
    const { p: admin } = authorizeSignedIn(req, 'drillPolicy');
    const { id } = parse(drillPolicyParam, req.params, 'params');
    const body = parse(drillPolicyBody, req.body, 'body');
    if (deps.config.DRILLS_ENABLED !== 'true')
      throw new AppError('DRILLS_DISABLED', {
        zh: '本部署未启用演练（DRILLS_ENABLED）',
        en: 'Drills (演练) are not enabled on this deployment (DRILLS_ENABLED)',
      });
    const problems = drillPolicyProblems(body.values);
    if (problems.length)
      throw new AppError(
        'VALIDATION_FAILED',
        { zh: `请求体有误：values：${joinTexts(problems).zh}`, en: `Invalid body: values: ${joinTexts(problems).en}` },
        problems.map((m) => ({ path: 'values', message: m.zh })),
      );
    const existing = await db.policyVersion.findUnique({ where: { id } });
    if (existing && !existing.drill)
      throw new AppError('CONFLICT', {
        zh: `${id} 是正式的政策版本，不是演练版本`,
        en: `${id} is a real policy version, not a drill`,
      });
    const description = body.description.includes('演练') ? body.description : `演练：${body.description}`;
    const stored = existing
      ? await db.policyVersion.update({ where: { id }, data: { description, values: body.values } })
      : await db.policyVersion.create({
          // Drill versions are never in force by date; the unique effective instant is only the creation time.
          data: { id, description, values: body.values, drill: true, effectiveFrom: new Date() },
        });
    await db.auditLog.create({
      data: {
        auditKey: `drill-policy:${id}:${Date.now()}:${newId()}`,
        actor: admin.userId,
        action: 'DRILL_POLICY_STORED',
        entityType: 'PolicyVersion',
        entityId: id,
        details: { values: body.values },
      },
    });
    res.json({
      id: stored.id,
      drill: true,
      description: stored.description,
      values: stored.values,
      shortPeriods: Object.keys(body.values).filter((k) => isDrillPeriod(body.values[k])),
    });
  });

  async function loadTender(req: Request): Promise<Tender> {
    const { no } = parse(noParam, req.params, 'params');
    const tender = await db.tender.findUnique({ where: { tenderNo: no } });
    if (!tender || (tender.status === 'DRAFT' && !isAuthority(req.principal)))
      throw new AppError('NOT_FOUND', { zh: `招标 ${no} 不存在`, en: `No tender ${no}` });
    return tender;
  }

  /** Sends an Update to the tender's workflow; it answers once it has carried the command through. */
  async function send<T>(run: (c: Client) => Promise<T>): Promise<T> {
    return executeBounded(await temporalClient(deps), deps.config.UPDATE_TIMEOUT_MS, run);
  }

  /**
   * The tender as the public reads it: only the fields listed here (never the idempotency key, the
   * request hash, the workflow id or internal ids); the authority also sees its counts and the
   * workflow id it supervises in the Temporal UI.
   */
  async function tenderView(id: string, viewer: Principal | undefined) {
    const t = await db.tender.findUniqueOrThrow({
      where: { id },
      include: {
        bids: { where: { status: { not: 'WITHDRAWN' } }, orderBy: [{ rank: 'asc' }, { submittedAt: 'asc' }] },
        _count: { select: { comments: true, objections: true } },
      },
    });
    const resources = await db.dataResource.findMany({
      where: { id: { in: t.resourceIds } },
      select: { code: true, name: true, openClass: true },
    });
    const previous = t.previousTenderId
      ? await db.tender.findUnique({ where: { id: t.previousTenderId }, select: { tenderNo: true } })
      : null;
    const opened = t.openedAt !== null;
    const names = new Map(
      (await db.publicApplicant.findMany({ where: { id: { in: t.bids.map((b) => b.bidderId) } } })).map((p) => [
        p.id,
        p.name,
      ]),
    );
    const ranked = ['PUBLICITY', 'AWARDED'].includes(t.status);
    const authority = isAuthority(viewer);
    const proposed = t.proposedBidId ? t.bids.find((b) => b.id === t.proposedBidId) : undefined;
    return {
      tenderNo: t.tenderNo,
      drill: t.drillPolicyId !== null,
      ...(t.drillPolicyId ? { notice: '演练：本招标为培训与验收演练，不产生真实授权效力' } : {}),
      round: t.round,
      previousTenderNo: previous?.tenderNo ?? null,
      title: t.title,
      status: t.status,
      resources,
      scope: t.scope,
      authorizationModel: t.authorizationModel,
      termMonths: t.termMonths,
      feeCap: Number(t.feeCap),
      eligibility: t.eligibility,
      criteria: t.criteria,
      createdAt: t.createdAt,
      commentEndsAt: t.commentEndsAt,
      announcedAt: t.announcedAt,
      announcementVersion: t.announcementVersion,
      bidDeadline: t.bidDeadline,
      openedAt: t.openedAt,
      publicityEndsAt: t.publicityEndsAt,
      proposedWinner: proposed && ranked ? (names.get(proposed.bidderId) ?? null) : null,
      awardedAt: t.awardedAt,
      closedAt: t.closedAt,
      outcomeReasons: t.outcomeReasons,
      commentCount: t._count.comments,
      // The committee's names stay with the authority until the result (招标投标法 Art. 37 ¶5: 保密).
      ...(authority
        ? { objectionCount: t._count.objections, workflowId: t.workflowId, committee: t.committeeDraw }
        : {}),
      // Sealed: before opening nothing about the bids is shown, not even how many there are (招标投标法 Art. 22).
      sealed: !opened,
      bids: opened
        ? t.bids.map((b) => ({
            bidderName: names.get(b.bidderId) ?? '',
            price: Number(b.price),
            status: b.status,
            invalidReason: b.invalidReason,
            ...(ranked ? { score: b.score === null ? null : Number(b.score), rank: b.rank } : {}),
          }))
        : null,
    };
  }

  router.post('/api/tenders', async (req, res) => {
    const p = requireAuthority(req);
    const body = parse(createBody, req.body, 'body');
    const requestHash = hashRequest(body);
    const key = { createdById_idempotencyKey: { createdById: p.userId, idempotencyKey: body.idempotencyKey } };
    // A repeated POST (the answer was lost, or the workflow start failed) resumes the same draft.
    const resume = async (t: Tender) => {
      if (t.requestHash !== requestHash)
        throw new AppError('IDEMPOTENCY_KEY_REUSED', {
          zh: `该幂等键已用于招标 ${t.tenderNo}，但请求内容不同`,
          en: `Idempotency key was already used for tender ${t.tenderNo} with different content`,
        });
      await startTender(deps, t.id);
      res.status(200).json(await tenderView(t.id, p));
    };
    const previous = await db.tender.findUnique({ where: key });
    if (previous) return resume(previous);

    const problems = criteriaProblems(body.criteria);
    if (problems.length)
      throw new AppError(
        'VALIDATION_FAILED',
        {
          zh: `请求体有误：criteria：${joinTexts(problems).zh}`,
          en: `Invalid body: criteria: ${joinTexts(problems).en}`,
        },
        problems.map((m) => ({ path: 'criteria', message: m.zh })),
      );
    const resources = await db.dataResource.findMany({ where: { code: { in: body.resourceCodes } } });
    const missing = body.resourceCodes.filter((c) => !resources.some((r) => r.code === c));
    if (missing.length)
      throw new AppError('NOT_FOUND', {
        zh: `数据资源不存在：${missing.join(', ')}`,
        en: `Unknown data resource(s): ${missing.join(', ')}`,
      });
    refuseRetired(resources);
    const notConditional = resources.filter((r) => r.openClass !== 'CONDITIONAL');
    if (notConditional.length) {
      throw new AppError(
        'RESOURCE_CLASS_MISMATCH',
        {
          zh: `只有有条件开放的数据资源可以通过招标授权商业开发利用（第二十七条第三款）：${notConditional.map((r) => `${r.code} 为 ${r.openClass}`).join('；')}`,
          en: `Only CONDITIONAL-open resources can be authorised for commercial use by tender (Art. 27 ¶3): ${notConditional.map((r) => `${r.code} is ${r.openClass}`).join('; ')}`,
        },
        { resources: notConditional.map((r) => ({ code: r.code, openClass: r.openClass })) },
      );
    }
    if (body.drillPolicyVersionId !== undefined) {
      if (deps.config.DRILLS_ENABLED !== 'true')
        throw new AppError('DRILLS_DISABLED', {
          zh: '本部署未启用演练（DRILLS_ENABLED）',
          en: 'Drills (演练) are not enabled on this deployment (DRILLS_ENABLED)',
        });
      const version = await db.policyVersion.findUnique({ where: { id: body.drillPolicyVersionId } });
      if (!version?.drill)
        throw new AppError(
          'VALIDATION_FAILED',
          {
            zh: `请求体有误：drillPolicyVersionId：${body.drillPolicyVersionId} 不是演练用的政策版本`,
            en: `Invalid body: drillPolicyVersionId: ${body.drillPolicyVersionId} is not a drill policy version`,
          },
          [{ path: 'drillPolicyVersionId', message: '不是演练用的政策版本' }],
        );
    }
    const drill = body.drillPolicyVersionId !== undefined;
    const policy = await policyNow(db, body.drillPolicyVersionId);
    const committee = await formCommittee(db, p, body.committee, policy.tenderMinEvaluators);
    // A drill says so in its number (pages, mails, task titles, the ApplicationNo search attribute) and title.
    const tenderNo = drill ? `演练-${newTenderNo()}` : newTenderNo();
    const id = newId();
    let tender: Tender;
    try {
      [tender] = await db.$transaction([
        db.tender.create({
          data: {
            id,
            tenderNo,
            workflowId: `commercial-tender/${tenderNo}`,
            title: drill && !body.title.startsWith('【演练】') ? `【演练】${body.title}` : body.title,
            drillPolicyId: body.drillPolicyVersionId ?? null,
            resourceIds: resources.map((r) => r.id),
            scope: body.scope,
            authorizationModel: body.authorizationModel,
            termMonths: body.termMonths,
            feeCap: body.feeCap,
            eligibility: body.eligibility,
            criteria: body.criteria,
            createdById: p.userId,
            idempotencyKey: body.idempotencyKey,
            requestHash,
            committeeDraw: committee.record as unknown as Prisma.InputJsonValue,
            evaluators: { create: committee.members },
          },
        }),
        db.auditLog.create({
          data: {
            auditKey: `tender:${id}:committee`,
            actor: p.userId,
            action: committee.record.method === 'DRAW' ? 'COMMITTEE_DRAWN' : 'COMMITTEE_DESIGNATED',
            entityType: 'Tender',
            entityId: id,
            details: committee.record as unknown as Prisma.InputJsonValue,
          },
        }),
        db.auditLog.create({
          data: {
            auditKey: `tender:${id}:drafted`,
            actor: p.userId,
            action: 'TENDER_DRAFTED',
            entityType: 'Tender',
            entityId: id,
            details: { tenderNo, resources: body.resourceCodes },
          },
        }),
      ]);
    } catch (err) {
      // Two identical POSTs raced: the loser answers with the winner's draft.
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')
        return resume(await db.tender.findUniqueOrThrow({ where: key }));
      throw err;
    }
    await startTender(deps, tender.id);
    res.status(201).json(await tenderView(id, p));
  });

  router.get('/api/tenders', async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const statuses = isAuthority(req.principal) ? undefined : [...PUBLIC_STATUSES];
    if (q.status && statuses && !statuses.includes(q.status as (typeof PUBLIC_STATUSES)[number]))
      return res.json({ items: [], nextCursor: null });
    const where: Prisma.TenderWhereInput = { status: q.status ?? (statuses ? { in: statuses } : undefined) };
    await checkCursor(q, (id) => db.tender.count({ where: { AND: [where, { id }] } }));
    const page = toPage(
      q,
      await db.tender.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        ...pageArgs(q),
        select: {
          id: true,
          tenderNo: true,
          round: true,
          previousTenderId: true,
          drillPolicyId: true,
          title: true,
          status: true,
          termMonths: true,
          feeCap: true,
          announcedAt: true,
          bidDeadline: true,
          publicityEndsAt: true,
          awardedAt: true,
        },
      }),
    );
    const rows = page.items;
    const previousIds = rows.map((r) => r.previousTenderId).filter((x): x is string => !!x);
    const previousNos = new Map(
      (await db.tender.findMany({ where: { id: { in: previousIds } }, select: { id: true, tenderNo: true } })).map(
        (x) => [x.id, x.tenderNo],
      ),
    );
    res.json({
      items: rows.map(({ id: _id, previousTenderId, drillPolicyId, ...r }) => ({
        ...r,
        drill: drillPolicyId !== null,
        previousTenderNo: previousTenderId ? (previousNos.get(previousTenderId) ?? null) : null,
        feeCap: Number(r.feeCap),
      })),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/api/tenders/:no', async (req, res) => {
    noQuery(req.query);
    const tender = await loadTender(req);
    res.json(await tenderView(tender.id, req.principal));
  });

  router.get('/api/tenders/:no/bids', async (req, res) => {
    const p = requirePrincipal(req);
    const q = parse(bidsQuery, req.query, 'query');
    const tender = await loadTender(req);
    const member = await db.tenderEvaluator.findUnique({
      where: { tenderId_userId: { tenderId: tender.id, userId: p.userId } },
    });
    if (!isAuthority(p) && !(member && !member.recused))
      throw new AppError('FORBIDDEN', {
        zh: '只有政务数据主管部门和评标委员会可以查阅已开启的投标文件',
        en: 'Only the data authority and the evaluation committee read opened bids',
      });
    if (!tender.openedAt)
      throw new AppError('BIDS_SEALED', {
        zh: `招标 ${tender.tenderNo} 的投标文件在开标（${tender.bidDeadline?.toISOString() ?? '投标截止时间'}）前保密`,
        en: `Bids of tender ${tender.tenderNo} are sealed until opening at ${tender.bidDeadline?.toISOString() ?? 'the bid deadline'}`,
      });
    await checkCursor(q, (id) => db.bid.count({ where: { tenderId: tender.id, id } }));
    const page = toPage(
      q,
      await db.bid.findMany({
        where: { tenderId: tender.id },
        orderBy: [{ submittedAt: 'asc' }, { id: 'asc' }],
        ...pageArgs(q),
      }),
    );
    const bids = page.items;
    const names = new Map(
      (await db.publicApplicant.findMany({ where: { id: { in: bids.map((b) => b.bidderId) } } })).map((x) => [
        x.id,
        x.name,
      ]),
    );
    res.json({
      tenderNo: tender.tenderNo,
      openedAt: tender.openedAt,
      items: bids.map((b) => ({
        id: b.id,
        bidderId: b.bidderId,
        bidderName: names.get(b.bidderId),
        status: b.status,
        invalidReason: b.invalidReason,
        price: Number(b.price),
        version: b.version,
        submittedAt: b.submittedAt,
        // A withdrawn bid is never opened (招标投标法 Art. 29): listed, its contents not.
        contents: b.status === 'WITHDRAWN' ? null : b.sealedBody,
        score: b.score === null ? null : Number(b.score),
        rank: b.rank,
      })),
      nextCursor: page.nextCursor,
    });
  });

  router.post('/api/tenders/:no/comment-period', async (req, res) => {
    const p = requireAuthority(req);
    const tender = await loadTender(req);
    const r = await send((c) =>
      c.workflow
        .getHandle(tender.workflowId)
        .executeUpdate(openTenderCommentUpdate, { args: [{ actor: staffActor(p) }] }),
    );
    res.json({ ...(await tenderView(tender.id, p)), commentEndsAt: new Date(r.commentEndsAtMs) });
  });

  router.post('/api/tenders/:no/comments', async (req, res) => {
    const p = requirePrincipal(req);
    // A draft does not exist for the public: 404 before the body is looked at.
    const tender = await loadTender(req);
    const body = parse(commentBody, req.body, 'body');
    if (tender.status !== 'COMMENT' || !tender.commentEndsAt || tender.commentEndsAt.getTime() <= Date.now())
      throw new AppError('CONFLICT', {
        zh: `招标 ${tender.tenderNo} 当前不在公开征求意见期`,
        en: `Tender ${tender.tenderNo} is not open for public comment`,
      });
    const comment = await db.tenderComment.create({
      data: { id: newId(), tenderId: tender.id, authorUserId: p.userId, content: body.content },
    });
    res.status(201).json({ id: comment.id, createdAt: comment.createdAt });
  });

  /** The comments are public, like the plan they are about; the authority also sees who wrote each. */
  router.get('/api/tenders/:no/comments', async (req, res) => {
    const q = parse(commentsQuery, req.query, 'query');
    const tender = await loadTender(req);
    const authority = isAuthority(req.principal);
    const where = { tenderId: tender.id };
    await checkCursor(q, (id) => db.tenderComment.count({ where: { ...where, id } }));
    const { items: rows, nextCursor } = toPage(
      q,
      await db.tenderComment.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...pageArgs(q) }),
    );
    const authors = authority
      ? new Map(
          (
            await db.user.findMany({
              where: { id: { in: rows.map((r) => r.authorUserId) } },
              select: { id: true, login: true, displayName: true },
            })
          ).map((u) => [u.id, u]),
        )
      : undefined;
    res.json({
      tenderNo: tender.tenderNo,
      commentEndsAt: tender.commentEndsAt,
      items: rows.map((r) => ({
        id: r.id,
        content: r.content,
        createdAt: r.createdAt,
        ...(authors ? { author: authors.get(r.authorUserId)?.displayName ?? r.authorUserId } : {}),
      })),
      nextCursor,
    });
  });

  router.post('/api/tenders/:no/announce', async (req, res) => {
    const p = requireAuthority(req);
    const body = parse(announceBody, req.body, 'body');
    const tender = await loadTender(req);
    await send((c) =>
      c.workflow.getHandle(tender.workflowId).executeUpdate(announceTenderUpdate, {
        args: [
          { actor: staffActor(p), bidDeadlineMs: body.bidDeadline ? new Date(body.bidDeadline).getTime() : undefined },
        ],
      }),
    );
    res.json(await tenderView(tender.id, p));
  });

  router.post('/api/tenders/:no/amend', async (req, res) => {
    const p = requireAuthority(req);
    const { reason, bidDeadline, ...changes } = parse(amendBody, req.body, 'body');
    const tender = await loadTender(req);
    await send((c) =>
      c.workflow.getHandle(tender.workflowId).executeUpdate(amendTenderUpdate, {
        args: [
          {
            actor: staffActor(p),
            reason,
            changes: { ...changes, bidDeadlineMs: bidDeadline ? new Date(bidDeadline).getTime() : undefined },
          },
        ],
      }),
    );
    res.json(await tenderView(tender.id, p));
  });

  router.post('/api/tenders/:no/cancel', async (req, res) => {
    const p = requireAuthority(req);
    const body = parse(reasonsBody, req.body, 'body');
    const tender = await loadTender(req);
    await send((c) =>
      c.workflow
        .getHandle(tender.workflowId)
        .executeUpdate(cancelTenderUpdate, { args: [{ actor: staffActor(p), reasons: body.reasons }] }),
    );
    res.json(await tenderView(tender.id, p));
  });

  router.put('/api/tenders/:no/bid', async (req, res) => {
    const { actor } = await requireLegalPerson(req, db);
    const tender = await loadTender(req);
    const { price, ...contents } = parse(bidBody, req.body, 'body');
    // A clear answer without a round trip; the workflow's own check at its durable deadline has the last word.
    if (
      ['EVALUATION', 'PUBLICITY', 'AWARDED', 'FAILED'].includes(tender.status) ||
      (tender.bidDeadline && tender.bidDeadline.getTime() <= Date.now())
    ) {
      throw new AppError('BID_DEADLINE_PASSED', {
        zh: `招标 ${tender.tenderNo} 的投标截止时间（${tender.bidDeadline?.toISOString()}）已过，不再接受投标`,
        en: `The bid deadline of tender ${tender.tenderNo} (${tender.bidDeadline?.toISOString()}) has passed: bids are no longer accepted`,
      });
    }
    if (tender.status !== 'ANNOUNCED')
      throw new AppError('CONFLICT', {
        zh: `招标 ${tender.tenderNo} 当前不接受投标（状态 ${tender.status}）`,
        en: `Tender ${tender.tenderNo} is not open for bids (status ${tender.status})`,
      });
    // The sealed envelope stays in Postgres; only its id travels through the workflow's history.
    const submission = await db.bidSubmission.create({
      data: {
        id: newId(),
        tenderId: tender.id,
        bidderId: actor.publicApplicantId,
        submittedById: actor.userId,
        body: contents,
        price,
      },
    });
    const r = await send((c) =>
      c.workflow
        .getHandle(tender.workflowId)
        .executeUpdate(submitBidUpdate, { args: [{ actor, submissionId: submission.id }], updateId: submission.id }),
    );
    res.json({
      tenderNo: tender.tenderNo,
      submissionId: submission.id,
      version: r.version,
      acceptedAt: new Date(r.acceptedAtMs),
      bidDeadline: new Date(r.bidDeadlineMs),
      sealed: true,
      ...overFeeCap(price, tender),
    });
  });

  /** 招标投标法 Art. 29: withdrawn before the deadline, the bid is not opened and does not count. */
  router.delete('/api/tenders/:no/bid', async (req, res) => {
    const { actor } = await requireLegalPerson(req, db);
    const tender = await loadTender(req);
    // The bidder's own bid first (ACCESS_MATRIX.bidWithdraw): one without a bid learns nothing of the tender's windows.
    const bid = await db.bid.findUnique({
      where: { tenderId_bidderId: { tenderId: tender.id, bidderId: actor.publicApplicantId } },
    });
    if (!bid || bid.status === 'WITHDRAWN' || !bid.submissionId)
      throw new AppError('NOT_FOUND', {
        zh: `您在招标 ${tender.tenderNo} 中没有可撤回的投标`,
        en: `You have no bid to withdraw in tender ${tender.tenderNo}`,
      });
    if (
      ['EVALUATION', 'PUBLICITY', 'AWARDED', 'FAILED'].includes(tender.status) ||
      (tender.bidDeadline && tender.bidDeadline.getTime() <= Date.now())
    ) {
      throw new AppError('BID_DEADLINE_PASSED', {
        zh: `招标 ${tender.tenderNo} 的投标截止时间（${tender.bidDeadline?.toISOString()}）已过，投标已不能撤回`,
        en: `The bid deadline of tender ${tender.tenderNo} (${tender.bidDeadline?.toISOString()}) has passed: a bid can no longer be withdrawn`,
      });
    }
    // One Update per envelope: repeating the request gets the same answer, a later bid can be withdrawn again.
    const r = await send((c) =>
      c.workflow.getHandle(tender.workflowId).executeUpdate(withdrawBidUpdate, {
        args: [{ actor, submissionId: bid.submissionId! }],
        updateId: `withdraw-bid:${bid.submissionId}`,
      }),
    );
    res.json({
      tenderNo: tender.tenderNo,
      withdrawn: true,
      withdrawnAt: new Date(r.withdrawnAtMs),
      bidDeadline: new Date(r.bidDeadlineMs),
    });
  });

  router.get('/api/tenders/:no/bid', async (req, res) => {
    noQuery(req.query);
    const { actor } = await requireLegalPerson(req, db);
    const tender = await loadTender(req);
    const bid = await db.bid.findUnique({
      where: { tenderId_bidderId: { tenderId: tender.id, bidderId: actor.publicApplicantId } },
    });
    if (!bid)
      throw new AppError('NOT_FOUND', {
        zh: `您在招标 ${tender.tenderNo} 中没有投标`,
        en: `You have no bid in tender ${tender.tenderNo}`,
      });
    res.json({
      tenderNo: tender.tenderNo,
      version: bid.version,
      submittedAt: bid.submittedAt,
      status: bid.status,
      sealed: tender.openedAt === null,
      ...(bid.status === 'WITHDRAWN' ? {} : overFeeCap(Number(bid.price), tender)),
    });
  });

  router.post('/api/tenders/:no/objections', async (req, res) => {
    const { actor } = await requireLegalPerson(req, db);
    const tender = await loadTender(req);
    const body = parse(objectionBody, req.body, 'body');
    const objectionId = newId();
    const r = await send((c) =>
      c.workflow.getHandle(tender.workflowId).executeUpdate(raiseTenderObjectionUpdate, {
        args: [{ actor, objectionId, content: body.content }],
        updateId: objectionId,
      }),
    );
    res.status(201).json({ objectionId, tenderNo: tender.tenderNo, kind: r.kind ?? 'RESULT' });
  });

  router.post('/api/tenders/:no/agreement/confirm', async (req, res) => {
    const { actor } = await requireLegalPerson(req, db);
    const tender = await loadTender(req);
    const r = await send((c) =>
      c.workflow.getHandle(tender.workflowId).executeUpdate(confirmAwardUpdate, {
        args: [{ actor }],
        updateId: `confirm-award:${tender.id}:${actor.publicApplicantId}`,
      }),
    );
    res.json({ agreementNo: r.agreementNo, confirmed: true });
  });

  /**
   * A score sheet is structured input the generic task completion does not carry, so this
   * endpoint completes the member's own SCORE_BIDS task (subjectRef = the member's user id)
   * with it; the workflow validates the sheet and the member again.
   */
  router.post('/api/tenders/:no/scores', async (req, res) => {
    const p = requirePrincipal(req);
    const tender = await loadTender(req);
    const task = await db.task.findFirst({
      where: { workflowId: tender.workflowId, step: 'SCORE_BIDS', subjectRef: p.userId },
    });
    if (!task)
      throw new AppError('FORBIDDEN', {
        zh: `您不是招标 ${tender.tenderNo} 评标委员会的评分成员`,
        en: `You are not a scoring member of the evaluation committee of tender ${tender.tenderNo}`,
      });
    const body = parse(scoresBody, req.body, 'body');
    const outcome = await decideTask(deps, p, task, {
      decision: 'SUBMIT_SCORES',
      comment: body.comment,
      payload: { scores: body.scores },
    });
    res.status(outcome.status).json(outcome.body);
  });

  return router;
}
