/**
 * Property-based fuzzing of every operation in /openapi.json (real Postgres and Temporal, no
 * worker): generated bodies, queries and path parameters holding text the API refuses (NUL, lone
 * surrogates, C0/C1 controls, ANSI escapes, bidi controls, malformed percent-escapes), and plain
 * random JSON. No answer may be a 5xx, a request with bad text must be refused with the boundary's
 * code, and no request may write a row of any table. Before the boundary check, 58 of 4,272 such
 * requests answered 500 (a NUL reaching Postgres, a lone surrogate in jsonb, the router's URIError).
 *
 * Nothing generated here is a valid request (bad text, or random JSON far from any schema, against
 * ids that do not exist), so nothing may start a workflow; the API's task queue has no worker
 * anyway. The test runs serially in its own Jest process (--runInBand), so row counts are exact.
 */
import fc from 'fast-check';
import request from 'supertest';
import { REQUEST_AUDIT_ACTIONS } from '../../api/kit/audit';
import type { Db } from '../../lib/db';
import { testApp, testDb, uniqueSuffix } from '../support/env';

/** Runs per operation; with about 60 operations (every route is documented) this takes some 15 s on a quiet machine. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 16);

type Method = 'get' | 'post' | 'put' | 'delete';
interface Operation {
  method: Method;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyProps: string[];
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: 'path' | 'query' }>;
        requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } };
      }
    >
  >;
}

/** Signed in as users of every kind, or not at all, so role checks let requests reach handlers. */
const LOGINS = [
  'dsj.admin',
  'dsj.reviewer',
  'dsj.supervisor',
  'dsj.auditor',
  'dsj.evaluator1',
  'szf.reviewer',
  'rsj.staff',
  'gaj.reviewer',
  'water.staff',
  'citizen.zhang',
  'company.hengxin',
  'university.lcu',
] as const;

/**
 * Operations whose valid request has no input, so no generated request is invalid: sign-out takes
 * no body and would revoke the token of the login it is sent as (test/integration/oidc.test.ts
 * covers it).
 */
const UNFUZZABLE = new Set(['post /api/auth/logout']);

/** What must be refused; each is refused wherever in a string it stands. */
const BAD = [
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\u0001',
  '\u0007',
  '\b',
  '\u000b',
  '\f',
  '\u001b[31m',
  '\u001b[2J',
  '\u001b]0;title\u0007',
  '\u007f',
  '\u0085',
  '\u009b31m',
  '\r',
  '\u202a',
  '\u202b',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2069',
  '\u2028',
  '\u2029',
  '\u2060',
  '\ufeff',
  '\ufffe',
];
/** Percent-escapes that do not decode as UTF-8 (the last two: a surrogate's and an overlong one). */
const MALFORMED = ['%FF%FE', '%FF', '%E4%B8', '%', '%Z1', '%C0%AF', '%ED%A0%80', '%F8%88%80%80%80'];

const CLEAN_UNIT = fc.constantFrom('数', '据', '审', '批', 'a', 'Z', '0', ' ', '-', '😀', '１', '。');
const clean = fc.string({ unit: CLEAN_UNIT, maxLength: 6 });
/** A string with one refused character in it; the text after it never starts with \n (CR+LF is allowed). */
const badText = fc.tuple(clean, fc.constantFrom(...BAD), clean).map(([a, b, c]) => a + b + c);
/** A bad string as it appears in a URL: percent-encoded, or (lone surrogates) a malformed escape. */
const badEncoded = fc.oneof(
  badText.map((s) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return `a${MALFORMED[6]}b`; // a lone surrogate has no UTF-8 form: this is what a client would send
    }
  }),
  fc.constantFrom(...MALFORMED).map((m) => `x${m}y`),
);
const cleanSegment = fc.string({ unit: fc.constantFrom('A', 'b', '1', '-', '_'), minLength: 1, maxLength: 12 });

