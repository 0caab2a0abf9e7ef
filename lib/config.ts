import { z } from 'zod';

/** Empty strings count as missing: a blank line in an .env file must not switch a service off. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
/** A duration as jose writes it: a number followed by s, m, h or d. */
const duration = z.string().regex(/^\d+[smhd]$/, 'must be a number followed by s, m, h or d, e.g. 12h');

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
/** Seconds of a duration such as `12h` (validated by the schema). */
export function durationSeconds(value: string): number {
  return Number(value.slice(0, -1)) * UNIT_SECONDS[value.slice(-1) as keyof typeof UNIT_SECONDS];
}

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalUrl,
  // The owner role that migrations and the seed run as (scripts/migrate.ts, prisma/seed.ts,
  // npm start); the API and the worker never use it.
  MIGRATION_DATABASE_URL: optionalUrl,
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('gov-data'),
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().min(3).default('政务数据审批系统 <no-reply@data.liaocheng.example>'),
  AUTH_TOKEN_SECRET: optionalString,
  AUTH_TOKEN_TTL: z.preprocess(emptyToUndefined, duration.default('12h')),
  // The longest lifetime (exp - iat) of any bearer token the API accepts, its own or the identity
  // provider's; a token without exp or iat, or living longer, is refused.
  AUTH_MAX_TOKEN_LIFETIME: z.preprocess(emptyToUndefined, duration.default('12h')),
  // Sign-in through the city's identity provider by OpenID Connect (api/oidc.ts). Issuer and
  // audience let API clients send the provider's JWT access tokens; client id, secret and redirect
  // URI add the browser sign-in (authorization code with PKCE). The secret comes from the
  // environment only.
  OIDC_ISSUER: optionalUrl,
  OIDC_AUDIENCE: optionalString,
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_REDIRECT_URI: optionalUrl,
  OIDC_SCOPES: z.preprocess(emptyToUndefined, z.string().min(1).default('openid profile email')),
  OIDC_ALGORITHMS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(
        /^(RS|PS|ES)(256|384|512)(,(RS|PS|ES)(256|384|512))*$/,
        'must be a comma-separated list such as RS256,ES256',
      )
      .default('RS256'),
  ),
  // Claim names of the mapping from the provider's tokens to the user table (README "Sign-in").
  OIDC_LOGIN_CLAIM: z.preprocess(emptyToUndefined, z.string().min(1).default('preferred_username')),
  OIDC_DEPARTMENT_CLAIM: z.preprocess(emptyToUndefined, z.string().min(1).default('department')),
  OIDC_ROLES_CLAIM: z.preprocess(emptyToUndefined, z.string().min(1).default('roles')),
  // Where the browser goes after signing in: a path on this site (never another site).
  OIDC_POST_LOGIN_REDIRECT: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\/(?![/\\])[^\s]*$/, 'must be a path on this site, e.g. /')
      .default('/'),
  ),
  PUBLIC_BASE_URL: optionalUrl,
  // The Temporal Web UI, for links from the supervision API to a case's workflow (none when unset).
  TEMPORAL_UI_URL: optionalUrl,
  // Art. 32 ¶2: the 网信部门 contact the platform sends each incident report to itself; unset, the
  // responsible department reports and records it (an inbox task with a 1-hour limit).
  CYBERSPACE_REPORT_EMAIL: z.preprocess(emptyToUndefined, z.email().optional()),
  UPDATE_TIMEOUT_MS: z.coerce.number().int().positive().default(15000),
  START_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  // How long a submission's answer waits for the procedure's first step (its inbox tasks opened); 0 = not at all.
  START_ANSWER_WAIT_MS: z.coerce.number().int().min(0).default(5000),
  // How often the API's reconciler starts stored cases with no workflow and resends pending decisions.
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(60000),
  // API boundary (api/app.ts): requests per minute and client before a 429 RATE_LIMITED; 0 = no limit.
  // Token issuance is counted per IP address, writes (POST/PUT/PATCH/DELETE) per signed-in user or IP.
  RATE_LIMIT_TOKENS_PER_MINUTE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(20)),
  RATE_LIMIT_WRITES_PER_MINUTE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).default(120)),
  // Swagger UI at /docs and the document at /openapi.json; unset: served except in production.
  API_DOCS: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
  // Bounds on waits for Postgres and SMTP, so a dead or stuck dependency fails a request or a mail
  // within a known time instead of hanging it.
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(15000),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  SMTP_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
  // Mail outbox: tries per mail before it is FAILED, how long a claimed mail stays reserved for
  // the dispatcher that claimed it (must exceed a send bounded by SMTP_TIMEOUT_MS), sending slots.
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(8),
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1000).default(120000),
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  // Temporal Schedules the worker creates when missing (the monthly evaluation report).
  SCHEDULES: z.enum(['on', 'off']).default('on'),
  // Worker: how many workflow executions stay in memory between their steps. The rest are
  // replayed from history when they next have work, so memory stays bounded however many
  // procedures are open (each cached one costs roughly 0.1–0.2 MiB).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(500),
  // A calendar load tells the running procedures whose open deadlines it can move, this many at a
  // time, each answering once re-timed: the most re-times a reviewer's decision can queue behind.
  CALENDAR_NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  // How long a calendar load's request waits for its rollout (the procedures told) before it answers
  // that the rollout is still running (GET …/rollout follows it); 0 answers at once.
  CALENDAR_ANSWER_WAIT_MS: z.coerce.number().int().min(0).default(10000),
  // Drills (演练): a tender may run under a drill policy version (periods in minutes) only where this is true.
  DRILLS_ENABLED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
});

