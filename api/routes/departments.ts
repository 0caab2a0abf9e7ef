import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { requirePrincipal } from '../auth';
import { parse } from '../errors';
import { checkCursor, pageArgs, pageQuery, pageSchema, toPage } from '../kit/paging';
import { documented } from '../openapi';

const departmentsSchema = pageSchema(z.object({ id: z.string(), name: z.string(), kind: z.string() }));
/** Departments by id, a page at a time like every list (cursor/limit). */
const departmentsQuery = z.object(pageQuery).strict();

export function departmentsRouter(deps: ApiDeps): Router {
  documented({
    method: 'get',
    path: '/api/departments',
    summary: 'All departments with their kind, by id, a page at a time (cursor/limit)',
    tags: ['catalog'],
    auth: 'required',
    query: departmentsQuery,
    response: departmentsSchema,
  });
  const router = Router();
  router.get('/api/departments', async (req, res) => {
    requirePrincipal(req);
    const q = parse(departmentsQuery, req.query, 'query');
    await checkCursor(q, (id) => deps.db.department.count({ where: { id } }));
    const rows = await deps.db.department.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, name: true, kind: true },
      ...pageArgs(q),
    });
    res.json(toPage(q, rows));
  });
  return router;
}
