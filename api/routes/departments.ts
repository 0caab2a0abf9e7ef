import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { requirePrincipal } from '../auth';
import { documented } from '../openapi';

const departmentsSchema = z.object({
  items: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })),
});

export function departmentsRouter(deps: ApiDeps): Router {
  documented({
    method: 'get',
    path: '/api/departments',
    summary: 'All departments with their kind',
    tags: ['catalog'],
    auth: 'required',
    response: departmentsSchema,
  });
  const router = Router();
  router.get('/api/departments', async (req, res) => {
    requirePrincipal(req);
    const items = await deps.db.department.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, name: true, kind: true },
    });
    res.json({ items });
  });
  return router;
}
