/**
 * The local stack for a benchmark run: embedded Postgres, Temporal dev server and MailDev in a
 * throw-away directory, migrated and seeded, with the worker and the API as child processes
 * started the way `npm start` starts them. Everything is stopped again by `stop()`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { migrate } from '../../lib/migrator';
import { createDb, Db } from '../../lib/db';
import { seed } from '../../prisma/seed';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { appProcessEnv } from '../../scripts/lib/process-env';
import {
  DATA_DIR,
  freePort,
  localSecret,
  ROOT,
  Service,
  startLocalServices,
  stopChild,
  waitForPort,
} from '../../scripts/lib/services';

export interface Stack {
  api: string;
  env: NodeJS.ProcessEnv;
  db: Db;
  workerPid: () => number | undefined;
  /** CPU time used so far (user + system, ms) by each part of the stack, this process included. */
  cpu: () => CpuSample;
  restartWorker: () => Promise<void>;
  stop: () => Promise<void>;
}

/** The fields of /proc/<pid>/stat after the command name (field 3 onwards), or null if gone. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** A process and all its descendants (tsx runs node in a child; Postgres forks a backend per connection). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const fields = statFields(name);
    if (fields) parents.set(Number(name), Number(fields[1]));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parents) if (pp === tree[i]) tree.push(p);
  return tree;
}

const MiB = 1024 * 1024;

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time of a process tree, user + system, in ms: the live processes' own time plus what their
 * reaped children used (so Postgres backends that ended are still counted by the postmaster).
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    // utime stime cutime cstime are fields 14–17 of stat, 11–14 of what follows the name.
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

export type CpuSample = Record<'worker' | 'api' | 'postgres' | 'temporal' | 'mail' | 'bench', number>;

/** CPU used between two samples, per part and in total, divided by `per` (e.g. the number of cases). */
export function cpuBetween(before: CpuSample, after: CpuSample, per = 1): CpuSample & { total: number } {
  const parts = Object.keys(before) as (keyof CpuSample)[];
  const out = Object.fromEntries(parts.map((k) => [k, (after[k] - before[k]) / per])) as CpuSample;
  return { ...out, total: parts.reduce((sum, k) => sum + out[k], 0) };
}

/** Resident memory of a process and all its descendants (tsx runs node in a child), in bytes. */
export function treeRss(pid: number): number {
  const tree = processTree(pid);
  let total = 0;
  for (const p of tree) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

/** Rejects once the signal is aborted (never, without one). */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

function child(name: string, script: string, env: NodeJS.ProcessEnv, log: (l: string) => void): ChildProcess {
  const proc = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr?.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l.trim()) log(`[${name}] ${l}`);
  });
  return proc;
}

/** The worker and the API get as long to stop as `npm start` gives them. */
const CHILD_STOP_MS = 15_000;

/** What a start has brought up so far. */
interface Started {
  services: Service[];
  children: ChildProcess[];
  dbs: Db[];
}

/**
 * `bundleAtStart`: the worker bundles workflows/ itself at start (as `npm start` does in
 * development) instead of loading a bundle built beforehand (as the production image does, with
 * WORKFLOW_BUNDLE_PATH): webpack then stays in the worker's memory. `signal`: aborting it ends the
 * start with its reason; then, as on any failure of the start, whatever had come up is stopped.
 */
export async function startStack(
  log: (l: string) => void,
  extraEnv: NodeJS.ProcessEnv = {},
  opts: { bundleAtStart?: boolean; signal?: AbortSignal } = {},
): Promise<Stack> {
  const dir = path.join(DATA_DIR, `bench-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  // What has started so far, stopped again if the start fails or is interrupted (opts.signal).
  const started: Started = { services: [], children: [], dbs: [] };
  try {
    return await startIn(dir, started, log, extraEnv, opts);
  } catch (err) {
    await stopStarted(started, dir);
    throw err;
  }
}

/** Stops what a start brought up, the worker and the API first, and removes its directory. */
async function stopStarted(started: Started, dir: string): Promise<void> {
  await Promise.all(started.children.map((c) => stopChild(c, CHILD_STOP_MS)));
  await Promise.all(started.dbs.map((d) => d.$disconnect().catch(() => undefined)));
  for (const s of [...started.services].reverse()) await s.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

async function startIn(
  dir: string,
  started: Started,
  log: (l: string) => void,
  extraEnv: NodeJS.ProcessEnv,
  opts: { bundleAtStart?: boolean; signal?: AbortSignal },
): Promise<Stack> {
  const interrupted = () => opts.signal?.throwIfAborted();
  const { pg, temporal, mail, all } = await startLocalServices({
    dir: path.join(dir, 'postgres'),
    database: 'govdata_bench',
    log: () => undefined,
  });
  started.services.push(...all);
  const apiPort = await freePort();
  interrupted();
  log(`services up: Postgres ${pg.url.replace(/^.*@/, '')}, Temporal ${temporal.url}, MailDev ${mail.url}`);
  // As npm start does: migrations and seed as the schema owner, the worker and the API as the app role.
  await migrate(pg.ownerUrl);
  const owner = createDb(pg.ownerUrl);
  try {
    await seed(owner, () => undefined);
  } finally {
    await owner.$disconnect();
  }
  interrupted();
  // The bench itself inserts synthetic inbox rows and runs ANALYZE: as the owner.
  const db = createDb(pg.ownerUrl);
  started.dbs.push(db);
  // As npm start runs them (scripts/lib/process-env.ts).
  const env: NodeJS.ProcessEnv = appProcessEnv({
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(apiPort),
    DATABASE_URL: pg.appUrl,
    TEMPORAL_ADDRESS: temporal.url,
    SMTP_URL: mail.url,
    AUTH_TOKEN_SECRET: localSecret('bench-token-secret', dir),
    RATE_LIMIT_TOKENS_PER_MINUTE: '0',
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
    ...extraEnv,
  });
  if (!opts.bundleAtStart && !env.WORKFLOW_BUNDLE_PATH) {
    const bundle = await buildWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
    env.WORKFLOW_BUNDLE_PATH = bundle.path;
    log(`workflow bundle built beforehand, as in production (${(bundle.bytes / MiB).toFixed(1)} MB)`);
    interrupted();
  }
  let worker = child('worker', 'worker.ts', env, log);
  const api = child('api', 'server.ts', env, log);
  started.children.push(worker, api);
  await Promise.race([waitForPort(apiPort, 'the API', 120_000), aborted(opts.signal)]);
  log(`worker and API started (API :${apiPort})`);
  return {
    api: `http://127.0.0.1:${apiPort}`,
    env,
    db,
    workerPid: () => worker.pid,
    cpu: () => {
      const own = process.cpuUsage();
      const of = (pids: number[]) => pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0);
      return {
        worker: worker.pid ? treeCpuMs(worker.pid) : 0,
        api: api.pid ? treeCpuMs(api.pid) : 0,
        postgres: of(pg.pids()),
        temporal: of(temporal.pids()),
        mail: of(mail.pids()),
        bench: (own.user + own.system) / 1000,
      };
    },
    restartWorker: async () => {
      await stopChild(worker, CHILD_STOP_MS);
      const restarted = child('worker', 'worker.ts', env, log);
      started.children.splice(started.children.indexOf(worker), 1, restarted);
      worker = restarted;
    },
    stop: () => stopStarted(started, dir),
  };
}
