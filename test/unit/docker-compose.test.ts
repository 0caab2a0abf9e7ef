/**
 * The production-like stack in docker-compose.yml is wired the way the application expects:
 * the services exist, the API and worker get every setting they need under the names
 * lib/config.ts reads, connection strings point at the services of the stack, the search
 * attributes the workflows upsert are registered, and no secret is written into the file.
 * No Docker needed: the file is parsed and interpolated the way `docker compose` does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../lib/config';
import { DEFAULT_WORKFLOW_BUNDLE_PATH } from '../../scripts/build-workflow-bundle';
import { MALLOC_ARENA_MAX_DEFAULT } from '../../scripts/lib/process-env';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../workflows/search-attributes';

const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');

const SERVICE = {
  postgres: 'postgres',
  temporalSchema: 'temporal-schema',
  temporal: 'temporal',
  temporalSetup: 'temporal-setup',
  temporalUi: 'temporal-ui',
  mail: 'maildev',
  dbRoles: 'db-roles',
  migrate: 'migrate',
  worker: 'worker',
  api: 'api',
} as const;
const APP_SERVICES = [SERVICE.api, SERVICE.worker] as const;
const REQUIRED_APP_SETTINGS = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'SMTP_URL',
  'AUTH_TOKEN_SECRET',
  'OIDC_ISSUER',
  'OIDC_AUDIENCE',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_REDIRECT_URI',
];
const SECRET_VARIABLES = [
  'POSTGRES_PASSWORD',
  'GOVDATA_OWNER_PASSWORD',
  'GOVDATA_APP_PASSWORD',
  'AUTH_TOKEN_SECRET',
  'OIDC_CLIENT_SECRET',
];

/**
 * Variables an app container may receive although lib/config.ts does not read them: each is
 * read by the runtime itself. Keep it short; anything else is a typo or a dead setting.
 */
const RUNTIME_VARIABLES_ALLOWLIST = [
  'NODE_OPTIONS', // Node.js itself, e.g. --max-old-space-size for the worker's workflow cache
];

/** What the operator's `.env` would hold; values are obviously fake. */
const FAKE_ENV: Record<string, string> = {
  POSTGRES_PASSWORD: 'fake-postgres-password',
  GOVDATA_OWNER_PASSWORD: 'fake-owner-password',
  GOVDATA_APP_PASSWORD: 'fake-app-password',
  AUTH_TOKEN_SECRET: 'fake-token-secret-fake-token-secret-0123',
  OIDC_ISSUER: 'https://idp.fake.example',
  OIDC_AUDIENCE: 'https://api.fake.example',
  OIDC_CLIENT_ID: 'fake-client',
  OIDC_CLIENT_SECRET: 'fake-oidc-client-secret',
  OIDC_REDIRECT_URI: 'https://app.fake.example/api/auth/callback',
};

type Env = Record<string, string | undefined>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | { target?: number; published?: string | number }>;
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
}

class MissingVariableError extends Error {}

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}. */
function interpolate(value: string, env: Env): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const current = env[name];
      const missing = op?.startsWith(':') ? current === undefined || current === '' : current === undefined;
      if (op?.endsWith('?') && missing) throw new MissingVariableError(`${name}: ${arg}`);
      if (op?.endsWith('-') && missing) return arg ?? '';
      return current ?? '';
    },
  );
}

function interpolateAll<T>(node: T, env: Env): T {
  if (typeof node === 'string') return interpolate(node, env) as T;
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, env)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)])) as T;
  }
  return node;
}

function readCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/** The file as written (`${...}` references intact) and as compose would run it with `.env`. */
const raw = readCompose();
const resolved = interpolateAll(raw, FAKE_ENV);

function service(file: ComposeFile, name: string): Service {
  const found = file.services?.[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function environment(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

function commandText(svc: Service): string {
  const parts = [svc.entrypoint, svc.command].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]));
  return parts.join('\n');
}

function dependencies(svc: Service): Record<string, string> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, spec]) => [name, spec?.condition ?? 'service_started']));
}

/** host:port of a `host:port` address or of a URL. */
function endpoint(address: string): { host: string; port: string } {
  if (address.includes('://')) {
    const url = new URL(address);
    return { host: url.hostname, port: url.port };
  }
  const [host, port] = address.split(':');
  return { host, port };
}

/** The Dockerfile's instructions (continuations joined, comments dropped), stage by stage. */
function dockerfileStages(text: string): Array<Array<{ keyword: string; args: string }>> {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
  const stages: Array<Array<{ keyword: string; args: string }>> = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages[stages.length - 1]?.push(instruction);
  }
  return stages;
}

