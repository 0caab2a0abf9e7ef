/**
 * `npm start`: the whole system on one machine. With DATABASE_URL, TEMPORAL_ADDRESS and
 * SMTP_URL unset it runs an embedded Postgres, the Temporal dev server (Web UI on 8233) and
 * MailDev, all keeping state in .data/; any of the three that is set is used instead.
 * Then it migrates, seeds, and runs the worker and the API under supervision (scripts/lib/
 * supervise.ts): a worker or API that exits is restarted with back-off and a log line, while the
 * services keep running. Ctrl-C (or SIGTERM, SIGHUP) stops everything — the worker and the API
 * first, then the services — and nothing is restarted while stopping. The next start resumes
 * with the same data and the same running workflows. A failure to start is one line, no stack.
 */
import path from 'node:path';
import { migrate } from '../lib/migrator';
import { createDb } from '../lib/db';
import { oneLine } from '../lib/one-line';
import { seed } from '../prisma/seed';
import {
  assertPortFree,
  DATA_DIR,
  localSecret,
  ROOT,
  Service,
  startEmbeddedPostgres,
  startMailDev,
  startTemporalDevServer,
} from './lib/services';
import { keepRunning } from './lib/keep-running';
import { appProcessEnv } from './lib/process-env';
import { supervise, Supervised } from './lib/supervise';

const log = (line: string) => console.log(`[start] ${line}`);
const services: Service[] = [];
const children: Supervised[] = [];
let stopping = false;

function envPort(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number(v) : fallback;
}

async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  // Nothing started yet (a failed start-up): the reason was the one line to print.
  const quiet = services.length === 0 && children.length === 0;
  if (!quiet) log('stopping…');
  // The worker and the API first (they use the services), each SIGTERM then SIGKILL after 15 s.
  await Promise.all(children.map((c) => c.stop()));
  for (const s of [...services].reverse()) {
    await s.stop().catch((err: Error) => log(`stopping ${s.name}: ${err.message}`));
  }
  if (!quiet) log('stopped');
  process.exit(code);
}

function runChild(name: string, script: string, env: NodeJS.ProcessEnv) {
  if (stopping) return; // Ctrl-C during start-up: start nothing new
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  children.push(
    supervise({
      name,
      command: tsx,
      args: [script],
      cwd: ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      // Own process group: Ctrl-C reaches only this process, which stops the children in order
      // (otherwise they die of the terminal's SIGINT first and look like crashes).
      detached: true,
      log,
    }),
  );
}

