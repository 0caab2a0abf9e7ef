import { Client } from 'pg';
import { migrate } from '../../lib/migrator';
import { shapeFromDatabase, shapeFromSchema } from '../../scripts/lib/schema-shape';
import { uniqueSuffix } from '../support/env';

/** A fresh database per run, migrated from empty by the same migrator `npm run db:migrate` uses. */
async function freshDatabase(): Promise<string> {
  const base = new URL(process.env.DATABASE_URL!);
  const name = `drift_${uniqueSuffix()}`;
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  base.pathname = `/${name}`;
  return base.toString();
}

describe('the migrated database matches prisma/schema.prisma', () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase();
    await migrate(url);
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
