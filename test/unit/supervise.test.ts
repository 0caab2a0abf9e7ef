/**
 * The supervision of `npm start`'s children (scripts/lib/supervise.ts) with real child
 * processes, and the check that user postgres can reach the embedded Postgres directories.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathChain, postgresUserPathProblem, unenterableDirs } from '../../scripts/lib/services';
import { formatDelay, nextDelay, supervise } from '../../scripts/lib/supervise';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A child that records each start (a line with its start time) in a marker file, exits with
 * code 3 on its first `failures` runs and then stays up until it is stopped.
 */
function flakyChild(marker: string, failures: number): string[] {
  const code = `
    const fs = require('node:fs');
    fs.appendFileSync(${JSON.stringify(marker)}, Date.now() + '\\n');
    const runs = fs.readFileSync(${JSON.stringify(marker)}, 'utf8').trim().split('\\n').length;
    if (runs <= ${failures}) process.exit(3);
    setInterval(() => undefined, 1000);`;
  return ['-e', code];
}

describe('supervise', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'supervise-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const startsOf = (marker: string): number[] => {
    try {
      return readFileSync(marker, 'utf8').trim().split('\n').map(Number);
    } catch {
      return [];
    }
  };

  it('restarts a crashed child with doubling back-off and one log line per exit; stop() ends it for good', async () => {
    const marker = path.join(dir, 'runs');
    const lines: string[] = [];
    const child = supervise({
      name: 'worker',
      command: process.execPath,
      args: flakyChild(marker, 2),
      stdio: 'ignore',
      log: (l) => lines.push(l),
      initialDelayMs: 200,
      maxDelayMs: 1_000,
      resetAfterMs: 60_000,
    });
    try {
      await until('the third start', () => startsOf(marker).length === 3 && child.pid() !== undefined);
      expect(lines).toEqual([
        'worker exited with code 3; restarting in 0.2s',
        'worker exited with code 3; restarting in 0.4s',
      ]);
      const [t1, t2, t3] = startsOf(marker);
      // The delays are kept (start-up of node itself only adds to them).
      expect(t2 - t1).toBeGreaterThanOrEqual(200);
      expect(t3 - t2).toBeGreaterThanOrEqual(400);
      expect(child.starts).toBe(3);
      // The third run stays up.
      await sleep(300);
      expect(startsOf(marker)).toHaveLength(3);
    } finally {
      const pid = child.pid();
      await child.stop();
      expect(pid).toBeDefined();
      expect(() => process.kill(pid!, 0)).toThrow(); // gone
    }
    // Stopped on purpose: no log line, no restart.
    await sleep(600);
    expect(startsOf(marker)).toHaveLength(3);
    expect(lines).toHaveLength(2);
    expect(child.pid()).toBeUndefined();
  });

  it('a stop() while a restart is pending cancels it', async () => {
    const marker = path.join(dir, 'runs');
    const lines: string[] = [];
    const child = supervise({
      name: 'api',
      command: process.execPath,
      args: flakyChild(marker, 100),
      stdio: 'ignore',
      log: (l) => lines.push(l),
      initialDelayMs: 500,
    });
    await until('the first exit', () => lines.length === 1);
    expect(lines).toEqual(['api exited with code 3; restarting in 0.5s']);
    await child.stop();
    await sleep(800);
    expect(startsOf(marker)).toHaveLength(1);
    expect(child.starts).toBe(1);
  });

  it('a run that lasted resetAfterMs starts the back-off again from the first delay', async () => {
    const lines: string[] = [];
    const child = supervise({
      name: 'worker',
      command: process.execPath,
      args: ['-e', 'setTimeout(() => process.exit(5), 150)'],
      stdio: 'ignore',
      log: (l) => lines.push(l),
      initialDelayMs: 50,
      resetAfterMs: 100,
    });
    await until('three exits', () => lines.length >= 3);
    await child.stop();
    expect(lines.slice(0, 3)).toEqual(Array(3).fill('worker exited with code 5; restarting in 0.05s'));
  });

  it('reports a child killed by a signal, and one that cannot be started, and keeps trying', async () => {
    const lines: string[] = [];
    const killed = supervise({
      name: 'worker',
      command: process.execPath,
      args: ['-e', 'setInterval(() => undefined, 1000)'],
      stdio: 'ignore',
      log: (l) => lines.push(l),
      initialDelayMs: 100,
    });
    await until('the child', () => killed.pid() !== undefined);
    process.kill(killed.pid()!, 'SIGKILL');
    await until('the restart', () => killed.starts === 2 && killed.pid() !== undefined);
    await killed.stop();
    expect(lines).toEqual(['worker exited on SIGKILL; restarting in 0.1s']);

    const missing: string[] = [];
    const none = supervise({
      name: 'api',
      command: path.join(dir, 'no-such-program'),
      args: [],
      stdio: 'ignore',
      log: (l) => missing.push(l),
      initialDelayMs: 50,
    });
    await until('two failed starts', () => missing.length >= 2);
    await none.stop();
    expect(missing[0]).toMatch(/^api could not be started \(.*ENOENT.*\); restarting in 0\.05s$/);
    expect(missing[1]).toMatch(/restarting in 0\.1s$/);
  });

  it('a launcher killed outright takes the process it ran with it (no orphan), and is restarted', async () => {
    // The child stands for tsx: it runs the real program as a child of its own and is SIGKILLed.
    const pids = path.join(dir, 'grandchildren');
    const code = `
      const { spawn } = require('node:child_process');
      const gc = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
      require('node:fs').appendFileSync(${JSON.stringify(pids)}, gc.pid + '\\n');
      setInterval(() => undefined, 1000);`;
    const lines: string[] = [];
    const child = supervise({
      name: 'worker',
      command: process.execPath,
      args: ['-e', code],
      stdio: 'ignore',
      detached: true,
      log: (l) => lines.push(l),
      initialDelayMs: 200,
    });
    const running = (pid: number) => {
      try {
        // A zombie (not reaped yet where pid 1 does not reap) is no longer running.
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    try {
      await until('the first run to start its program', () => startsOf(pids).length === 1);
      const [first] = startsOf(pids);
      expect(running(first)).toBe(true);
      process.kill(child.pid()!, 'SIGKILL');
      await until('the restart to start its program', () => startsOf(pids).length === 2);
      expect(lines).toEqual(['worker exited on SIGKILL; restarting in 0.2s']);
      await until('the first program to be gone', () => !running(first));
      const [, second] = startsOf(pids);
      await child.stop();
      // An orderly stop ends the program too, though the stand-in passes no signal on.
      await until('the second program to be gone', () => !running(second));
    } finally {
      await child.stop();
      for (const pid of startsOf(pids)) if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('back-off arithmetic: 1 s doubling to 30 s', () => {
    const delays = [1_000];
    while (delays.length < 8) delays.push(nextDelay(delays[delays.length - 1], 30_000));
    expect(delays.map(formatDelay)).toEqual(['1s', '2s', '4s', '8s', '16s', '30s', '30s', '30s']);
  });
});

describe('can user postgres reach the embedded Postgres directories?', () => {
  const d = (p: string, mode: number, uid = 0, gid = 0) => ({ path: p, mode: 0o040000 | mode, uid, gid });
  const postgres = { uid: 999, gids: [999] };

  it('reads the x bit of the class that applies (owner, group, other)', () => {
    expect(pathChain('/root/app/.data')).toEqual(['/', '/root', '/root/app', '/root/app/.data']);
    const dirs = [d('/', 0o755), d('/root', 0o700), d('/srv', 0o750, 0, 999), d('/home/pg', 0o700, 999, 999)];
    expect(unenterableDirs(dirs, postgres).map((x) => x.path)).toEqual(['/root']);
    expect(unenterableDirs([d('/srv', 0o750, 0, 5)], postgres).map((x) => x.path)).toEqual(['/srv']);
    expect(unenterableDirs([d('/srv', 0o701, 0, 999)], postgres).map((x) => x.path)).toEqual(['/srv']); // group class
    // A user that does not exist yet owns nothing and is in no group: "other".
    expect(unenterableDirs([d('/x', 0o751, 0, 0)], { uid: -1, gids: [] })).toEqual([]);
  });

  it('a private directory (chmod 700, owned by root) gives one line that says what to do', () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'pg-path-'));
    chmodSync(base, 0o755); // mkdtemp makes it private itself
    try {
      const priv = path.join(base, 'private');
      const data = path.join(priv, 'clone', '.data');
      mkdirSync(data, { recursive: true });
      writeFileSync(path.join(priv, 'clone', 'README'), 'x');
      chmodSync(priv, 0o700);
      // The directory is owned by whoever runs the test; as root that is exactly the /root case.
      const other = { uid: (process.getuid?.() ?? 0) + 12345, gids: [54321] };
      const problem = postgresUserPathProblem([path.join(data, 'postgres'), path.join(priv, 'clone')], other);
      expect(problem).toBe(
        `embedded Postgres runs as user postgres, which cannot enter ${priv}: clone the repository under a ` +
          `directory it can enter (e.g. /srv), run chmod o+x ${priv}, or set DATABASE_URL to an existing Postgres`,
      );
      expect(problem).not.toContain('\n');
      chmodSync(priv, 0o701);
      expect(postgresUserPathProblem([path.join(data, 'postgres')], other)).toBeUndefined();
      if (process.getuid?.() === 0) {
        // The real user postgres (or "other" if it does not exist yet) and the repository's own tree.
        chmodSync(priv, 0o700);
        expect(postgresUserPathProblem([data])).toContain(`cannot enter ${priv}`);
      }
    } finally {
      chmodSync(path.join(base, 'private'), 0o755);
      rmSync(base, { recursive: true, force: true });
    }
  });
});