async function main() {
  // Ctrl-C reaches this process more than once (from the terminal and through tsx): every
  // signal is handled, so none kills it halfway through stopping its children.
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // A closed terminal: the detached children would not get its SIGHUP, so stop them here.
  process.on('SIGHUP', () => void stopAll(0));
  // E.g. a library's unhandled spawn error: one line and an orderly stop instead of a stack trace.
  process.on('uncaughtException', (err) => {
    console.error(`[start] ${oneLine(err)}`);
    void stopAll(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error(`[start] ${oneLine(err)}`);
    void stopAll(1);
  });
  const env: NodeJS.ProcessEnv = appProcessEnv({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' });

  const port = env.PORT ?? '3000';
  await assertPortFree(Number(port), 'the API', 'PORT');
  if (!env.DATABASE_URL)
    await assertPortFree(envPort('EMBEDDED_PG_PORT', 54320), 'Postgres', 'EMBEDDED_PG_PORT or DATABASE_URL');
  if (!env.TEMPORAL_ADDRESS) {
    await assertPortFree(envPort('TEMPORAL_PORT', 7233), 'Temporal', 'TEMPORAL_PORT or TEMPORAL_ADDRESS');
    await assertPortFree(envPort('TEMPORAL_UI_PORT', 8233), 'the Temporal UI', 'TEMPORAL_UI_PORT');
  }
  if (!env.SMTP_URL) {
    await assertPortFree(envPort('MAILDEV_SMTP_PORT', 1025), 'MailDev SMTP', 'MAILDEV_SMTP_PORT or SMTP_URL');
    await assertPortFree(envPort('MAILDEV_WEB_PORT', 1080), 'the MailDev web page', 'MAILDEV_WEB_PORT');
  }

  if (!env.DATABASE_URL) {
    const pg = await keepRunning({
      label: 'Postgres',
      start: () =>
        startEmbeddedPostgres({
          dir: path.join(DATA_DIR, 'postgres'),
          port: envPort('EMBEDDED_PG_PORT', 54320),
          database: 'govdata',
          log,
          quiet: true,
        }),
      log,
    });
    services.push(pg);
    // The API and the worker connect as the app role; migrations and the seed run as the owner.
    env.DATABASE_URL = pg.current().appUrl;
    env.MIGRATION_DATABASE_URL = pg.current().ownerUrl;
    log(`Postgres (embedded) on 127.0.0.1:${envPort('EMBEDDED_PG_PORT', 54320)}`);
  }
  let temporalUi: string | undefined;
  if (!env.TEMPORAL_ADDRESS) {
    const port = envPort('TEMPORAL_PORT', 7233);
    const uiPort = envPort('TEMPORAL_UI_PORT', 8233);
    const t = await keepRunning({
      label: 'Temporal',
      start: () =>
        startTemporalDevServer({ port, uiPort, dbFile: path.join(DATA_DIR, 'temporal', 'temporal.db'), log }),
      log,
    });
    services.push(t);
    env.TEMPORAL_ADDRESS = t.url;
    temporalUi = `http://localhost:${uiPort}`;
    env.TEMPORAL_UI_URL ||= temporalUi;
  }
  let mailUi: string | undefined;
  if (!env.SMTP_URL) {
    const smtpPort = envPort('MAILDEV_SMTP_PORT', 1025);
    const webPort = envPort('MAILDEV_WEB_PORT', 1080);
    const m = await keepRunning({
      label: 'MailDev',
      start: () => startMailDev({ smtpPort, webPort, log, quiet: true }),
      log,
    });
    services.push(m);
    env.SMTP_URL = m.url;
    mailUi = m.current().webUrl;
  }
  env.AUTH_TOKEN_SECRET ||= localSecret('auth-token-secret');

  const migrationUrl = env.MIGRATION_DATABASE_URL || env.DATABASE_URL;
  if (!env.MIGRATION_DATABASE_URL)
    log('MIGRATION_DATABASE_URL is not set: migrating as the DATABASE_URL role (no owner/app split)');
  const result = await migrate(migrationUrl, { log });
  log(`database migrated (${result.applied.length} new, ${result.alreadyApplied.length} already applied)`);
  const db = createDb(migrationUrl);
  await seed(db, log);
  await db.$disconnect();

  // The owner's credentials stay here: the worker and the API get the app role only.
  const childEnv = { ...env };
  delete childEnv.MIGRATION_DATABASE_URL;
  runChild('worker', 'worker.ts', childEnv);
  runChild('api', 'server.ts', childEnv);
  console.log(
    [
      '',
      '  政务数据审批系统 is starting:',
      `    Web app        http://localhost:${port}/web/   (login picker of the seeded users)`,
      `    API            http://localhost:${port}`,
      `    API docs       http://localhost:${port}/docs   (OpenAPI: /openapi.json)`,
      `    Health         http://localhost:${port}/healthz`,
      temporalUi ? `    Temporal UI    ${temporalUi}` : `    Temporal       ${env.TEMPORAL_ADDRESS} (external)`,
      mailUi ? `    Mail viewer    ${mailUi}` : '    Mail           external SMTP server',
      '',
      '  Demo token (development only):',
      `    curl -s -X POST localhost:${port}/api/dev/tokens -H 'content-type: application/json' -d '{"login":"gaj.staff"}'`,
      '  Seeded logins are listed in README.md. A crashed service, worker or API is restarted; Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err: unknown) => {
  console.error(`[start] cannot start: ${oneLine(err)}`);
  await stopAll(1);
});
