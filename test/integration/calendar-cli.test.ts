/**
 * `npm run calendar:load` as an operator runs it: a child process with DATABASE_URL (and
 * optionally TEMPORAL_ADDRESS) in its environment. Writes only the test year 2094.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deriveProvisionalYear, validateSchedule } from '../../domain/calendar';
import { rolloutSettings, startCalendarRollout } from '../../lib/calendar-rollout';
import { loadCalendarYear, readCalendarYears, seedCalendar } from '../../lib/calendar-store';
import { openDeadlineTask, removeProbes, startUnpolledProbe } from '../support/calendar-probes';
import type { Db } from '../../lib/db';
import { testDb } from '../support/env';
import { startTestWorker } from '../support/worker';
import { connectTemporal } from '../../lib/temporal';

const YEAR = 2094;
const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  onStderr: (text: string) => void = () => undefined,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: undefined, ...env };
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
    const child = spawn(TSX, [path.join(ROOT, 'scripts', 'calendar-load.ts'), ...args], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      onStderr(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// 2094-10-01 is a Friday, 2094-10-09 a Saturday. The holidays are the statutory days of
// 全国年节及纪念日放假办法 with their Art. 6 compensation, as deriveProvisionalYear has them (a load
// that drops one is refused).
const statutory = deriveProvisionalYear(YEAR).holidays;
const notice = {
  year: YEAR,
  source: 'CLI test notice 2094',
  holidays: statutory.map((h) => ({ from: h.date, to: h.date, name: h.name })),
  makeupWorkdays: [{ date: '2094-10-09', name: '国庆节调休上班' }],
};

describe('npm run calendar:load (child process)', () => {
  let db: Db;
  let dir: string;
  const file = (name: string, content: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };
  const cleanup = () => db.calendarYear.deleteMany({ where: { year: YEAR } });
  const env = () => ({ DATABASE_URL: process.env.DATABASE_URL });

  beforeAll(async () => {
    db = testDb();
    await seedCalendar(db);
    await cleanup();
    dir = mkdtempSync(path.join(os.tmpdir(), 'calendar-cli-'));
  });
  afterAll(async () => {
    await cleanup();
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects an invalid file with exit 2, one problem per line, and loads nothing', async () => {
    const bad = file('bad.json', {
      ...notice,
      holidays: [...notice.holidays, { from: '2094-10-01', to: '2094-10-02', name: '重叠' }],
      makeupWorkdays: [
        { date: '2094-10-11', name: '周一' },
        { date: '2095-01-02', name: '明年' },
      ],
    });
    const run = await runCli(['--file', bad], env());
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toContain('not a valid schedule');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^holidays\[\d+\]: holidays\[\d+\]（重叠）与 holidays\[\d+\]（国庆节）在 2094-10-0\d 重叠$/,
        ),
        expect.stringMatching(/^ {4}holidays\[\d+\] \(重叠\) overlaps holidays\[\d+\] \(国庆节\)/),
        'makeupWorkdays[0].date: 2094-10-11 是工作日，不是星期六或星期日',
        '    2094-10-11 is a weekday, not a Saturday or Sunday',
        'makeupWorkdays[1].date: 2095-01-02 不在 2094 年内',
        '    2095-01-02 is not in 2094',
      ]),
    );
    expect(run.stdout).toBe('');
    expect(await db.calendarYear.findUnique({ where: { year: YEAR } })).toBeNull();
  });

  it.each<[string, () => string[], RegExp]>([
    ['no --file', () => [], /--file is required/],
    ['an unknown option', () => ['--file', 'x.json', '--force'], /Unknown option '--force'/],
    ['a missing file', () => ['--file', path.join(dir, 'missing.json')], /cannot read .*missing\.json/],
    [
      'a file that is not JSON',
      () => ['--file', file('garbage.json', '{ year: 2094,')],
      /cannot read .*garbage\.json as JSON/,
    ],
  ])('exits 2 on %s', async (_what, args, message) => {
    const run = await runCli(args(), env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('loads a valid file (exit 0, one-line summary), audited under the given actor', async () => {
    const run = await runCli(['--file', file('ok.json', notice), '--actor', 'ops.zhang'], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toContain(
      `${YEAR} loaded as OFFICIAL from "CLI test notice 2094" by ops.zhang: ` +
        `${statutory.length} holiday(s), 1 makeup workday(s); new year`,
    );
    expect(run.stdout).toContain('NOT notified (TEMPORAL_ADDRESS not set)');

    const [stored] = (await readCalendarYears(db)).filter((y) => y.year === YEAR);
    expect(stored).toMatchObject({ status: 'OFFICIAL', source: 'CLI test notice 2094' });
    expect(stored.holidays).toEqual(statutory);
    expect(stored.makeupWorkdays).toEqual([{ date: '2094-10-09', name: '国庆节调休上班' }]);
    const row = await db.calendarYear.findUniqueOrThrow({ where: { year: YEAR } });
    expect(row.loadedBy).toBe('ops.zhang');
    const audit = await db.auditLog.findUniqueOrThrow({
      where: { auditKey: `calendar:${YEAR}:${row.loadedAt.toISOString()}` },
    });
    // Who loaded what: the claimed login, the OS account that ran the command, year, status, counts.
    expect(audit).toMatchObject({
      actor: 'ops.zhang',
      action: 'CALENDAR_YEAR_LOADED',
      entityId: String(YEAR),
      details: {
        status: 'OFFICIAL',
        source: 'CLI test notice 2094',
        holidays: statutory.length,
        makeupWorkdays: 1,
        via: `cli:${os.userInfo().username}`,
        previous: null,
      },
    });
  });

  it('refuses a year without its statutory holidays (放假办法 Art. 2, 6), one problem per line, exit 2', async () => {
    const before = await db.calendarYear.findUnique({ where: { year: YEAR } });
    const run = await runCli(['--file', file('empty.json', { ...notice, holidays: [], makeupWorkdays: [] })], env());
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toContain('not a valid schedule');
    expect(lines).toEqual(
      expect.arrayContaining([
        'holidays: 2094-01-01（元旦）是法定假日（放假办法第二条），但未列为假日',
        expect.stringMatching(/^ {4}2094-01-01 \(元旦, Jan 1\) is a statutory day off/),
        expect.stringMatching(/^holidays: 假期 2094-10-02\.\.2094-10-03（国庆节）.*放假办法第六条/),
        expect.stringMatching(/^ {4}the break 2094-10-02\.\.2094-10-03 \(国庆节\).*Art\. 6/),
      ]),
    );
    expect(run.stdout).toBe('');
    expect(await db.calendarYear.findUnique({ where: { year: YEAR } })).toEqual(before);
  });

  it('with TEMPORAL_ADDRESS, notifies the running procedures and says how many; a reload names what it replaced', async () => {
    // The worker runs the load's rollout; the command follows it to the end.
    const worker = await startTestWorker(db);
    let run: Run;
    try {
      run = await runCli(['--file', file('ok2.json', { ...notice, source: 'CLI test notice 2094 (修订)' })], {
        ...env(),
        TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
        TEMPORAL_TASK_QUEUE: worker.taskQueue,
      });
    } finally {
      await worker.stop();
    }
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('replaced OFFICIAL (CLI test notice 2094)');
    expect(run.stdout).toMatch(
      /; \d+ running procedure\(s\) notified \(\d+ re-timed, \d+ signalled\) by rollout calendar-rollout:2094:/,
    );
    expect(run.stderr).toMatch(/rollout calendar-rollout:2094:\S+ started on task queue api-/);

    expect((await db.calendarYear.findUniqueOrThrow({ where: { year: YEAR } })).source).toBe(
      'CLI test notice 2094 (修订)',
    );

    // With --no-wait and no worker on the queue, it leaves the rollout to the worker and says so.
    const queue = `calendar-cli-nobody-${Date.now()}`;
    const left = await runCli(
      ['--no-wait', '--file', file('ok3.json', { ...notice, source: 'CLI test notice 2094 (三)' })],
      {
        ...env(),
        TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
        TEMPORAL_TASK_QUEUE: queue,
      },
    );
    expect(left.code).toBe(0);
    expect(left.stdout).toMatch(
      /; rollout calendar-rollout:2094:\S+ running \(0 procedure\(s\) notified so far\); not waited for/,
    );
    const id = /rollout (calendar-rollout:2094:\S+) running/.exec(left.stdout)![1];
    const temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
    try {
      await temporal.client.workflow.getHandle(id).terminate('test over');
    } finally {
      await temporal.connection.close();
    }
  });

  it('a followed rollout that a newer load of the year cancels ends the command with exit 0, saying so', async () => {
    const worker = await startTestWorker(db);
    const temporal = await connectTemporal(process.env.TEMPORAL_ADDRESS!, 'default');
    const probe = `calendar-cli-test-probe-${Date.now()}`;
    try {
      // The command's rollout waits 12 s for the probe's answer (it never comes): still running
      // when the second load, an administrator's meanwhile, replaces the version.
      await startUnpolledProbe(temporal.client, probe);
      await openDeadlineTask(db, 'calendar-cli-test', probe, new Date('2094-06-30T16:00:00Z'));
      let started: () => void = () => undefined;
      const rolloutStarted = new Promise<void>((resolve) => (started = resolve));
      const run = runCli(
        ['--file', file('first.json', { ...notice, source: 'CLI test notice 2094 (初版)' })],
        {
          ...env(),
          TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
          TEMPORAL_TASK_QUEUE: worker.taskQueue,
          UPDATE_TIMEOUT_MS: '12000',
        },
        (text) => /rollout calendar-rollout:2094:\S+ started/.test(text) && started(),
      );
      await rolloutStarted;
      const second = await loadCalendarYear(db, { ...notice, source: 'CLI test notice 2094 (更正)' }, 'dsj.admin');
      await startCalendarRollout(
        temporal.client,
        YEAR,
        second.loadedAt,
        rolloutSettings({
          TEMPORAL_TASK_QUEUE: worker.taskQueue,
          CALENDAR_NOTIFY_CONCURRENCY: 4,
          UPDATE_TIMEOUT_MS: 1000,
        }),
        second.previous?.loadedAt,
      );
      const done = await run;
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(/; rollout calendar-rollout:2094:\S+ cancelled: a newer load of the year replaced/);
    } finally {
      await removeProbes(temporal.client, db, 'calendar-cli-test', [probe]);
      await temporal.connection.close();
      await worker.stop();
    }
  });

  it('the example file in calendars/ is a valid schedule and says it is no official notice', () => {
    const example: unknown = JSON.parse(
      readFileSync(path.join(ROOT, 'calendars', '2027.provisional-example.json'), 'utf8'),
    );
    const result = validateSchedule(example);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.status).toBe('PROVISIONAL');
      expect(result.value.source).toMatch(/示例.*not an official notice/);
    }
  });
});
