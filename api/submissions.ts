/**
 * Submitting an application exactly once. The client's idempotency key is scoped by applicant;
 * a repeat with the same content answers with the same application and (re)starts its procedure
 * in case a crash stopped it between the write and the start; a repeat with other content is a
 * 409; two identical submissions racing each other end with one application.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/db';
import { newId } from '../lib/ids';
import { AppError, fieldText } from './errors';

/** The client's idempotency key, scoped by applicant (a retried submission carries the same one). */
export const idempotencyKeySchema = z
  .string()
  .trim()
  .min(8)
  .max(100)
  .regex(/^[\w.:-]+$/, fieldText('只能包含字母、数字及 . _ : -', 'letters, digits and . _ : - only'));

export function hashRequest(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** e.g. GX-20261126-3F2A91C0: procedure prefix, Shanghai date, random part. */
export function newApplicationNo(prefix: string): string {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replace(/-/g, '');
  return `${prefix}-${day}-${newId().slice(0, 8).toUpperCase()}`;
}

export interface Submission {
  db: Db;
  applicantKey: string;
  idempotencyKey: string;
  /** hashRequest(body); the created row must keep it in `details.requestHash`. */
  requestHash: string;
  /** Validates the request and writes the application in one transaction; returns its id. */
  create(): Promise<string>;
  /** Starts the stored application's procedure (a no-op if it already runs). */
  start(applicationId: string): Promise<void>;
}

export async function submitOnce(s: Submission): Promise<{ applicationId: string; created: boolean }> {
  const key = { applicantKey_idempotencyKey: { applicantKey: s.applicantKey, idempotencyKey: s.idempotencyKey } };
  const resume = async (id: string) => {
    const app = await s.db.application.findUniqueOrThrow({ where: { id } });
    if ((app.details as { requestHash?: string }).requestHash !== s.requestHash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', {
        zh: `该幂等键已用于申请 ${app.applicationNo}，但请求内容不同`,
        en: `Idempotency key was already used for application ${app.applicationNo} with different content`,
      });
    }
    await s.start(id);
    return { applicationId: id, created: false };
  };
  const previous = await s.db.application.findUnique({ where: key });
  if (previous) return resume(previous.id);
  let id: string;
  try {
    id = await s.create();
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      return resume((await s.db.application.findUniqueOrThrow({ where: key })).id);
    }
    throw err;
  }
  await s.start(id);
  return { applicationId: id, created: true };
}

/** A row created once per client idempotency key, with the hash of the request that made it. */
export interface KeyedCreate<Row extends { requestHash: string | null }> {
  /** hashRequest of this request. */
  requestHash: string;
  /** The row the client's key names, if there is one. */
  find(): Promise<Row | null>;
  /** The 409 IDEMPOTENCY_KEY_REUSED naming the row made earlier from other content. */
  reused(row: Row): AppError;
  /** Checks the request and writes the row (and its audit row) in one transaction. */
  create(): Promise<void>;
  /** A unique value other than the key was taken meanwhile (e.g. a second open draft of a code). */
  taken?: () => AppError;
}

/**
 * Creates a keyed row once: a repeat of the request (the same key and content) answers with the
 * row made before, also when two of them race each other through the checks and the insert; the
 * same key with other content is a 409, and nothing is written. Returns the earlier row, or null if
 * this request created one; the caller (re)starts its procedure either way, since a crash may have
 * stopped the first request between its write and the start.
 */
export async function createOnce<Row extends { requestHash: string | null }>(k: KeyedCreate<Row>): Promise<Row | null> {
  const earlier = (row: Row) => {
    if (row.requestHash !== k.requestHash) throw k.reused(row);
    return row;
  };
  const previous = await k.find();
  if (previous) return earlier(previous);
  try {
    await k.create();
    return null;
  } catch (err) {
    // A twin of this request got in first (its row is why this one failed: the key taken, or a
    // check that now sees the twin's row): answered as a repeat.
    const winner = await k.find();
    if (winner) return earlier(winner);
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw k.taken?.() ?? err;
    throw err;
  }
}

const WHAT_ZH: Record<string, string> = { 'data resource': '数据资源', 'open data resource': '开放数据资源' };

/**
 * Resource codes a submission names that are not in the catalogue: a bad request body (422
 * UNKNOWN_RESOURCE with the codes), not a missing URL (404).
 */
export function unknownResources(requested: string[], found: Array<{ code: string }>, what = 'data resource'): void {
  const missing = requested.filter((c) => !found.some((r) => r.code === c));
  if (missing.length) {
    throw new AppError(
      'UNKNOWN_RESOURCE',
      { zh: `${WHAT_ZH[what] ?? what}不存在：${missing.join(', ')}`, en: `Unknown ${what}(s): ${missing.join(', ')}` },
      {
        codes: missing,
        problems: missing.map((code) => ({
          path: `resourceCodes[${requested.indexOf(code)}]`,
          message: `${WHAT_ZH[what] ?? what} ${code} 不存在`,
        })),
      },
    );
  }
}
