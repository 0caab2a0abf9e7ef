import type { Role } from '../generated/prisma/client';
import type { Db } from '../lib/db';
import type { Recipient } from './notifications';

export async function usersWithRole(db: Db, departmentId: string | null, roles: Role[]): Promise<Recipient[]> {
  const users = await db.user.findMany({
    where: { active: true, roles: { hasSome: roles }, ...(departmentId ? { departmentId } : {}) },
    orderBy: { login: 'asc' },
  });
  return users.map((u) => ({ email: u.email, name: u.displayName }));
}

/** Supervisors (督办人员) and the head of the department that owes the step. */
export async function escalationRecipients(db: Db, departmentId: string): Promise<Recipient[]> {
  const [heads, supervisors, dept] = await Promise.all([
    usersWithRole(db, departmentId, ['DEPT_HEAD']),
    usersWithRole(db, null, ['SUPERVISOR']),
    db.department.findUnique({ where: { id: departmentId } }),
  ]);
  const extra = dept?.headEmail ? [{ email: dept.headEmail, name: `${dept.name}负责人` }] : [];
  return [...heads, ...extra, ...supervisors];
}
