/**
 * Keeps a service of `npm start` (Postgres, Temporal, MailDev) running: its processes are looked
 * at every few seconds, and when they have all gone without being asked to (killed, crashed, the
 * OOM killer), one line says so and the service is started again the way it was first started,
 * on the same ports and data, after a back-off (1 s, doubling up to 30 s while starts fail). The
 * worker and the API reconnect by themselves. stop() stops the service and cancels any restart.
 */
import { oneLine } from '../../lib/one-line';
import { isAlive, type Service } from './services';
import { formatDelay, nextDelay } from './supervise';

export interface KeepRunningOptions<S extends Service> {
  /** Used in log lines: "Postgres stopped unexpectedly; restarting in 1s". */
  label: string;
  start: () => Promise<S>;
  log: (line: string) => void;
  /** How often the processes are looked at (default 2 s). */
  pollMs?: number;
  /** First back-off delay (default 1 s); doubles while starts fail. */
  initialDelayMs?: number;
  /** Longest back-off delay (default 30 s). */
  maxDelayMs?: number;
}

export interface Kept<S extends Service> extends Service {
  /** The running instance (the latest start). */
  current(): S;
  /** Times the service was started, the first start included. */
  readonly starts: number;
}

/** Starts the service and keeps it running until stop(). */
export async function keepRunning<S extends Service>(opts: KeepRunningOptions<S>): Promise<Kept<S>> {
  const pollMs = opts.pollMs ?? 2000;
  const initialDelayMs = opts.initialDelayMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  let service = await opts.start();
  let starts = 1;
  let stopped = false;
  let restarting = false;
  let timer: NodeJS.Timeout | undefined;
  /** A start under way: stop() waits for it (and stops what it started). */
  let starting: Promise<unknown> | undefined;

  const schedule = (ms: number, fn: () => void) => {
    if (!stopped) timer = setTimeout(fn, ms);
  };
  const attempt = async (delayMs: number): Promise<void> => {
    try {
      const s = await opts.start();
      if (stopped) {
        await s.stop();
        return;
      }
      service = s;
      starts += 1;
      restarting = false;
      opts.log(`${opts.label} is running again`);
      schedule(pollMs, watch);
    } catch (err) {
      if (stopped) return;
      const next = nextDelay(delayMs, maxDelayMs);
      opts.log(`${opts.label} could not be started again: ${oneLine(err)}; next try in ${formatDelay(next)}`);
      restart(next);
    }
  };
  const restart = (delayMs: number) =>
    schedule(delayMs, () => {
      starting = attempt(delayMs).finally(() => {
        starting = undefined;
      });
    });
  const watch = () => {
    if (stopped || restarting) return;
    const pids = service.pids();
    if (pids.length > 0 && pids.some(isAlive)) {
      schedule(pollMs, watch);
      return;
    }
    restarting = true;
    opts.log(`${opts.label} stopped unexpectedly; restarting in ${formatDelay(initialDelayMs)}`);
    restart(initialDelayMs);
  };
  schedule(pollMs, watch);

  return {
    get name() {
      return service.name;
    },
    get url() {
      return service.url;
    },
    get starts() {
      return starts;
    },
    current: () => service,
    pids: () => service.pids(),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      if (starting) await starting.catch(() => undefined);
      // A service that died and is not back has nothing left to stop.
      else if (!restarting) await service.stop();
    },
  };
}
