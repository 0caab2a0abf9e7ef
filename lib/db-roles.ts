/**
 * The database role split: migrations and the seed run as an owner role, the API and the worker
 * as an app role that is no superuser, owns nothing, and may only SELECT and INSERT the audit log
 * (prisma/roles.sql, run by a superuser; the audit_chain migration restricts the audit tables).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export const ROLES_SQL = path.join(__dirname, '..', 'prisma', 'roles.sql');

export const DEFAULT_OWNER_ROLE = 'govdata_owner';
export const DEFAULT_APP_ROLE = 'govdata_app';

export interface RoleSpec {
  ownerRole: string;
  ownerPassword: string;
  appRole: string;
  appPassword: string;
}

/** Creates or updates both roles and their grants in the database `adminUrl` names (a superuser). */
export async function provisionRoles(adminUrl: string, spec: RoleSpec): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(
      `SELECT set_config('govdata.owner_role', $1, false), set_config('govdata.owner_password', $2, false),
              set_config('govdata.app_role', $3, false), set_config('govdata.app_password', $4, false)`,
      [spec.ownerRole, spec.ownerPassword, spec.appRole, spec.appPassword],
    );
    await client.query(readFileSync(ROLES_SQL, 'utf8'));
  } finally {
    await client.end();
  }
}

/** The same server and database as `url`, signed in as another role. */
export function urlAs(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}
