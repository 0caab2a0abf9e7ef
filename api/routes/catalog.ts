import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { authorize } from '../access';
import { parse } from '../errors';
import { documented } from '../openapi';
import { pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';

const catalogQuery = z
  .object({
    provider: z.string().min(1).max(64).optional(),
    shareClass: z.enum(['UNCONDITIONAL', 'CONDITIONAL', 'NOT_SHARED']).optional(),
    openClass: z.enum(['UNCONDITIONAL', 'CONDITIONAL', 'NOT_OPEN']).optional(),
    ...pageQuery,
  })
  .strict();

export function catalogRouter(deps: ApiDeps): Router {
  documented({
    method: 'get',
    path: '/api/catalog',
    summary: 'Catalog entries (政务信息资源目录), filtered, in pages of cursor/limit; department accounts only',
    tags: ['catalog'],
    auth: 'required',
    query: catalogQuery,
    errors: ['FORBIDDEN'],
    response: pageSchema(z.object({ code: z.string(), name: z.string(), disputed: z.boolean() }).loose()),
  });
  const router = Router();
  router.get('/api/catalog', async (req, res) => {
    // Department accounts only: the public sees the open catalogue (GET /api/open/catalog).
    authorize(req, 'catalog');
    const q = parse(catalogQuery, req.query, 'query');
    // A retired entry (撤销/停用) has left the catalogue; its history stays readable.
    const where = { providerId: q.provider, shareClass: q.shareClass, openClass: q.openClass, retiredAt: null };
    const rows = await deps.db.dataResource.findMany({
      where,
      orderBy: [{ code: 'asc' }, { id: 'asc' }],
      ...pageArgs(q),
      include: {
        provider: { select: { id: true, name: true } },
        disputeMarks: { where: { clearedAt: null }, select: { id: true, note: true, markedAt: true } },
      },
    });
    res.json(
      toPage(q, rows, ({ disputeMarks, catalogId: _catalogId, providerId: _providerId, ...r }) => ({
        ...r,
        disputed: disputeMarks.length > 0,
        disputeMarks,
      })),
    );
  });
  return router;
}
