/**
 * The real worker (worker.ts) and API (server.ts) as OS processes, for tests that kill them
 * with SIGKILL and start them again: node with tsx's loader (no wrapper process that could
 * outlive a kill), output kept for failure messages, and a bounded wait for each to be ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
/** Output kept per process: the tail is what explains a failure. */
const KEEP_OUTPUT = 64 * 1024;

export interface AppProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  output(): string;
  alive(): boolean;
  /** kill -9, and wait until the process is gone. */
  kill9(): Promise<void>;
}

export function startAppProcess(name: string, script: 'worker.ts' | 'server.ts', env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-KEEP_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    exited,
    output: () => output,
    alive,
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await within(exited, 10_000, `${name} to exit after SIGKILL`);
    },
  };
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `probe` every `everyMs` until it returns a truthy value; fails after `timeoutMs` naming
 * what it waited for (and the output of `procs`, which usually says why).
 */
export async function poll<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  opts: { timeoutMs?: number; everyMs?: number; procs?: AppProcess[] } = {},
): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) {
      const tails = (opts.procs ?? []).map(
        (p) => `--- ${p.name} (${p.alive() ? 'running' : 'exited'}):\n${p.output().slice(-4000)}`,
      );
      throw new Error([`Timed out waiting for ${what}`, ...tails].join('\n'));
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
  }
}

/**
 * The API's readiness: /healthz answers 200 (Postgres and Temporal reachable), or with `healthy:
 * false` answers at all (an API started against a Temporal it cannot reach).
 */
export async function apiReady(
  api: AppProcess,
  baseUrl: string,
  opts: { healthy?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  await poll(
    async () => {
      if (!api.alive()) throw new Error(`${api.name} exited:\n${api.output().slice(-4000)}`);
      try {
        const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
        return opts.healthy === false || res.status === 200;
      } catch {
        return false;
      }
    },
    `${api.name} to answer /healthz`,
    { timeoutMs: opts.timeoutMs ?? 90_000, procs: [api] },
  );
}

/** The worker's readiness: its "worker started" log line (it polls its task queue from then on). */
export async function workerReady(worker: AppProcess, timeoutMs = 90_000): Promise<void> {
  await poll(
    async () => {
      if (!worker.alive()) throw new Error(`${worker.name} exited:\n${worker.output().slice(-4000)}`);
      return worker.output().includes('"msg":"worker started"');
    },
    `${worker.name} to start`,
    { timeoutMs, procs: [worker] },
  );
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

/**
 * A Temporal that accepts connections and never answers: a start through it is not confirmed
 * within START_TIMEOUT_MS (503 START_PENDING) and never reaches a real server.
 */
export async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** JSON requests to a running API as seeded users; tokens (signed with a fixed secret) outlive restarts. */
export function apiClient(baseUrl: string) {
  const tokens = new Map<string, string>();
  async function call(method: string, url: string, token?: string, body?: object): Promise<Answer> {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  }
  async function as(login: string): Promise<string> {
    if (!tokens.has(login)) {
      const res = await call('POST', '/api/dev/tokens', undefined, { login });
      if (res.status !== 201) throw new Error(`token for ${login}: ${res.status} ${JSON.stringify(res.body)}`);
      tokens.set(login, res.body.token as string);
    }
    return tokens.get(login)!;
  }
  return {
    as,
    get: async (login: string, url: string) => call('GET', url, await as(login)),
    post: async (login: string, url: string, body: object = {}) => call('POST', url, await as(login), body),
  };
}