/** Every environment variable the API and worker read (docker-compose must wire the required ones). */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as Array<keyof typeof configSchema.shape>;

/** Configuration problems are for operators: zod's English texts, whatever locale the API set (api/errors.ts). */
const OPERATOR_TEXTS = { error: z.locales.en().localeError };

/**
 * One setting parsed on its own (with its default), for code that runs without a loaded config,
 * e.g. createDb called by the seed or by tests. Throws a ConfigError naming the key if it is bad.
 */
export function settingFromEnv<K extends keyof typeof configSchema.shape>(
  key: K,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<(typeof configSchema.shape)[K]> {
  const parsed = configSchema.shape[key].safeParse(env[key], OPERATOR_TEXTS);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${key}: ${parsed.error.issues[0]?.message}`);
  return parsed.data as z.infer<(typeof configSchema.shape)[K]>;
}

export type AppConfig = z.infer<typeof configSchema> & {
  devTokensEnabled: boolean;
  /** AUTH_MAX_TOKEN_LIFETIME in seconds. */
  maxTokenLifetimeSeconds: number;
  /** Whether the browser sign-in (GET /api/auth/login) is configured. */
  oidcBrowserEnabled: boolean;
};

export class ConfigError extends Error {}

/** Parses the environment once at start-up; names every bad variable (never its value). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env, OPERATOR_TEXTS);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const cfg = parsed.data;
  if (cfg.NODE_ENV === 'production' && (!cfg.AUTH_TOKEN_SECRET || cfg.AUTH_TOKEN_SECRET.length < 32)) {
    throw new ConfigError(
      'Invalid configuration: AUTH_TOKEN_SECRET must be set (at least 32 characters) in production',
    );
  }
  const maxTokenLifetimeSeconds = durationSeconds(cfg.AUTH_MAX_TOKEN_LIFETIME);
  if (durationSeconds(cfg.AUTH_TOKEN_TTL) > maxTokenLifetimeSeconds) {
    throw new ConfigError('Invalid configuration: AUTH_TOKEN_TTL must not exceed AUTH_MAX_TOKEN_LIFETIME');
  }
  if (!cfg.OIDC_ISSUER !== !cfg.OIDC_AUDIENCE) {
    throw new ConfigError('Invalid configuration: OIDC_ISSUER and OIDC_AUDIENCE must be set together');
  }
  const browser = [cfg.OIDC_CLIENT_ID, cfg.OIDC_CLIENT_SECRET, cfg.OIDC_REDIRECT_URI];
  if (browser.some(Boolean) && (!browser.every(Boolean) || !cfg.OIDC_ISSUER)) {
    throw new ConfigError(
      'Invalid configuration: the browser sign-in needs all of OIDC_ISSUER, OIDC_AUDIENCE, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI',
    );
  }
  return {
    ...cfg,
    devTokensEnabled: cfg.NODE_ENV !== 'production',
    maxTokenLifetimeSeconds,
    oidcBrowserEnabled: browser.every(Boolean),
  };
}

export function requireSetting<K extends keyof AppConfig>(cfg: AppConfig, key: K): NonNullable<AppConfig[K]> {
  const value = cfg[key];
  if (value === undefined || value === null) throw new ConfigError(`Missing configuration: ${String(key)} must be set`);
  return value as NonNullable<AppConfig[K]>;
}
