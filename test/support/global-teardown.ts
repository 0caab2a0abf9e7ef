import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__testServices;
  if (!state) return;
  for (const s of [...state.services].reverse()) await s.stop().catch(() => undefined);
  rmSync(state.dir, { recursive: true, force: true });
}
