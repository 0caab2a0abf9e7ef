/** Applications, their timeline, grants and agreements: the query model the procedures update. */
import { ApplicationFailure } from '@temporalio/activity';
import { addDays } from 'date-fns';
import type { ApplicationStatus, Role } from '../generated/prisma/client';
import type { ProcedurePolicy } from '../domain/policy';
import { shanghaiDate, startOfShanghaiDay } from '../domain/calendar';
import { newId } from '../lib/ids';
import { policyInForce } from '../lib/policies';
import { activityNow, ActivityDeps, NOT_FOUND_FAILURE, type CalendarPolicyInput } from './deps';
import { notificationActivities } from './notifications';
import { usersWithRole } from './recipients';
import { shanghaiText } from './inbox';

export interface StatusChange {
  applicationId: string;
  status: ApplicationStatus;
  /** Natural key of the timeline event so a retry records it once. */
  eventKey: string;
  message: string;
  reasons?: string;
  data?: Record<string, unknown>;
  final?: boolean;
}

export interface PartyNotice {
  eventKey: string;
  /** Adds applicationNo, grantee name and the granted resources to the template data. */
  applicationId?: string;
  template: string;
  departmentIds: string[];
  roles: Role[];
  data: Record<string, unknown>;
}

export interface AgreementRef {
  agreementId: string;
  agreementNo: string;
  providerDeptId: string;
}

