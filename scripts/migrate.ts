/**
 * `npm run db:migrate`: `prisma migrate deploy` where the Prisma schema engine exists
 * (PRISMA_SCHEMA_ENGINE_BINARY names a real engine, or MIGRATOR=prisma), otherwise the
 * built-in migrator that keeps the same `_prisma_migrations` records. Connects as the owner role
 * (MIGRATION_DATABASE_URL), or as DATABASE_URL where no owner is configured.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { migrate } from '../lib/migrator';

async function main() {
  // The owner role (MIGRATION_DATABASE_URL); DATABASE_URL where there is no role split.
  const databaseUrl = process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error(
      'db:migrate: MIGRATION_DATABASE_URL (or DATABASE_URL) must be set (npm start sets it for the embedded Postgres)',
    );
    process.exit(2);
  }
  const usePrismaCli =
    process.env.MIGRATOR === 'prisma' ||
    Boolean(process.env.PRISMA_SCHEMA_ENGINE_BINARY && process.env.MIGRATOR !== 'builtin');
  if (usePrismaCli) {
    const cli = path.join(__dirname, '..', 'node_modules', 'prisma', 'build', 'index.js');
    const r = spawnSync(process.execPath, [cli, 'migrate', 'deploy'], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const result = await migrate(databaseUrl, { log: (line) => console.log(`db:migrate: ${line}`) });
  console.log(`db:migrate: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
}

main().catch((err: Error) => {
  console.error(`db:migrate: ${err.message}`);
  process.exit(1);
});
