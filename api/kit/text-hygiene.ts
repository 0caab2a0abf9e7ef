/**
 * Text hygiene at the API boundary: one check for every endpoint, run before any handler, so a
 * string that Postgres cannot store (NUL, a lone surrogate) or that would spoof what a reviewer
 * reads (control characters, ANSI escapes, bidi overrides) is refused with 400 INVALID_TEXT naming
 * the field, and nothing is written.
 *
 * Refused (code points):
 * - U+0000 NUL: Postgres text and jsonb cannot hold it (the request used to end in a 500).
 * - lone surrogates (a high surrogate without its low one, or a low one alone): not text; Postgres
 *   stores U+FFFD instead, so the data would be changed silently, and jsonb refuses them.
 * - C0 controls U+0001–U+001F except tab and newline; a carriage return only as part of CRLF
 *   (browsers send textarea content with CRLF; a lone CR overwrites a line in a terminal or log).
 *   ESC is among them, so ANSI escape sequences are refused. DEL U+007F and the C1 controls
 *   U+0080–U+009F (CSI U+009B is an escape sequence of its own) likewise.
 * - bidi embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069 (they reorder what
 *   is displayed: "Trojan source"); U+2028/U+2029 line and paragraph separators (a second kind of
 *   line break that log parsers and JavaScript string literals treat differently from \n).
 * - invisible format characters with no use in the text this system holds: U+2060–U+2064 (word
 *   joiner, invisible operators), U+206A–U+206F (deprecated format controls), U+FEFF (a byte order
 *   mark inside a value is always a copy-and-paste artefact), U+FFF9–U+FFFB (interlinear
 *   annotation), and the noncharacters (U+FDD0–U+FDEF, U+xFFFE/U+xFFFF of every plane).
 *
 * Allowed on purpose:
 * - U+200B zero width space, U+200C ZWNJ, U+200D ZWJ: Chinese text needs none of them, but ZWJ
 *   joins emoji sequences (👨‍👩‍👧), ZWNJ is needed to spell Persian and Uyghur in Arabic script
 *   correctly, and ZWSP marks line-break opportunities in pasted text. They cannot reorder text.
 * - U+200E/U+200F/U+061C directional marks: mixed Uyghur (Arabic script) and Chinese or Latin text
 *   needs them to display in the right order; unlike overrides they only affect neutral
 *   characters next to them.
 * - everything else, including all CJK, emoji (valid surrogate pairs) and U+FFFD.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../errors';

export interface TextProblem {
  /** UTF-16 offset of the first refused character. */
  index: number;
  /** The refused code point; -1 for a malformed percent-escape (nothing decoded). */
  codePoint: number;
  reason: string;
}

// With the u flag a lone surrogate is one code point of category Cs; a valid pair is one
// supplementary code point and does not match.
const REFUSED = new RegExp(
  [
    '[\\p{Cs}\\p{Noncharacter_Code_Point}', // lone surrogates, noncharacters
    '\\0-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F', // C0 but tab, LF and CR; DEL; C1
    '\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069', // line/paragraph separators, bidi controls
    '\\u2060-\\u2064\\u206A-\\u206F\\uFEFF\\uFFF9-\\uFFFB]', // invisible format characters
    '|\\r(?!\\n)', // CR only as part of CRLF
  ].join(''),
  'u',
);

function reasonFor(cp: number): string {
  if (cp === 0) return 'a NUL character';
  if (cp >= 0xd800 && cp <= 0xdbff) return 'a lone high surrogate (no low surrogate follows)';
  if (cp >= 0xdc00 && cp <= 0xdfff) return 'a lone low surrogate';
  if (cp === 0x0d) return 'a carriage return not followed by a newline';
  if (cp === 0x1b) return 'an escape character (ANSI escape sequence)';
  if (cp < 0x20 || cp === 0x7f) return 'a control character';
  if (cp >= 0x80 && cp <= 0x9f) return 'a C1 control character';
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
    return 'a bidirectional override, embedding or isolate';
  if (cp === 0x2028 || cp === 0x2029) return 'a Unicode line or paragraph separator (use \\n)';
  if (cp === 0xfeff) return 'a byte order mark';
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'a Unicode noncharacter';
  return 'an invisible format character';
}

/** The first character of `text` that the API refuses, or null when the text is clean. */
export function textProblem(text: string): TextProblem | null {
  const match = REFUSED.exec(text);
  if (!match) return null;
  const codePoint = match[0].codePointAt(0) as number;
  return { index: match.index, codePoint, reason: reasonFor(codePoint) };
}

export interface FieldTextProblem extends TextProblem {
  /** Where the text was: `body.fieldsRequested[1]`, `query.provider`, `path[2]`; for a property name, its object. */
  field: string;
  /** True when the refused text is a property name rather than a value. */
  inKey: boolean;
}

/** Values nested deeper than this are refused: later code (zod, JSON.stringify) recurses on them. */
export const MAX_DEPTH = 64;

