/**
 * The audit trail (issue #12, points 4 and 5) on the real Postgres of the suite, where the tests'
 * DATABASE_URL is the app role, as the API's and the worker's is:
 * - the app role cannot tamper with the audit log: TRUNCATE, UPDATE, DELETE, ALTER TABLE,
 *   DISABLE TRIGGER, DROP TRIGGER, session_replication_role and moving the chain head all fail, and
 *   a back-dated or forged insert gets the database's time and the chain's seq and hashes;
 * - concurrent writers extend one chain, which verifies (lib/audit-chain.ts);
 * - tampering by the superuser (triggers off) is reported as the first broken link by
 *   GET /api/audit/verify and by `npm run audit:verify` (exit code 1);
 * - GET /api/audit filters by actor, entity, action and period, pages by keyset, auditors only;
 * - a refused request (401, 403), a read of personal data and an export are in the trail.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { verifyAuditChain } from '../../lib/audit-chain';
import { createDb, type Db } from '../../lib/db';
import { provisionRoles } from '../../lib/db-roles';
import { migrate, MIGRATIONS_DIR } from '../../lib/migrator';
import { testApp, testDb, uniqueSuffix } from '../support/env';
import { signedIn } from '../support/http';

const ROOT = path.join(__dirname, '..', '..');

function runVerifyScript(
  databaseUrl = process.env.DATABASE_URL,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'scripts', 'audit-verify.ts')],
      { env: { ...process.env, DATABASE_URL: databaseUrl }, cwd: ROOT },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

async function connect(url: string | undefined): Promise<Client> {
  if (!url) throw new Error('run through jest: global setup sets the database URLs');
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('the audit trail', () => {
  let db: Db;
  let app: ReturnType<typeof testApp>['app'];
  let api: ReturnType<typeof signedIn>;
  let asApp: Client;
  let asSuperuser: Client;
  const suffix = uniqueSuffix();

  beforeAll(async () => {
    db = testDb();
    ({ app } = testApp(db));
    api = signedIn(() => app);
    asApp = await connect(process.env.DATABASE_URL);
    asSuperuser = await connect(process.env.TEST_ADMIN_DATABASE_URL);
  });
  afterAll(async () => {
    await asApp?.end();
    await asSuperuser?.end();
    await db?.$disconnect();
  });

  const userId = async (login: string) => (await db.user.findUniqueOrThrow({ where: { login } })).id;
  const head = async () =>
    (await asApp.query<{ seq: string; hash: string }>('SELECT seq::text, hash FROM audit_chain_head WHERE id = 1'))
      .rows[0];

  describe('the app role', () => {
    it('is not a superuser, owns no table and is no member of another role', async () => {
      const { rows } = await asApp.query(
        `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
                (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS owned,
                (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships
         FROM pg_roles r WHERE r.rolname = current_user`,
      );
      expect(rows[0]).toEqual({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolbypassrls: false,
        rolreplication: false,
        owned: 0,
        memberships: 0,
      });
      // …and it is not the role the migrations ran as.
      expect(new URL(process.env.DATABASE_URL!).username).not.toBe(
        new URL(process.env.MIGRATION_DATABASE_URL!).username,
      );
    });

    it('may only SELECT and INSERT the audit log, and only SELECT the chain head', async () => {
      const privileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
      const held = async (table: string) => {
        const out: string[] = [];
        for (const p of privileges) {
          const { rows } = await asApp.query('SELECT has_table_privilege(current_user, $1, $2) AS ok', [table, p]);
          if (rows[0].ok) out.push(p);
        }
        return out;
      };
      expect(await held('audit_log')).toEqual(['SELECT', 'INSERT']);
      expect(await held('audit_chain_head')).toEqual(['SELECT']);
      // An ordinary table: the application's DML, never TRUNCATE.
      expect(await held('application')).toEqual(['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
    });

    it.each([
      ['TRUNCATE', 'TRUNCATE audit_log', /permission denied/],
      ['TRUNCATE … CASCADE', 'TRUNCATE audit_log CASCADE', /permission denied/],
      ['UPDATE', `UPDATE audit_log SET actor = 'someone else'`, /permission denied/],
      ['DELETE', 'DELETE FROM audit_log', /permission denied/],
      ['DISABLE TRIGGER', 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete', /must be owner/],
      ['DISABLE TRIGGER ALL', 'ALTER TABLE audit_log DISABLE TRIGGER ALL', /must be owner/],
      ['DROP TRIGGER', 'DROP TRIGGER audit_log_chain ON audit_log', /must be owner/],
      ['ALTER TABLE', 'ALTER TABLE audit_log ADD COLUMN note text', /must be owner/],
      ['DROP TABLE', 'DROP TABLE audit_log', /must be owner/],
      [
        'CREATE TRIGGER',
        'CREATE TRIGGER sneaky BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()',
        /permission denied|must be owner/,
      ],
      ['SET session_replication_role', 'SET session_replication_role = replica', /permission denied/],
      ['move the chain head', `UPDATE audit_chain_head SET seq = 1, hash = 'forged'`, /permission denied/],
      [
        'replace the chain function',
        'CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
        /must be owner|permission denied/,
      ],
    ])('cannot %s', async (_what, sql, error) => {
      const before = await head();
      await expect(asApp.query(sql)).rejects.toThrow(error);
      expect(await head()).toEqual(before);
    });

    it('cannot back-date or forge a row: time, seq and hashes are the database’s', async () => {
      const before = await head();
      const { rows: clock } = await asApp.query<{ now: Date }>(
        `SELECT date_trunc('milliseconds', clock_timestamp()) AS now`,
      );
      const { rows } = await asApp.query(
        `INSERT INTO audit_log (audit_key, at, seq, prev_hash, hash, actor, action, entity_type, entity_id)
         VALUES ($1, '2020-01-01T00:00:00Z', 1, $2, $2, 'forger', 'BACKDATED', 'Test', $1)
         RETURNING at, seq::text, prev_hash, hash`,
        [`audit-trail-test:${suffix}:backdated`, 'f'.repeat(64)],
      );
      expect(rows[0].at.getTime()).toBeGreaterThanOrEqual(clock[0].now.getTime());
      expect(rows[0].seq).toBe(String(BigInt(before.seq) + 1n));
      expect(rows[0].prev_hash).toBe(before.hash);
      expect(rows[0].hash).not.toBe('f'.repeat(64));
      expect(await head()).toEqual({ seq: rows[0].seq, hash: rows[0].hash });
    });
  });

  describe('the chain', () => {
    it('stays one chain under concurrent writers and duplicate keys, and verifies', async () => {
      const before = BigInt((await head()).seq);
      // Separate pooled connections write at once, some keys twice (a retried activity).
      const keys = Array.from({ length: 24 }, (_, i) => `audit-trail-test:${suffix}:concurrent:${i % 20}`);
      await Promise.all(
        keys.map((auditKey) =>
          db.auditLog.createMany({
            data: [{ auditKey, actor: 'system', action: 'CONCURRENT', entityType: 'Test', entityId: suffix }],
            skipDuplicates: true,
          }),
        ),
      );
      const rows = await db.auditLog.findMany({ where: { seq: { gt: before } }, orderBy: { seq: 'asc' } });
      expect(rows.filter((r) => r.action === 'CONCURRENT')).toHaveLength(20);
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_r, i) => before + BigInt(i) + 1n));
      rows.forEach((r, i) => i > 0 && expect(r.prevHash).toBe(rows[i - 1].hash));
      const result = await verifyAuditChain(db);
      expect(result).toMatchObject({ ok: true, firstBroken: null });
      expect(result.lastGood).toEqual(result.head);
    });

    it('verifies through GET /api/audit/verify and npm run audit:verify', async () => {
      const res = await api.get('dsj.auditor', '/api/audit/verify');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, firstBroken: null });
      expect(Number(res.body.rowsChecked)).toBeGreaterThan(0);
      const script = await runVerifyScript();
      expect(script).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^audit:verify: OK, \d+ rows, head \d+ [0-9a-f]{64}/),
      });
    });

    it('names the reason when it cannot run: exit code 2 and the database it could not reach', async () => {
      // Port 1 on the loopback: nothing listens there, the connection is refused at once.
      const script = await runVerifyScript('postgresql://nobody:nothing@127.0.0.1:1/govdata');
      expect(script.code).toBe(2);
      expect(script.stdout).toBe('');
      expect(script.stderr.trim()).toMatch(/^audit:verify: P\d{4}: .*Can't reach database server at 127\.0\.0\.1:1/);
      expect(script.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('reports the first broken link after tampering by the superuser, via the endpoint and the script', async () => {
      const seeded = await db.auditLog.create({
        data: {
          auditKey: `audit-trail-test:${suffix}:victim`,
          actor: 'system',
          action: 'VICTIM',
          entityType: 'Test',
          entityId: suffix,
        },
      });
      await db.auditLog.create({
        data: {
          auditKey: `audit-trail-test:${suffix}:after-victim`,
          actor: 'system',
          action: 'AFTER',
          entityType: 'Test',
          entityId: suffix,
        },
      });
      const seq = seeded.seq.toString();
      const tamper = async (sql: string, params: unknown[]) => {
        await asSuperuser.query('BEGIN');
        await asSuperuser.query('SET LOCAL session_replication_role = replica'); // triggers off
        await asSuperuser.query(sql, params);
        await asSuperuser.query('COMMIT');
      };
      try {
        // 1. content changed in place
        await tamper(`UPDATE audit_log SET actor = 'someone else' WHERE seq = $1`, [seq]);
        const res = await api.get('dsj.auditor', '/api/audit/verify');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          ok: false,
          lastGood: { seq: String(seeded.seq - 1n) },
          firstBroken: { seq, kind: 'CONTENT_CHANGED', found: seeded.hash },
        });
        expect(res.body.firstBroken.expected).toMatch(/^[0-9a-f]{64}$/);
        const script = await runVerifyScript();
        expect(script.code).toBe(1);
        expect(script.stdout).toContain(`audit:verify: BROKEN at seq ${seq} (CONTENT_CHANGED)`);
        await tamper(`UPDATE audit_log SET actor = 'system' WHERE seq = $1`, [seq]);
        expect((await verifyAuditChain(db)).ok).toBe(true);

        // 2. a row removed: the next one names the gap
        await tamper('DELETE FROM audit_log WHERE seq = $1', [seq]);
        const gap = await api.get('dsj.auditor', '/api/audit/verify');
        expect(gap.body).toMatchObject({
          ok: false,
          firstBroken: { seq: String(seeded.seq + 1n), kind: 'SEQ_GAP', expected: seq },
        });
        expect((await runVerifyScript()).code).toBe(1);
      } finally {
        // Put the row back as it was, so the chain of the shared test database holds again.
        await tamper(
          `INSERT INTO audit_log (id, audit_key, at, seq, prev_hash, hash, actor, action, entity_type, entity_id, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO UPDATE SET actor = EXCLUDED.actor`,
          [
            seeded.id,
            seeded.auditKey,
            seeded.at,
            seeded.seq,
            seeded.prevHash,
            seeded.hash,
            seeded.actor,
            seeded.action,
            seeded.entityType,
            seeded.entityId,
            JSON.stringify(seeded.details),
          ],
        );
      }
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });
  });

  describe('GET /api/audit', () => {
    it('is for auditors only; refusals are themselves audited with the actor, method, path and code', async () => {
      const staff = await api.get('gaj.staff', '/api/audit');
      expect(staff.status).toBe(403);
      expect(staff.body.error.code).toBe('FORBIDDEN');
      const anonymous = await request(app).get(`/api/audit?entityId=${suffix}`);
      expect(anonymous.status).toBe(401);
      const admin = await api.get('dsj.admin', '/api/audit/verify');
      expect(admin.status).toBe(403);

      const denied = await api.get(
        'dsj.auditor',
        `/api/audit?action=REQUEST_DENIED&actor=${await userId('gaj.staff')}&limit=1`,
      );
      expect(denied.status).toBe(200);
      expect(denied.body.items[0]).toMatchObject({
        action: 'REQUEST_DENIED',
        entityType: 'HttpRequest',
        entityId: 'GET /api/audit',
        details: { status: 403, code: 'FORBIDDEN', method: 'GET', path: '/api/audit' },
      });
      const anon = await api.get('dsj.auditor', '/api/audit?action=REQUEST_DENIED&actor=anonymous&limit=1');
      expect(anon.body.items[0]).toMatchObject({
        entityId: 'GET /api/audit',
        details: { status: 401, code: 'UNAUTHENTICATED' },
      });
      const admins = await api.get(
        'dsj.auditor',
        `/api/audit?action=REQUEST_DENIED&actor=${await userId('dsj.admin')}&limit=1`,
      );
      expect(admins.body.items[0]).toMatchObject({ entityId: 'GET /api/audit/verify', details: { status: 403 } });
    });

    it('filters by actor, entity, action and period, and pages by keyset without overlap', async () => {
      const entityId = `filters-${suffix}`;
      const { rows: clock } = await asApp.query<{ now: Date }>(
        `SELECT date_trunc('milliseconds', clock_timestamp()) AS now`,
      );
      for (const [i, actor, action, entityType] of [
        [0, 'alice', 'A_DONE', 'Thing'],
        [1, 'bob', 'A_DONE', 'Thing'],
        [2, 'alice', 'B_DONE', 'Thing'],
        [3, 'alice', 'A_DONE', 'Other'],
        [4, 'alice', 'A_DONE', 'Thing'],
      ] as const) {
        await db.auditLog.create({
          data: {
            auditKey: `audit-trail-test:${suffix}:filter:${i}`,
            actor: `${actor}-${suffix}`,
            action,
            entityType,
            entityId,
          },
        });
      }
      const q = async (query: string) => {
        const res = await api.get('dsj.auditor', `/api/audit?${query}`);
        expect(res.status).toBe(200);
        return res.body as {
          items: Array<{ seq: string; actor: string; action: string; entityType: string; hash: string }>;
          nextCursor: string | null;
        };
      };
      const keysOf = (items: Array<{ seq: string }>) => items.map((i) => i.seq);

      const all = await q(`entityId=${entityId}`);
      expect(all.items).toHaveLength(5);
      expect(keysOf(all.items)).toEqual([...keysOf(all.items)].sort((a, b) => Number(BigInt(b) - BigInt(a))));
      expect(all.items.every((i) => /^[0-9a-f]{64}$/.test(i.hash))).toBe(true);
      expect((await q(`entityId=${entityId}&actor=alice-${suffix}`)).items).toHaveLength(4);
      expect((await q(`entityId=${entityId}&action=B_DONE`)).items.map((i) => i.actor)).toEqual([`alice-${suffix}`]);
      expect((await q(`entityType=Other&entityId=${entityId}`)).items).toHaveLength(1);
      expect((await q(`entityType=Thing&entityId=${entityId}&actor=alice-${suffix}&action=A_DONE`)).items).toHaveLength(
        2,
      );
      const from = encodeURIComponent(clock[0].now.toISOString());
      expect((await q(`entityId=${entityId}&from=${from}`)).items).toHaveLength(5);
      expect((await q(`entityId=${entityId}&to=${from}`)).items).toHaveLength(0);
      expect((await q(`entityId=${entityId}&from=2099-01-01T00:00:00Z`)).items).toHaveLength(0);

      const first = await q(`entityId=${entityId}&limit=2`);
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toBe(first.items[1].seq);
      const second = await q(`entityId=${entityId}&limit=2&cursor=${first.nextCursor}`);
      const third = await q(`entityId=${entityId}&limit=2&cursor=${second.nextCursor}`);
      expect(third.nextCursor).toBeNull();
      expect([...first.items, ...second.items, ...third.items].map((i) => i.seq)).toEqual(keysOf(all.items));

      const bad = await api.get('dsj.auditor', '/api/audit?from=yesterday');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('reads of personal data and exports', () => {
    it('records a public applicant reading their account (name, e-mail, credit code)', async () => {
      const me = await api.get('company.hengxin', '/api/public/me');
      expect(me.status).toBe(200);
      const res = await api.get(
        'dsj.auditor',
        `/api/audit?action=PERSONAL_DATA_READ&actor=${await userId('company.hengxin')}&limit=1`,
      );
      expect(res.body.items[0]).toMatchObject({
        action: 'PERSONAL_DATA_READ',
        entityType: 'PublicApplicant',
        details: { method: 'GET', path: '/api/public/me', fields: expect.arrayContaining(['unifiedCreditCode']) },
      });
    });

    it('records an open data download as an export, before answering', async () => {
      const resource = await db.dataResource.findFirstOrThrow({
        // Not retired: other files retire entries in the shared database, and a retired open entry has no download.
        where: { openClass: 'UNCONDITIONAL', retiredAt: null, catalog: { status: 'PUBLISHED' } },
        orderBy: { code: 'asc' },
      });
      const download = await request(app).get(`/api/open/resources/${encodeURIComponent(resource.code)}/download`);
      expect(download.status).toBe(200);
      const res = await api.get(
        'dsj.auditor',
        `/api/audit?action=EXPORT_DOWNLOADED&entityType=DataResource&entityId=${resource.id}&limit=1`,
      );
      expect(res.body.items[0]).toMatchObject({
        actor: 'anonymous',
        details: { code: resource.code, downloadId: download.headers['x-download-id'] },
      });
    });

    it('records the auditor’s own reads of the trail', async () => {
      await api.get('dsj.auditor', `/api/audit?entityId=nothing-${suffix}`);
      const res = await api.get(
        'dsj.auditor',
        `/api/audit?action=AUDIT_READ&actor=${await userId('dsj.auditor')}&limit=1`,
      );
      expect(res.body.items[0]).toMatchObject({ details: { filters: { entityId: `nothing-${suffix}` }, returned: 0 } });
    });
  });

  describe('an installation from before the split', () => {
    it('is taken over: the owner gets every object, the migration chains the old audit rows', async () => {
      const name = `upgrade_${suffix}`;
      await asSuperuser.query(`CREATE DATABASE "${name}"`);
      const at = (url: string) => {
        const u = new URL(url);
        u.pathname = `/${name}`;
        return u.toString();
      };
      // As npm start did before #12: every migration up to the audit chain, as the superuser.
      const before = mkdtempSync(path.join(tmpdir(), 'migrations-'));
      try {
        for (const m of readdirSync(MIGRATIONS_DIR).filter((n) => /^\d{14}_/.test(n) && n < '20261201130000'))
          cpSync(path.join(MIGRATIONS_DIR, m), path.join(before, m), { recursive: true });
        await migrate(at(process.env.TEST_ADMIN_DATABASE_URL!), { dir: before });
      } finally {
        rmSync(before, { recursive: true, force: true });
      }
      const old = await connect(at(process.env.TEST_ADMIN_DATABASE_URL!));
      try {
        for (const i of [1, 2, 3])
          await old.query(
            `INSERT INTO audit_log (audit_key, at, actor, action, entity_type, entity_id, details)
             VALUES ($1, $2, 'u1', 'OLD', 'Test', 'x', $3)`,
            [`old-${i}`, `2026-11-2${i}T08:00:00.12${i}Z`, JSON.stringify({ i, note: '旧记录' })],
          );
        // The role split, then the rest of the migrations as the owner.
        await provisionRoles(at(process.env.TEST_ADMIN_DATABASE_URL!), {
          ownerRole: new URL(process.env.MIGRATION_DATABASE_URL!).username,
          ownerPassword: '',
          appRole: new URL(process.env.DATABASE_URL!).username,
          appPassword: '',
        });
        const applied = await migrate(at(process.env.MIGRATION_DATABASE_URL!));
        expect(applied.applied).toContain('20261201130000_audit_chain');
        const { rows } = await old.query(
          `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
           WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'S') AND pg_get_userbyid(c.relowner) <> $1`,
          [new URL(process.env.MIGRATION_DATABASE_URL!).username],
        );
        expect(rows[0].n).toBe(0);
      } finally {
        await old.end();
      }
      const upgraded = createDb(at(process.env.DATABASE_URL!));
      try {
        const rows = await upgraded.auditLog.findMany({ orderBy: { seq: 'asc' } });
        expect(rows.map((r) => [r.seq, r.auditKey, r.at.toISOString()])).toEqual([
          [1n, 'old-1', '2026-11-21T08:00:00.121Z'],
          [2n, 'old-2', '2026-11-22T08:00:00.122Z'],
          [3n, 'old-3', '2026-11-23T08:00:00.123Z'],
        ]);
        expect(await verifyAuditChain(upgraded)).toMatchObject({ ok: true, rowsChecked: 3 });
        await upgraded.auditLog.create({
          data: { auditKey: 'new-1', actor: 'u1', action: 'NEW', entityType: 'Test', entityId: 'x' },
        });
        expect(await verifyAuditChain(upgraded)).toMatchObject({ ok: true, rowsChecked: 4 });
        await expect(upgraded.$executeRawUnsafe('TRUNCATE audit_log')).rejects.toThrow(/permission denied/);
      } finally {
        await upgraded.$disconnect();
      }
    });
  });
});
