import { rmSync } from 'node:fs';
import { childProcesses } from '../../scripts/lib/services';

/**
 * The time-skipping test servers of this run (the SDK's core spawns one per workflow test file
 * and stops it in the file's teardown): a run interrupted by Ctrl-C or SIGTERM mid-file exits
 * before that teardown, and the server would be left running.
 */
export function stopTimeSkippingServers(): void {
  for (const child of childProcesses(process.pid)) {
    if (!/temporal-test-server/.test(child.command)) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export default async function globalTeardown(): Promise<void> {
  stopTimeSkippingServers();
  const state = globalThis.__testServices;
  if (!state) return;
  for (const s of [...state.services].reverse()) await s.stop().catch(() => undefined);
  rmSync(state.dir, { recursive: true, force: true });
}
