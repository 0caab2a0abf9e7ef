/**
 * `npm run bench`: speed and memory of the whole stack on this machine, each figure beside a
 * baseline measured in the same run (bare Temporal, or the API's health check), so the ratio
 * says how much the application adds. Not a test: nothing here passes or fails on a figure.
 *
 *   npm run bench                       # every scenario at the sizes of issue 14
 *   npm run bench -- --quick            # small sizes, for trying it out (about two minutes)
 *   npm run bench -- --inbox=1000,10000 --procedures=1000 --cases=100
 *   npm run bench -- --worker-cache=200  # WORKER_MAX_CACHED_WORKFLOWS of the worker (default: config's)
 *   npm run bench -- --bundle-at-start   # the worker bundles its workflows at start (default: built
 *                                        # beforehand and loaded, as the production image does)
 *
 * Prints progress lines and a Markdown table; writes the figures as JSON to
 * bench/results/<timestamp>.json (and bench/results/latest.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { baselineActivities, firstRun } from './baseline/activities';
import { ping, poke, stop as stopUpdatable } from './baseline/workflows';
import { encodeCursor } from '../api/kit/paging';
import { WorkingCalendar, shanghaiDate } from '../domain/calendar';
import { readCalendarYears, workflowsWithDeadlinesIn } from '../lib/calendar-store';
import { settingFromEnv } from '../lib/config';
import { run, Stats, summarise, until } from './lib/load';
import { cpuBetween, CpuSample, startStack, Stack, treeRss } from './lib/stack';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'] as const;
  }),
);
const quick = args.get('quick') === 'true';
const list = (name: string, fallback: number[]) => (args.has(name) ? args.get(name)!.split(',').map(Number) : fallback);
const INBOX_SIZES = list('inbox', quick ? [1000, 10000] : [1000, 10000, 100000]);
const PROCEDURE_SIZES = list('procedures', quick ? [500] : [1000, 10000]);
const CASES = Number(args.get('cases') ?? (quick ? 50 : 200));
const CONCURRENCY = Number(args.get('concurrency') ?? 10);
const PAGE_REQUESTS = Number(args.get('page-requests') ?? (quick ? 200 : 500));
const WORKER_CACHE = args.get('worker-cache');

const started = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
const MiB = 1024 * 1024;

interface Row {
  scenario: string;
  figure: string;
  value: number;
  baseline?: string;
  baselineValue?: number;
  /** value / baseline, oriented so that 1 means "as good as the baseline" for rates. */
  ratio?: number;
  unit: string;
}
const rows: Row[] = [];
const raw: Record<string, unknown> = {};

function add(row: Row) {
  rows.push(row);
  const base = row.baseline ? ` (baseline ${row.baseline}: ${fmt(row.baselineValue!)}, ratio ${fmt(row.ratio!)})` : '';
  log(`${row.scenario}: ${row.figure} ${fmt(row.value)} ${row.unit}${base}`);
}
/**
 * Whole-stack CPU per case of a phase beside its bare baseline's (Temporal and this process, which
 * runs the bare worker), with the split by part in the log: where the time goes.
 */
function addCpu(
  scenario: string,
  what: string,
  used: ReturnType<typeof cpuBetween>,
  bare: ReturnType<typeof cpuBetween>,
) {
  const parts = (Object.keys(used) as (keyof CpuSample)[]).filter((k) => k !== ('total' as never));
  log(`${scenario}: CPU ms per ${what} by part: ${parts.map((k) => `${k} ${fmt(used[k])}`).join(', ')}`);
  raw[`cpu ${scenario}`] = { used, bare };
  add({
    scenario,
    figure: `CPU per ${what}, whole stack`,
    value: used.total,
    baseline: `bare (Temporal + bare worker)`,
    baselineValue: bare.total,
    // Oriented like a rate: 1 means as cheap as bare.
    ratio: bare.total / used.total,
    unit: 'ms',
  });
}
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n.toFixed(2));

// ---------------------------------------------------------------------------------------------
let stack: Stack;
// The API's answers are read by field name only; their shapes are the API's business.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = { status: number; body: any };
const tokens = new Map<string, string>();

