/** Follows `nextCursor` through every page of a list endpoint (the one paging scheme: cursor/limit). */
export async function allPages<T>(
  get: (query: string) => Promise<{ body: { items: T[]; nextCursor: string | null } }>,
  query = '',
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const sep = query ? '&' : '';
    const res = await get(`${query}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('more than 1000 pages');
}

interface ListAnswer {
  status: number;
  body: { items?: Array<Record<string, unknown>>; nextCursor?: string | null; error?: { code: string } };
}

/**
 * Walks the first two pages of a list with its cursor, as a client does, and checks the one
 * paging scheme (api/kit/paging.ts): the pages follow each other without gap or repeat (against
 * the list read as one page), `nextCursor` is the answer's only paging field (no total), and the offset
 * parameters of old, an unknown parameter, a forged cursor and another list's cursor are 400
 * VALIDATION_FAILED. The list must hold at least three items for `query`.
 */
export async function expectCursorPaging(
  get: (query: string) => Promise<ListAnswer>,
  key: string,
  query = '',
  otherListCursor?: string,
): Promise<void> {
  const q = (s: string) => (query ? `${query}&${s}` : s);
  const keys = (a: ListAnswer) => (a.body.items ?? []).map((i) => i[key]);
  const whole = await get(q('limit=100'));
  expect(whole.status).toBe(200);
  expect(keys(whole).length).toBeGreaterThanOrEqual(3);
  const first = await get(q('limit=2'));
  expect(first.status).toBe(200);
  expect(Object.keys(first.body).filter((k) => ['page', 'pageSize', 'total'].includes(k))).toEqual([]);
  expect(keys(first)).toEqual(keys(whole).slice(0, 2));
  expect(first.body.nextCursor).toEqual(expect.any(String));
  const second = await get(q(`limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`));
  expect(second.status).toBe(200);
  expect(keys(second)).toEqual(keys(whole).slice(2, 4));
  if (keys(whole).length <= 4) expect(second.body.nextCursor).toBeNull();
  else expect(second.body.nextCursor).toEqual(expect.any(String));
  const forged = Buffer.from('no-such-row', 'utf8').toString('base64url');
  for (const bad of [
    'page=2',
    'pageSize=2',
    'colour=red',
    'limit=0',
    'limit=101',
    'cursor=%2Fnot%2Ba%2Bcursor',
    `cursor=${forged}`,
    ...(otherListCursor ? [`cursor=${encodeURIComponent(otherListCursor)}`] : []),
  ]) {
    const res = await get(q(bad));
    expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
  }
}
