/** The environment npm start and the bench give the API and the worker (scripts/lib/process-env.ts). */
import { spawnSync } from 'node:child_process';
import { appProcessEnv, MALLOC_ARENA_MAX_DEFAULT } from '../../scripts/lib/process-env';

describe('appProcessEnv', () => {
  it('adds the malloc arena bound, keeps every other variable and leaves its input alone', () => {
    const given = { PATH: '/bin', DATABASE_URL: 'postgresql://x' };
    const env = appProcessEnv(given);
    expect(env).toEqual({ ...given, MALLOC_ARENA_MAX: MALLOC_ARENA_MAX_DEFAULT });
    expect(given).not.toHaveProperty('MALLOC_ARENA_MAX');
  });

  it("keeps an operator's own value; an empty one counts as unset", () => {
    expect(appProcessEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
    expect(appProcessEnv({ MALLOC_ARENA_MAX: '' }).MALLOC_ARENA_MAX).toBe(MALLOC_ARENA_MAX_DEFAULT);
  });

  it('reaches a process started with it', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.MALLOC_ARENA_MAX ?? "")'], {
      env: appProcessEnv({ PATH: process.env.PATH }),
      encoding: 'utf8',
    });
    expect(child.stdout).toBe(MALLOC_ARENA_MAX_DEFAULT);
  });
});
