/**
 * Security incidents (Art. 32 ¶2): the incident record with the time of every report it
 * demands, grant suspensions on the affected resources until it is closed, hour deadlines on
 * the incident's inbox tasks, and the audit trail. Idempotent like every activity.
 */
import type { IncidentKind } from '../generated/prisma/client';
import { auditOnce } from './audit';
import { activityNow, ActivityDeps } from './deps';
import type { Recipient } from './notifications';
import { shanghaiText } from './inbox';
import { notificationActivities } from './notifications';
import { grantHolders } from './objection';
import { escalationRecipients, usersWithRole } from './recipients';

export const INCIDENT_KIND_TEXT: Record<IncidentKind, string> = {
  LEAK: '信息泄露',
  DAMAGE: '信息毁损',
  LOSS: '信息丢失',
  RISK: '数据安全风险',
};

export type IncidentStep = 'REMEDIATE' | 'NOTIFY_USERS' | 'REPORT_CYBERSPACE';

/**
 * Who decides a suspension of the grants on which resources (Art. 32 with Art. 13: the data's
 * owner or the data authority): one group per provider of the affected resources; `immediate`
 * when the reporter is that provider or the authority, otherwise the provider decides in a task.
 */
export interface SuspensionGroup {
  providerDeptId: string;
  resourceIds: string[];
  immediate: boolean;
}
export type HourAlert = 'WARNING' | 'OVERDUE' | 'ESCALATION';

const HOUR_MS = 3_600_000;

