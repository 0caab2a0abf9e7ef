/**
 * Every error code a route can answer with is in its documented responses in /openapi.json.
 *
 * The codes are found in the source: for each `router.<method>('<path>', handler)` of the routers
 * below, every `new AppError('<CODE>', …)` in the handler and, transitively, in every function of
 * this repository it calls (resolved by the TypeScript checker across files). A code chosen at
 * run time (a workflow's refusal passed on by api/kit/updates.ts) is not seen here; the routes
 * name those in `errors:` themselves.
 */
import path from 'node:path';
import ts from 'typescript';
import { openApiDocument } from '../../api/openapi';
import { applicationsRouter } from '../../api/routes/applications';
import { catalogRouter } from '../../api/routes/catalog';
import { openDataRouter } from '../../api/routes/conditional-open';
import { nonGovernmentApplicationsRouter } from '../../api/routes/non-government-access';
import { tasksRouter } from '../../api/routes/tasks';

const ROOT = path.join(__dirname, '..', '..');
/** The routers whose operations are checked (the others are to follow). */
const CHECKED_ROUTERS = [
  'api/routes/applications.ts',
  'api/routes/non-government-access.ts',
  'api/routes/conditional-open.ts',
  'api/routes/tasks.ts',
  'api/routes/catalog.ts',
];

function program(): ts.Program {
  const configPath = ts.findConfigFile(ROOT, ts.sys.fileExists, 'tsconfig.json')!;
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  return ts.createProgram({ rootNames: CHECKED_ROUTERS.map((f) => path.join(ROOT, f)), options: config.options });
}

function thrownCodes(p: ts.Program, root: ts.Node): Set<string> {
  const checker = p.getTypeChecker();
  const seen = new Set<ts.Node>();
  const codes = new Set<string>();
  const inRepo = (file: ts.SourceFile) => !file.fileName.includes('node_modules') && !file.isDeclarationFile;
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'AppError') {
      const first = node.arguments?.[0];
      if (first && ts.isStringLiteralLike(first)) codes.add(first.text);
    }
    if (ts.isCallExpression(node)) {
      let symbol = checker.getSymbolAtLocation(
        ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression,
      );
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      for (const decl of symbol?.declarations ?? []) {
        if (seen.has(decl) || !inRepo(decl.getSourceFile())) continue;
        seen.add(decl);
        visit(decl);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(root);
  return codes;
}

function routes(p: ts.Program): Array<{ method: string; path: string; codes: Set<string> }> {
  const found: Array<{ method: string; path: string; codes: Set<string> }> = [];
  for (const file of CHECKED_ROUTERS) {
    const source = p.getSourceFile(path.join(ROOT, file))!;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ts.isIdentifier(node.expression.expression) &&
        node.expression.expression.text === 'router' &&
        ['get', 'post', 'put', 'delete'].includes(node.expression.name.text) &&
        node.arguments.length >= 2 &&
        ts.isStringLiteralLike(node.arguments[0])
      ) {
        const handlers = node.arguments.slice(1);
        const codes = new Set<string>();
        for (const h of handlers) for (const c of thrownCodes(p, h)) codes.add(c);
        found.push({
          method: node.expression.name.text,
          path: node.arguments[0].text.replace(/:(\w+)/g, '{$1}'),
          codes,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('the OpenAPI document names every error a route can answer with', () => {
  let doc: { paths: Record<string, Record<string, { responses: Record<string, { 'x-error-codes'?: string[] }> }>> };
  let found: ReturnType<typeof routes>;
  beforeAll(() => {
    // Building a router documents its operations; nothing is served.
    for (const router of [
      applicationsRouter,
      catalogRouter,
      openDataRouter,
      nonGovernmentApplicationsRouter,
      tasksRouter,
    ])
      router({ db: {}, config: {} } as never);
    doc = openApiDocument() as typeof doc;
    found = routes(program());
  }, 60_000);

  it('finds the routes of the checked routers', () => {
    expect(found.length).toBeGreaterThan(15);
    expect(found.find((r) => r.path === '/api/applications' && r.method === 'post')?.codes).toContain(
      'UNKNOWN_RESOURCE',
    );
  });

  it('documents each route and each code it throws under that code’s status', () => {
    const missing: string[] = [];
    for (const r of found) {
      const op = doc.paths[r.path]?.[r.method];
      if (!op) {
        missing.push(`${r.method.toUpperCase()} ${r.path}: not documented`);
        continue;
      }
      const documentedCodes = new Set(Object.values(op.responses).flatMap((x) => x['x-error-codes'] ?? []));
      for (const code of r.codes)
        if (!documentedCodes.has(code)) missing.push(`${r.method.toUpperCase()} ${r.path}: ${code}`);
    }
    expect(missing).toEqual([]);
  });

  it('documents a body schema for the answers of list and detail operations', () => {
    for (const [p, method] of [
      ['/api/catalog', 'get'],
      ['/api/inbox', 'get'],
      ['/api/applications', 'get'],
      ['/api/applications/{no}', 'get'],
      ['/api/tasks/{id}', 'get'],
      ['/api/open/catalog', 'get'],
      ['/api/open/applications/{no}', 'get'],
    ] as const) {
      const ok = doc.paths[p][method].responses['200'] as { content?: unknown };
      expect([p, ok.content]).toEqual([p, expect.objectContaining({ 'application/json': expect.anything() })]);
    }
  });
});