type Variant =
  | { kind: 'body'; body: unknown }
  | { kind: 'query'; query: string }
  | { kind: 'path'; segments: string[] }
  | { kind: 'random'; body: unknown; query: string };

/** A JSON object with the operation's own property names and one bad string placed somewhere in it. */
function badBody(op: Operation) {
  const name = op.bodyProps.length ? fc.constantFrom(...op.bodyProps) : fc.constantFrom('text', 'name');
  const base = fc.dictionary(name, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  const placed = fc.oneof(
    fc.tuple(name, badText).map(([k, v]): [string, unknown] => [k, v]),
    fc.tuple(name, fc.array(clean, { maxLength: 3 }), badText).map(([k, a, v]): [string, unknown] => [k, [...a, v]]),
    fc.tuple(name, name, badText).map(([k, k2, v]): [string, unknown] => [k, [{ [k2]: v }]]),
    fc.tuple(name, badText).map(([k, v]): [string, unknown] => [k, { [v]: 1 }]),
    badText.map((v): [string, unknown] => [v, 'x']),
  );
  return fc.tuple(base, placed).map(([b, [k, v]]) => ({ ...b, [k]: v }));
}

function variants(op: Operation): fc.Arbitrary<Variant> {
  const query = (value: fc.Arbitrary<string>) =>
    fc
      .tuple(op.queryParams.length ? fc.constantFrom(...op.queryParams) : fc.constant('q'), value)
      .map(([k, v]) => `${encodeURIComponent(k)}=${v}`);
  const options: Array<fc.Arbitrary<Variant>> = [
    query(badEncoded).map((q): Variant => ({ kind: 'query', query: q })),
    fc
      .tuple(badEncoded, cleanSegment)
      .map(([bad, name]): Variant => ({ kind: 'query', query: `${encodeURIComponent(name)}=1&${bad}=1` })),
    fc
      .record({
        body: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' })),
        query: fc.oneof(fc.constant(''), query(cleanSegment)),
      })
      .map((r): Variant => ({ kind: 'random', ...r })),
  ];
  if (op.method !== 'get') options.push(badBody(op).map((body): Variant => ({ kind: 'body', body })));
  if (op.pathParams.length)
    options.push(
      fc
        .tuple(fc.nat(op.pathParams.length - 1), badEncoded)
        .map(([i, bad]): Variant => ({ kind: 'path', segments: op.pathParams.map((_p, j) => (j === i ? bad : '')) })),
    );
  return fc.oneof(...options);
}

describe('fuzzing every operation of /openapi.json (real Postgres and Temporal)', () => {
  let db: Db;
  let app: ReturnType<typeof testApp>['app'];
  let operations: Operation[];
  const tokens = new Map<string, string>();
  let countSql: string;

  async function rowCounts(): Promise<Record<string, number>> {
    const rows = await db.$queryRawUnsafe<Array<{ t: string; n: number }>>(countSql);
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }

  beforeAll(async () => {
    db = testDb();
    // A queue no worker polls: even a request the fuzzer got right by chance would run nothing.
    ({ app } = testApp(db, { TEMPORAL_TASK_QUEUE: `fuzz-${uniqueSuffix()}` }));
    const doc = (await request(app).get('/openapi.json').expect(200)).body as OpenApi;
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method]) => !UNFUZZABLE.has(`${method} ${path}`))
        .map(([method, op]) => ({
          method: method as Method,
          path,
          pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          bodyProps: Object.keys(op.requestBody?.content['application/json'].schema.properties ?? {}),
        })),
    );
    for (const login of LOGINS)
      tokens.set(login, (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
    // Every table of the app's schema, so a write anywhere (audit, outbox, timeline, …) is seen.
    const tables = await db.$queryRaw<Array<{ table_name: string }>>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`;
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['application', 'objection', 'security_incident', 'tender', 'task', 'audit_log']),
    );
    // The audit records of the request itself (a refusal, a read) are the one write a refused
    // request makes on purpose (api/kit/audit.ts); any other audit row counts. The chain head
    // moves with them.
    const requestAudit = REQUEST_AUDIT_ACTIONS.map((a) => `'${a}'`).join(', ');
    countSql = tables
      .filter((t) => t.table_name !== 'audit_chain_head')
      .map(
        (t) =>
          `SELECT '${t.table_name}' AS t, count(*)::int AS n FROM "${t.table_name.replace(/"/g, '""')}"` +
          (t.table_name === 'audit_log' ? ` WHERE action NOT IN (${requestAudit})` : ''),
      )
      .join(' UNION ALL ');
  });
  afterAll(() => db.$disconnect());

  it('walks every documented operation (more than 55), GET, POST, PUT and DELETE, and every kind of parameter', () => {
    expect(operations.length).toBeGreaterThan(55);
    expect(new Set(operations.map((o) => o.method))).toEqual(new Set(['get', 'post', 'put', 'delete']));
    expect(operations.filter((o) => o.pathParams.length).length).toBeGreaterThan(20);
    expect(operations.filter((o) => o.queryParams.length).length).toBeGreaterThan(10);
    expect(operations.filter((o) => o.bodyProps.length).length).toBeGreaterThan(20);
  });

  it('answers no 5xx, refuses bad text and bad paths with 400, and writes no row', async () => {
    const statuses = new Map<string, number>();
    // Every violation is collected (not thrown at the first), so a failure lists them all.
    const violations: Array<Record<string, unknown>> = [];
    let before = await rowCounts();
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(variants(op), fc.constantFrom<string | null>(null, ...LOGINS), async (v, login) => {
          const segments = v.kind === 'path' ? v.segments : [];
          let i = 0;
          const path = op.path.replace(/\{\w+\}/g, () => segments[i++] || 'FUZZ-0');
          const query = v.kind === 'query' || v.kind === 'random' ? v.query : '';
          const url = query ? `${path}?${query}` : path;
          let req = request(app)[op.method](url);
          if (login) req = req.auth(tokens.get(login)!, { type: 'bearer' });
          // Sent as JSON text, so primitives and null go out as JSON too (well-formed JSON.stringify
          // writes a lone surrogate as a \u escape, which JSON.parse turns back into one).
          const body =
            v.kind === 'body' || (v.kind === 'random' && op.method !== 'get') ? JSON.stringify(v.body) : null;
          if (body !== null) req = req.set('content-type', 'application/json').send(body);
          const res = await req;
          const code: string | undefined = res.body?.error?.code;
          const key = `${res.status} ${code ?? ''}`.trim();
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          const seen = { request: `${op.method.toUpperCase()} ${url}`, body, login, status: res.status, code };
          const expected =
            v.kind === 'body' || v.kind === 'query'
              ? ['INVALID_TEXT']
              : v.kind === 'path'
                ? ['INVALID_PATH', 'INVALID_TEXT']
                : null;
          if (res.status >= 500) violations.push({ problem: '5xx', ...seen });
          else if (expected && !(res.status === 400 && expected.includes(code ?? '')))
            violations.push({ problem: `expected 400 ${expected.join(' or ')}`, ...seen });
          const after = await rowCounts();
          const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
          if (changed.length) {
            violations.push({ problem: `rows written: ${changed.join(', ')}`, ...seen });
            before = after;
          }
        }),
        { numRuns: RUNS },
      );
    }
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.info(
      `api-fuzz: ${operations.length} operations × ${RUNS} runs = ${total} requests, ${violations.length} ` +
        `violations (${violations.filter((x) => x.problem === '5xx').length} answered 5xx); statuses: ` +
        [...statuses.entries()]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join(', '),
    );
    expect(total).toBe(operations.length * RUNS);
    // The worst first: a 5xx, then a row written, then a wrong refusal.
    const rank = (x: Record<string, unknown>) =>
      x.problem === '5xx' ? 0 : String(x.problem).startsWith('rows') ? 1 : 2;
    expect(violations.sort((a, b) => rank(a) - rank(b)).slice(0, 25)).toEqual([]);
  });
});