export function applicationActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);

  return {
    /** The policy in force at the procedure's start; the workflow keeps it to the end. */
    loadPolicy(input: { atMs: number }): Promise<ProcedurePolicy> {
      return policyInForce(db, input.atMs);
    },

    /**
     * The status and its timeline event in one statement (atomic, one round trip: the batch
     * transaction it replaces was four, on every step of every procedure). A retry finds the
     * event and changes nothing else.
     */
    async setApplicationStatus(input: StatusChange): Promise<void> {
      const at = now();
      const data = JSON.stringify({ ...(input.data ?? {}), reasons: input.reasons });
      const rows = await db.$queryRaw<{ changed: bigint }[]>`
        WITH changed AS (
          UPDATE application SET
            status = ${input.status}::text::"ApplicationStatus",
            outcome_reasons = CASE WHEN ${input.reasons !== undefined}::boolean THEN ${input.reasons ?? null}::text
                                   ELSE outcome_reasons END,
            decided_at = CASE WHEN ${input.final === true}::boolean THEN ${at}::timestamptz ELSE decided_at END,
            withdrawn_at = CASE WHEN ${input.status === 'WITHDRAWN'}::boolean THEN ${at}::timestamptz
                                ELSE withdrawn_at END
          WHERE id = ${input.applicationId}::text
          RETURNING id
        ), recorded AS (
          INSERT INTO timeline_event (application_id, event_key, kind, message, at, data)
          SELECT id, ${input.eventKey}::text, ${input.status}::text, ${input.message}::text, ${at}::timestamptz,
                 ${data}::jsonb
          FROM changed
          ON CONFLICT (application_id, event_key) DO NOTHING
        )
        SELECT count(*) AS changed FROM changed`;
      if (Number(rows[0]?.changed ?? 0) === 0)
        throw ApplicationFailure.create({
          type: NOT_FOUND_FAILURE,
          message: `Application ${input.applicationId} not found`,
          nonRetryable: true,
        });
    },

    async notifyParties(input: PartyNotice): Promise<number> {
      const lists = await Promise.all(input.departmentIds.map((d) => usersWithRole(db, d, input.roles)));
      const data: Record<string, unknown> = { ...input.data };
      // Workflows pass instants as epoch ms (no date formatting in workflow code); mails show Shanghai time.
      for (const [key, value] of Object.entries(input.data)) {
        if (key.endsWith('AtMs') && typeof value === 'number') data[key.slice(0, -2)] = shanghaiText(new Date(value));
      }
      if (input.applicationId) {
        const app = await db.application.findUniqueOrThrow({
          where: { id: input.applicationId },
          include: {
            applicantDept: true,
            applicantPublic: true,
            grants: { include: { resource: { include: { provider: true } } } },
          },
        });
        const resources = app.grants.map((g) => ({
          code: g.resource.code,
          name: g.resource.name,
          provider: g.resource.provider.name,
        }));
        Object.assign(data, {
          applicationNo: app.applicationNo,
          granteeName: app.applicantDept?.name ?? app.applicantPublic?.name ?? '',
          resources,
          resourceCount: resources.length,
          ...data,
        });
      }
      return notify({ eventKey: input.eventKey, template: input.template, recipients: lists.flat(), data });
    },

    /**
     * Grants wait for the share agreement (Art. 22 ¶2: access with an agreement); one agreement
     * per provider department, both parties confirm in their inbox.
     */
    async createShareGrants(input: {
      applicationId: string;
      providerDeptIds: string[];
      usePeriodDays: number;
    }): Promise<{ agreements: AgreementRef[]; expiresAtMs: number }> {
      const app = await db.application.findUniqueOrThrow({
        where: { id: input.applicationId },
        include: { resources: { include: { resource: true } }, applicantDept: true, grants: true, agreements: true },
      });
      const expiresAt = app.grants[0]?.expiresAt ?? addDays(now(), input.usePeriodDays);
      const agreements: AgreementRef[] = [];
      await db.$transaction(async (tx) => {
        for (const providerDeptId of input.providerDeptIds) {
          const agreementNo = `${app.applicationNo}-XY-${providerDeptId}`;
          const agreement = await tx.agreement.upsert({
            where: { agreementNo },
            update: {},
            create: {
              id: newId(),
              agreementNo,
              kind: 'SHARE',
              applicationId: app.id,
              partyA: providerDeptId,
              partyB: app.applicantDeptId ?? '',
              terms: `数据共享协议：${app.applicantDept?.name ?? ''}仅为“${app.purpose}”使用共享数据，不得超范围使用或向第三方提供，期限至 ${shanghaiText(expiresAt)}。`,
            },
          });
          agreements.push({ agreementId: agreement.id, agreementNo, providerDeptId });
          for (const { resource } of app.resources.filter((r) => r.resource.providerId === providerDeptId)) {
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
        }
      });
      return { agreements, expiresAtMs: expiresAt.getTime() };
    },

    async confirmAgreement(input: { agreementId: string; party: 'A' | 'B' }): Promise<void> {
      const at = now();
      await db.agreement.updateMany({
        where: {
          id: input.agreementId,
          ...(input.party === 'A' ? { partyAConfirmedAt: null } : { partyBConfirmedAt: null }),
        },
        data: input.party === 'A' ? { partyAConfirmedAt: at } : { partyBConfirmedAt: at },
      });
      const a = await db.agreement.findUniqueOrThrow({ where: { id: input.agreementId } });
      if (a.partyAConfirmedAt && a.partyBConfirmedAt && a.status !== 'CONFIRMED') {
        await db.agreement.update({ where: { id: a.id }, data: { status: 'CONFIRMED' } });
      }
    },

    /** A grant becomes usable only once its agreement is confirmed by both departments. */
    async activateGrants(input: { applicationId: string }): Promise<number> {
      const at = now();
      const r = await db.accessGrant.updateMany({
        where: { applicationId: input.applicationId, status: 'PENDING_AGREEMENT' },
        data: { status: 'ACTIVE', activatedAt: at },
      });
      return r.count;
    },

    async endGrants(input: { applicationId: string; status: 'EXPIRED' | 'REVOKED'; reason: string }): Promise<number> {
      const r = await db.accessGrant.updateMany({
        where: { applicationId: input.applicationId, status: { in: ['ACTIVE', 'PENDING_AGREEMENT', 'SUSPENDED'] } },
        data: { status: input.status, endedAt: now(), endReason: input.reason },
      });
      return r.count;
    },

    /** Start of the N-th working day before the grant's expiry: when the applicant is reminded. */
    /**
     * A deadline for the case as a whole (Art. 22 ¶3: opinions and the report within ten working
     * days of receipt), kept on the application so its answer shows it. Idempotent: the first
     * value stands, later calls return it.
     */
    async recordCaseDeadline(input: {
      applicationId: string;
      fromMs: number;
      workingDays: number;
      covers: string;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<{ deadlineAtMs: number; provisional: boolean }> {
      const app = await db.application.findUniqueOrThrow({ where: { id: input.applicationId } });
      const details = app.details as Record<string, unknown>;
      const stored = details.caseDeadline as { dueAt: string; provisional: boolean } | undefined;
      if (stored) return { deadlineAtMs: new Date(stored.dueAt).getTime(), provisional: stored.provisional };
      if (!deps.calendar) throw ApplicationFailure.nonRetryable('No working-day calendar configured for activities');
      const d = (await deps.calendar(input.calendarPolicy)).deadline(new Date(input.fromMs), input.workingDays);
      const caseDeadline = {
        dueAt: d.deadlineAt.toISOString(),
        countedFrom: new Date(input.fromMs).toISOString(),
        workingDays: input.workingDays,
        covers: input.covers,
        provisional: d.provisional,
      };
      await db.application.update({
        where: { id: input.applicationId },
        data: { details: { ...details, caseDeadline } },
      });
      return { deadlineAtMs: d.deadlineAt.getTime(), provisional: d.provisional };
    },

    async expiryReminderAt(input: {
      expiresAtMs: number;
      workingDays: number;
      calendarPolicy?: CalendarPolicyInput;
    }): Promise<number> {
      if (!deps.calendar) return input.expiresAtMs;
      const cal = await deps.calendar(input.calendarPolicy);
      // Walk back from the expiry day; bounded, and only in this activity, never in a workflow.
      let date = shanghaiDate(new Date(input.expiresAtMs - 1));
      let counted = cal.isWorkingDay(date) ? 1 : 0;
      for (let i = 0; counted < input.workingDays && i < input.workingDays * 4 + 60; i++) {
        date = shanghaiDate(new Date(startOfShanghaiDay(date).getTime() - 12 * 3600_000));
        if (cal.isWorkingDay(date)) counted += 1;
      }
      return startOfShanghaiDay(date).getTime();
    },
  };
}
