/**
 * Keeps a child process running for `npm start`: when it exits without being asked to, one
 * log line says so and it is started again after a back-off delay (1 s, doubling up to 30 s;
 * back to 1 s once a run lasted a minute), so a worker or API that crashes heals itself while
 * Postgres, Temporal and MailDev keep running. stop() ends the child (SIGTERM, then SIGKILL
 * after a timeout) and no restart ever happens after it was called, not even one already
 * scheduled. A detached child's whole process group ends with it (see endGroup).
 */
import { ChildProcess, spawn, StdioOptions } from 'node:child_process';

export interface SuperviseOptions {
  /** Used in log lines: "<name> exited with code 3; restarting in 1s". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /**
   * Run the child in its own process group, so that Ctrl-C in the terminal reaches only the
   * supervisor, which then stops the child itself (otherwise the child would die of the
   * terminal's SIGINT first and be reported as crashed).
   */
  detached?: boolean;
  log: (line: string) => void;
  /** First back-off delay (default 1 s); it doubles on each crash in a row. */
  initialDelayMs?: number;
  /** Longest back-off delay (default 30 s). */
  maxDelayMs?: number;
  /** A run at least this long (default 60 s) resets the delay to initialDelayMs. */
  resetAfterMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 15 s). */
  stopTimeoutMs?: number;
}

export interface Supervised {
  readonly name: string;
  /** Number of times the child was started (1 after the first start). */
  readonly starts: number;
  /** Pid of the running child, if one runs. */
  pid(): number | undefined;
  /** Stops the child and never restarts it; resolves once it has exited. */
  stop(): Promise<void>;
}

/** "1s", "0.25s", "30s". */
export function formatDelay(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** "with code 3" or "on SIGKILL". */
function describeExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): string {
  if (error !== undefined) return `could not be started (${error.message})`;
  return signal !== null ? `exited on ${signal}` : `exited with code ${code ?? 'unknown'}`;
}

/**
 * Kills what is left of a detached child's process group once the child has exited: a launcher
 * killed outright (`tsx` on SIGKILL, a crash) cannot pass the signal on, and the process it ran
 * would go on as an orphan — a second worker polling the queue, or an API holding the port the
 * restarted one needs. Nothing is left after an orderly exit, so this does nothing then.
 */
function endGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is empty.
  }
}

/** The next delay after `current`, doubling up to `max`. */
export function nextDelay(current: number, max: number): number {
  return Math.min(current * 2, max);
}

export function supervise(opts: SuperviseOptions): Supervised {
  const initialDelay = opts.initialDelayMs ?? 1_000;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const resetAfter = opts.resetAfterMs ?? 60_000;
  const stopTimeout = opts.stopTimeoutMs ?? 15_000;

  let child: ChildProcess | undefined;
  let delay = initialDelay;
  let starts = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = (): void => {
    timer = undefined;
    if (stopped) return;
    starts++;
    const startedAt = Date.now();
    const c = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: opts.stdio ?? 'inherit',
      detached: opts.detached ?? false,
    });
    child = c;
    let ended = false;
    exited = new Promise<void>((resolve) => {
      const onEnd = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
        // A failed spawn emits 'error' (and maybe 'exit'); count the run's end once.
        if (ended) return;
        ended = true;
        if (child === c) child = undefined;
        if (opts.detached && c.pid !== undefined) endGroup(c.pid);
        resolve();
        if (stopped) return;
        if (Date.now() - startedAt >= resetAfter) delay = initialDelay;
        opts.log(`${opts.name} ${describeExit(code, signal, error)}; restarting in ${formatDelay(delay)}`);
        timer = setTimeout(start, delay);
        delay = nextDelay(delay, maxDelay);
      };
      c.once('exit', (code, signal) => onEnd(code, signal));
      c.once('error', (err) => {
        // 'error' also comes when a kill fails on a running child; only a spawn failure ends the run.
        if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) onEnd(null, null, err);
      });
    });
  };

  const stop = async (): Promise<void> => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return exited;
    const kill = setTimeout(() => c.kill('SIGKILL'), stopTimeout);
    c.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  };

  start();
  return {
    name: opts.name,
    get starts() {
      return starts;
    },
    pid: () => child?.pid,
    stop,
  };
}
