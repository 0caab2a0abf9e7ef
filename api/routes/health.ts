import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { oneLine } from '../../lib/one-line';
import { noQuery } from '../errors';
import { documented } from '../openapi';

async function check(what: () => Promise<unknown>, timeoutMs = 3000): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      what(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    // A Prisma error starts with a blank line and ends with the reason: its first line said nothing.
    return { ok: false, error: oneLine(err) };
  } finally {
    clearTimeout(timer);
  }
}

const checkSchema = z.object({ ok: z.boolean(), error: z.string().optional() });
const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ postgres: checkSchema, temporal: checkSchema }),
});

export function healthRouter(deps: ApiDeps): Router {
  documented({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and readiness: Postgres and Temporal',
    tags: ['ops'],
    auth: 'none',
    response: healthSchema,
    bodies: { 503: healthSchema },
    responses: { 200: 'All dependencies ok', 503: 'A dependency is down' },
  });
  const router = Router();
  router.get('/healthz', async (req, res) => {
    noQuery(req.query);
    const [postgres, temporal] = await Promise.all([
      check(() => deps.db.$queryRaw`SELECT 1`),
      check(async () => {
        const { connection } = await deps.temporal();
        await connection.healthService.check({});
      }),
    ]);
    const ok = postgres.ok && temporal.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks: { postgres, temporal } });
  });
  return router;
}
