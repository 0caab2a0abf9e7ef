/** Requests to the API as a seeded user, with development tokens fetched once per login. */
import request from 'supertest';
import type { Express } from 'express';

export function signedIn(app: () => Express) {
  const tokens = new Map<string, string>();
  async function as(login: string): Promise<string> {
    if (!tokens.has(login))
      tokens.set(login, (await request(app()).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
    return tokens.get(login)!;
  }
  return {
    as,
    get: async (login: string, url: string) =>
      request(app())
        .get(url)
        .auth(await as(login), { type: 'bearer' }),
    post: async (login: string, url: string, body: object = {}) =>
      request(app())
        .post(url)
        .auth(await as(login), { type: 'bearer' })
        .send(body),
  };
}
