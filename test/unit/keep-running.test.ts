/**
 * `npm start` keeps its services running (scripts/lib/keep-running.ts): real processes stand in
 * for Postgres, Temporal and MailDev, are killed with SIGKILL and must come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { keepRunning } from '../../scripts/lib/keep-running';
import type { Service } from '../../scripts/lib/services';
import { poll } from '../support/processes';

/** Waits for `check` to hold (polled every 20 ms, test/support/processes.ts), naming what it waited for. */
const until = (what: string, check: () => boolean) =>
  poll(async () => check(), what, { everyMs: 20, timeoutMs: 15_000 });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A service whose process is a long sleep; `failing` starts throw before anything runs. */
function fakeService(failing: number[] = []) {
  const children: ChildProcess[] = [];
  let calls = 0;
  const start = async (): Promise<Service> => {
    calls += 1;
    if (failing.includes(calls)) throw new Error(`port 54320 taken\n  FATAL: could not bind (start ${calls})`);
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => child.once('spawn', r));
    return {
      name: 'fake',
      url: 'fake://127.0.0.1:1',
      pids: () => (child.pid ? [child.pid] : []),
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      },
    };
  };
  const cleanUp = () => children.forEach((c) => c.kill('SIGKILL'));
  return { start, children, calls: () => calls, cleanUp };
}

describe('keepRunning', () => {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  beforeEach(() => {
    lines.length = 0;
  });

  it('starts a service again, on its own, when its processes are killed', async () => {
    const fake = fakeService();
    const kept = await keepRunning({ label: 'Postgres', start: fake.start, log, pollMs: 25, initialDelayMs: 10 });
    try {
      const first = kept.pids()[0];
      process.kill(first, 'SIGKILL');
      await until('the restart', () => kept.starts === 2);
      expect(lines).toEqual(['Postgres stopped unexpectedly; restarting in 0.01s', 'Postgres is running again']);
      const second = kept.pids()[0];
      expect(second).not.toBe(first);
      expect(alive(second)).toBe(true);
      expect(kept.url).toBe('fake://127.0.0.1:1');

      // And again: each death is noticed, not only the first.
      process.kill(second, 'SIGKILL');
      await until('the second restart', () => kept.starts === 3);
      expect(alive(kept.pids()[0])).toBe(true);
    } finally {
      await kept.stop();
      fake.cleanUp();
    }
  });

  it('retries a start that fails, doubling the wait, and names the reason on one line', async () => {
    const fake = fakeService([2, 3]); // the first two restarts fail
    const kept = await keepRunning({ label: 'Temporal', start: fake.start, log, pollMs: 25, initialDelayMs: 10 });
    try {
      process.kill(kept.pids()[0], 'SIGKILL');
      await until('the restart after two failures', () => kept.starts === 2);
      expect(lines).toEqual([
        'Temporal stopped unexpectedly; restarting in 0.01s',
        'Temporal could not be started again: port 54320 taken FATAL: could not bind (start 2); next try in 0.02s',
        'Temporal could not be started again: port 54320 taken FATAL: could not bind (start 3); next try in 0.04s',
        'Temporal is running again',
      ]);
      expect(fake.calls()).toBe(4);
    } finally {
      await kept.stop();
      fake.cleanUp();
    }
  });

  it('stop() stops the running instance, and nothing is started after it', async () => {
    const fake = fakeService();
    const kept = await keepRunning({ label: 'MailDev', start: fake.start, log, pollMs: 25, initialDelayMs: 10 });
    const pid = kept.pids()[0];
    await kept.stop();
    try {
      expect(alive(pid)).toBe(false);
      // Several poll periods later: the stopped service was not taken for a dead one.
      await new Promise((r) => setTimeout(r, 200));
      expect(fake.calls()).toBe(1);
      expect(lines).toEqual([]);
    } finally {
      fake.cleanUp();
    }
  });

  it('stop() during the wait before a restart cancels the restart', async () => {
    const fake = fakeService();
    const kept = await keepRunning({ label: 'Postgres', start: fake.start, log, pollMs: 25, initialDelayMs: 60_000 });
    try {
      process.kill(kept.pids()[0], 'SIGKILL');
      await until('the death to be noticed', () => lines.length === 1);
      expect(lines).toEqual(['Postgres stopped unexpectedly; restarting in 60s']);
      await kept.stop();
      expect(fake.calls()).toBe(1);
    } finally {
      fake.cleanUp();
    }
  });
});
