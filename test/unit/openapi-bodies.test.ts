/**
 * Every operation in /openapi.json documents the body of each success answer it gives (issue 13
 * point 10): a JSON schema for 200/201/202, a media type for a file download; 204 and redirects
 * have none. test/integration/openapi-bodies.test.ts checks real answers against these schemas.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '../../api/openapi';

const ROUTES_DIR = path.join(__dirname, '..', '..', 'api', 'routes');

type Response = { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> };
type Doc = { paths: Record<string, Record<string, { responses: Record<string, Response> }>> };

describe('the OpenAPI document describes the body of every success answer', () => {
  let doc: Doc;
  beforeAll(async () => {
    // Building a router documents its operations; nothing is served.
    for (const file of fs.readdirSync(ROUTES_DIR).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(path.join(ROUTES_DIR, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod))
        if (/Router$/.test(name) && typeof value === 'function')
          (value as (deps: unknown) => unknown)({ db: {}, config: {}, oidc: null, tokens: {}, logger: {} });
    }
    doc = openApiDocument() as Doc;
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${p}`, op })),
    );

  it('documents at least one success or redirect answer for every operation', () => {
    expect(operations().length).toBeGreaterThan(80);
    const without = operations()
      .filter(({ op }) => !Object.keys(op.responses).some((s) => /^[23]/.test(s)))
      .map(({ name }) => name);
    expect(without).toEqual([]);
  });

  it('gives each 200/201/202 answer a JSON schema or, for a download, its media types', () => {
    const missing: string[] = [];
    for (const { name, op } of operations())
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^2/.test(status) || status === '204') continue;
        const content = Object.entries(r.content ?? {});
        const described =
          content.length > 0 &&
          content.every(([type, c]) =>
            type === 'application/json'
              ? c.schema !== undefined && Object.keys(c.schema).length > 0
              : c.schema?.format === 'binary',
          );
        if (!described) missing.push(`${name} ${status}`);
      }
    expect(missing).toEqual([]);
  });

  it('gives 204 and redirect answers no body', () => {
    const withBody = operations().flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([status, r]) => (status === '204' || /^3/.test(status)) && r.content)
        .map(([status]) => `${name} ${status}`),
    );
    expect(withBody).toEqual([]);
  });
});
