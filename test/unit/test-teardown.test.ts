/**
 * An interrupted `npm test` leaves nothing running (test/support/global-teardown.ts): the
 * time-skipping test servers the SDK spawned are found among this process's children
 * (scripts/lib/services.ts childProcesses) and stopped, and nothing else is touched.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childProcesses } from '../../scripts/lib/services';
import { stopTimeSkippingServers } from '../support/global-teardown';

const exited = (child: ReturnType<typeof spawn>) =>
  new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

describe('stopping what an interrupted test run started', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teardown-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists this process's children with their command lines", async () => {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    try {
      expect(childProcesses(process.pid)).toContainEqual({ pid: child.pid, command: 'sleep 600' });
      expect(childProcesses(child.pid!)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stops a child time-skipping server and leaves other children alone', async () => {
    // A stand-in with the server's name: sleep copied under it.
    const fake = path.join(dir, 'temporal-test-server');
    copyFileSync('/bin/sleep', fake);
    const server = spawn(fake, ['600'], { stdio: 'ignore' });
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    await Promise.all([server, other].map((c) => new Promise((r) => c.once('spawn', r))));
    const serverExit = exited(server);
    try {
      stopTimeSkippingServers();
      expect(await serverExit).toBe('SIGKILL');
      expect(other.exitCode).toBeNull();
      expect(childProcesses(process.pid).map((c) => c.pid)).toContain(other.pid);
    } finally {
      server.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
