/**
 * `npm run calendar:load -- --file calendars/2027.json [--actor login] [--no-wait]`
 *
 * Loads one year's holiday schedule (国务院办公厅关于部分节假日安排的通知) into the calendar
 * tables, audited, then starts the rollout workflow that tells the running procedures to recompute
 * their open deadlines (lib/calendar-rollout.ts; the worker runs it) and follows it until it is
 * done, a progress line on stderr every few seconds — or, with --no-wait, leaves it running
 * (interrupting the command leaves it running too; the Temporal UI and
 * GET /api/admin/calendar/years/{year}/rollout show it). A load cancels the rollout of the version
 * it replaced if that one is still running: its follower ends, saying so, with exit code 0.
 * Environment: DATABASE_URL (required); TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
 * TEMPORAL_TASK_QUEUE (optional — without TEMPORAL_ADDRESS the procedures are not notified and the
 * summary says so); CALENDAR_NOTIFY_CONCURRENCY and UPDATE_TIMEOUT_MS (the rollout's pace).
 *
 * The load is audited under --actor (default 'cli:<os user>'); the audit row also records the
 * OS account that ran the command. A schedule that drops a statutory day of
 * 全国年节及纪念日放假办法 (years from 2025) is invalid input like any other.
 *
 * Exit codes: 0 loaded (and notified, or with --no-wait the rollout started, if TEMPORAL_ADDRESS is set); 2 bad arguments or invalid
 * input (each problem on its own line, "path: message", on stderr; nothing written); 1 any
 * other failure, including "loaded, but the running procedures could not all be notified"
 * (the load stands; running the same load again retries the notification).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { validateSchedule } from '../domain/calendar';
import { calendarRolloutStatus, rolloutSettings, startCalendarRollout } from '../lib/calendar-rollout';
import { loadCalendarYear } from '../lib/calendar-store';
import { settingFromEnv } from '../lib/config';
import { createDb } from '../lib/db';
import { connectTemporal } from '../lib/temporal';

const NAME = 'calendar:load';
const USAGE = `usage: npm run ${NAME} -- --file <schedule.json> [--actor <login>] [--no-wait]`;
/** How often a followed rollout prints where it stands. */
const PROGRESS_EVERY_MS = 5000;

function fail(code: number, lines: string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: { file?: string; actor?: string; help?: boolean; 'no-wait'?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        file: { type: 'string' },
        actor: { type: 'string' },
        'no-wait': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(2, [`${NAME}: ${(err as Error).message}`, USAGE]);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.file) fail(2, [`${NAME}: --file is required`, USAGE]);
  const osUser = `cli:${os.userInfo().username}`;
  const actor = values.actor?.trim() || osUser;

  let input: unknown;
  try {
    input = JSON.parse(readFileSync(values.file, 'utf8'));
  } catch (err) {
    fail(2, [`${NAME}: cannot read ${values.file} as JSON: ${(err as Error).message}`]);
  }

  // Validate before touching the database, so a bad file is reported even without one.
  const checked = validateSchedule(input);
  if (!checked.ok) {
    fail(2, [
      `${NAME}: ${values.file} is not a valid schedule (${checked.errors.length} problem(s)); nothing was loaded`,
      // One problem a line in Chinese, its English on the line below (indented), so that
      // `grep '^holidays'` still finds every problem.
      ...checked.errors.flatMap((e) => [`${e.path || 'input'}: ${e.zh}`, `    ${e.en}`]),
    ]);
  }

  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) fail(2, [`${NAME}: DATABASE_URL must be set`]);
  const db = createDb(databaseUrl);
  try {
    const loaded = await loadCalendarYear(db, input, actor, { via: osUser });
    const previous = loaded.previous ? `replaced ${loaded.previous.status} (${loaded.previous.source})` : 'new year';
    let procedures: string;
    const address = process.env.TEMPORAL_ADDRESS;
    if (!address) {
      procedures = 'running procedures NOT notified (TEMPORAL_ADDRESS not set)';
    } else {
      try {
        const temporal = await connectTemporal(address, process.env.TEMPORAL_NAMESPACE || 'default');
        try {
          const settings = rolloutSettings({
            TEMPORAL_TASK_QUEUE: settingFromEnv('TEMPORAL_TASK_QUEUE'),
            CALENDAR_NOTIFY_CONCURRENCY: settingFromEnv('CALENDAR_NOTIFY_CONCURRENCY'),
            UPDATE_TIMEOUT_MS: settingFromEnv('UPDATE_TIMEOUT_MS'),
          });
          const id = await startCalendarRollout(
            temporal.client,
            loaded.year,
            loaded.loadedAt,
            settings,
            loaded.previous?.loadedAt,
          );
          process.stderr.write(`${NAME}: rollout ${id} started on task queue ${settings.taskQueue}\n`);
          for (;;) {
            const status = await calendarRolloutStatus(temporal.client, id, values['no-wait'] ? 0 : PROGRESS_EVERY_MS);
            if (!status) throw new Error(`rollout ${id} not found`);
            if (status.state === 'DONE') {
              procedures =
                `${status.notified} running procedure(s) notified (${status.retimed} re-timed, ` +
                `${status.signalled} signalled) by rollout ${id}`;
              break;
            }
            if (status.state === 'FAILED') throw new Error(status.error ?? `rollout ${id} failed`);
            if (status.state === 'CANCELLED') {
              // A newer load of the year took over while this one was under way.
              procedures = `rollout ${id} ${status.error ?? 'cancelled'}`;
              break;
            }
            const told = `${status.notified}${status.targeted === null ? '' : `/${status.targeted}`}`;
            if (values['no-wait']) {
              procedures = `rollout ${id} running (${told} procedure(s) notified so far); not waited for`;
              break;
            }
            const where =
              status.targeted === null
                ? `waiting for a worker on task queue ${settings.taskQueue} to run it`
                : `${told} procedure(s) notified`;
            process.stderr.write(`${NAME}: rollout ${id}: ${where}${status.error ? `; ${status.error}` : ''}\n`);
          }
        } finally {
          await temporal.connection.close();
        }
      } catch (err) {
        process.exitCode = 1;
        procedures = `running procedures NOT (all) notified: ${(err as Error).message}; run the load again to retry`;
      }
    }
    process.stdout.write(
      `${NAME}: ${loaded.year} loaded as ${loaded.status} from "${loaded.source}" by ${actor}: ` +
        `${loaded.holidays} holiday(s), ${loaded.makeupWorkdays} makeup workday(s); ${previous}; ${procedures}\n`,
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((err: Error & { code?: string; details?: unknown }) => {
  process.stderr.write(`${NAME}: ${err.message}\n`);
  process.exit(1);
});
