/**
 * Every refusal a person can read is written in Chinese, with its English text beside it.
 *
 * The sites are found by parsing the source (TypeScript's parser, no regexes): every
 * `new AppError(code, message, …)` in api/ and lib/, and every `reject(code, message, …)` of
 * workflows/kit/reject in workflows/. The message must be an object literal `{ zh, en }` whose
 * `zh` has Chinese text in it (in every branch of a `?:`); a plain string, a variable or a
 * `zh` without a CJK character fails, naming the file and line. And zod's field problems, through
 * parse(), are Chinese with their English kept for messageEn.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { z } from 'zod';
import { SignJWT } from 'jose';
import { ACCESS_MATRIX } from '../../api/access';
import { rejection, TokenService } from '../../api/auth';
import { AppError, fieldText, parse } from '../../api/errors';
import { unavailable } from '../../api/kit/temporal';

const ROOT = path.join(__dirname, '..', '..');
const HAN = /\p{Script=Han}/u;

/**
 * Sites that pass a text on rather than write one: api/kit/updates.ts answers a workflow's
 * refusal with the `{ zh, en }` the workflow's reject() carried (checked at the reject sites).
 */
const PASSED_ON = new Set(['api/kit/updates.ts:cause.message']);

export interface Site {
  file: string;
  line: number;
  kind: 'AppError' | 'reject';
  problem: string | null;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.isFile() && rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Whether every way the expression can evaluate carries some Chinese literal text. */
function hasChinese(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e)) return hasChinese(e.expression);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return HAN.test(e.text);
  if (ts.isTemplateExpression(e))
    return [e.head.text, ...e.templateSpans.map((s) => s.literal.text)].some((t) => HAN.test(t));
  if (ts.isConditionalExpression(e)) return hasChinese(e.whenTrue) && hasChinese(e.whenFalse);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)
    return hasChinese(e.left) || hasChinese(e.right);
  return false;
}

function messageProblem(file: string, sf: ts.SourceFile, arg: ts.Expression | undefined): string | null {
  if (!arg) return 'no message';
  if (!ts.isObjectLiteralExpression(arg)) return `message is not { zh, en }: ${arg.getText(sf)}`;
  const prop = (name: string) =>
    arg.properties.find(
      (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name,
    );
  const zh = prop('zh');
  const en = prop('en');
  if (!zh || !en) return `message lacks ${zh ? 'en' : 'zh'}: ${arg.getText(sf)}`;
  if (PASSED_ON.has(`${file}:${zh.initializer.getText(sf)}`)) return null;
  if (!hasChinese(zh.initializer)) return `zh has no Chinese text: ${zh.initializer.getText(sf)}`;
  return null;
}

/** Whether the file's `reject` is the workflow refusal of workflows/kit/reject. */
function importsReject(sf: ts.SourceFile): boolean {
  return sf.statements.some(
    (s) =>
      ts.isImportDeclaration(s) &&
      ts.isStringLiteral(s.moduleSpecifier) &&
      /(^|\/)kit\/reject$|^\.\/reject$/.test(s.moduleSpecifier.text) &&
      !!s.importClause?.namedBindings &&
      ts.isNamedImports(s.importClause.namedBindings) &&
      s.importClause.namedBindings.elements.some((el) => el.name.text === 'reject'),
  );
}

export function errorSites(file: string, text: string): Site[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const rejectIsOurs = file.startsWith('workflows/') && importsReject(sf);
  const sites: Site[] = [];
  const visit = (n: ts.Node): void => {
    let kind: Site['kind'] | null = null;
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'AppError') kind = 'AppError';
    if (rejectIsOurs && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'reject')
      kind = 'reject';
    if (kind) {
      const args = (n as ts.NewExpression | ts.CallExpression).arguments ?? ts.factory.createNodeArray();
      sites.push({
        file,
        line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1,
        kind,
        problem: messageProblem(file, sf, args[1]),
      });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return sites;
}

/** zod checks whose last argument is a custom problem text: `.regex(re, text)`, `.refine(fn, text)`, … */
const ZOD_TEXT_METHODS = new Set(['regex', 'refine', 'min', 'max', 'length', 'startsWith', 'endsWith', 'includes']);

/** Whether a problem text is written with fieldText(zh, en) (or comes from a variable that is). */
function isFieldText(e: ts.Expression): boolean {
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) return e.expression.text === 'fieldText';
  if (ts.isConditionalExpression(e)) return isFieldText(e.whenTrue) && isFieldText(e.whenFalse);
  return !(ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e));
}

