/**
 * Verification of the audit trail's hash chain. The database chains every row on insert
 * (trigger audit_log_chain, migration 20261201130000_audit_chain); this recomputes every hash
 * here, in order, from the stored fields, independently of the database's function, and names
 * the first link that does not hold.
 *
 *   hash = sha256(prev_hash || f(seq) || f(at) || f(audit_key) || f(actor) || f(action) ||
 *                 f(entity_type) || f(entity_id) || f(details))      f(v) = byteLength(v) ':' v
 *
 * with at in UTC ISO-8601 with milliseconds and details as Postgres prints the jsonb value.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainRow {
  seq: bigint;
  at: Date;
  auditKey: string;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  /** The jsonb value as Postgres prints it (`details::text`). */
  details: string;
  prevHash: string;
  hash: string;
}

export function rowHash(prevHash: string, row: Omit<ChainRow, 'prevHash' | 'hash'>): string {
  const h = createHash('sha256').update(prevHash, 'utf8');
  for (const field of [
    row.seq.toString(),
    row.at.toISOString(),
    row.auditKey,
    row.actor,
    row.action,
    row.entityType,
    row.entityId,
    row.details,
  ]) {
    h.update(`${Buffer.byteLength(field, 'utf8')}:${field}`, 'utf8');
  }
  return h.digest('hex');
}

export type BrokenKind =
  /** a seq is missing (rows deleted) or out of order */
  | 'SEQ_GAP'
  /** the row does not point at the hash of the row before it */
  | 'PREV_HASH_MISMATCH'
  /** the row's content is not what its hash was computed over (changed after writing) */
  | 'CONTENT_CHANGED'
  /** the chain head is not the last row: rows removed from the end, or written around the trigger */
  | 'HEAD_MISMATCH';

export interface BrokenLink {
  seq: string;
  kind: BrokenKind;
  expected: string;
  found: string;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  rowsChecked: number;
  /** The last row that verified (seq 0 and the genesis hash for an empty chain). */
  lastGood: { seq: string; hash: string };
  head: { seq: string; hash: string } | null;
  firstBroken: BrokenLink | null;
}

const PAGE = 2000;

/**
 * Walks the whole chain in seq order, a page at a time (each page one bounded statement), and
 * stops at the first broken link. `onProgress` hears the rows checked after every page.
 */
export async function verifyAuditChain(
  db: Db,
  opts: { onProgress?: (rowsChecked: number) => void } = {},
): Promise<VerifyResult> {
  let prevSeq = 0n;
  let prevHash = GENESIS_HASH;
  let rowsChecked = 0;
  const heads = await db.$queryRaw<Array<{ seq: bigint; hash: string }>>`
    SELECT seq, hash FROM audit_chain_head WHERE id = 1`;
  const head = heads[0] ? { seq: heads[0].seq.toString(), hash: heads[0].hash } : null;
  const result = (firstBroken: BrokenLink | null): VerifyResult => ({
    ok: firstBroken === null,
    rowsChecked,
    lastGood: { seq: prevSeq.toString(), hash: prevHash },
    head,
    firstBroken,
  });
  for (;;) {
    const rows = await db.$queryRaw<ChainRow[]>`
      SELECT seq, at, audit_key AS "auditKey", actor, action, entity_type AS "entityType",
             entity_id AS "entityId", details::text AS details, prev_hash AS "prevHash", hash
      FROM audit_log WHERE seq > ${prevSeq} ORDER BY seq LIMIT ${PAGE}`;
    for (const row of rows) {
      const seq = row.seq.toString();
      if (row.seq !== prevSeq + 1n) {
        return result({
          seq,
          kind: 'SEQ_GAP',
          expected: (prevSeq + 1n).toString(),
          found: seq,
          message: `row ${seq} follows row ${prevSeq}: rows ${prevSeq + 1n}–${row.seq - 1n} are missing`,
        });
      }
      if (row.prevHash !== prevHash) {
        return result({
          seq,
          kind: 'PREV_HASH_MISMATCH',
          expected: prevHash,
          found: row.prevHash,
          message: `row ${seq} does not point at the hash of row ${prevSeq}`,
        });
      }
      const computed = rowHash(prevHash, row);
      if (row.hash !== computed) {
        return result({
          seq,
          kind: 'CONTENT_CHANGED',
          expected: computed,
          found: row.hash,
          message: `row ${seq} was changed after it was written (its content does not match its hash)`,
        });
      }
      prevSeq = row.seq;
      prevHash = row.hash;
      rowsChecked += 1;
    }
    if (rows.length > 0) opts.onProgress?.(rowsChecked);
    if (rows.length < PAGE) break;
  }
  if (!head || head.seq !== prevSeq.toString() || head.hash !== prevHash) {
    return result({
      seq: head?.seq ?? '0',
      kind: 'HEAD_MISMATCH',
      expected: `${prevSeq}:${prevHash}`,
      found: head ? `${head.seq}:${head.hash}` : 'no head row',
      message: `the chain head does not name the last row ${prevSeq}: rows were removed from the end or written around the chain`,
    });
  }
  return result(null);
}
