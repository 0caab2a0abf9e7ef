import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { ERROR_STATUS, ErrorCode, ErrorMessage, errorText } from '../domain/error-codes';
import type { Db } from '../lib/db';
import { auditDenied } from './kit/audit';

export interface FieldProblem {
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  /** The English text beside the Chinese `message`. */
  readonly messageEn: string;

  constructor(
    readonly code: ErrorCode,
    message: ErrorMessage,
    readonly details?: FieldProblem[] | Record<string, unknown>,
  ) {
    const text = errorText(message);
    super(text.zh);
    this.messageEn = text.en;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/*
 * Zod's own texts are Chinese for everyone who loads the API (the server, the CLI tools that use
 * lib/calendar-store, the tests): one global setting, here. The English text of a problem, for
 * messageEn, is rebuilt from the issue with zod's English locale; a schema's own text (refine,
 * regex, addIssue) is written with fieldText(zh, en), which keeps its English beside it.
 */
const zhCN = z.locales.zhCN().localeError;
const enLocale = z.locales.en().localeError;

const TYPE_ZH: Record<string, string> = {
  string: '字符串',
  number: '数字',
  int: '整数',
  boolean: '布尔值',
  bigint: '大整数',
  object: '对象',
  array: '数组',
  date: '日期',
  null: '空值（null）',
  undefined: '空',
  nan: 'NaN',
};
const typeZh = (t: string): string => TYPE_ZH[t] ?? t;
const valuesZh = (values: readonly unknown[]): string =>
  values.map((v) => z.core.util.stringifyPrimitive(v as z.core.util.Primitive)).join('、');

/**
 * Zod's Chinese locale, in plainer words for the common cases (a missing field, a wrong type, a
 * length or range, a choice, an unknown field); every other issue keeps zod's own Chinese text.
 */
const zhLocale: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `必须填写（${typeZh(issue.expected)}）`;
      if (issue.expected === 'int' && typeof issue.input === 'number') return '须为整数';
      return `类型有误：应为${typeZh(issue.expected)}，实际为${typeZh(z.core.util.parsedType(issue.input))}`;
    case 'too_small': {
      const n = issue.minimum.toString();
      if (issue.origin === 'string')
        return issue.exact ? `长度须为 ${n} 个字符` : n === '1' ? '不能为空' : `长度不能少于 ${n} 个字符`;
      if (issue.origin === 'array' || issue.origin === 'set') return issue.exact ? `须为 ${n} 项` : `至少须有 ${n} 项`;
      if (issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'int')
        return issue.inclusive ? `不能小于 ${n}` : `须大于 ${n}`;
      return zhCN(issue);
    }
    case 'too_big': {
      const n = issue.maximum.toString();
      if (issue.origin === 'string') return issue.exact ? `长度须为 ${n} 个字符` : `长度不能超过 ${n} 个字符`;
      if (issue.origin === 'array' || issue.origin === 'set') return issue.exact ? `须为 ${n} 项` : `最多 ${n} 项`;
      if (issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'int')
        return issue.inclusive ? `不能大于 ${n}` : `须小于 ${n}`;
      return zhCN(issue);
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `应为 ${valuesZh(issue.values)}` : `应为以下之一：${valuesZh(issue.values)}`;
    case 'unrecognized_keys':
      return `不允许的字段：${issue.keys.join('、')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? '格式不正确' : zhCN(issue);
    default:
      return zhCN(issue);
  }
};
z.config({ localeError: zhLocale });
const FIELD_TEXT_EN = new Map<string, string>();

/** A schema's own message: answers the Chinese text and remembers its English for messageEn. */
export function fieldText(zh: string, en: string): string {
  FIELD_TEXT_EN.set(zh, en);
  return zh;
}

function localeText(map: z.core.$ZodErrorMap, issue: z.core.$ZodIssue): string | undefined {
  const text = map(issue as unknown as z.core.$ZodRawIssue);
  return typeof text === 'string' ? text : text?.message;
}

/** The English text of an issue zod phrased in Chinese (or of a schema's own fieldText). */
export function englishText(issue: z.core.$ZodIssue): string {
  const own = FIELD_TEXT_EN.get(issue.message);
  if (own !== undefined) return own;
  if (localeText(zhLocale, issue) === issue.message) return localeText(enLocale, issue) ?? issue.message;
  return issue.message;
}

const WHERE_ZH = { body: '请求体', query: '查询参数', params: '路径参数' } as const;

export function validationError(where: 'body' | 'query' | 'params', error: z.ZodError): AppError {
  const problems = error.issues.map((i) => ({ path: fieldPath(i.path) || where, message: i.message, code: i.code }));
  const first = problems[0];
  return new AppError(
    'VALIDATION_FAILED',
    {
      zh: `${WHERE_ZH[where]}有误：${first.path}：${first.message}`,
      en: `Invalid ${where}: ${first.path}: ${englishText(error.issues[0])}`,
    },
    problems,
  );
}

/**
 * A query parameter given more than once (`limit=2&limit=3`) arrives as an array, which no list
 * takes: refused naming the parameter, rather than as "expected number, received NaN".
 */
function repeatedParameters(query: unknown): AppError | undefined {
  if (!query || typeof query !== 'object') return undefined;
  const repeated = Object.entries(query).filter(([, v]) => Array.isArray(v));
  if (repeated.length === 0) return undefined;
  const problems = repeated.map(([key, v]) => ({
    path: key,
    message: `只能给出一次（收到 ${(v as unknown[]).length} 个值）`,
    code: 'repeated',
  }));
  const [key, values] = repeated[0];
  return new AppError(
    'VALIDATION_FAILED',
    {
      zh: `${WHERE_ZH.query}有误：${problems[0].path}：${problems[0].message}`,
      en: `Invalid query: ${key}: given more than once (${(values as unknown[]).length} values)`,
    },
    problems,
  );
}

/** Parses request input with a zod schema or throws a 400 naming the first bad field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): z.infer<T> {
  if (where === 'query') {
    const repeated = repeatedParameters(value);
    if (repeated) throw repeated;
  }
  // The input stays on the issues so that englishText can phrase "received …" as zod did.
  const result = schema.safeParse(value ?? {}, { reportInput: true });
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/**
 * A string of digits as a number for a range check after it: more digits than a double holds
 * exactly count as too big (the range check names the limit), never as Infinity or a rounded value.
 */
export function digitsToNumber(digits: string): number {
  return digits.length > 15 ? Number.MAX_SAFE_INTEGER : Number(digits);
}

/** The query of an operation that takes none: any parameter is a 400 naming it (never ignored). */
export const NO_QUERY = z.object({}).strict();

/** Refuses every query parameter of an operation that takes none (400 VALIDATION_FAILED naming it). */
export function noQuery(query: unknown): void {
  parse(NO_QUERY, query, 'query');
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(
    new AppError('NOT_FOUND', {
      zh: `不存在路由 ${req.method} ${req.path}`,
      en: `No route for ${req.method} ${req.path}`,
    }),
  );
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** Prisma codes of an unreachable or timed-out database (P1001 reach, P1008 timeout, P1017 closed, P2024 pool). */
const DATABASE_DOWN_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Postgres SQLSTATEs: 57014 statement cancelled (statement_timeout), 57P01–57P03 shutdown, 08xxx connection. */
const DATABASE_DOWN_SQLSTATE = /^(57014|57P0[123]|08\w{3})$/;

/** Whether an error means the database is slow or gone, as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { code?: unknown; kind?: unknown } } };
  };
  if (typeof e.code === 'string' && DATABASE_DOWN_CODES.has(e.code)) return true;
  const cause = e.meta?.driverAdapterError?.cause;
  if (cause && typeof cause.code === 'string' && DATABASE_DOWN_SQLSTATE.test(cause.code)) return true;
  if (cause?.kind === 'DatabaseNotReachable' || cause?.kind === 'SocketTimeout') return true;
  // node-postgres's own words when its pool gives up (DB_CONNECT_TIMEOUT_MS) or a connection drops.
  return /^(Connection terminated due to connection timeout|timeout exceeded when trying to connect|Connection terminated unexpectedly)/.test(
    e.message,
  );
}

/**
 * The one place every refused request passes: with a database, a 401 or 403 is recorded in the
 * audit trail (actor if known, method, path, status, code) before it is answered. A record that
 * cannot be written is logged at error level and the refusal is answered all the same.
 */
export function errorHandler(db?: Db): ErrorRequestHandler {
  return async (err: unknown, req, res, _next) => {
    let appError: AppError;
    if (err instanceof AppError) {
      appError = err;
    } else if (err instanceof Error && (err as BodyParserError).type === 'entity.parse.failed') {
      appError = new AppError('INVALID_JSON', { zh: '请求内容不是有效的 JSON', en: 'Request body is not valid JSON' });
    } else if (err instanceof Error && (err as BodyParserError).type === 'entity.too.large') {
      appError = new AppError('PAYLOAD_TOO_LARGE', { zh: '请求内容过大', en: 'Request body is too large' });
    } else if (err instanceof Error && (err as BodyParserError).type === 'charset.unsupported') {
      appError = new AppError('UNSUPPORTED_MEDIA_TYPE', { zh: '不支持该字符集', en: 'Unsupported charset' });
    } else if (err instanceof Error && (err as BodyParserError).type === 'encoding.unsupported') {
      appError = new AppError('UNSUPPORTED_MEDIA_TYPE', { zh: '不支持该内容编码', en: 'Unsupported content encoding' });
    } else if (isDatabaseUnavailable(err)) {
      // statement_timeout (DB_STATEMENT_TIMEOUT_MS) or no connection: a retryable 503, not a defect.
      appError = new AppError('DATABASE_UNAVAILABLE', {
        zh: '数据库未能及时响应，请重试同一请求',
        en: 'The database did not answer in time; retry the same request',
      });
    } else if (err instanceof URIError) {
      // The router decodes path parameters itself and throws this on a malformed percent-escape;
      // api/kit/text-hygiene's pathHygiene refuses such paths first, this is the fallback.
      appError = new AppError('INVALID_PATH', {
        zh: '路径中含有格式错误的百分号编码',
        en: 'The path has a malformed percent-encoding',
      });
    } else {
      req.log?.error({ err }, 'unhandled error');
      appError = new AppError('INTERNAL', {
        zh: '系统内部错误，可凭请求编号（requestId）在日志中查询',
        en: 'Internal error; the request id identifies it in the logs',
      });
    }
    if (appError.status >= 500 && appError.code !== 'INTERNAL')
      req.log?.warn({ code: appError.code }, appError.messageEn);
    if (db && (appError.status === 401 || appError.status === 403)) {
      await auditDenied(db, req, appError.status, appError.code).catch((auditErr: unknown) =>
        req.log?.error({ err: auditErr }, 'could not record the refused request in the audit trail'),
      );
    }
    res.status(appError.status).json({
      error: {
        code: appError.code,
        message: appError.message,
        messageEn: appError.messageEn,
        details: appError.details,
        requestId: req.id,
      },
    });
  };
}