export function incidentActivities(deps: ActivityDeps) {
  const { db } = deps;
  const now = deps.now ?? activityNow;
  const { notify } = notificationActivities(deps);

  async function load(incidentId: string) {
    return db.securityIncident.findUniqueOrThrow({ where: { id: incidentId } });
  }

  async function audit(
    auditKey: string,
    actor: string,
    action: string,
    incidentId: string,
    details: Record<string, unknown> = {},
  ) {
    await auditOnce(db, { auditKey, actor, action, entityType: 'SecurityIncident', entityId: incidentId, details });
  }

  async function common(i: Awaited<ReturnType<typeof load>>) {
    const resources = await db.dataResource.findMany({
      where: { id: { in: i.resourceIds } },
      orderBy: { code: 'asc' },
    });
    const dept = await db.department.findUnique({ where: { id: i.responsibleDeptId } });
    return {
      incidentNo: i.incidentNo,
      kindText: INCIDENT_KIND_TEXT[i.kind],
      responsibleDept: dept?.name ?? i.responsibleDeptId,
      resources: resources.map((r) => ({ id: r.id, code: r.code, name: r.name })),
      reportedAt: shanghaiText(i.reportedAt),
    };
  }

  /** Department staff holding the grants, or the public grantee's account. */
  async function holdersOf(grantIds: string[]): Promise<Recipient[]> {
    const grants = await db.accessGrant.findMany({
      where: { id: { in: grantIds } },
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

  const cyberspaceContact = (): string | undefined =>
    // The worker passes the configured contact; test workers built without it read the environment.
    'cyberspaceReportTo' in deps ? deps.cyberspaceReportTo : process.env.CYBERSPACE_REPORT_EMAIL || undefined;

  async function authorityStaff() {
    const authority = await db.department.findFirst({ where: { kind: 'AUTHORITY' } });
    return authority ? usersWithRole(db, authority.id, ['AUTHORITY_REVIEWER', 'DEPT_HEAD']) : [];
  }

  return {
    /**
     * The filing is the report to the data authority (Art. 32 ¶2), recorded with its time; the
     * authority, the supervisors and the responsible department's head are told at once.
     */
    async recordIncidentReported(input: { incidentId: string }): Promise<void> {
      await db.securityIncident.updateMany({
        where: { id: input.incidentId, authorityReportedAt: null },
        data: { authorityReportedAt: now() },
      });
      const i = await load(input.incidentId);
      await audit(`incident:${i.id}:reported`, i.reporterUserId, 'INCIDENT_REPORTED', i.id, {
        kind: i.kind,
        resourceIds: i.resourceIds,
        responsibleDeptId: i.responsibleDeptId,
        reportedAt: i.reportedAt,
        authorityReportedAt: i.authorityReportedAt,
      });
      const recipients = [...(await authorityStaff()), ...(await escalationRecipients(db, i.responsibleDeptId))];
      await notify({
        eventKey: `incident:${i.incidentNo}:reported`,
        template: 'incident-reported',
        recipients,
        data: { ...(await common(i)), description: i.description },
      });
    },

    /** Who decides a suspension on which resources: the provider of each, at once if it (or the authority) reported. */
    async planIncidentSuspension(input: { incidentId: string }): Promise<{ groups: SuspensionGroup[] }> {
      const i = await load(input.incidentId);
      const [resources, reporterDept] = await Promise.all([
        db.dataResource.findMany({ where: { id: { in: i.resourceIds } }, orderBy: { code: 'asc' } }),
        i.reporterDeptId ? db.department.findUnique({ where: { id: i.reporterDeptId } }) : null,
      ]);
      const groups = new Map<string, SuspensionGroup>();
      for (const r of resources) {
        const g = groups.get(r.providerId) ?? {
          providerDeptId: r.providerId,
          resourceIds: [],
          immediate: reporterDept?.kind === 'AUTHORITY' || reporterDept?.id === r.providerId,
        };
        g.resourceIds.push(r.id);
        groups.set(r.providerId, g);
      }
      return { groups: [...groups.values()] };
    },

    /**
     * Suspends grants on the affected resources until the incident is closed. A grant already
     * suspended by another open incident is covered by this one too, so it stays suspended until
     * the last of them closes. With a `key` (one per decision) the suspension is limited to
     * `resourceIds` and, if named, to `grantIds`, and answers how many grants this decision
     * covers; without one (histories from before) it covers every grant on the incident's
     * resources and answers the incident's total.
     */
    async suspendIncidentGrants(input: {
      incidentId: string;
      actorUserId: string;
      key?: string;
      resourceIds?: string[];
      grantIds?: string[];
    }): Promise<{ suspended: number }> {
      const i = await load(input.incidentId);
      const at = now();
      const resourceIds = input.resourceIds
        ? input.resourceIds.filter((r) => i.resourceIds.includes(r))
        : i.resourceIds;
      const grants = await db.accessGrant.findMany({
        where: {
          resourceId: { in: resourceIds },
          ...(input.grantIds ? { id: { in: input.grantIds } } : {}),
          OR: [{ status: 'ACTIVE' }, { status: 'SUSPENDED', incidentSuspensions: { some: { releasedAt: null } } }],
        },
      });
      const ids = grants.map((g) => g.id);
      await db.$transaction([
        db.incidentGrantSuspension.createMany({
          data: ids.map((grantId) => ({ incidentId: i.id, grantId, suspendedAt: at })),
          skipDuplicates: true,
        }),
        db.accessGrant.updateMany({
          where: { id: { in: ids }, status: 'ACTIVE' },
          data: { status: 'SUSPENDED' },
        }),
        db.securityIncident.update({ where: { id: i.id }, data: { suspendGrants: true } }),
      ]);
      if (!input.key) {
        const held = await db.incidentGrantSuspension.findMany({ where: { incidentId: i.id } });
        await audit(`incident:${i.id}:grants-suspended`, input.actorUserId, 'INCIDENT_GRANTS_SUSPENDED', i.id, {
          grantIds: held.map((h) => h.grantId),
        });
        await notify({
          eventKey: `incident:${i.incidentNo}:grants-suspended`,
          template: 'incident-grants-suspended',
          recipients: await grantHolders(db, i.resourceIds, ['SUSPENDED']),
          data: await common(i),
        });
        return { suspended: held.length };
      }
      // A retry finds its grants suspended already (by this incident): the same rows, the same answer.
      const covered = await db.incidentGrantSuspension.findMany({
        where: { incidentId: i.id, grantId: { in: ids } },
        select: { grantId: true },
      });
      const coveredIds = covered.map((c) => c.grantId).sort();
      await audit(
        `incident:${i.id}:grants-suspended:${input.key}`,
        input.actorUserId,
        'INCIDENT_GRANTS_SUSPENDED',
        i.id,
        {
          grantIds: coveredIds,
          resourceIds,
          named: input.grantIds ?? null,
        },
      );
      if (coveredIds.length > 0) {
        const c = await common(i);
        await notify({
          eventKey: `incident:${i.incidentNo}:grants-suspended:${input.key}`,
          template: 'incident-grants-suspended',
          recipients: await holdersOf(coveredIds),
          data: { ...c, resources: c.resources.filter((r) => grants.some((g) => g.resourceId === r.id)) },
        });
      }
      return { suspended: coveredIds.length };
    },

    /** A provider decided not to suspend (or not all): recorded with its reasons. */
    async recordSuspensionDecision(input: {
      incidentId: string;
      providerDeptId: string;
      decision: 'SUSPEND' | 'NO_SUSPENSION';
      reasons: string;
      actorUserId: string;
    }): Promise<void> {
      await audit(
        `incident:${input.incidentId}:suspension-decision:${input.providerDeptId}`,
        input.actorUserId,
        'INCIDENT_SUSPENSION_DECIDED',
        input.incidentId,
        { providerDeptId: input.providerDeptId, decision: input.decision, reasons: input.reasons },
      );
    },

    /**
     * Art. 32 ¶2 "及时向…网信部门报告": the platform sends the report to the configured 网信
     * contact itself and records when and to whom (then no department task is needed). Without a
     * configured contact it sends nothing and the department reports.
     */
    async reportIncidentToCyberspace(input: { incidentId: string }): Promise<{ sent: boolean }> {
      const to = cyberspaceContact();
      if (!to) return { sent: false };
      const i = await load(input.incidentId);
      const eventKey = `incident:${i.incidentNo}:cyberspace-report`;
      await notify({
        eventKey,
        template: 'incident-cyberspace-report',
        recipients: [{ email: to, name: '网信部门' }],
        data: {
          ...(await common(i)),
          description: i.description,
          affectedUsers: i.affectedUsers ?? '',
          occurredAt: i.occurredAt ? shanghaiText(i.occurredAt) : '不详',
        },
      });
      await db.securityIncident.updateMany({
        where: { id: i.id, cyberspaceReportedAt: null },
        data: {
          cyberspaceReportedAt: now(),
          cyberspaceReportTo: to,
          cyberspaceReportRef: `平台已发送至 ${to}（${eventKey}）`,
        },
      });
      const after = await load(i.id);
      await audit(`incident:${i.id}:cyberspace-report-sent`, 'system', 'INCIDENT_REPORT_CYBERSPACE_SENT', i.id, {
        to,
        at: after.cyberspaceReportedAt,
      });
      return { sent: true };
    },

    /** A citizen's or company's report the authority found to be no incident: closed with reasons, the reporter told. */
    async dismissIncident(input: { incidentId: string; reasons: string; actorUserId: string }): Promise<void> {
      const at = now();
      await db.securityIncident.updateMany({
        where: { id: input.incidentId, status: { not: 'CLOSED' } },
        data: { status: 'CLOSED', closedAt: at, conclusion: `经核实不属于数据安全事件：${input.reasons}` },
      });
      const i = await load(input.incidentId);
      await audit(`incident:${i.id}:dismissed`, input.actorUserId, 'INCIDENT_DISMISSED', i.id, {
        reasons: input.reasons,
        closedAt: i.closedAt,
      });
      const reporter = await db.user.findUnique({ where: { id: i.reporterUserId } });
      await notify({
        eventKey: `incident:${i.incidentNo}:closed`,
        template: 'incident-closed',
        recipients: reporter ? [{ email: reporter.email, name: reporter.displayName }] : [],
        data: { ...(await common(i)), conclusion: i.conclusion ?? '', closedAt: shanghaiText(i.closedAt) },
      });
    },

    /** Art. 32 ¶2 "告知用户": everyone using the affected resources hears of the incident from the platform. */
    async notifyIncidentUsers(input: { incidentId: string }): Promise<number> {
      const i = await load(input.incidentId);
      const recipients = await grantHolders(db, i.resourceIds, ['ACTIVE', 'SUSPENDED']);
      const held = await db.incidentGrantSuspension.count({ where: { incidentId: i.id, releasedAt: null } });
      await notify({
        eventKey: `incident:${i.incidentNo}:users`,
        template: 'incident-users-notice',
        recipients,
        data: { ...(await common(i)), suspended: held > 0 },
      });
      // Recorded once: when the platform told the users it knows, and how many.
      await db.securityIncident.updateMany({
        where: { id: i.id, usersNoticeSentAt: null },
        data: { usersNoticeSentAt: now(), usersNoticeCount: recipients.length },
      });
      const after = await load(i.id);
      await audit(`incident:${i.id}:users-notice-sent`, 'system', 'INCIDENT_USERS_NOTICE_SENT', i.id, {
        at: after.usersNoticeSentAt,
        recipients: after.usersNoticeCount,
      });
      return recipients.length;
    },

    /**
     * Hour deadlines (the inbox framework counts working days): dueAt = creation + hours,
     * computed from the stored creation instant so a retry gives the same answer.
     */
    async startHourDeadline(input: {
      taskId: string;
      hours: number;
      warningHoursBefore: number;
    }): Promise<{ dueAtMs: number; warningAtMs: number | null }> {
      const task = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      const dueAt = task.dueAt ?? new Date(task.createdAt.getTime() + input.hours * HOUR_MS);
      const warningMs = dueAt.getTime() - input.warningHoursBefore * HOUR_MS;
      const warningAt = task.dueAt ? task.warningAt : warningMs > task.createdAt.getTime() ? new Date(warningMs) : null;
      if (!task.dueAt) await db.task.update({ where: { id: task.id }, data: { dueAt, warningAt } });
      return { dueAtMs: dueAt.getTime(), warningAtMs: warningAt?.getTime() ?? null };
    },

    /** Yellow warning, red overdue, escalation of an hour-deadline task; the task stays open. */
    async hourTaskAlert(input: { taskId: string; alert: HourAlert; incidentNo: string }): Promise<void> {
      const task = await db.task.findUniqueOrThrow({ where: { id: input.taskId } });
      if (task.status === 'DONE' || task.status === 'CANCELLED' || !task.dueAt) return;
      if (input.alert !== 'WARNING' && !task.overdue)
        await db.task.update({ where: { id: task.id }, data: { overdue: true } });
      const action = { WARNING: 'TASK_WARNING', OVERDUE: 'TASK_OVERDUE', ESCALATION: 'TASK_ESCALATED' }[input.alert];
      const overdueHours = Math.max(0, Math.floor((now().getTime() - task.dueAt.getTime()) / HOUR_MS));
      await auditOnce(db, {
        auditKey: `task:${task.id}:hours:${input.alert}`,
        actor: 'system',
        action,
        entityType: 'Task',
        entityId: task.id,
        details: { dueAt: task.dueAt, overdueHours },
      });
      const assignees = await usersWithRole(db, task.candidateDeptId, [task.candidateRole]);
      const data = { taskTitle: task.title, applicationNo: input.incidentNo, dueAt: shanghaiText(task.dueAt) };
      if (input.alert === 'WARNING') {
        await notify({ eventKey: `task:${task.id}:hours:warning`, template: 'reminder', recipients: assignees, data });
        return;
      }
      const escalated = input.alert === 'ESCALATION';
      const recipients = escalated
        ? [...assignees, ...(await escalationRecipients(db, task.candidateDeptId)), ...(await authorityStaff())]
        : assignees;
      await notify({
        eventKey: `task:${task.id}:hours:${input.alert.toLowerCase()}`,
        template: 'incident-task-overdue',
        recipients,
        data: { ...data, overdueHours, escalated },
      });
    },

    /** One of the measures Art. 32 ¶2 demands, recorded with its time; all three done = remediated. */
    async recordIncidentStep(input: {
      incidentId: string;
      step: IncidentStep;
      text: string;
      actorUserId: string;
    }): Promise<void> {
      const at = now();
      const data = {
        REMEDIATE: { where: { remediatedAt: null }, set: { remediatedAt: at, remediation: input.text } },
        NOTIFY_USERS: { where: { usersNotifiedAt: null }, set: { usersNotifiedAt: at, usersNotice: input.text } },
        REPORT_CYBERSPACE: {
          where: { cyberspaceReportedAt: null },
          set: { cyberspaceReportedAt: at, cyberspaceReportRef: input.text },
        },
      }[input.step];
      await db.securityIncident.updateMany({ where: { id: input.incidentId, ...data.where }, data: data.set });
      const i = await load(input.incidentId);
      if (i.remediatedAt && i.usersNotifiedAt && i.cyberspaceReportedAt) {
        await db.securityIncident.updateMany({
          where: { id: i.id, status: 'REPORTED' },
          data: { status: 'REMEDIATED' },
        });
      }
      await audit(`incident:${i.id}:${input.step.toLowerCase()}`, input.actorUserId, `INCIDENT_${input.step}`, i.id, {
        text: input.text,
        at:
          input.step === 'REMEDIATE'
            ? i.remediatedAt
            : input.step === 'NOTIFY_USERS'
              ? i.usersNotifiedAt
              : i.cyberspaceReportedAt,
      });
    },

    /** Closing releases this incident's suspensions; a grant another open incident still covers stays suspended. */
    async closeIncident(input: {
      incidentId: string;
      conclusion: string;
      actorUserId: string;
    }): Promise<{ restored: number }> {
      const at = now();
      const auditKey = `incident:${input.incidentId}:closed`;
      // The close, the grants it restores and its audit row commit together: a retry after a
      // crash finds the incident closed and reads what was restored from that row.
      const restoredIds = await db.$transaction(async (tx) => {
        const closed = await tx.securityIncident.updateMany({
          where: { id: input.incidentId, status: { not: 'CLOSED' } },
          data: { status: 'CLOSED', closedAt: at, conclusion: input.conclusion },
        });
        if (closed.count === 0) {
          const row = await tx.auditLog.findUnique({ where: { auditKey }, select: { details: true } });
          const ids = (row?.details as { restoredGrantIds?: unknown } | null)?.restoredGrantIds;
          return Array.isArray(ids) ? (ids as string[]) : [];
        }
        await tx.incidentGrantSuspension.updateMany({
          where: { incidentId: input.incidentId, releasedAt: null },
          data: { releasedAt: at },
        });
        const mine = await tx.incidentGrantSuspension.findMany({ where: { incidentId: input.incidentId } });
        const stillHeld = await tx.incidentGrantSuspension.findMany({
          where: { grantId: { in: mine.map((m) => m.grantId) }, releasedAt: null },
        });
        const release = mine.map((m) => m.grantId).filter((g) => !stillHeld.some((s) => s.grantId === g));
        await tx.accessGrant.updateMany({
          where: { id: { in: release }, status: 'SUSPENDED' },
          data: { status: 'ACTIVE' },
        });
        await tx.auditLog.createMany({
          data: [
            {
              auditKey,
              actor: input.actorUserId,
              action: 'INCIDENT_CLOSED',
              entityType: 'SecurityIncident',
              entityId: input.incidentId,
              details: { conclusion: input.conclusion, closedAt: at, restoredGrantIds: release } as object,
            },
          ],
          skipDuplicates: true,
        });
        return release;
      });
      const i = await load(input.incidentId);
      const c = await common(i);
      if ((await db.incidentGrantSuspension.count({ where: { incidentId: i.id } })) > 0) {
        await notify({
          eventKey: `incident:${i.incidentNo}:grants-restored`,
          template: 'incident-grants-restored',
          recipients: await grantHolders(db, i.resourceIds, ['ACTIVE']),
          data: c,
        });
      }
      const reporter = await db.user.findUnique({ where: { id: i.reporterUserId } });
      const recipients = [
        ...(reporter ? [{ email: reporter.email, name: reporter.displayName }] : []),
        ...(await usersWithRole(db, i.responsibleDeptId, ['DEPT_STAFF', 'DEPT_HEAD'])),
        ...(await authorityStaff()),
      ];
      await notify({
        eventKey: `incident:${i.incidentNo}:closed`,
        template: 'incident-closed',
        recipients,
        data: { ...c, conclusion: i.conclusion ?? input.conclusion, closedAt: shanghaiText(i.closedAt) },
      });
      return { restored: restoredIds.length };
    },
  };
}
