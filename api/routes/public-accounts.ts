/**
 * Public applicants (公民、法人和其他组织, Art. 26–27) register here: a PublicApplicant and its
 * PUBLIC account with the PUBLIC_APPLICANT role, never a department. Registration is idempotent:
 * repeating it with the same content answers with the same account; the same login or credit
 * code with other content is a conflict. Sign-in is the identity provider's job in production;
 * in development `POST /api/dev/tokens {login}` issues a token for the registered login.
 */
import { Router } from 'express';
import { z } from 'zod';
import { Prisma } from '../../generated/prisma/client';
import { newId } from '../../lib/ids';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, fieldText, noQuery, parse } from '../errors';
import { auditPersonalDataRead } from '../kit/audit';
import { creditCodeField } from '../kit/credit-code';
import { documented } from '../openapi';

const registerBody = z
  .object({
    login: z
      .string()
      .trim()
      .min(3)
      .max(64)
      .regex(
        /^[a-z0-9][a-z0-9._-]*$/,
        fieldText('只能包含小写字母、数字及 . _ -', 'lower-case letters, digits and . _ - only'),
      ),
    displayName: z.string().trim().min(1).max(100),
    email: z.email().max(200),
    kind: z.enum(['CITIZEN', 'LEGAL_PERSON', 'OTHER_ORGANIZATION', 'UNIVERSITY', 'RESEARCH_INSTITUTE']),
    /** Legal name of the person or organisation. */
    name: z.string().trim().min(2).max(200),
    unifiedCreditCode: creditCodeField.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.kind === 'CITIZEN' && b.unifiedCreditCode)
      ctx.addIssue({
        code: 'custom',
        path: ['unifiedCreditCode'],
        message: fieldText('公民没有统一社会信用代码', 'a citizen has no 统一社会信用代码'),
      });
    if (b.kind !== 'CITIZEN' && !b.unifiedCreditCode)
      ctx.addIssue({
        code: 'custom',
        path: ['unifiedCreditCode'],
        message: fieldText(`${b.kind} 必须填写`, `required for ${b.kind}`),
      });
  });

type RegisterBody = z.infer<typeof registerBody>;

/** The answer of view() below: the account and its applicant. */
const accountSchema = z.object({
  login: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  accountType: z.string(),
  roles: z.array(z.string()),
  applicant: z.object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    unifiedCreditCode: z.string().nullable(),
    contactEmail: z.string().nullable(),
    createdAt: z.string(),
  }),
});

export function publicAccountsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'post',
    path: '/api/public/accounts',
    summary: 'Register a public applicant (citizen, legal person, organisation, university, research institute)',
    tags: ['open data'],
    auth: 'none',
    body: registerBody,
    errors: ['CONFLICT'],
    response: accountSchema,
    responses: {
      201: 'Registered',
      200: 'Repeat of an earlier registration',
      409: 'Login or credit code already registered with other details',
    },
  });
  documented({
    method: 'get',
    path: '/api/public/me',
    summary: 'The signed-in public applicant',
    tags: ['open data'],
    auth: 'required',
    errors: ['FORBIDDEN'],
    response: accountSchema,
  });
  const router = Router();

  async function view(userId: string) {
    const u = await db.user.findUniqueOrThrow({ where: { id: userId }, include: { publicApplicant: true } });
    const a = u.publicApplicant!;
    return {
      login: u.login,
      displayName: u.displayName,
      email: u.email,
      accountType: u.accountType,
      roles: u.roles,
      applicant: {
        id: a.id,
        kind: a.kind,
        name: a.name,
        unifiedCreditCode: a.unifiedCreditCode,
        contactEmail: a.contactEmail,
        createdAt: a.createdAt,
      },
    };
  }

  /** A repeat with identical content is the same registration; anything else is someone else's. */
  async function existing(body: RegisterBody) {
    const byLogin = await db.user.findUnique({ where: { login: body.login }, include: { publicApplicant: true } });
    const byCode = body.unifiedCreditCode
      ? await db.publicApplicant.findUnique({
          where: { unifiedCreditCode: body.unifiedCreditCode },
          include: { user: true },
        })
      : null;
    if (!byLogin && !byCode) return null;
    const a = byLogin?.publicApplicant;
    const same =
      byLogin &&
      a &&
      byLogin.accountType === 'PUBLIC' &&
      byLogin.email === body.email &&
      byLogin.displayName === body.displayName &&
      a.kind === body.kind &&
      a.name === body.name &&
      (a.unifiedCreditCode ?? undefined) === body.unifiedCreditCode &&
      (!byCode || byCode.id === a.id);
    if (same) return byLogin.id;
    if (byCode && byCode.user?.login !== body.login)
      throw new AppError('CONFLICT', {
        zh: `统一社会信用代码 ${body.unifiedCreditCode} 已被其他账户注册`,
        en: `统一社会信用代码 ${body.unifiedCreditCode} is already registered to another account`,
      });
    throw new AppError('CONFLICT', {
      zh: `登录名 "${body.login}" 已以其他信息注册`,
      en: `Login "${body.login}" is already registered with other details`,
    });
  }

  router.post('/api/public/accounts', async (req, res) => {
    const body = parse(registerBody, req.body, 'body');
    const previous = await existing(body);
    if (previous) return res.status(200).json(await view(previous));
    const applicantId = newId();
    const userId = newId();
    try {
      await db.$transaction([
        db.publicApplicant.create({
          data: {
            id: applicantId,
            kind: body.kind,
            name: body.name,
            unifiedCreditCode: body.unifiedCreditCode ?? null,
            contactEmail: body.email,
          },
        }),
        db.user.create({
          data: {
            id: userId,
            login: body.login,
            displayName: body.displayName,
            email: body.email,
            accountType: 'PUBLIC',
            roles: ['PUBLIC_APPLICANT'],
            publicApplicantId: applicantId,
          },
        }),
        db.auditLog.create({
          data: {
            auditKey: `public-account:${userId}:registered`,
            actor: userId,
            action: 'PUBLIC_APPLICANT_REGISTERED',
            entityType: 'PublicApplicant',
            entityId: applicantId,
            details: { kind: body.kind },
          },
        }),
      ]);
    } catch (err) {
      // Two identical registrations raced: the loser answers with the winner's account.
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        const winner = await existing(body);
        if (winner) return res.status(200).json(await view(winner));
      }
      throw err;
    }
    res.status(201).json(await view(userId));
  });

  router.get('/api/public/me', async (req, res) => {
    const p = requireRole(req, 'PUBLIC_APPLICANT');
    noQuery(req.query);
    if (!p.publicApplicantId)
      throw new AppError('FORBIDDEN', { zh: '该账户不是公众申请人账户', en: 'This account is not a public applicant' });
    const account = await view(p.userId);
    await auditPersonalDataRead(db, req, 'PublicApplicant', p.publicApplicantId, {
      fields: ['name', 'email', 'unifiedCreditCode', 'contactEmail'],
    });
    res.json(account);
  });

  return router;
}
