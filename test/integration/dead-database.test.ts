/**
 * A database that accepts connections and never answers (a hung Postgres, a black-holed network)
 * gives a 503 with a code within the configured bound, not a request that hangs or a 500.
 */
import net from 'node:net';
import request from 'supertest';
import { createDb } from '../../lib/db';
import { testApp } from '../support/env';

describe('a dead database', () => {
  let silent: net.Server;
  let port: number;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    port = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('answers 503 DATABASE_UNAVAILABLE within the connect bound', async () => {
    const db = createDb(`postgresql://nobody:nothing@127.0.0.1:${port}/none`, { connectTimeoutMs: 500 });
    const { app } = testApp(db);
    const startedAt = Date.now();
    const res = await request(app).post('/api/dev/tokens').send({ login: 'gaj.reviewer' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
    // An answer rather than a hang (the silent port never answers); not a speed check.
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    await db.$disconnect();
  });
});