export class TooDeepError extends Error {
  constructor(readonly field: string) {
    super(`${field} nests deeper than ${MAX_DEPTH} levels`);
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function child(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Walks strings, arrays and plain objects (what JSON and the query parser produce) iteratively,
 * so no input nests deep enough to overflow the stack here; returns the first refused text.
 */
export function findBadText(value: unknown, root: string): FieldTextProblem | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) return { ...p, field: path, inKey: false };
    } else if (Array.isArray(v)) {
      if (depth >= MAX_DEPTH) throw new TooDeepError(path);
      // Pushed in reverse so the first bad element in reading order is the one reported.
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}[${i}]`, depth: depth + 1 });
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      if (depth >= MAX_DEPTH) throw new TooDeepError(path);
      const entries = Object.entries(v as Record<string, unknown>);
      for (const [key] of entries) {
        const p = textProblem(key);
        if (p) return { ...p, field: path, inKey: true };
      }
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ value: entries[i][1], path: child(path, entries[i][0]), depth: depth + 1 });
    }
  }
  return null;
}

function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The Chinese words for the reasons of reasonFor (and of a malformed escape). */
const REASON_ZH: Record<string, string> = {
  'a NUL character': '空字符 NUL',
  'a lone high surrogate (no low surrogate follows)': '孤立的高位代理项（其后没有低位代理项）',
  'a lone low surrogate': '孤立的低位代理项',
  'a carriage return not followed by a newline': '其后没有换行符的回车符',
  'an escape character (ANSI escape sequence)': 'ANSI 转义序列的转义字符',
  'a control character': '控制字符',
  'a C1 control character': 'C1 控制字符',
  'a bidirectional override, embedding or isolate': '双向文本覆盖、嵌入或隔离字符',
  'a Unicode line or paragraph separator (use \\n)': 'Unicode 行分隔符或段落分隔符（请使用 \\n）',
  'a byte order mark': '字节顺序标记 BOM',
  'a Unicode noncharacter': 'Unicode 非字符',
  'an invisible format character': '不可见的格式字符',
  'a malformed percent-escape': '格式错误的百分号编码',
};

/** The 400 for a refused text; the message names field, character and offset, never the text itself. */
export function invalidText(p: FieldTextProblem): AppError {
  const where = !p.inKey ? p.field : p.field === 'query' ? 'a query parameter name' : `a property name in ${p.field}`;
  const what = p.codePoint < 0 ? p.reason : `${p.reason} (${hex(p.codePoint)}) at position ${p.index}`;
  const whereZh = !p.inKey ? `${p.field} ` : p.field === 'query' ? '查询参数名' : `${p.field} 中的属性名`;
  const reasonZh = REASON_ZH[p.reason] ?? p.reason;
  const whatZh = p.codePoint < 0 ? reasonZh : `${reasonZh}（${hex(p.codePoint)}，位置 ${p.index}）`;
  return new AppError('INVALID_TEXT', { zh: `${whereZh}含有${whatZh}`, en: `${where} contains ${what}` }, [
    { path: p.field, message: whatZh, code: 'invalid_text' },
  ]);
}

const MALFORMED_ESCAPE = { index: 0, codePoint: -1, reason: 'a malformed percent-escape' };

function decodeComponent(raw: string, plusIsSpace: boolean): string | null {
  try {
    return decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    return null;
  }
}

export type PathProblem = { kind: 'encoding'; segment: number } | ({ kind: 'text' } & FieldTextProblem);

/**
 * Checks a raw URL path (still percent-encoded): every segment must decode as UTF-8 (the router
 * would otherwise throw a URIError) and the decoded text must be clean. Segments are numbered from
 * 0 after the leading slash: `/api/applications/%00` has its problem in `path[2]`.
 */
export function pathProblem(rawPath: string): PathProblem | null {
  const segments = rawPath.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const decoded = decodeComponent(segments[i], false);
    if (decoded === null) return { kind: 'encoding', segment: i };
    const p = textProblem(decoded);
    if (p) return { kind: 'text', ...p, field: `path[${i}]`, inKey: false };
  }
  return null;
}

/**
 * Checks a raw query string. The query parser (node:querystring) does not fail on a malformed
 * escape: it turns it into U+FFFD, which would change the value silently, so that is refused here
 * as INVALID_TEXT of the parameter. Decoded names and values must be clean text.
 */
export function queryProblem(rawQuery: string): FieldTextProblem | null {
  if (rawQuery === '') return null;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const key = decodeComponent(rawKey, true);
    if (key === null) return { ...MALFORMED_ESCAPE, field: 'query', inKey: true };
    const keyProblem = textProblem(key);
    if (keyProblem) return { ...keyProblem, field: 'query', inKey: true };
    const field = child('query', key);
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1), true);
    if (value === null) return { ...MALFORMED_ESCAPE, field, inKey: false };
    const valueProblem = textProblem(value);
    if (valueProblem) return { ...valueProblem, field, inKey: false };
  }
  return null;
}

/** Before routing: a path that does not decode is INVALID_PATH, decoded bad text is INVALID_TEXT. */
export function pathHygiene(): RequestHandler {
  return (req, _res, next) => {
    const p = pathProblem(req.path);
    if (!p) return next();
    if (p.kind === 'encoding')
      return next(
        new AppError(
          'INVALID_PATH',
          {
            zh: `路径第 ${p.segment} 段含有格式错误的百分号编码`,
            en: `Path segment ${p.segment} has a malformed percent-encoding`,
          },
          [{ path: `path[${p.segment}]`, message: '格式错误的百分号编码', code: 'invalid_path' }],
        ),
      );
    next(invalidText(p));
  };
}

/** After body parsing, before any router: query and JSON body hold clean text only. */
export function textHygiene(): RequestHandler {
  return (req, _res, next) => {
    const rawQuery = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const q = queryProblem(rawQuery.split('#')[0]);
    if (q) return next(invalidText(q));
    try {
      const b = findBadText(req.body, 'body');
      if (b) return next(invalidText(b));
    } catch (err) {
      if (err instanceof TooDeepError)
        return next(
          new AppError('VALIDATION_FAILED', { zh: `${err.field} 的嵌套层级超过 ${MAX_DEPTH} 层`, en: err.message }, [
            { path: err.field, message: `嵌套层级超过 ${MAX_DEPTH} 层`, code: 'too_deep' },
          ]),
        );
      throw err;
    }
    next();
  };
}