describe('docker-compose.yml', () => {
  it('defines every service the application needs', () => {
    for (const name of Object.values(SERVICE)) expect(raw.services).toHaveProperty([name]);
  });

  it('builds the api, the worker and the migrate job from this repository', () => {
    for (const name of [SERVICE.api, SERVICE.worker, SERVICE.migrate]) {
      const build = service(raw, name).build;
      const context = typeof build === 'string' ? build : build?.context;
      const dockerfile = (typeof build === 'object' && build.dockerfile) || 'Dockerfile';
      expect({ name, context: context && path.resolve(ROOT, context) }).toEqual({ name, context: ROOT });
      expect(readFileSync(path.join(ROOT, dockerfile), 'utf8')).toMatch(/^FROM /m);
    }
    expect(commandText(service(raw, SERVICE.worker))).toMatch(/npm\s+run\s+worker/);
    expect(commandText(service(raw, SERVICE.api))).toMatch(/npm\s+run\s+server/);
    expect(commandText(service(raw, SERVICE.migrate))).toMatch(/npm run db:migrate && npm run db:seed/);
  });

  it.each(APP_SERVICES)('gives %s every required setting, in production mode', (name) => {
    const env = environment(service(resolved, name));
    for (const key of REQUIRED_APP_SETTINGS)
      expect({ key, value: env[key] ?? '' }).toEqual({ key, value: expect.stringMatching(/\S/) });
    expect(env.NODE_ENV).toBe('production');
  });

  it.each(APP_SERVICES)('sets only variables that %s actually reads', (name) => {
    const known = new Set<string>([...CONFIG_KEYS, ...RUNTIME_VARIABLES_ALLOWLIST]);
    const unknown = Object.keys(environment(service(raw, name))).filter((key) => !known.has(key));
    expect(unknown).toEqual([]);
  });

  it('points the app at the stack: Postgres, Temporal and SMTP by service name', () => {
    const postgresDb = environment(service(resolved, SERVICE.postgres)).POSTGRES_DB;
    for (const name of [...APP_SERVICES, SERVICE.migrate]) {
      const env = environment(service(resolved, name));
      const db = new URL(name === SERVICE.migrate ? env.MIGRATION_DATABASE_URL : env.DATABASE_URL);
      expect({ name, host: db.hostname, port: db.port || '5432', database: db.pathname.slice(1) }).toEqual({
        name,
        host: SERVICE.postgres,
        port: '5432',
        database: postgresDb,
      });
    }
    for (const name of APP_SERVICES) {
      const env = environment(service(resolved, name));
      expect(endpoint(env.TEMPORAL_ADDRESS)).toEqual({ host: SERVICE.temporal, port: '7233' });
      expect(endpoint(env.SMTP_URL)).toEqual({ host: SERVICE.mail, port: '1025' });
    }
    expect(postgresDb).toBe('govdata');
  });

  it('points the Temporal Web UI at the Temporal service and lets it run read-only', () => {
    const uiEnvAsWritten = environment(service(raw, SERVICE.temporalUi));
    expect(endpoint(environment(service(resolved, SERVICE.temporalUi)).TEMPORAL_ADDRESS)).toEqual({
      host: SERVICE.temporal,
      port: '7233',
    });
    expect(uiEnvAsWritten.TEMPORAL_DISABLE_WRITE_ACTIONS).toMatch(/^\$\{TEMPORAL_DISABLE_WRITE_ACTIONS:-false\}$/);
    expect(service(raw, SERVICE.temporalUi).ports).toContainEqual(expect.stringMatching(/8233}?:8080$/));
  });

  it('registers exactly the search attributes the workflows upsert', () => {
    const script = commandText(service(resolved, SERVICE.temporalSetup));
    const registered = [
      ...script.matchAll(
        /temporal operator search-attribute create\b[^\n]*?--name[= ]"?(\w+)"?[^\n]*?--type[= ]"?(\w+)"?/g,
      ),
    ].map(([, name, type]) => [name, type]);
    const expected = SEARCH_ATTRIBUTE_DEFINITIONS.map(([name, type]) => [name, type]);
    expect(registered.sort()).toEqual(expected.sort());
    expect(new Set(registered.map(([name]) => name)).size).toBe(registered.length);
  });

  it('creates the namespace the app uses before registering attributes in it', () => {
    const setup = service(resolved, SERVICE.temporalSetup);
    const script = commandText(setup);
    const appNamespace = environment(service(resolved, SERVICE.api)).TEMPORAL_NAMESPACE;
    expect(environment(setup).APP_NAMESPACE).toBe(appNamespace);
    expect(endpoint(environment(setup).TEMPORAL_ADDRESS).host).toBe(SERVICE.temporal);
    const create = script.indexOf('temporal operator namespace create');
    expect(create).toBeGreaterThan(-1);
    expect(create).toBeLessThan(script.indexOf('temporal operator search-attribute create'));
  });

  it('starts the app only after the database, migrations and Temporal setup are done', () => {
    for (const name of APP_SERVICES) {
      expect(dependencies(service(raw, name))).toMatchObject({
        [SERVICE.postgres]: 'service_healthy',
        [SERVICE.migrate]: 'service_completed_successfully',
        [SERVICE.temporalSetup]: 'service_completed_successfully',
      });
    }
    expect(dependencies(service(raw, SERVICE.temporal))).toMatchObject({
      [SERVICE.temporalSchema]: 'service_completed_successfully',
    });
    expect(dependencies(service(raw, SERVICE.temporalSchema))).toMatchObject({ [SERVICE.postgres]: 'service_healthy' });
    expect(commandText(service(raw, SERVICE.temporalSchema))).toMatch(/temporal-sql-tool[^\n]*update-schema/);
  });

  it('builds the workflow bundle into the image once and points the worker at it', () => {
    const runtime = dockerfileStages(readFileSync(DOCKERFILE, 'utf8')).at(-1)!;
    const index = (keyword: string, args: RegExp) =>
      runtime.findIndex((i) => i.keyword === keyword && args.test(i.args));
    const env = Object.fromEntries(
      runtime
        .filter((i) => i.keyword === 'ENV')
        .flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split('=') as [string, string])),
    );
    const workdir = runtime.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args;
    // The image's bundle is where `npm run build:workflows` writes by default, inside the image's app folder.
    const defaultRelative = path.relative(ROOT, DEFAULT_WORKFLOW_BUNDLE_PATH).split(path.sep).join('/');
    expect(env.WORKFLOW_BUNDLE_PATH).toBe(path.posix.join(workdir ?? '/', defaultRelative));
    // Built from the sources copied into this stage, with the variable already set, before dropping root.
    const build = index('RUN', /^npm run build:workflows\b/);
    expect(build).toBeGreaterThan(index('COPY', /^\. \.$/));
    expect(build).toBeGreaterThan(index('ENV', /\bWORKFLOW_BUNDLE_PATH=/));
    expect(build).toBeLessThan(index('USER', /./));
    // A bundle lying around on the host never replaces the one built from the image's sources.
    expect(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^\/?dist\/?$/m);
    // The worker keeps the image's value: compose does not override it.
    expect(Object.keys(environment(service(raw, SERVICE.worker)))).not.toContain('WORKFLOW_BUNDLE_PATH');
  });

  it("starts the image's processes with the malloc arenas npm start gives them", () => {
    const runtime = dockerfileStages(readFileSync(DOCKERFILE, 'utf8')).at(-1)!;
    const env = Object.fromEntries(
      runtime
        .filter((i) => i.keyword === 'ENV')
        .flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split('=') as [string, string])),
    );
    expect(env.MALLOC_ARENA_MAX).toBe(MALLOC_ARENA_MAX_DEFAULT);
  });

  it('publishes the API on ${PORT:-3000}', () => {
    expect(service(raw, SERVICE.api).ports).toContainEqual('${PORT:-3000}:3000');
  });

  it('contains no secret: passwords and the token key are required ${VAR:?...} references', () => {
    const appEnv = environment(service(raw, SERVICE.api));
    expect(appEnv.AUTH_TOKEN_SECRET).toMatch(/^\$\{AUTH_TOKEN_SECRET:\?[^}]+\}$/);
    // Connection strings take their passwords from the operator's .env (the role split is below).
    for (const [name, key, secret] of [
      [SERVICE.api, 'DATABASE_URL', 'GOVDATA_APP_PASSWORD'],
      [SERVICE.worker, 'DATABASE_URL', 'GOVDATA_APP_PASSWORD'],
      [SERVICE.migrate, 'MIGRATION_DATABASE_URL', 'GOVDATA_OWNER_PASSWORD'],
    ] as const) {
      const db = new URL(environment(service(resolved, name))[key]);
      expect({ name, password: decodeURIComponent(db.password) }).toEqual({ name, password: FAKE_ENV[secret] });
    }
    for (const [name, svc] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(environment(svc))) {
        if (!/PASSWORD|PWD|SECRET/.test(key)) continue;
        expect({ service: name, key, value }).toEqual({
          service: name,
          key,
          value: expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]+\}$/),
        });
      }
    }
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    for (const fake of Object.values(FAKE_ENV)) expect(text).not.toContain(fake);
  });

  it('splits the database roles: the app connects as the app role, migrations run as the owner, only db-roles is superuser', () => {
    const superuser = environment(service(resolved, SERVICE.postgres)).POSTGRES_USER;
    const migrateEnv = environment(service(resolved, SERVICE.migrate));
    const owner = new URL(migrateEnv.MIGRATION_DATABASE_URL);
    expect({ user: owner.username, password: decodeURIComponent(owner.password) }).toEqual({
      user: 'govdata_owner',
      password: FAKE_ENV.GOVDATA_OWNER_PASSWORD,
    });
    expect(migrateEnv.DATABASE_URL).toBeUndefined();
    for (const name of APP_SERVICES) {
      const env = environment(service(resolved, name));
      const app = new URL(env.DATABASE_URL);
      expect({ name, user: app.username, password: decodeURIComponent(app.password) }).toEqual({
        name,
        user: 'govdata_app',
        password: FAKE_ENV.GOVDATA_APP_PASSWORD,
      });
      // The app's processes hold neither the owner's nor the superuser's credentials.
      expect({ name, values: Object.values(env).filter((v) => /fake-(postgres|owner)-password/.test(v)) }).toEqual({
        name,
        values: [],
      });
    }
    expect(new Set([owner.username, 'govdata_app', superuser]).size).toBe(3);
    // db-roles runs prisma/roles.sql as the superuser before the migrations, with the same role names.
    const roles = service(resolved, SERVICE.dbRoles);
    const rolesEnv = environment(roles);
    expect(rolesEnv).toMatchObject({
      PGHOST: SERVICE.postgres,
      PGDATABASE: environment(service(resolved, SERVICE.postgres)).POSTGRES_DB,
      PGUSER: superuser,
      PGPASSWORD: FAKE_ENV.POSTGRES_PASSWORD,
      GOVDATA_OWNER_ROLE: owner.username,
      GOVDATA_OWNER_PASSWORD: FAKE_ENV.GOVDATA_OWNER_PASSWORD,
      GOVDATA_APP_ROLE: 'govdata_app',
      GOVDATA_APP_PASSWORD: FAKE_ENV.GOVDATA_APP_PASSWORD,
    });
    const mounted = (roles.volumes ?? []).map((v) => v.split(':'));
    for (const file of ['prisma/roles.sql', 'docker/db-roles.psql']) {
      const mount = mounted.find(([host]) => path.resolve(ROOT, host) === path.join(ROOT, file));
      expect({ file, mounted: Boolean(mount) }).toEqual({ file, mounted: true });
      expect(readFileSync(path.join(ROOT, file), 'utf8').length).toBeGreaterThan(0);
    }
    const psql = readFileSync(path.join(ROOT, 'docker', 'db-roles.psql'), 'utf8');
    expect(psql).toMatch(/\\ir roles\.sql/);
    for (const v of ['GOVDATA_OWNER_ROLE', 'GOVDATA_OWNER_PASSWORD', 'GOVDATA_APP_ROLE', 'GOVDATA_APP_PASSWORD'])
      expect(psql).toMatch(new RegExp(`^\\\\getenv \\w+ ${v}$`, 'm'));
    expect(commandText(roles)).toMatch(/psql[\s\S]*\/roles\/db-roles\.psql/);
    expect(dependencies(roles)).toMatchObject({ [SERVICE.postgres]: 'service_healthy' });
    expect(dependencies(service(raw, SERVICE.migrate))).toMatchObject({
      [SERVICE.dbRoles]: 'service_completed_successfully',
    });
  });

  it.each(SECRET_VARIABLES)('refuses to start without %s', (secret) => {
    const env = { ...FAKE_ENV };
    delete env[secret];
    expect(() => interpolateAll(readCompose(), env)).toThrow(MissingVariableError);
  });

  it('documents in .env.example every variable the stack and the app read', () => {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name));
    const referenced = [...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g)].map(
      ([, name]) => name,
    );
    const missing = [...new Set([...referenced, ...CONFIG_KEYS])].filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });
});