async function call(login: string | null, method: string, url: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (login) headers.authorization = `Bearer ${await token(login)}`;
  const res = await fetch(stack.api + url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
/** A request that may take minutes (a calendar load signalling 10,000 procedures): fetch gives up after 300 s. */
async function callSlow(login: string, method: string, url: string, body: unknown): Promise<Answer> {
  const payload = JSON.stringify(body);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    authorization: `Bearer ${await token(login)}`,
  };
  return new Promise((resolve, reject) => {
    const req = http.request(stack.api + url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
async function token(login: string): Promise<string> {
  if (!tokens.has(login)) {
    const res = await fetch(`${stack.api}/api/dev/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login }),
    });
    if (res.status !== 201) throw new Error(`token for ${login}: ${res.status}`);
    tokens.set(login, ((await res.json()) as { token: string }).token);
  }
  return tokens.get(login)!;
}
async function expectStatus(p: Promise<Answer>, ...ok: number[]) {
  const res = await p;
  if (!ok.includes(res.status)) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

let seq = 0;
const submission = () => ({
  idempotencyKey: `bench-${process.pid}-${++seq}`,
  resourceCodes: ['GAJ-001'],
  purpose: '核验社会保险待遇领取人员户籍状态（性能测试）',
  legalDuty: '《社会保险法》第八十一条',
  fieldsRequested: ['姓名', '公民身份号码'],
  usePeriodDays: 90,
  accessMode: 'INTERFACE',
});

/** Starts `count` conditional shares over the API; returns application numbers and answer times. */
interface Submitted {
  stats: Stats;
  /** When each case's POST was sent and answered, by case number. */
  sent: Map<string, number>;
  answered: Map<string, number>;
  /** Answers that listed the first inbox task (the first step done within START_ANSWER_WAIT_MS). */
  withFirstTask: number;
}

async function submitCases(count: number, label: string): Promise<Submitted> {
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  let withFirstTask = 0;
  const stats = await run(
    count,
    CONCURRENCY,
    async () => {
      const at = Date.now();
      const body = await expectStatus(call('rsj.staff', 'POST', '/api/applications', submission()), 201);
      sent.set(body.applicationNo as string, at);
      answered.set(body.applicationNo as string, Date.now());
      if ((body.tasks as Array<{ step: string }>).some((t) => t.step === 'PROVIDER_REPLY')) withFirstTask += 1;
    },
    (done) => log(`${label}: ${done}/${count} submitted`),
  );
  return { stats, sent, answered, withFirstTask };
}

async function tasksFor(numbers: string[], step: string) {
  const out = new Map<string, { id: string; createdAt: Date }>();
  for (let i = 0; i < numbers.length; i += 1000) {
    const part = await stack.db.task.findMany({
      where: { step, application: { applicationNo: { in: numbers.slice(i, i + 1000) } } },
      select: { id: true, createdAt: true, application: { select: { applicationNo: true } } },
    });
    for (const t of part) out.set(t.application!.applicationNo, t);
  }
  return out;
}

/** Waits until the outbox has sent every mail queued so far: a phase's CPU then includes its mail. */
async function outboxDrained() {
  await until(
    'the outbox to send its mail',
    async () => (await stack.db.notification.count({ where: { status: 'PENDING' } })) === 0,
  );
}

/** Waits until every case has a task of `step`; returns latency from `answered` to its creation. */
async function visibleAfter(answered: Map<string, number>, step: string) {
  const numbers = [...answered.keys()];
  let found = new Map<string, { id: string; createdAt: Date }>();
  await until(`${step} tasks of ${numbers.length} cases`, async () => {
    found = await tasksFor(numbers, step);
    return found.size === numbers.length;
  });
  const lat = numbers.map((no) => Math.max(0, found.get(no)!.createdAt.getTime() - answered.get(no)!));
  return { tasks: found, stats: summarise(lat, 1) };
}

// ---------------------------------------------------------------------------------------------
async function main() {
  log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`,
  );
  log(`sizes: cases ${CASES}, concurrency ${CONCURRENCY}, procedures ${PROCEDURE_SIZES}, inbox ${INBOX_SIZES}`);
  stack = await startStack(log, WORKER_CACHE === undefined ? {} : { WORKER_MAX_CACHED_WORKFLOWS: WORKER_CACHE }, {
    bundleAtStart: args.get('bundle-at-start') === 'true',
    signal: starting.signal,
  });
  const workerCache = settingFromEnv('WORKER_MAX_CACHED_WORKFLOWS', stack.env);
  log(`worker: WORKER_MAX_CACHED_WORKFLOWS=${workerCache}`);
  const workerRss = () => treeRss(stack.workerPid()!);
  await new Promise((r) => setTimeout(r, 5000)); // the worker loads (or bundles) its workflows at start
  add({ scenario: 'worker memory', figure: 'RSS, 0 open procedures', value: workerRss() / MiB, unit: 'MiB' });

  // Baseline worker for bare workflows, in this process, on its own task queue.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  const baseWorker = await Worker.create({
    connection,
    taskQueue: 'bench-baseline',
    workflowsPath: require.resolve('./baseline/workflows'),
    activities: baselineActivities,
  });
  const baseRun = baseWorker.run();
  const client = new Client({ connection: await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! }) });

  // Health check: the floor of any API request on this machine.
  const health = await run(Math.max(1000, PAGE_REQUESTS * 2), CONCURRENCY, async () => {
    await expectStatus(call(null, 'GET', '/healthz'), 200);
  });
  raw.healthz = health;
  add({ scenario: 'API floor', figure: 'GET /healthz rate', value: health.perSecond, unit: 'req/s' });
  add({ scenario: 'API floor', figure: 'GET /healthz p99', value: health.p99Ms, unit: 'ms' });

  // Starts.
  const bareStartAt = new Map<string, number>();
  const cpuBareStart = stack.cpu();
  const bareStart = await run(CASES, CONCURRENCY, async (i) => {
    const id = `bench-one-${process.pid}-${i}`;
    await client.workflow.start('oneActivity', { taskQueue: 'bench-baseline', workflowId: id, args: [id] });
    bareStartAt.set(id, Date.now());
  });
  await until('bare workflows to run their activity', async () => firstRun.size >= CASES);
  const bareStartCpu = cpuBetween(cpuBareStart, stack.cpu(), CASES);
  const bareFirst = summarise(
    [...bareStartAt].map(([id, t]) => Math.max(0, firstRun.get(id)! - t)),
    1,
  );
  log('starting procedures over the API');
  const cpuStarts = stack.cpu();
  const starts = await submitCases(CASES, 'starts');
  const firstTask = await visibleAfter(starts.answered, 'PROVIDER_REPLY');
  await outboxDrained();
  const startCpu = cpuBetween(cpuStarts, stack.cpu(), CASES);
  raw.starts = { bare: bareStart, procedure: starts.stats, firstTask: firstTask.stats, bareFirstActivity: bareFirst };
  add({
    scenario: 'start (conditional share)',
    figure: 'rate',
    value: starts.stats.perSecond,
    baseline: 'bare workflow start',
    baselineValue: bareStart.perSecond,
    ratio: starts.stats.perSecond / bareStart.perSecond,
    unit: '/s',
  });
  add({ scenario: 'start (conditional share)', figure: 'POST p99', value: starts.stats.p99Ms, unit: 'ms' });
  add({
    scenario: 'start (conditional share)',
    figure: 'first inbox task after the answer, p99',
    value: firstTask.stats.p99Ms,
    baseline: 'bare start → first activity p99',
    baselineValue: bareFirst.p99Ms,
    ratio: bareFirst.p99Ms > 0 ? firstTask.stats.p99Ms / bareFirst.p99Ms : Number.NaN,
    unit: 'ms',
  });
  // The answer waits for the first step (START_ANSWER_WAIT_MS): the whole time a submitter sees.
  const fromSent = (await visibleAfter(starts.sent, 'PROVIDER_REPLY')).stats;
  add({
    scenario: 'start (conditional share)',
    figure: 'first inbox task after the POST was sent, p99',
    value: fromSent.p99Ms,
    baseline: 'bare start → first activity p99',
    baselineValue: bareFirst.p99Ms,
    ratio: bareFirst.p99Ms > 0 ? fromSent.p99Ms / bareFirst.p99Ms : Number.NaN,
    unit: 'ms',
  });
  add({
    scenario: 'start (conditional share)',
    figure: 'answers listing the first inbox task',
    value: starts.withFirstTask,
    unit: `of ${CASES}`,
  });
  addCpu('start (conditional share)', 'start', startCpu, bareStartCpu);

  // Decisions.
  const updIds = Array.from({ length: CASES }, (_, i) => `bench-upd-${process.pid}-${i}`);
  for (const id of updIds) await client.workflow.start('updatable', { taskQueue: 'bench-baseline', workflowId: id });
  const cpuBareUpdate = stack.cpu();
  const bareUpdate = await run(CASES, CONCURRENCY, async (i) => {
    await client.workflow.getHandle(updIds[i]).executeUpdate(poke, { args: [i] });
  });
  const bareUpdateCpu = cpuBetween(cpuBareUpdate, stack.cpu(), CASES);
  const replyTasks = firstTask.tasks;
  const numbers = [...starts.answered.keys()];
  const decidedAt = new Map<string, number>();
  const cpuDecisions = stack.cpu();
  const decisions = await run(
    numbers.length,
    CONCURRENCY,
    async (i) => {
      const no = numbers[i];
      await expectStatus(
        call('gaj.reviewer', 'POST', `/api/tasks/${replyTasks.get(no)!.id}/complete`, {
          decision: 'AGREE',
          comment: '同意共享',
        }),
        200,
      );
      decidedAt.set(no, Date.now());
    },
    (done) => log(`decisions: ${done}/${numbers.length}`),
  );
  const nextTask = await visibleAfter(decidedAt, 'AUTHORITY_REVIEW');
  await outboxDrained();
  const decisionCpu = cpuBetween(cpuDecisions, stack.cpu(), numbers.length);
  raw.decisions = { bare: bareUpdate, procedure: decisions, nextTask: nextTask.stats };
  add({
    scenario: 'decision (provider agrees)',
    figure: 'rate',
    value: decisions.perSecond,
    baseline: 'bare Update + activity',
    baselineValue: bareUpdate.perSecond,
    ratio: decisions.perSecond / bareUpdate.perSecond,
    unit: '/s',
  });
  add({
    scenario: 'decision (provider agrees)',
    figure: 'p99',
    value: decisions.p99Ms,
    baseline: 'bare Update p99',
    baselineValue: bareUpdate.p99Ms,
    ratio: decisions.p99Ms / bareUpdate.p99Ms,
    unit: 'ms',
  });
  add({
    scenario: 'decision (provider agrees)',
    figure: 'next task visible after the answer, p99',
    value: nextTask.stats.p99Ms,
    unit: 'ms',
  });
  addCpu('decision (provider agrees)', 'decision', decisionCpu, bareUpdateCpu);
  await Promise.all(updIds.map((id) => client.workflow.getHandle(id).executeUpdate(stopUpdatable)));

  // History of one case driven to approval, waiting for expiry.
  const sample = numbers[0];
  const workflowId = `conditional-share/${sample}`;
  const historyLength = async () => (await client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
  const atSecondTask = await historyLength();
  await expectStatus(
    call('dsj.reviewer', 'POST', `/api/tasks/${nextTask.tasks.get(sample)!.id}/complete`, {
      decision: 'APPROVE',
      comment: '同意',
    }),
    200,
  );
  const confirms = await (async () => {
    let found: { id: string; candidateRole: string }[] = [];
    await until('agreement confirmation tasks', async () => {
      found = await stack.db.task.findMany({
        where: { step: 'AGREEMENT_CONFIRM', status: 'OPEN', application: { applicationNo: sample } },
        select: { id: true, candidateRole: true },
      });
      return found.length === 2;
    });
    return found;
  })();
  for (const t of confirms) {
    const login = t.candidateRole === 'PROVIDER_REVIEWER' ? 'gaj.reviewer' : 'rsj.staff';
    await expectStatus(call(login, 'POST', `/api/tasks/${t.id}/complete`, { decision: 'CONFIRM' }), 200);
  }
  await until(
    'the grant',
    async () => (await stack.db.application.findFirst({ where: { applicationNo: sample } }))?.status === 'APPROVED',
  );
  await until('a quiet workflow', async () => {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.raw.pendingActivities?.length === 0;
  });
  const approved = await historyLength();
  raw.history = { atAuthorityReview: atSecondTask, approvedWaitingForExpiry: approved };
  add({
    scenario: 'history',
    figure: 'conditional share, events until authority review',
    value: atSecondTask,
    unit: 'events',
  });
  add({
    scenario: 'history',
    figure: 'conditional share, events approved and waiting for expiry',
    value: approved,
    unit: 'events',
  });

  // Worker memory with open procedures (each waits on a provider-reply deadline timer).
  let open = CASES;
  for (const size of PROCEDURE_SIZES) {
    if (size > open) {
      await submitCases(size - open, `open procedures to ${size}`);
      open = size;
    }
    await until(
      `${size} first tasks`,
      async () => (await stack.db.task.count({ where: { step: 'PROVIDER_REPLY' } })) >= size,
      1_800_000,
      1000,
    );
    add({
      scenario: 'worker memory',
      figure: `RSS, ${size} open procedures (workflow cache ${workerCache})`,
      value: workerRss() / MiB,
      unit: 'MiB',
    });
  }

  // A calendar change re-times the open procedures (issue 14 point 7), decisions meanwhile.
  const authorityTasks = numbers.filter((no) => no !== sample).map((no) => nextTask.tasks.get(no)!.id);
  await calendarRetime(client, authorityTasks, bareUpdate);
  // Worker memory and decisions after a worker restart, every procedure still open (point 5).
  await afterWorkerRestart(client, workerRss, workerCache, bareUpdate);

  // Inbox pages over synthetic tasks for one reviewer group (zrzyj reviewers).
  const zrzyj = 'zrzyj';
  let inserted = 0;
  for (const size of INBOX_SIZES) {
    await stack.db.$executeRawUnsafe(
      `INSERT INTO task (id, task_key, workflow_id, procedure, step, status, candidate_dept_id, candidate_role,
         allowed_decisions, title, due_at, created_at)
       SELECT gen_random_uuid()::text, 'bench:' || g, 'bench/' || g, 'CONDITIONAL_SHARE'::"Procedure", 'PROVIDER_REPLY',
         (CASE WHEN g % 10 = 0 THEN 'DONE' ELSE 'OPEN' END)::"TaskStatus", $1, 'PROVIDER_REVIEWER'::"Role", ARRAY['AGREE','REFUSE'],
         '性能测试任务 ' || g, now() + (g % 9973) * interval '1 minute', now()
       FROM generate_series($2::int, $3::int) AS g`,
      zrzyj,
      inserted + 1,
      size,
    );
    inserted = size;
    await stack.db.$executeRawUnsafe('ANALYZE task');
    const first = await run(PAGE_REQUESTS, CONCURRENCY, async () => {
      await expectStatus(call('zrzyj.reviewer', 'GET', '/api/inbox?limit=20'), 200);
    });
    // A deep page: the cursor of a task half-way down the due order.
    const middle = await stack.db.task.findMany({
      where: { candidateDeptId: zrzyj, status: 'OPEN' },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      skip: Math.floor(size * 0.45),
      take: 1,
      select: { id: true },
    });
    const deep = await run(PAGE_REQUESTS, CONCURRENCY, async () => {
      await expectStatus(
        call('zrzyj.reviewer', 'GET', `/api/inbox?limit=20&cursor=${encodeCursor(middle[0].id)}`),
        200,
      );
    });
    raw[`inbox-${size}`] = { first, deep };
    for (const [figure, s] of [
      ['first page', first],
      ['deep page', deep],
    ] as const) {
      add({
        scenario: `inbox, ${size} tasks in the group`,
        figure: `${figure} p99`,
        value: s.p99Ms,
        baseline: 'healthz p99',
        baselineValue: health.p99Ms,
        ratio: s.p99Ms / health.p99Ms,
        unit: 'ms',
      });
      add({
        scenario: `inbox, ${size} tasks in the group`,
        figure: `${figure} rate`,
        value: s.perSecond,
        unit: 'req/s',
      });
    }
  }

  baseWorker.shutdown();
  await baseRun;
  await connection.close();
}

/** Decisions at CONCURRENCY, as rows beside the bare Update + activity of the same run. */
async function decide(scenario: string, login: string, taskIds: string[], decision: string, bareUpdate: Stats) {
  // 202 DECISION_PENDING: the procedure did not answer within UPDATE_TIMEOUT_MS (kept, applied later).
  let pendingAnswers = 0;
  const stats = await run(
    taskIds.length,
    CONCURRENCY,
    async (i) => {
      const res = await call(login, 'POST', `/api/tasks/${taskIds[i]}/complete`, { decision, comment: '同意' });
      if (res.status === 202) pendingAnswers++;
      else if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
    },
    (done) => log(`${scenario}: ${done}/${taskIds.length} decisions`),
  );
  add({
    scenario,
    figure: 'decision rate',
    value: stats.perSecond,
    baseline: 'bare Update + activity',
    baselineValue: bareUpdate.perSecond,
    ratio: stats.perSecond / bareUpdate.perSecond,
    unit: '/s',
  });
  add({
    scenario,
    figure: 'decision p99',
    value: stats.p99Ms,
    baseline: 'bare Update p99',
    baselineValue: bareUpdate.p99Ms,
    ratio: stats.p99Ms / bareUpdate.p99Ms,
    unit: 'ms',
  });
  add({
    scenario,
    figure: 'decisions answered 202 DECISION_PENDING',
    value: pendingAnswers,
    unit: `of ${taskIds.length}`,
  });
  return { ...stats, pendingAnswers };
}

/**
 * The stored schedule of `year` as the admin endpoint takes it, with `extraHoliday` (if given)
 * added as a day off.
 */
async function scheduleOf(year: number, extraHoliday?: string) {
  const stored = (await readCalendarYears(stack.db)).find((y) => y.year === year);
  if (!stored) throw new Error(`bench: calendar year ${year} is not stored`);
  const holidays = stored.holidays.map((h) => ({ from: h.date, to: h.date, name: h.name }));
  if (extraHoliday) holidays.push({ from: extraHoliday, to: extraHoliday, name: '性能测试假日' });
  holidays.sort((a, b) => a.from.localeCompare(b.from));
  return {
    status: stored.status,
    source: `${stored.source} (bench: ${extraHoliday ?? 'reloaded unchanged'})`,
    holidays,
    makeupWorkdays: stored.makeupWorkdays,
  };
}

/**
 * Issue 14 point 7. Baseline: N bare workflows each waiting for a signal that runs one no-op
 * activity, signalled CALENDAR_NOTIFY_CONCURRENCY at a time (fire and forget: Temporal queues them). Then the real thing: the admin
 * endpoint loads the current year with one more holiday — the first working day every open
 * deadline counts — so every targeted procedure's deadline moves by a day; re-timed = its inbox
 * row's due_at changed (the recompute activity wrote it; the workflow's timer follows in the same
 * workflow task). Meanwhile decisions on the authority-review tasks, at CONCURRENCY. Also a load
 * of a year no open deadline counts: it must signal nobody.
 */
async function calendarRetime(client: Client, authorityTasks: string[], bareUpdate: Stats) {
  const scenario = 'calendar re-time';
  const open = await stack.db.task.findMany({
    where: { status: { in: ['OPEN', 'CLAIMED'] }, workingDays: { not: null }, pausedAt: null, dueAt: { not: null } },
    select: { id: true, workflowId: true, dueAt: true, createdAt: true, deadlineFrom: true },
  });
  const calendar = new WorkingCalendar(await readCalendarYears(stack.db));
  const starts = open.map((t) => (t.deadlineFrom ?? t.createdAt).getTime());
  const day = calendar.addWorkingDays(shanghaiDate(new Date(Math.max(...starts))), 1);
  const year = Number(day.slice(0, 4));
  const dueDate = (t: { dueAt: Date | null }) => shanghaiDate(new Date(t.dueAt!.getTime() - 1));
  // Every open deadline that counts `day` moves; the rule of the API picks the procedures.
  const moving = open.filter((t) => shanghaiDate(t.deadlineFrom ?? t.createdAt) < day && dueDate(t) >= day);
  const targets = await workflowsWithDeadlinesIn(stack.db, year);
  const movingWorkflows = new Set(moving.map((t) => t.workflowId));
  log(
    `${scenario}: ${open.length} open deadlines in ${new Set(open.map((t) => t.workflowId)).size} procedures; ` +
      `${day} becomes a holiday: ${targets.length} procedures targeted, ${movingWorkflows.size} of them move`,
  );
  const n = targets.length;
  const concurrency = settingFromEnv('CALENDAR_NOTIFY_CONCURRENCY', stack.env);

  // Baseline: bare signals (+ one activity each) to as many workflows.
  const ids = Array.from({ length: n }, (_, i) => `bench-sig-${process.pid}-${i}`);
  await run(
    n,
    CONCURRENCY * 2,
    async (i) => {
      await client.workflow.start('signalled', { taskQueue: 'bench-baseline', workflowId: ids[i], args: [ids[i]] });
    },
    (done) => log(`${scenario}: ${done}/${n} bare workflows started`),
  );
  const t0 = performance.now();
  const sent = await run(n, concurrency, async (i) => {
    await client.workflow.getHandle(ids[i]).signal(ping);
  });
  await until('bare signals to be handled', async () => ids.every((id) => firstRun.has(id)), 1_800_000, 20);
  const bareSeconds = (performance.now() - t0) / 1000;
  const bareRate = n / bareSeconds;

  // The calendar change, decisions meanwhile.
  const body = await scheduleOf(year, day);
  const pending = () =>
    stack.db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM task t JOIN unnest($1::text[], $2::text[]) AS s(id, due) ON s.id = t.id
        WHERE t.status IN ('OPEN', 'CLAIMED') AND t.due_at = s.due::timestamptz`,
      moving.map((t) => t.id),
      moving.map((t) => t.dueAt!.toISOString()),
    );
  const t1 = performance.now();
  let answeredAfter = 0;
  let doneAfter = 0;
  let notified = 0;
  // The PUT answers when the load's rollout is done or after CALENDAR_ANSWER_WAIT_MS (RUNNING); then it is followed.
  const load = (async () => {
    const answer = await expectStatus(callSlow('dsj.admin', 'PUT', `/api/admin/calendar/years/${year}`, body), 200);
    answeredAfter = (performance.now() - t1) / 1000;
    let status = answer.procedures;
    while (status.state === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 500));
      status = (await expectStatus(call('dsj.admin', 'GET', `/api/admin/calendar/years/${year}/rollout`), 200))
        .procedures;
    }
    if (status.state !== 'DONE') throw new Error(`bench: calendar load: ${status.error ?? status.state}`);
    doneAfter = (performance.now() - t1) / 1000;
    notified = status.notified;
  })();
  const decisions = decide(`${scenario}, decisions meanwhile`, 'dsj.reviewer', authorityTasks, 'APPROVE', bareUpdate);
  const decile = (left: number) => Math.floor(((moving.length - left) * 10) / Math.max(1, moving.length));
  let last = moving.length;
  await until(
    'every targeted deadline to move',
    async () => {
      const [{ n: left }] = await pending();
      if (decile(left) !== decile(last)) log(`${scenario}: ${moving.length - left}/${moving.length} deadlines moved`);
      last = left;
      return left === 0;
    },
    3_600_000,
    250,
  );
  const seconds = (performance.now() - t1) / 1000;
  await load;
  const decided = await decisions;

  const rate = n / seconds;
  raw.calendarRetime = {
    procedures: n,
    day,
    concurrency,
    bare: { seconds: bareSeconds, sent },
    retime: { seconds, answeredAfterSeconds: answeredAfter, rolloutDoneAfterSeconds: doneAfter },
    decisions: decided,
  };
  add({ scenario, figure: `procedures targeted by a change of ${year}`, value: n, unit: 'procedures' });
  // Fewer than targeted when a decision meanwhile closed a task before the API looked.
  add({ scenario, figure: 'procedures told (the rollout, when done)', value: notified, unit: `of ${n}` });
  add({
    scenario,
    figure: 'rate, load → every deadline moved',
    value: rate,
    baseline: 'bare signal + activity',
    baselineValue: bareRate,
    ratio: rate / bareRate,
    unit: '/s',
  });
  // The rollout is done once every procedure has answered its Update (re-timed) or was signalled.
  add({
    scenario,
    figure: 'rate, load → rollout done',
    value: n / doneAfter,
    baseline: 'bare signal + activity',
    baselineValue: bareRate,
    ratio: n / doneAfter / bareRate,
    unit: '/s',
  });
  add({ scenario, figure: 'PUT answered after', value: answeredAfter * 1000, unit: 'ms' });

  // A year no open deadline counts: nobody is signalled.
  const other = year + 2;
  const t2 = performance.now();
  const none = await expectStatus(
    call('dsj.admin', 'PUT', `/api/admin/calendar/years/${other}`, await scheduleOf(other)),
    200,
  );
  add({
    scenario,
    figure: `procedures told of a change of ${other}`,
    value: none.procedures.notified,
    unit: `of ${new Set(open.map((t) => t.workflowId)).size} open (${((performance.now() - t2) / 1000).toFixed(2)} s)`,
  });
}

/**
 * Issue 14 point 5: the worker restarted with every procedure open and waiting on its timer;
 * its memory, then decisions on procedures it has not seen since (replayed from history).
 */
async function afterWorkerRestart(client: Client, workerRss: () => number, workerCache: number, bareUpdate: Stats) {
  const scenario = 'after a worker restart';
  const taskQueue = settingFromEnv('TEMPORAL_TASK_QUEUE', stack.env);
  const pollers = async () =>
    new Set(
      (
        await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueue },
          taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
        })
      ).pollers?.map((p) => p.identity ?? '') ?? [],
    );
  const before = await pollers();
  await stack.restartWorker();
  await until(
    'the restarted worker to poll',
    async () => [...(await pollers())].some((id) => !before.has(id)),
    300_000,
    500,
  );
  await new Promise((r) => setTimeout(r, 5000));
  const open = await stack.db.task.count({
    where: { status: { in: ['OPEN', 'CLAIMED'] }, workingDays: { not: null } },
  });
  add({
    scenario,
    figure: `worker RSS, ${open} open tasks (workflow cache ${workerCache})`,
    value: workerRss() / MiB,
    unit: 'MiB',
  });
  const replies = await stack.db.task.findMany({
    where: { step: 'PROVIDER_REPLY', status: 'OPEN', candidateDeptId: 'gaj' },
    select: { id: true },
    orderBy: { createdAt: 'desc' },
    take: CASES,
  });
  if (replies.length === 0) {
    log(`${scenario}: no provider reply left open to decide (run with --procedures above --cases)`);
    return;
  }
  await decide(
    scenario,
    'gaj.reviewer',
    replies.map((t) => t.id),
    'AGREE',
    bareUpdate,
  );
  add({
    scenario,
    figure: `worker RSS after ${replies.length} decisions (workflow cache ${workerCache})`,
    value: workerRss() / MiB,
    unit: 'MiB',
  });
}

function table(): string {
  const lines = ['| scenario | figure | value | baseline | ratio |', '|---|---|---|---|---|'];
  for (const r of rows)
    lines.push(
      `| ${r.scenario} | ${r.figure} | ${fmt(r.value)} ${r.unit} | ${r.baseline ? `${r.baseline}: ${fmt(r.baselineValue!)}` : ''} | ${r.ratio === undefined ? '' : fmt(r.ratio)} |`,
    );
  return lines.join('\n');
}

// Ctrl-C or a kill stops the stack it started (worker, API, Postgres, Temporal, MailDev) instead
// of leaving them running, also while it is still starting (startStack stops what is up so far);
// a second signal exits at once.
let interrupted: number | undefined;
const starting = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (interrupted !== undefined) process.exit(code);
    interrupted = code;
    console.error(`bench: ${signal}: stopping the stack (again to exit at once)`);
    if (!stack) {
      starting.abort(new Error(`interrupted by ${signal} while the stack was starting`));
      return; // main() fails, and its catch exits once startStack has stopped what it started
    }
    void stack
      .stop()
      .catch(() => undefined)
      .then(() => process.exit(code));
  });
}

main()
  .then(async () => {
    await stack.stop();
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`;
    const dir = path.join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const result = {
      at: new Date().toISOString(),
      machine,
      sizes: { CASES, CONCURRENCY, PROCEDURE_SIZES, INBOX_SIZES },
      rows,
      raw,
    };
    const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(result, null, 2));
    console.log(`\n${machine}\n\n${table()}\n\nresults: ${path.relative(process.cwd(), file)}`);
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    await stack?.stop().catch(() => undefined);
    process.exit(interrupted ?? 1);
  });
