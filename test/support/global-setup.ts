/**
 * Real parts for the whole suite, started once: an embedded Postgres (fresh, migrated,
 * seeded), a Temporal dev server (in memory, with our search attributes), MailDev as the SMTP
 * server, and the path of the time-skipping test server for workflow tests.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { migrate } from '../../lib/migrator';
import globalTeardown from './global-teardown';
import {
  DATA_DIR,
  isAlive,
  ROOT,
  ensureTemporalTestServer,
  Service,
  startLocalServices,
} from '../../scripts/lib/services';

declare global {
  var __testServices: { services: Service[]; dir: string } | undefined;
}

/** A test run that was killed never ran its teardown: end its services and remove its data. */
function cleanUpAfterKilledRuns(): void {
  if (!existsSync(DATA_DIR)) return;
  for (const name of readdirSync(DATA_DIR).filter((n) => /^test-\d+$/.test(n))) {
    const owner = Number(name.slice('test-'.length));
    if (owner === process.pid || isAlive(owner)) continue;
    const pidsFile = path.join(DATA_DIR, name, 'pids.json');
    if (existsSync(pidsFile)) {
      for (const pid of JSON.parse(readFileSync(pidsFile, 'utf8')) as number[]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(path.join(DATA_DIR, name), { recursive: true, force: true });
  }
}

export default async function globalSetup(): Promise<void> {
  const log = (line: string) => {
    if (process.env.TEST_VERBOSE) console.log(line);
  };
  cleanUpAfterKilledRuns();
  const dir = path.join(DATA_DIR, `test-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const services: Service[] = [];
  globalThis.__testServices = { services, dir };

  const { pg, temporal, mail, all } = await startLocalServices({
    dir: path.join(dir, 'postgres'),
    database: 'govdata_test',
    log,
  });
  services.push(...all);
  // Ctrl-C or a kill during the run: the services stop and the data goes, as in the teardown.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => void globalTeardown().finally(() => process.exit(code)));
  }
  writeFileSync(path.join(dir, 'pids.json'), JSON.stringify(services.flatMap((svc) => svc.pids())));
  // The role split as in production (lib/db-roles.ts): migrations and the seed run as the owner
  // role, every test's DATABASE_URL is the app role. A test that needs more says so explicitly:
  // MIGRATION_DATABASE_URL (owner) or TEST_ADMIN_DATABASE_URL (superuser, e.g. CREATE DATABASE).
  await migrate(pg.ownerUrl);
  // The seed runs under tsx, as `npm run db:seed` does: chinese-workday's CommonJS entry only
  // loads through tsx's or jest's module loaders, not through the plain require jest uses here.
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'prisma', 'seed.ts')], {
    env: { ...process.env, DATABASE_URL: pg.ownerUrl, MIGRATION_DATABASE_URL: pg.ownerUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  process.env.DATABASE_URL = pg.appUrl;
  process.env.MIGRATION_DATABASE_URL = pg.ownerUrl;
  process.env.TEST_ADMIN_DATABASE_URL = pg.url;
  process.env.TEMPORAL_ADDRESS = temporal.url;
  process.env.SMTP_URL = mail.url;
  process.env.MAILDEV_WEB_URL = mail.webUrl;
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'silent';
  const testServer = ensureTemporalTestServer(log);
  if (testServer) process.env.TEMPORAL_TEST_SERVER_PATH = testServer;
}
