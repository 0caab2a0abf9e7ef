import fc from 'fast-check';
import {
  findBadText,
  invalidText,
  MAX_DEPTH,
  pathProblem,
  queryProblem,
  textProblem,
  TooDeepError,
} from '../../api/kit/text-hygiene';

describe('textProblem: the characters the API refuses in any string', () => {
  const refused: Array<[string, string, number, RegExp]> = [
    ['NUL', 'a\u0000b', 1, /NUL/],
    ['a high surrogate with no low one', 'ab\ud800', 2, /lone high surrogate/],
    ['a high surrogate followed by a letter', '\ud83dx', 0, /lone high surrogate/],
    ['a low surrogate alone', '\udc00z', 0, /lone low surrogate/],
    ['two high surrogates', '\ud83d\ud83d\ude00', 0, /lone high surrogate/],
    ['a reversed pair', '\ude00\ud83d', 0, /lone low surrogate/],
    ['ESC (an ANSI colour sequence)', '申请\u001b[31m红字', 2, /escape/],
    ['BEL', 'x\u0007', 1, /control character/],
    ['backspace', 'x\b', 1, /control character/],
    ['vertical tab', 'x\u000b', 1, /control character/],
    ['form feed', 'x\f', 1, /control character/],
    ['unit separator U+001F', 'x\u001f', 1, /control character/],
    ['DEL', 'x\u007f', 1, /control character/],
    ['C1 U+0080', 'x\u0080', 1, /C1/],
    ['C1 CSI U+009B', 'x\u009b31m', 1, /C1/],
    ['C1 U+009F', 'x\u009f', 1, /C1/],
    ['a lone carriage return', '第一行\r第二行', 3, /carriage return/],
    ['a carriage return at the end', 'x\r', 1, /carriage return/],
    ['LRE U+202A', '\u202aabc', 0, /bidirectional/],
    ['RLO U+202E (Trojan source)', 'invoice\u202efdp.exe', 7, /bidirectional/],
    ['PDF U+202C', 'a\u202c', 1, /bidirectional/],
    ['LRI U+2066', 'a\u2066', 1, /bidirectional/],
    ['PDI U+2069', 'a\u2069', 1, /bidirectional/],
    ['line separator U+2028', 'a\u2028b', 1, /line or paragraph separator/],
    ['paragraph separator U+2029', 'a\u2029b', 1, /line or paragraph separator/],
    ['word joiner U+2060', 'a\u2060b', 1, /invisible/],
    ['invisible times U+2062', 'a\u2062b', 1, /invisible/],
    ['byte order mark inside a value', '数据\ufeff', 2, /byte order mark/],
    ['noncharacter U+FFFE', '\ufffe', 0, /noncharacter/],
    ['noncharacter U+FDD0', '\ufdd0', 0, /noncharacter/],
    ['supplementary noncharacter U+1FFFF', 'a\u{1ffff}', 1, /noncharacter/],
    ['interlinear annotation U+FFF9', '\ufff9', 0, /invisible/],
  ];
  it.each(refused)('refuses %s', (_name, text, index, reason) => {
    const p = textProblem(text);
    expect(p).not.toBeNull();
    expect(p!.index).toBe(index);
    expect(p!.reason).toMatch(reason);
  });

  const allowed: Array<[string, string]> = [
    ['plain Chinese', '核验社会保险待遇领取人员户籍状态'],
    ['Chinese punctuation and full-width forms', '《社会保险法》第八十一条：「姓名」、公民身份号码；ＡＢＣ１２３。'],
    ['rare CJK from a supplementary plane', '𠀀𪚥𰻞'],
    ['emoji (valid surrogate pairs)', '数据很好😀👍🏽'],
    ['an emoji ZWJ sequence', '👨\u200d👩\u200d👧'],
    ['zero width space and non-joiner', 'a\u200bb\u200cc'],
    ['directional marks in Uyghur text', 'ئۇيغۇرچە\u200f 2026 \u200e'],
    ['tabs and newlines', '第一行\n\t第二行\n'],
    ['CRLF line ends', '第一行\r\n第二行\r\n'],
    ['U+FFFD itself', 'a\ufffdb'],
    ['Latin with diacritics and NBSP', 'Zhāng Wěi\u00a0Müller'],
    ['the empty string', ''],
  ];
  it.each(allowed)('allows %s', (_name, text) => {
    expect(textProblem(text)).toBeNull();
  });

  it('allows every well-formed string of CJK, emoji, tabs and newlines (property)', () => {
    const ok = fc.constantFrom('数', '据', '审', '批', '😀', '𠀀', '\t', '\n', '\r\n', ' ', 'a', '１', '，');
    fc.assert(fc.property(fc.array(ok, { maxLength: 50 }), (parts) => textProblem(parts.join('')) === null));
  });

  it('finds a refused character wherever it is put into clean text (property)', () => {
    const bad = fc.constantFrom('\u0000', '\ud800', '\udfff', '\u001b', '\u0085', '\u202e', '\u2067', '\r', '\u007f');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), bad, fc.nat(), (clean, c, at) => {
        fc.pre(textProblem(clean) === null);
        const i = clean.length === 0 ? 0 : at % (clean.length + 1);
        // Do not split a surrogate pair of the clean text when inserting.
        fc.pre(!/[\ud800-\udbff]/.test(clean.charAt(i - 1)));
        // A CR put before a newline makes CRLF, which is allowed.
        fc.pre(!(c === '\r' && clean.charAt(i) === '\n'));
        const text = clean.slice(0, i) + c + clean.slice(i);
        const p = textProblem(text);
        return p !== null && p.index <= i;
      }),
    );
  });
});

