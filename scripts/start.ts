/**
 * `npm start`: the whole system on one machine. With DATABASE_URL, TEMPORAL_ADDRESS and
 * SMTP_URL unset it runs an embedded Postgres, the Temporal dev server (Web UI on 8233) and
 * MailDev, all keeping state in .data/; any of the three that is set is used instead.
 * Then it migrates, seeds, and runs the worker and the API. Ctrl-C stops everything; the next
 * start resumes with the same data and the same running workflows.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { migrate } from '../lib/migrator';
import { createDb } from '../lib/db';
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

const log = (line: string) => console.log(`[start] ${line}`);
const services: Service[] = [];
const children: ChildProcess[] = [];
let stopping = false;

function envPort(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? Number(v) : fallback;
}

async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  for (const s of [...services].reverse()) {
    await s.stop().catch((err: Error) => log(`stopping ${s.name}: ${err.message}`));
  }
  log('stopped');
  process.exit(code);
}

function runChild(name: string, script: string, env: NodeJS.ProcessEnv) {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [script], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
}

async function main() {
  // Ctrl-C reaches this process more than once (from the terminal and through tsx): every
  // signal is handled, so none kills it halfway through stopping its children.
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' };

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
    const pg = await startEmbeddedPostgres({
      dir: path.join(DATA_DIR, 'postgres'),
      port: envPort('EMBEDDED_PG_PORT', 54320),
      database: 'govdata',
      log,
      quiet: true,
    });
    services.push(pg);
    env.DATABASE_URL = pg.url;
    log(`Postgres (embedded) on 127.0.0.1:${envPort('EMBEDDED_PG_PORT', 54320)}`);
  }
  let temporalUi: string | undefined;
  if (!env.TEMPORAL_ADDRESS) {
    const port = envPort('TEMPORAL_PORT', 7233);
    const uiPort = envPort('TEMPORAL_UI_PORT', 8233);
    const t = await startTemporalDevServer({
      port,
      uiPort,
      dbFile: path.join(DATA_DIR, 'temporal', 'temporal.db'),
      log,
    });
    services.push(t);
    env.TEMPORAL_ADDRESS = t.url;
    temporalUi = `http://localhost:${uiPort}`;
  }
  let mailUi: string | undefined;
  if (!env.SMTP_URL) {
    const m = await startMailDev({
      smtpPort: envPort('MAILDEV_SMTP_PORT', 1025),
      webPort: envPort('MAILDEV_WEB_PORT', 1080),
      log,
      quiet: true,
    });
    services.push(m);
    env.SMTP_URL = m.url;
    mailUi = m.webUrl;
  }
  env.AUTH_TOKEN_SECRET ||= localSecret('auth-token-secret');

  const result = await migrate(env.DATABASE_URL, { log });
  log(`database migrated (${result.applied.length} new, ${result.alreadyApplied.length} already applied)`);
  const db = createDb(env.DATABASE_URL);
  await seed(db, log);
  await db.$disconnect();

  runChild('worker', 'worker.ts', env);
  runChild('api', 'server.ts', env);
  console.log(
    [
      '',
      '  政务数据审批系统 is starting:',
      `    API            http://localhost:${port}`,
      `    API docs       http://localhost:${port}/docs   (OpenAPI: /openapi.json)`,
      `    Health         http://localhost:${port}/healthz`,
      temporalUi ? `    Temporal UI    ${temporalUi}` : `    Temporal       ${env.TEMPORAL_ADDRESS} (external)`,
      mailUi ? `    Mail viewer    ${mailUi}` : '    Mail           external SMTP server',
      '',
      '  Demo token (development only):',
      `    curl -s -X POST localhost:${port}/api/dev/tokens -H 'content-type: application/json' -d '{"login":"gaj.staff"}'`,
      '  Seeded logins are listed in README.md. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err: Error) => {
  console.error(`[start] ${err.message}`);
  await stopAll(1);
});
