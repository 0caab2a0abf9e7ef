import { z } from 'zod';
import { checkCursor, encodeCursor, pageArgs, pageQuery, toPage } from '../../api/kit/paging';

const query = z.object(pageQuery).strict();

describe('cursor/limit paging (api/kit/paging)', () => {
  it('gives back the id of the last row of a page as the next cursor, and none on the last page', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const q = query.parse({ limit: '2' });
    expect(pageArgs(q)).toEqual({ take: 3 });
    const first = toPage(q, rows);
    expect(first).toEqual({ items: [{ id: 'a' }, { id: 'b' }], nextCursor: encodeCursor('b') });
    const next = query.parse({ limit: '2', cursor: first.nextCursor });
    expect(next.cursor).toBe('b');
    expect(pageArgs(next)).toEqual({ take: 3, cursor: { id: 'b' }, skip: 1 });
    expect(toPage(next, [{ id: 'c' }])).toEqual({ items: [{ id: 'c' }], nextCursor: null });
  });

  it('refuses a cursor that no page gave out (not base64url, not canonical, or not a row id)', () => {
    for (const cursor of ['/x+y', 'bAA', encodeCursor('a\u0000b'), encodeCursor('名字'), 'YQ=', 'YR'])
      expect([cursor, query.safeParse({ cursor }).success]).toEqual([cursor, false]);
    expect(query.safeParse({ page: '1' }).success).toBe(false);
    expect(query.safeParse({ limit: '101' }).success).toBe(false);
    expect(query.parse({})).toEqual({ limit: 20 });
  });

  it('refuses a well-formed cursor that names no row of the list as filtered now', async () => {
    const rows = new Set(['a', 'b']);
    const exists = async (id: string) => (rows.has(id) ? 1 : 0);
    await expect(checkCursor(query.parse({}), exists)).resolves.toBeUndefined();
    await expect(checkCursor(query.parse({ cursor: encodeCursor('b') }), exists)).resolves.toBeUndefined();
    await expect(checkCursor(query.parse({ cursor: encodeCursor('c') }), exists)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      details: [expect.objectContaining({ path: 'cursor' })],
    });
  });
});
