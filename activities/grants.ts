import { newId } from '../lib/ids';
import { activityNow, ActivityDeps } from './deps';
import type { Recipient } from './notifications';

export interface GrantSummary {
  applicationNo: string;
  granteeName: string;
  applicantRecipients: Recipient[];
  providerRecipients: Recipient[];
  resources: Array<{ code: string; name: string; provider: string }>;
}

export function grantActivities({ db, now = activityNow }: ActivityDeps) {
  async function recipientsOf(departmentIds: string[], roles: string[]): Promise<Recipient[]> {
    const users = await db.user.findMany({
      where: { departmentId: { in: departmentIds }, active: true, roles: { hasSome: roles as never[] } },
    });
    return users.map((u) => ({ email: u.email, name: u.displayName }));
  }

  return {
    /** Art. 22 ¶1: UNCONDITIONAL resources are granted through the platform with no human step. */
    async grantUnconditionalAccess(input: { applicationId: string }): Promise<GrantSummary> {
      const app = await db.application.findUniqueOrThrow({
        where: { id: input.applicationId },
        include: { applicantDept: true, resources: { include: { resource: { include: { provider: true } } } } },
      });
      const at = now();
      await db.$transaction(async (tx) => {
        for (const { resource } of app.resources) {
          await tx.accessGrant.upsert({
            where: { applicationId_resourceId: { applicationId: app.id, resourceId: resource.id } },
            create: {
              id: newId(),
              applicationId: app.id,
              resourceId: resource.id,
              granteeDeptId: app.applicantDeptId,
              status: 'ACTIVE',
              accessMode: app.accessMode,
              grantedAt: at,
              activatedAt: at,
            },
            update: {},
          });
        }
        await tx.application.update({
          where: { id: app.id },
          data: { status: 'APPROVED', decidedAt: app.decidedAt ?? at },
        });
        await tx.timelineEvent.createMany({
          data: [
            {
              applicationId: app.id,
              eventKey: 'granted',
              kind: 'GRANTED',
              message: '无条件共享：平台直接开通访问权限',
              at,
            },
          ],
          skipDuplicates: true,
        });
      });
      const providerIds = [...new Set(app.resources.map((r) => r.resource.providerId))];
      return {
        applicationNo: app.applicationNo,
        granteeName: app.applicantDept?.name ?? '',
        applicantRecipients: await recipientsOf(app.applicantDeptId ? [app.applicantDeptId] : [], ['DEPT_STAFF']),
        providerRecipients: await recipientsOf(providerIds, ['PROVIDER_REVIEWER', 'DEPT_HEAD']),
        resources: app.resources.map(({ resource }) => ({
          code: resource.code,
          name: resource.name,
          provider: resource.provider.name,
        })),
      };
    },
  };
}
