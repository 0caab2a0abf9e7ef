import { Client } from 'pg';
import { provisionRoles } from '../../lib/db-roles';
import { migrate } from '../../lib/migrator';
import { shapeFromDatabase, shapeFromSchema } from '../../scripts/lib/schema-shape';
import { uniqueSuffix } from '../support/env';

/**
 * A fresh database per run (created by the superuser: the app and owner roles cannot), given the
 * role split, and migrated from empty as the owner role by the same migrator `npm run db:migrate`
 * uses. Returns the superuser's and the owner's URL of it.
 */
async function freshDatabase(): Promise<{ admin: string; owner: string }> {
  const admin = new URL(process.env.TEST_ADMIN_DATABASE_URL!);
  const owner = new URL(process.env.MIGRATION_DATABASE_URL!);
  const name = `drift_${uniqueSuffix()}`;
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  admin.pathname = owner.pathname = `/${name}`;
  // The roles exist in the cluster already: empty passwords leave theirs as they are.
  await provisionRoles(admin.toString(), {
    ownerRole: decodeURIComponent(owner.username),
    ownerPassword: '',
    appRole: decodeURIComponent(new URL(process.env.DATABASE_URL!).username),
    appPassword: '',
  });
  return { admin: admin.toString(), owner: owner.toString() };
}

describe('the migrated database matches prisma/schema.prisma', () => {
  let url: string;
  beforeAll(async () => {
    const fresh = await freshDatabase();
    url = fresh.admin;
    await migrate(fresh.owner);
  });

  it.each(['tables', 'columns', 'primaryKeys', 'uniques', 'indexes', 'enums', 'foreignKeys'] as const)(
    'has the same %s',
    async (part) => {
      const [expected, actual] = await Promise.all([shapeFromSchema(), shapeFromDatabase(url)]);
      expect(actual[part]).toEqual(expected[part]);
    },
  );

  it('records the migrations like Prisma does, and a second run applies nothing', async () => {
    const again = await migrate(url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBeGreaterThan(0);
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations',
    );
    await client.end();
    expect(rows.every((r) => r.finished_at !== null && r.checksum.length === 64 && r.applied_steps_count === 1)).toBe(
      true,
    );
  });

  it('keeps the audit log append-only', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(
      `INSERT INTO audit_log (audit_key, actor, action, entity_type, entity_id) VALUES ('k1', 'test', 'X', 'T', '1')`,
    );
    await expect(client.query(`UPDATE audit_log SET actor = 'other'`)).rejects.toThrow(/append-only/);
    await expect(client.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await client.end();
  });
});
