/**
 * createOnce (api/submissions.ts), the keyed create of the catalog's drafts, duties and projects,
 * with the orders a race between two identical requests can take played out one by one.
 */
import { Prisma } from '../../generated/prisma/client';
import { AppError } from '../../api/errors';
import { createOnce, type KeyedCreate } from '../../api/submissions';

interface Row {
  no: string;
  requestHash: string;
}

const keyTaken = () =>
  new Prisma.PrismaClientKnownRequestError('Unique constraint failed', { code: 'P2002', clientVersion: '7' });
const reused = (r: Row) => new AppError('IDEMPOTENCY_KEY_REUSED', { zh: `已用于 ${r.no}`, en: `used for ${r.no}` });
const taken = () => new AppError('CATALOG_DRAFT_OPEN', { zh: '已有草稿', en: 'a draft is under way' });

/** find() answers from `finds` in turn; create() fails with `fails` (or writes). */
function keyed(finds: Array<Row | null>, fails?: Error): KeyedCreate<Row> & { created: number } {
  const k = {
    created: 0,
    requestHash: 'h1',
    find: async () => finds.shift() ?? null,
    reused,
    taken,
    create: async () => {
      if (fails) throw fails;
      k.created += 1;
    },
  };
  return k;
}

describe('createOnce', () => {
  it('creates when the key is new and answers null', async () => {
    const k = keyed([null]);
    expect(await createOnce(k)).toBeNull();
    expect(k.created).toBe(1);
  });

  it('answers the earlier row of a repeat without writing; other content is 409', async () => {
    const same = keyed([{ no: 'A', requestHash: 'h1' }]);
    expect(await createOnce(same)).toEqual({ no: 'A', requestHash: 'h1' });
    expect(same.created).toBe(0);
    const other = keyed([{ no: 'A', requestHash: 'h2' }]);
    await expect(createOnce(other)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', messageEn: 'used for A' });
    expect(other.created).toBe(0);
  });

  it('a twin that inserted first (the key taken) is the answer; one with other content is 409', async () => {
    expect(await createOnce(keyed([null, { no: 'B', requestHash: 'h1' }], keyTaken()))).toMatchObject({ no: 'B' });
    await expect(createOnce(keyed([null, { no: 'B', requestHash: 'h2' }], keyTaken()))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it("a check that failed on the twin's row (e.g. an open draft of the code) is answered as the repeat", async () => {
    const open = new AppError('CATALOG_DRAFT_OPEN', { zh: '已有草稿 C', en: 'draft C under way' });
    expect(await createOnce(keyed([null, { no: 'C', requestHash: 'h1' }], open))).toMatchObject({ no: 'C' });
  });

  it('without a twin, a taken unique value is `taken`, and a refused request keeps its own error', async () => {
    await expect(createOnce(keyed([null, null], keyTaken()))).rejects.toMatchObject({ code: 'CATALOG_DRAFT_OPEN' });
    const refused = new AppError('NOT_FOUND', { zh: '不存在', en: 'no such entry' });
    await expect(createOnce(keyed([null, null], refused))).rejects.toBe(refused);
  });
});
