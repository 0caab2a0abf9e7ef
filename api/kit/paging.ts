/**
 * One way to page every list: keyset pagination with `cursor` and `limit`. A list is ordered by
 * columns that end in the row's unique id, so "the rows after this one" is an index range, as
 * fast on page 1,000 as on page 1 and stable while rows are added (no row is skipped or repeated
 * the way an offset shifts). The answer is `{ items, nextCursor }`; `nextCursor` is null on the
 * last page and otherwise goes back unchanged as `cursor` for the next one. A cursor is opaque to
 * clients (base64url of the last row's id).
 */
import { z } from 'zod';
import { AppError, fieldText } from '../errors';

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 20;

const cursorText = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9_-]+$/,
    fieldText('不是本列表 nextCursor 给出的游标', 'not a cursor from a nextCursor of this list'),
  )
  .transform((c, ctx) => {
    const id = Buffer.from(c, 'base64url').toString('utf8');
    // Row ids are printable ASCII (UUIDs, codes); anything else (a NUL, say) never came from nextCursor.
    if (!/^[\x21-\x7e]{1,128}$/.test(id) || Buffer.from(id, 'utf8').toString('base64url') !== c) {
      ctx.addIssue({
        code: 'custom',
        message: fieldText('不是本列表 nextCursor 给出的游标', 'not a cursor from a nextCursor of this list'),
      });
      return z.NEVER;
    }
    return id;
  });

/** Spread into a list's strict query schema: `...pageQuery`. */
export const pageQuery = {
  /** The `nextCursor` of the previous page; absent for the first page. */
  cursor: cursorText.optional().describe('The nextCursor of the previous page (opaque); absent for the first page'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .describe(`Items per page, 1–${MAX_LIMIT}`),
};

export interface PageRequest {
  /** The decoded cursor: the id of the last row of the previous page. */
  cursor?: string;
  limit: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The Prisma arguments of one page: one row more than asked tells whether another page follows. */
export function pageArgs(q: PageRequest): { take: number; skip?: number; cursor?: { id: string } } {
  return { take: q.limit + 1, ...(q.cursor ? { cursor: { id: q.cursor }, skip: 1 } : {}) };
}

/**
 * Refuses a cursor that decodes to an id but names no row of this list as filtered now (another
 * list's cursor, a row gone or moved out of the filter): keyset paging from it would skip or
 * repeat rows. `exists` counts the rows of the list's `where` with that id.
 */
export async function checkCursor(q: PageRequest, exists: (id: string) => Promise<number>): Promise<void> {
  if (q.cursor !== undefined && (await exists(q.cursor)) === 0)
    throw new AppError(
      'VALIDATION_FAILED',
      {
        zh: '游标不属于此列表（或该行已不在筛选结果中）：请从第一页重新开始',
        en: 'cursor names no row of this list: start again from the first page',
      },
      [{ path: 'cursor', message: '游标不属于此列表', code: 'unknown_cursor' }],
    );
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Cuts the extra row off and names the cursor of the next page. */
export function toPage<R extends { id: string }, T = R>(q: PageRequest, rows: R[], map?: (row: R) => T): Page<T> {
  const kept = rows.slice(0, q.limit);
  const more = rows.length > q.limit;
  return {
    items: map ? kept.map(map) : (kept as unknown as T[]),
    nextCursor: more ? encodeCursor(kept[kept.length - 1].id) : null,
  };
}

/** The OpenAPI schema of a page of items. */
export function pageSchema(item: z.ZodType): z.ZodType {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
  });
}
