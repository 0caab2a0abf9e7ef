/**
 * Side effects of the non-government access (Art. 22 ¶3) and conditional open (Art. 27)
 * procedures: their agreements, grants and authorisations, and mail to public applicants (who
 * have no department, so the department-based `notifyParties` cannot reach them). Every
 * activity is idempotent by a natural key or a conditional update.
 */
import { addDays } from 'date-fns';
import { ApplicationFailure } from '@temporalio/activity';
import { newId } from '../lib/ids';
import { auditOnce } from './audit';
import { activityNow, ActivityDeps, type CalendarPolicyInput } from './deps';
import { shanghaiText } from './inbox';
import { notificationActivities, Recipient } from './notifications';

export interface AgreementCreated {
  agreementId: string;
  agreementNo: string;
}

export const FIELD_OF_USE_TEXT: Record<string, string> = {
  INNOVATION: '创新发展',
  CITY_GOVERNANCE: '城市治理',
  SOCIAL_SERVICE: '社会服务',
  RESEARCH: '科研教育（仅限公益性活动）',
};

interface OpenDetails {
  fieldOfUse?: string;
  scenario?: string;
  securityMeasures?: string;
  nonProfitResearch?: boolean;
}

export function openDataActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);

  /** Epoch-ms values in mail data are shown as Shanghai time (workflows never format dates). */
  function mailData(data: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...data };
    for (const [key, value] of Object.entries(data)) {
      if (key.endsWith('AtMs') && typeof value === 'number') out[key.slice(0, -2)] = shanghaiText(new Date(value));
    }
    return out;
  }

  return {
    /** Mail to a public applicant: its account and the contact address it registered. `eventKey` is scoped to the application here. */
    async notifyPublicApplicant(input: {
      eventKey: string;
      applicationId: string;
      template: string;
      data: Record<string, unknown>;
    }): Promise<number> {
      const app = await db.application.findUniqueOrThrow({
        where: { id: input.applicationId },
        include: {
          applicantPublic: { include: { user: true } },
          grants: { include: { resource: { include: { provider: true } } } },
        },
      });
      const applicant = app.applicantPublic;
      if (!applicant) throw ApplicationFailure.nonRetryable(`Application ${app.applicationNo} has no public applicant`);
      const recipients: Recipient[] = [{ email: applicant.contactEmail, name: applicant.name }];
      if (applicant.user?.active) recipients.push({ email: applicant.user.email, name: applicant.user.displayName });
      const resources = app.grants.map((g) => ({
        code: g.resource.code,
        name: g.resource.name,
        provider: g.resource.provider.name,
      }));
      const data = {
        applicationNo: app.applicationNo,
        granteeName: applicant.name,
        resources,
        resourceCount: resources.length,
        ...mailData(input.data),
      };
      // Event keys are per application: the outbox dedupes by event key and recipient across all procedures.
      return notify({ eventKey: `${app.applicationNo}:${input.eventKey}`, template: input.template, recipients, data });
    },

    /**
     * Art. 22 ¶3: once the municipal government approves, the authority grants access and signs
     * an agreement with the user. Grants wait (PENDING_AGREEMENT) until both have signed.
     */
    async createNonGovernmentAgreement(input: {
      applicationId: string;
      authorityDeptId: string;
      usePeriodDays: number;
    }): Promise<AgreementCreated & { expiresAtMs: number }> {
      const app = await db.application.findUniqueOrThrow({
        where: { id: input.applicationId },
        include: { resources: { include: { resource: true } }, applicantDept: true, grants: true },
      });
      const details = app.details as OpenDetails;
      const expiresAt = app.grants[0]?.expiresAt ?? addDays(now(), input.usePeriodDays);
      const agreementNo = `${app.applicationNo}-XY`;
      const agreement = await db.$transaction(async (tx) => {
        const a = await tx.agreement.upsert({
          where: { agreementNo },
          update: {},
          create: {
            id: newId(),
            agreementNo,
            kind: 'NON_GOVERNMENT',
            applicationId: app.id,
            partyA: input.authorityDeptId,
            partyB: app.applicantDeptId ?? '',
            terms:
              `政务数据使用协议：${app.applicantDept?.name ?? ''}仅为履职需要在“${details.scenario ?? app.purpose}”场景中使用所列政务数据，` +
              `落实所承诺的安全保障措施（${details.securityMeasures ?? ''}），不得超范围使用或向第三方提供，期限至 ${shanghaiText(expiresAt)}。`,
          },
        });
        for (const { resource } of app.resources) {
          await tx.accessGrant.upsert({
            where: { applicationId_resourceId: { applicationId: app.id, resourceId: resource.id } },
            update: {},
            create: {
              id: newId(),
              applicationId: app.id,
              resourceId: resource.id,
              granteeDeptId: app.applicantDeptId,
              status: 'PENDING_AGREEMENT',
              accessMode: app.accessMode,
              expiresAt,
            },
          });
        }
        return a;
      });
      return { agreementId: agreement.id, agreementNo, expiresAtMs: expiresAt.getTime() };
    },

    /**
     * Art. 27 ¶1–2: the open-use agreement for the resources whose providers agreed. The platform
     * issues it on the authority's behalf (party A signs on issue); the applicant accepts it.
     * Research use carries the non-profit clause (Art. 27 ¶2).
     */
    async createOpenUseAgreement(input: {
      applicationId: string;
      authorityDeptId: string;
      providerDeptIds: string[];
      usePeriodDays: number;
    }): Promise<AgreementCreated & { terms: string }> {
      const app = await db.application.findUniqueOrThrow({
        where: { id: input.applicationId },
        include: { resources: { include: { resource: true } }, applicantPublic: true },
      });
      const details = app.details as OpenDetails;
      const granted = app.resources
        .filter((r) => input.providerDeptIds.includes(r.resource.providerId))
        .map((r) => r.resource);
      const agreementNo = `${app.applicationNo}-KF`;
      const research =
        details.fieldOfUse === 'RESEARCH' ? '数据仅限用于科研教育等公益性活动，不得用于任何营利性目的；' : '';
      const terms =
        `开放利用协议：${app.applicantPublic?.name ?? ''}仅可将 ${granted.map((r) => `${r.code} ${r.name}`).join('、')} 用于` +
        `${FIELD_OF_USE_TEXT[details.fieldOfUse ?? ''] ?? ''}领域“${details.scenario ?? app.purpose}”场景；${research}` +
        `不得用于商业开发（商业开发须经公开招标等竞争性方式取得授权）；须落实安全保障措施（${details.securityMeasures ?? ''}）并遵守安全承诺书；` +
        `须按期向市政务数据主管部门报告开发利用情况；使用期限为授权之日起 ${input.usePeriodDays} 日。`;
      const at = now();
      const agreement = await db.$transaction(async (tx) => {
        const a = await tx.agreement.upsert({
          where: { agreementNo },
          update: {},
          create: {
            id: newId(),
            agreementNo,
            kind: 'OPEN_USE',
            applicationId: app.id,
            partyA: input.authorityDeptId,
            partyB: app.applicantPublicId ?? '',
            terms,
            partyAConfirmedAt: at,
          },
        });
        for (const resource of granted) {
          await tx.accessGrant.upsert({
            where: { applicationId_resourceId: { applicationId: app.id, resourceId: resource.id } },
            update: {},
            create: {
              id: newId(),
              applicationId: app.id,
              resourceId: resource.id,
              granteePublicId: app.applicantPublicId,
              status: 'PENDING_AGREEMENT',
              accessMode: app.accessMode,
            },
          });
        }
        return a;
      });
      return { agreementId: agreement.id, agreementNo, terms: agreement.terms };
    },

    /** The applicant's answer; a declined (or lapsed) agreement is cancelled with its pending grants. */
    async recordOpenAgreementAnswer(input: {
      agreementId: string;
      accept: boolean;
      actorUserId: string;
      reason?: string;
    }): Promise<void> {
      const at = now();
      const a = await db.agreement.findUniqueOrThrow({ where: { id: input.agreementId } });
      if (input.accept) {
        await db.agreement.updateMany({
          where: { id: a.id, status: 'PENDING' },
          data: { partyBConfirmedAt: at, status: 'CONFIRMED' },
        });
      } else {
        await db.agreement.updateMany({ where: { id: a.id, status: 'PENDING' }, data: { status: 'CANCELLED' } });
        if (a.applicationId) {
          await db.accessGrant.updateMany({
            where: { applicationId: a.applicationId, status: 'PENDING_AGREEMENT' },
            data: { status: 'REVOKED', endedAt: at, endReason: input.reason ?? '申请人未接受开放利用协议' },
          });
        }
      }
      await auditOnce(db, {
        auditKey: `agreement:${a.id}:answer`,
        actor: input.actorUserId,
        action: input.accept ? 'OPEN_AGREEMENT_ACCEPTED' : 'OPEN_AGREEMENT_NOT_ACCEPTED',
        entityType: 'Agreement',
        entityId: a.id,
        details: { reason: input.reason ?? null },
      });
    },

    /** Authorisation through the platform (Art. 27 ¶1): grants become active with an expiry, and the use is registered for follow-up. */
    async authorizeOpenUse(input: {
      applicationId: string;
      usePeriodDays: number;
    }): Promise<{ authorizationId: string; expiresAtMs: number }> {
      const app = await db.application.findUniqueOrThrow({
        where: { id: input.applicationId },
        include: { grants: { include: { resource: true } }, agreements: true },
      });
      const existing = await db.authorization.findFirst({ where: { applicationId: app.id } });
      if (existing) return { authorizationId: existing.id, expiresAtMs: existing.endsAt.getTime() };
      const details = app.details as OpenDetails;
      const startsAt = now();
      const endsAt = addDays(startsAt, input.usePeriodDays);
      const id = newId();
      const grants = app.grants.filter((g) => g.status === 'PENDING_AGREEMENT' || g.status === 'ACTIVE');
      await db.$transaction([
        db.authorization.create({
          data: {
            id,
            applicationId: app.id,
            operatorId: app.applicantPublicId ?? '',
            resourceIds: grants.map((g) => g.resourceId),
            scope: `${FIELD_OF_USE_TEXT[details.fieldOfUse ?? ''] ?? ''}：${details.scenario ?? app.purpose}`,
            startsAt,
            endsAt,
          },
        }),
        db.accessGrant.updateMany({
          where: { applicationId: app.id, status: 'PENDING_AGREEMENT' },
          data: { status: 'ACTIVE', activatedAt: startsAt, expiresAt: endsAt },
        }),
        db.agreement.updateMany({ where: { applicationId: app.id, kind: 'OPEN_USE' }, data: { authorizationId: id } }),
        db.auditLog.create({
          data: {
            auditKey: `authorization:${app.id}:granted`,
            actor: 'system',
            action: 'OPEN_USE_AUTHORIZED',
            entityType: 'Authorization',
            entityId: id,
            details: { applicationNo: app.applicationNo, resources: grants.map((g) => g.resource.code), endsAt },
          },
        }),
      ]);
      return { authorizationId: id, expiresAtMs: endsAt.getTime() };
    },

    /** Ends the authorisation and its grants: revoked by the authority with reasons, or expired. */
    async endOpenUseAuthorization(input: {
      applicationId: string;
      status: 'REVOKED' | 'EXPIRED';
      reason: string;
      actorUserId: string;
    }): Promise<void> {
      const at = now();
      const auth = await db.authorization.findFirst({ where: { applicationId: input.applicationId } });
      await db.$transaction([
        db.authorization.updateMany({
          where: { applicationId: input.applicationId, status: { in: ['ACTIVE', 'SUSPENDED'] } },
          data: {
            status: input.status,
            endedReason: input.reason,
            ...(input.status === 'REVOKED' ? { revokedAt: at } : {}),
          },
        }),
        db.accessGrant.updateMany({
          where: { applicationId: input.applicationId, status: { in: ['ACTIVE', 'PENDING_AGREEMENT', 'SUSPENDED'] } },
          data: { status: input.status, endedAt: at, endReason: input.reason },
        }),
        db.auditLog.createMany({
          data: [
            {
              auditKey: `authorization:${input.applicationId}:${input.status}`,
              actor: input.actorUserId,
              action: `OPEN_USE_${input.status}`,
              entityType: 'Authorization',
              entityId: auth?.id ?? input.applicationId,
              details: { reason: input.reason },
            },
          ],
          skipDuplicates: true,
        }),
      ]);
    },

    /** End of the N-th working day after `fromMs` (Shanghai), for deadlines that are not inbox tasks. */
    async openWorkingDayDeadline(input: {
      fromMs: number;
      workingDays: number;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<{ deadlineAtMs: number; provisional: boolean }> {
      if (!deps.calendar) throw ApplicationFailure.nonRetryable('No working-day calendar configured for activities');
      const d = (await deps.calendar(input.calendarPolicy)).deadline(new Date(input.fromMs), input.workingDays);
      return { deadlineAtMs: d.deadlineAt.getTime(), provisional: d.provisional };
    },
  };
}