/**
 * The problem texts of zod checks and of `ctx.addIssue({ message })` in api/, and the `message`
 * of the field problems an AppError lists in its details: a person reads them in the answer's
 * Chinese `message` (and `details[].message`), so a literal must be Chinese (a detail) or go
 * through fieldText, which keeps the English for messageEn (a zod text).
 */
export function fieldTextSites(file: string, text: string): Array<{ file: string; line: number; problem: string }> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Array<{ file: string; line: number; problem: string }> = [];
  const at = (n: ts.Node, problem: string) =>
    found.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, problem });
  const messageOf = (o: ts.Expression) =>
    ts.isObjectLiteralExpression(o)
      ? o.properties.find(
          (p): p is ts.PropertyAssignment =>
            ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'message',
        )?.initializer
      : undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const method = n.expression.name.text;
      const last = n.arguments[n.arguments.length - 1];
      if (ZOD_TEXT_METHODS.has(method) && n.arguments.length >= 2 && last) {
        const message = ts.isObjectLiteralExpression(last) ? messageOf(last) : last;
        if (message && !isFieldText(message)) at(n, `.${method}(…) text not via fieldText: ${message.getText(sf)}`);
      }
      if (method === 'addIssue' && n.arguments[0]) {
        const message = messageOf(n.arguments[0]);
        if (message && !isFieldText(message)) at(n, `addIssue message not via fieldText: ${message.getText(sf)}`);
      }
    }
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'AppError') {
      const details = n.arguments?.[2];
      if (details && ts.isArrayLiteralExpression(details))
        for (const d of details.elements) {
          const message = messageOf(d);
          if (
            message &&
            (ts.isStringLiteral(message) || ts.isNoSubstitutionTemplateLiteral(message)) &&
            !HAN.test(message.text)
          )
            at(d, `detail message is not Chinese: ${message.getText(sf)}`);
        }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

const FILES = [...sourceFiles('api'), ...sourceFiles('lib'), ...sourceFiles('workflows')];
const SITES = FILES.flatMap((f) => errorSites(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));

describe('error messages for people', () => {
  it('finds the refusals of the API and the workflows', () => {
    // A floor, so that a parser that silently finds nothing cannot pass the check below.
    expect(SITES.filter((s) => s.kind === 'AppError').length).toBeGreaterThan(150);
    expect(SITES.filter((s) => s.kind === 'reject').length).toBeGreaterThan(40);
    expect(SITES.some((s) => s.file === 'lib/calendar-store.ts')).toBe(true);
  });

  it('every new AppError(…) and reject(…) passes { zh, en } with Chinese text in zh', () => {
    const bad = SITES.filter((s) => s.problem).map((s) => `${s.file}:${s.line} ${s.kind}: ${s.problem}`);
    expect(bad).toEqual([]);
  });

  it("every zod problem text of the API goes through fieldText, every detail's message is Chinese", () => {
    const bad = sourceFiles('api').flatMap((f) =>
      fieldTextSites(f, fs.readFileSync(path.join(ROOT, f), 'utf8')).map((s) => `${s.file}:${s.line} ${s.problem}`),
    );
    expect(bad).toEqual([]);
  });

  it('the zod text check refuses plain strings and English details, and lets fieldText and limits through', () => {
    const sites = fieldTextSites(
      'api/example.ts',
      [
        "const a = z.string().regex(/^x$/, 'period is a month');",
        "const b = z.string().regex(/^x$/, fieldText('须为月份', 'must be a month'));",
        "const c = z.string().refine((v) => v !== '', { message: 'must not be empty' });",
        'const d = z.string().max(10);',
        "const e = z.string().superRefine((v, ctx) => ctx.addIssue({ code: 'custom', message: `bad ${v}` }));",
        "throw new AppError('VALIDATION_FAILED', { zh: '游标有误', en: 'bad cursor' }, [{ path: 'cursor', message: 'unknown cursor' }]);",
        "throw new AppError('VALIDATION_FAILED', { zh: '游标有误', en: 'bad cursor' }, [{ path: 'cursor', message: '游标不属于此列表' }]);",
      ].join('\n'),
    );
    expect(sites.map((s) => s.line)).toEqual([1, 3, 5, 6]);
  });

  it('the check refuses a plain string, an English zh and a variable', () => {
    const sites = errorSites(
      'api/example.ts',
      [
        "throw new AppError('NOT_FOUND', `No application ${no}`);",
        "throw new AppError('NOT_FOUND', { zh: `No application ${no}`, en: `No application ${no}` });",
        "throw new AppError('CONFLICT', text);",
        "throw new AppError('CONFLICT', { zh: ok ? '已结束' : 'ended', en: 'ended' });",
        "throw new AppError('NOT_FOUND', { zh: `申请 ${no} 不存在`, en: `No application ${no}` });",
      ].join('\n'),
    );
    expect(sites.map((s) => s.problem === null)).toEqual([false, false, false, false, true]);
    const workflow = errorSites(
      'workflows/example.ts',
      [
        "import { reject } from './kit/reject';",
        "reject('CONFLICT', 'The procedure has ended');",
        "reject('CONFLICT', { zh: '办理程序已结束', en: 'The procedure has ended' });",
      ].join('\n'),
    );
    expect(workflow.map((s) => [s.kind, s.problem === null])).toEqual([
      ['reject', false],
      ['reject', true],
    ]);
  });

  it('field problems are Chinese (zod locale set in api/errors.ts), messageEn keeps the English, path and code stay', () => {
    const schema = z
      .object({
        applicant: z.object({ name: z.string().min(2).max(5) }),
        count: z.number().int(),
        mode: z.enum(['ONLINE', 'INTERFACE']),
        code: z.string().regex(/^[A-Z]+$/, fieldText('只能包含大写字母', 'upper-case letters only')),
      })
      .strict();
    const refusal = (value: unknown, where: 'body' | 'query' = 'body') => {
      try {
        parse(schema, value, where);
      } catch (e) {
        const err = e as AppError;
        return { message: err.message, messageEn: err.messageEn, details: err.details };
      }
      throw new Error('not refused');
    };
    const ok = { applicant: { name: '张三' }, count: 1, mode: 'ONLINE', code: 'A' };
    expect(refusal({ ...ok, applicant: {} })).toEqual({
      message: '请求体有误：applicant.name：必须填写（字符串）',
      messageEn: 'Invalid body: applicant.name: Invalid input: expected string, received undefined',
      details: [{ path: 'applicant.name', code: 'invalid_type', message: '必须填写（字符串）' }],
    });
    expect(refusal({ ...ok, applicant: { name: '张' } }).message).toBe(
      '请求体有误：applicant.name：长度不能少于 2 个字符',
    );
    expect(refusal({ ...ok, count: 1.5 })).toMatchObject({
      message: '请求体有误：count：须为整数',
      messageEn: 'Invalid body: count: Invalid input: expected int, received number',
    });
    expect(refusal({ ...ok, mode: 'FAX' }).message).toBe('请求体有误：mode：应为以下之一："ONLINE"、"INTERFACE"');
    expect(refusal({ ...ok, code: 'a' })).toMatchObject({
      message: '请求体有误：code：只能包含大写字母',
      messageEn: 'Invalid body: code: upper-case letters only',
    });
    expect(refusal({ ...ok, colour: 'red' }, 'query')).toMatchObject({
      message: '查询参数有误：query：不允许的字段：colour',
      messageEn: 'Invalid query: query: Unrecognized key: "colour"',
    });
  });
});

describe('texts built outside the refusal sites are Chinese too', () => {
  it('names every access-matrix resource in Chinese for FORBIDDEN', () => {
    const untranslated = Object.entries(ACCESS_MATRIX)
      .filter(([, rule]) => !HAN.test(rule.resourceZh))
      .map(([key, rule]) => `${key}: ${rule.resource}`);
    expect(untranslated).toEqual([]);
  });

  it("gives jose's refusals a Chinese reason and keeps jose's words in English", async () => {
    const secret = 'x'.repeat(32);
    const tokens = new TokenService(secret, '10m');
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('gov-data-approval')
      .setJti('j')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 300)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
      .sign(new TextEncoder().encode(secret));
    const refused = await tokens.verify(expired).then(
      () => null,
      (err: unknown) => rejection(err),
    );
    expect(refused?.text).toEqual({
      zh: '令牌已过期',
      en: expect.stringMatching(/"exp" claim timestamp check failed/),
    });
    const forged = await new TokenService('y'.repeat(32), '10m').issue('u');
    const badSignature = await tokens.verify(forged).then(
      () => null,
      (err: unknown) => rejection(err),
    );
    expect(badSignature?.zh).toBe('令牌签名校验失败');
  });

  it('keeps the gRPC reason of an unreachable Temporal out of the Chinese text', () => {
    const err = unavailable(new Error('14 UNAVAILABLE: No connection established\nmore'));
    expect(err.message).toBe('工作流服务暂不可用，请稍后重试同一请求');
    expect(err.messageEn).toBe(
      'The workflow service is unavailable; retry the same request (14 UNAVAILABLE: No connection established)',
    );
  });
});
