/**
 * Every error code a route can answer with is in its documented responses in /openapi.json, for
 * every router in api/routes.
 *
 * The codes are found in the source: for each `router.<method>(path, ...handlers)` of a router,
 * every `new AppError('<CODE>', …)` in its handlers and, transitively, in every function of this
 * repository they call or pass on (a middleware, a callback such as `.catch(unavailable)`),
 * resolved by the TypeScript checker across files, shared kit functions included. A path built
 * in a loop (`for (const [path] of [['suspend'], …])` … `router.post(\`…/${path}\`)`) stands for
 * each of its values. A code chosen at run time (a workflow's refusal passed on by
 * api/kit/updates.ts) is not seen here; the routes name those in `errors:` themselves. What the
 * app-level middleware answers (authentication, rate limits, body and text checks) is in every
 * operation's documentation by api/openapi.ts (operationErrors).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { openApiDocument } from '../../api/openapi';
import { ERROR_STATUS } from '../../domain/error-codes';

const ROOT = path.join(__dirname, '..', '..');
const ROUTES_DIR = path.join(ROOT, 'api', 'routes');
/** Every router of the API. */
const ROUTERS = fs
  .readdirSync(ROUTES_DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(ROUTES_DIR, f));

/** The workflow code, whose update handlers refuse commands with `reject('<CODE>', …)`. */
function workflowFiles(dir = path.join(ROOT, 'workflows')): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? workflowFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

function program(): ts.Program {
  const configPath = ts.findConfigFile(ROOT, ts.sys.fileExists, 'tsconfig.json')!;
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  return ts.createProgram({ rootNames: [...ROUTERS, ...workflowFiles()], options: config.options });
}

const inRepo = (file: ts.SourceFile) =>
  !file.isDeclarationFile && !/[\\/](node_modules|generated)[\\/]/.test(path.relative(ROOT, file.fileName) + '/');

/**
 * The code of a `new AppError(code, …)` or of a workflow's `reject(code, …)` (which
 * api/kit/updates.ts answers as that AppError), or null when it is not a literal.
 */
function errorCode(node: ts.Node): string | null | undefined {
  const made =
    (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'AppError') ||
    (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'reject');
  if (!made) return undefined;
  const first = node.arguments?.[0];
  return first && ts.isStringLiteralLike(first) ? first.text : null;
}

/** The declaration a name stands for, through imports. */
function declarationsOf(checker: ts.TypeChecker, at: ts.Node): readonly ts.Declaration[] {
  let symbol = checker.getSymbolAtLocation(at);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.declarations ?? [];
}

/**
 * Each Update definition's handler and validator in the workflows: `setHandler(update, handler,
 * { validator })`. A route's `executeUpdate(update, …)` can answer with what they reject.
 */
