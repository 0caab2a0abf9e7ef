/**
 * Security incidents (Art. 32 ¶2): the incident record with the time of every report it
 * demands, grant suspensions on the affected resources until it is closed, hour deadlines on
 * the incident's inbox tasks, and the audit trail. Idempotent like every activity.
 */
import type { IncidentKind } from '../generated/prisma/client';
import { activityNow, ActivityDeps } from './deps';
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
    await db.auditLog.createMany({
      data: [
        { auditKey, actor, action, entityType: 'SecurityIncident', entityId: incidentId, details: details as object },
      ],
      skipDuplicates: true,
    });
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
      resources: resources.map((r) => ({ code: r.code, name: r.name })),
      reportedAt: shanghaiText(i.reportedAt),
    };
  }

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

    /**
     * Suspends the grants on the affected resources until the incident is closed. A grant
     * already suspended by another open incident is covered by this one too, so it stays
     * suspended until the last of them closes.
     */
    async suspendIncidentGrants(input: { incidentId: string; actorUserId: string }): Promise<{ suspended: number }> {
      const i = await load(input.incidentId);
      const at = now();
      const grants = await db.accessGrant.findMany({
        where: {
          resourceId: { in: i.resourceIds },
          OR: [{ status: 'ACTIVE' }, { status: 'SUSPENDED', incidentSuspensions: { some: { releasedAt: null } } }],
        },
      });
      await db.$transaction([
        db.incidentGrantSuspension.createMany({
          data: grants.map((g) => ({ incidentId: i.id, grantId: g.id, suspendedAt: at })),
          skipDuplicates: true,
        }),
        db.accessGrant.updateMany({
          where: { id: { in: grants.map((g) => g.id) }, status: 'ACTIVE' },
          data: { status: 'SUSPENDED' },
        }),
        db.securityIncident.update({ where: { id: i.id }, data: { suspendGrants: true } }),
      ]);
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
    },

    /** Art. 32 ¶2 "告知用户": everyone using the affected resources hears of the incident from the platform. */
    async notifyIncidentUsers(input: { incidentId: string }): Promise<number> {
      const i = await load(input.incidentId);
      return notify({
        eventKey: `incident:${i.incidentNo}:users`,
        template: 'incident-users-notice',
        recipients: await grantHolders(db, i.resourceIds, ['ACTIVE', 'SUSPENDED']),
        data: { ...(await common(i)), suspended: i.suspendGrants },
      });
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
      await db.auditLog.createMany({
        data: [
          {
            auditKey: `task:${task.id}:hours:${input.alert}`,
            actor: 'system',
            action,
            entityType: 'Task',
            entityId: task.id,
            details: { dueAt: task.dueAt, overdueHours },
          },
        ],
        skipDuplicates: true,
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
      const restoredIds = await db.$transaction(async (tx) => {
        const closed = await tx.securityIncident.updateMany({
          where: { id: input.incidentId, status: { not: 'CLOSED' } },
          data: { status: 'CLOSED', closedAt: at, conclusion: input.conclusion },
        });
        if (closed.count === 0) return [];
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
        return release;
      });
      const i = await load(input.incidentId);
      await audit(`incident:${i.id}:closed`, input.actorUserId, 'INCIDENT_CLOSED', i.id, {
        conclusion: i.conclusion,
        closedAt: i.closedAt,
        restoredGrantIds: restoredIds,
      });
      const c = await common(i);
      if (i.suspendGrants) {
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
