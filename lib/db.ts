import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client';
import { settingFromEnv } from './config';

export type Db = PrismaClient;

export interface DbTimeouts {
  /**
   * Postgres cancels any statement (lock waits included) running longer than this, so a stuck
   * query fails a request within a known time instead of holding it and a pool connection.
   */
  statementTimeoutMs?: number;
  /** How long opening a connection may take: an unreachable server fails fast, not at TCP's pace. */
  connectTimeoutMs?: number;
}

/**
 * The Prisma client over a pg pool. Timeouts not given are read from DB_STATEMENT_TIMEOUT_MS and
 * DB_CONNECT_TIMEOUT_MS (or their defaults), so every caller is bounded, with or without a config.
 */
export function createDb(databaseUrl: string, timeouts: DbTimeouts = {}): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    // Sent as a startup parameter of every pooled connection (no extra round trip per query).
    statement_timeout: timeouts.statementTimeoutMs ?? settingFromEnv('DB_STATEMENT_TIMEOUT_MS'),
    connectionTimeoutMillis: timeouts.connectTimeoutMs ?? settingFromEnv('DB_CONNECT_TIMEOUT_MS'),
  });
  return new PrismaClient({ adapter });
}

/**
 * Runs an insert whose natural key may already be there (a retried activity, a repeated request):
 * true when this call wrote the row, false when a unique key was taken already. Every other
 * failure is thrown.
 *
 * Prefer it on hot paths to `createMany({ skipDuplicates: true })` for one row: Prisma caches the
 * compiled plan of a `create` across calls, while every `createMany` is compiled anew (a few ms of
 * CPU each, on every step of every procedure).
 */
export async function insertOnce(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return false;
    throw err;
  }
}
