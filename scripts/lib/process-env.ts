/**
 * The environment the API and the worker start with, beside their settings (lib/config.ts).
 *
 * MALLOC_ARENA_MAX: glibc's malloc gives threads that allocate at the same time arenas of their
 * own, up to eight per core, and keeps the memory freed in each. The worker allocates from many
 * threads (Temporal's core runtime, the workflow thread, libuv's pool), so its RSS grew by about
 * 100 MiB over the same work with the default compared with two arenas (`npm run bench`: idle, at
 * 500 open procedures and after a restart alike), for no measurable change in speed. glibc reads
 * it once, when a process starts, so it is set where the processes are started: `npm start`
 * (scripts/start.ts), the bench's stack and the image (Dockerfile). A value already in the
 * environment is kept.
 */
export const MALLOC_ARENA_MAX_DEFAULT = '2';

export function appProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX || MALLOC_ARENA_MAX_DEFAULT };
}
