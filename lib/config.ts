import { z } from 'zod';

/** Empty strings count as missing: a blank line in an .env file must not switch a service off. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalUrl,
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('gov-data'),
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().min(3).default('政务数据审批系统 <no-reply@data.liaocheng.example>'),
  AUTH_TOKEN_SECRET: optionalString,
  AUTH_TOKEN_TTL: z
    .string()
    .regex(/^\d+[smhd]$/)
    .default('12h'),
  PUBLIC_BASE_URL: optionalUrl,
  UPDATE_TIMEOUT_MS: z.coerce.number().int().positive().default(15000),
  START_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
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
  // Drills (演练): a tender may run under a drill policy version (periods in minutes) only where this is true.
  DRILLS_ENABLED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
});

/** Every environment variable the API and worker read (docker-compose must wire the required ones). */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as Array<keyof typeof configSchema.shape>;

/**
 * One setting parsed on its own (with its default), for code that runs without a loaded config,
 * e.g. createDb called by the seed or by tests. Throws a ConfigError naming the key if it is bad.
 */
export function settingFromEnv<K extends keyof typeof configSchema.shape>(
  key: K,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<(typeof configSchema.shape)[K]> {
  const parsed = configSchema.shape[key].safeParse(env[key]);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${key}: ${parsed.error.issues[0]?.message}`);
  return parsed.data as z.infer<(typeof configSchema.shape)[K]>;
}

export type AppConfig = z.infer<typeof configSchema> & {
  devTokensEnabled: boolean;
};

export class ConfigError extends Error {}

/** Parses the environment once at start-up; names every bad variable (never its value). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
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
  return { ...cfg, devTokensEnabled: cfg.NODE_ENV !== 'production' };
}

export function requireSetting<K extends keyof AppConfig>(cfg: AppConfig, key: K): NonNullable<AppConfig[K]> {
  const value = cfg[key];
  if (value === undefined || value === null) throw new ConfigError(`Missing configuration: ${String(key)} must be set`);
  return value as NonNullable<AppConfig[K]>;
}