describe('findBadText: walks bodies and names the field', () => {
  it('names array elements and nested properties', () => {
    const body = { purpose: 'ok', fieldsRequested: ['姓名', 'a\u0000b'], meta: { notes: [{ text: '\u202e' }] } };
    expect(findBadText(body, 'body')).toMatchObject({ field: 'body.fieldsRequested[1]', codePoint: 0, inKey: false });
    expect(findBadText({ meta: body.meta }, 'body')).toMatchObject({ field: 'body.meta.notes[0].text' });
  });

  it('reports the first problem in reading order', () => {
    expect(findBadText({ a: ['x', '\u0001'], b: '\u0002' }, 'body')?.field).toBe('body.a[1]');
  });

  it('checks property names, without echoing them', () => {
    const p = findBadText({ meta: { 'bad\u0000key': 1 } }, 'body');
    expect(p).toMatchObject({ field: 'body.meta', inKey: true });
    expect(invalidText(p!).messageEn).toBe(
      'a property name in body.meta contains a NUL character (U+0000) at position 3',
    );
    expect(invalidText(p!).message).toBe('body.meta 中的属性名含有空字符 NUL（U+0000，位置 3）');
  });

  it('quotes a property name that is not an identifier', () => {
    expect(findBadText({ 'field name': '\u0000' }, 'body')?.field).toBe('body["field name"]');
  });

  it('passes numbers, booleans, null, Buffers and clean nested values', () => {
    expect(findBadText({ n: 1, b: true, z: null, buf: Buffer.from([0]), s: ['数据', { t: '😀' }] }, 'body')).toBeNull();
    expect(findBadText(undefined, 'body')).toBeNull();
  });

  it('refuses nesting deeper than MAX_DEPTH without overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => findBadText(deep, 'body')).toThrow(TooDeepError);
    let ok: unknown = 'x';
    for (let i = 0; i < MAX_DEPTH; i++) ok = { a: ok };
    expect(findBadText(ok, 'body')).toBeNull();
  });

  it('the error is INVALID_TEXT naming the field, and the message never contains the text', () => {
    const e = invalidText(findBadText({ purpose: 'secret\u0000' }, 'body')!);
    expect(e.code).toBe('INVALID_TEXT');
    expect(e.status).toBe(400);
    expect(e.messageEn).toBe('body.purpose contains a NUL character (U+0000) at position 6');
    expect(e.message).toBe('body.purpose 含有空字符 NUL（U+0000，位置 6）');
    expect(e.message).not.toContain('secret');
    expect(e.messageEn).not.toContain('secret');
  });
});

describe('pathProblem and queryProblem: the raw URL', () => {
  it('refuses a path segment that does not decode as UTF-8', () => {
    expect(pathProblem('/api/applications/%FF%FE')).toEqual({ kind: 'encoding', segment: 2 });
    expect(pathProblem('/api/tasks/%E4%B8')).toEqual({ kind: 'encoding', segment: 2 });
    expect(pathProblem('/api/tasks/%ZZ')).toEqual({ kind: 'encoding', segment: 2 });
    // UTF-8 of a surrogate code point is not UTF-8.
    expect(pathProblem('/api/tasks/%ED%A0%80')).toEqual({ kind: 'encoding', segment: 2 });
  });

  it('refuses decoded bad text in a path segment as text', () => {
    expect(pathProblem('/api/applications/%00')).toMatchObject({ kind: 'text', field: 'path[2]', codePoint: 0 });
    expect(pathProblem('/api/applications/a%E2%80%AEb')).toMatchObject({ kind: 'text', codePoint: 0x202e });
  });

  it('allows ordinary and encoded Chinese paths', () => {
    expect(pathProblem('/api/applications/SQ-2026-000001')).toBeNull();
    expect(pathProblem(`/api/open/resources/${encodeURIComponent('数据-001')}/download`)).toBeNull();
    expect(pathProblem('/')).toBeNull();
  });

  it('names the query parameter of a bad value, a malformed escape included', () => {
    expect(queryProblem('provider=%00')).toMatchObject({ field: 'query.provider', codePoint: 0 });
    expect(queryProblem('page=1&provider=%FF')).toMatchObject({ field: 'query.provider', codePoint: -1 });
    expect(invalidText(queryProblem('provider=%FF')!).messageEn).toBe(
      'query.provider contains a malformed percent-escape',
    );
    expect(invalidText(queryProblem('provider=%FF')!).message).toBe('query.provider 含有格式错误的百分号编码');
    expect(queryProblem('a%00=1')).toMatchObject({ field: 'query', inKey: true });
    expect(invalidText(queryProblem('a%00=1')!).messageEn).toMatch(/^a query parameter name contains a NUL/);
    expect(invalidText(queryProblem('a%00=1')!).message).toMatch(/^查询参数名含有空字符 NUL/);
  });

  it('allows clean queries, + as space and repeated parameters', () => {
    expect(queryProblem('')).toBeNull();
    expect(queryProblem(`q=${encodeURIComponent('户籍 状态😀')}&page=2&page=3&flag`)).toBeNull();
    expect(queryProblem('from=2026-09-30T10:00:00%2B08:00&q=a+b')).toBeNull();
  });
});