function updateHandlers(p: ts.Program): Map<ts.Declaration, ts.Node[]> {
  const checker = p.getTypeChecker();
  const handlers = new Map<ts.Declaration, ts.Node[]>();
  for (const source of p.getSourceFiles()) {
    if (!source.fileName.startsWith(path.join(ROOT, 'workflows') + path.sep)) continue;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'setHandler' &&
        node.arguments.length >= 2
      ) {
        for (const decl of declarationsOf(checker, node.arguments[0]))
          handlers.set(decl, [...(handlers.get(decl) ?? []), ...node.arguments.slice(1)]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return handlers;
}

/**
 * What an interface member stands for at run time: the object-literal members and class methods
 * of shared code that implement it (`STARTERS.COMMERCIAL_TENDER.start(…)` runs the `start` of each
 * `Starter` in api/kit/starters.ts). Implementations in a router are not: they are a route's own
 * callbacks (`submitOnce({ create: … })`), already read as part of the route.
 */
function implementations(p: ts.Program): Map<ts.Declaration, ts.Node[]> {
  const checker = p.getTypeChecker();
  const impl = new Map<ts.Declaration, ts.Node[]>();
  const add = (type: ts.Type | undefined, name: string, member: ts.Node) => {
    for (const decl of type?.getProperty(name)?.declarations ?? [])
      if ((ts.isMethodSignature(decl) || ts.isPropertySignature(decl)) && inRepo(decl.getSourceFile()))
        impl.set(decl, [...(impl.get(decl) ?? []), member]);
  };
  for (const source of p.getSourceFiles()) {
    if (!inRepo(source) || ROUTERS.includes(path.resolve(source.fileName))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isObjectLiteralExpression(node)) {
        const type = checker.getContextualType(node);
        for (const member of node.properties)
          if (member.name && (ts.isIdentifier(member.name) || ts.isStringLiteralLike(member.name)))
            add(type, member.name.text, member);
      }
      if (ts.isClassDeclaration(node))
        for (const clause of node.heritageClauses ?? [])
          for (const implemented of clause.types)
            for (const member of node.members)
              if (member.name && ts.isIdentifier(member.name))
                add(checker.getTypeAtLocation(implemented), member.name.text, member);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return impl;
}

function thrownCodes(
  p: ts.Program,
  handlers: Map<ts.Declaration, ts.Node[]>,
  impl: Map<ts.Declaration, ts.Node[]>,
  roots: readonly ts.Node[],
): Set<string> {
  const checker = p.getTypeChecker();
  const seen = new Set<ts.Node>();
  const codes = new Set<string>();
  const once = (node: ts.Node): void => {
    if (seen.has(node) || !inRepo(node.getSourceFile())) return;
    seen.add(node);
    visit(node);
  };
  const follow = (at: ts.Node): void => {
    for (const decl of declarationsOf(checker, at)) {
      once(decl);
      for (const member of impl.get(decl) ?? []) once(member);
    }
  };
  const visit = (node: ts.Node): void => {
    const code = errorCode(node);
    if (code) codes.add(code);
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression;
      follow(ts.isPropertyAccessExpression(callee) ? callee.name : callee);
      // An Update sent to a running procedure answers with what its handler or validator rejects.
      const update = node.arguments?.[0];
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'executeUpdate' && update)
        for (const decl of declarationsOf(checker, update))
          for (const handler of handlers.get(decl) ?? []) once(handler);
      // A function passed on (a middleware, `.catch(unavailable)`) runs too.
      for (const arg of node.arguments ?? []) {
        if (ts.isIdentifier(arg)) follow(arg);
        else if (ts.isPropertyAccessExpression(arg)) follow(arg.name);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const root of roots) {
    if (ts.isIdentifier(root)) follow(root);
    else visit(root);
  }
  return codes;
}

/** The string values an identifier takes in the `for … of [literal array]` that declares it. */
function loopValues(p: ts.Program, id: ts.Expression): string[] | undefined {
  if (!ts.isIdentifier(id)) return undefined;
  const decl = p.getTypeChecker().getSymbolAtLocation(id)?.declarations?.[0];
  if (!decl || !(ts.isBindingElement(decl) || ts.isVariableDeclaration(decl))) return undefined;
  // Up to the loop: `for (const x of …)` or `for (const [x, y] of …)`, with the index of x.
  let index: number | undefined;
  let node: ts.Node = decl;
  if (ts.isBindingElement(decl)) {
    const pattern = decl.parent;
    if (!ts.isArrayBindingPattern(pattern)) return undefined;
    index = pattern.elements.indexOf(decl);
    node = pattern.parent;
  }
  const list = node.parent;
  const loop = list?.parent;
  if (!list || !ts.isVariableDeclarationList(list) || !loop || !ts.isForOfStatement(loop)) return undefined;
  let array = loop.expression;
  while (ts.isAsExpression(array) || ts.isParenthesizedExpression(array)) array = array.expression;
  if (!ts.isArrayLiteralExpression(array)) return undefined;
  const values: string[] = [];
  for (const element of array.elements) {
    const value =
      index === undefined ? element : ts.isArrayLiteralExpression(element) ? element.elements[index] : undefined;
    if (!value || !ts.isStringLiteralLike(value)) return undefined;
    values.push(value.text);
  }
  return values;
}

/** The Express paths a route's first argument stands for; undefined when they cannot be told. */
function routePaths(p: ts.Program, arg: ts.Expression): string[] | undefined {
  if (ts.isStringLiteralLike(arg)) return [arg.text];
  if (!ts.isTemplateExpression(arg)) return undefined;
  let paths = [arg.head.text];
  for (const span of arg.templateSpans) {
    const values = loopValues(p, span.expression);
    if (!values) return undefined;
    paths = paths.flatMap((prefix) => values.map((v) => prefix + v + span.literal.text));
  }
  return paths;
}

interface Route {
  method: string;
  path: string;
  codes: Set<string>;
}

function routes(p: ts.Program): { found: Route[]; unresolved: string[] } {
  const handlers = updateHandlers(p);
  const impl = implementations(p);
  const found: Route[] = [];
  const unresolved: string[] = [];
  for (const file of ROUTERS) {
    const source = p.getSourceFile(file)!;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ts.isIdentifier(node.expression.expression) &&
        node.expression.expression.text === 'router' &&
        node.arguments.length >= 1
      ) {
        const method = node.expression.name.text;
        if (['get', 'post', 'put', 'delete', 'patch'].includes(method)) {
          const paths = routePaths(p, node.arguments[0]);
          const codes = thrownCodes(p, handlers, impl, node.arguments.slice(1));
          if (!paths) unresolved.push(`${path.relative(ROOT, file)}: ${node.arguments[0].getText(source)}`);
          for (const route of paths ?? []) found.push({ method, path: route.replace(/:(\w+)/g, '{$1}'), codes });
        } else if (method === 'use' || method === 'all') {
          unresolved.push(`${path.relative(ROOT, file)}: router.${method}(…) is not analysed`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { found, unresolved };
}

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters: Array<{ name: string; in: string }>;
        responses: Record<string, { description?: string; 'x-error-codes'?: string[] }>;
      }
    >
  >;
};

describe('the OpenAPI document names every error a route can answer with', () => {
  let doc: Doc;
  let analysis: ReturnType<typeof routes>;
  beforeAll(async () => {
    // Building a router documents its operations; nothing is served.
    for (const file of ROUTERS) {
      const mod = (await import(file)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod))
        if (/Router$/.test(name) && typeof value === 'function')
          (value as (deps: unknown) => unknown)({ db: {}, config: {}, oidc: null, tokens: {}, logger: {} });
    }
    doc = openApiDocument() as Doc;
    analysis = routes(program());
  }, 120_000);

  it('finds the routes of every router in api/routes, those built in a loop included', () => {
    expect(analysis.unresolved).toEqual([]);
    const files = new Set(ROUTERS.map((f) => path.basename(f)));
    expect(files.size).toBeGreaterThanOrEqual(19);
    expect(analysis.found.length).toBeGreaterThan(80);
    const route = (method: string, p: string) => analysis.found.find((r) => r.path === p && r.method === method);
    expect(route('post', '/api/applications')?.codes).toContain('UNKNOWN_RESOURCE');
    // Through a shared kit function (api/kit/temporal.ts) and a loop-built path.
    // A workflow's refusal of an Update, through api/kit/updates.ts and, for tasks, api/kit/decisions.ts.
    expect(route('post', '/api/tenders/{no}/announce')?.codes).toContain('BID_WINDOW_TOO_SHORT');
    expect(route('post', '/api/tasks/{id}/complete')?.codes).toContain('REASONS_REQUIRED');
    for (const c of ['SERVICE_UNAVAILABLE', 'CONFLICT', 'NOT_FOUND', 'WORKFLOW_TIMEOUT'])
      expect([c, route('post', '/api/authorizations/{no}/suspend')?.codes.has(c)]).toEqual([c, true]);
  });

  it('documents each route and each code it throws under that code’s status', () => {
    const missing: string[] = [];
    for (const r of analysis.found) {
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

  it('names no error code in a description that is not among the documented codes', () => {
    const known = Object.keys(ERROR_STATUS);
    const stray: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const documentedCodes = new Set(Object.values(op.responses).flatMap((x) => x['x-error-codes'] ?? []));
        for (const [status, r] of Object.entries(op.responses))
          for (const word of (r.description ?? '').match(/\b[A-Z][A-Z_]{3,}\b/g) ?? [])
            if (known.includes(word) && !documentedCodes.has(word))
              stray.push(`${method.toUpperCase()} ${p} ${status}: ${word}`);
      }
    expect(stray).toEqual([]);
  });

  it('documents RATE_LIMITED for every write, with a body or not', () => {
    const unlimited = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => method !== 'get' && !op.responses['429']?.['x-error-codes']?.includes('RATE_LIMITED'))
        .map(([method]) => `${method.toUpperCase()} ${p}`),
    );
    expect(unlimited).toEqual([]);
  });

  it('documents no operation that no router serves', () => {
    const served = new Set(analysis.found.map((r) => `${r.method} ${r.path}`));
    const extra = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .map((m) => `${m} ${p}`)
        .filter((op) => !served.has(op)),
    );
    expect(extra).toEqual([]);
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
      ['/api/incidents', 'get'],
      ['/api/objections', 'get'],
      ['/api/tenders', 'get'],
      ['/api/tenders/{no}/comments', 'get'],
      ['/api/authorizations', 'get'],
    ] as const) {
      const ok = doc.paths[p][method].responses['200'] as { content?: unknown };
      expect([p, ok.content]).toEqual([p, expect.objectContaining({ 'application/json': expect.anything() })]);
    }
  });

  it('pages every list the one way: cursor/limit, never page/pageSize (issue 13 point 12)', () => {
    const offsetPaged: string[] = [];
    const cursorPaged: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const names = op.parameters.filter((x) => x.in === 'query').map((x) => x.name);
        if (names.some((n) => ['page', 'pageSize', 'offset', 'per_page'].includes(n)))
          offsetPaged.push(`${method.toUpperCase()} ${p}`);
        if (names.includes('cursor')) {
          expect([p, names]).toEqual([p, expect.arrayContaining(['cursor', 'limit'])]);
          cursorPaged.push(p);
        }
      }
    expect(offsetPaged).toEqual([]);
    expect(cursorPaged).toEqual(
      expect.arrayContaining([
        '/api/catalog',
        '/api/open/catalog',
        '/api/applications',
        '/api/open/applications',
        '/api/open/authorizations',
        '/api/inbox',
        '/api/incidents',
        '/api/objections',
        '/api/tenders',
        '/api/tenders/{no}/comments',
        '/api/authorizations',
        '/api/authorizations/register',
        // Answered in full before (issue 13 point 12, session 5): every list that grows pages too.
        '/api/departments',
        '/api/catalog/drafts',
        '/api/catalog/entries/{code}/history',
        '/api/tenders/{no}/bids',
        '/api/audit',
        '/api/supervision/cases',
      ]),
    );
  });
});
