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
