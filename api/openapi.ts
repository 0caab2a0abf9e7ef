/**
 * The OpenAPI document is built from the same zod schemas the handlers validate with, so the
 * documentation cannot drift from the checks.
 */
import { z } from 'zod';
import { ERROR_STATUS, ErrorCode } from '../domain/error-codes';

export interface OperationDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string; // OpenAPI style: /api/tasks/{id}
  summary: string;
  tags: string[];
  auth?: 'none' | 'optional' | 'required';
  query?: z.ZodObject;
  body?: z.ZodType;
  responses?: Record<string, string>;
  /**
   * The error codes the operation can answer with besides the ones every operation can
   * (COMMON_ERRORS); each becomes part of the documented response of its HTTP status.
   */
  errors?: ErrorCode[];
  /** The body of the operation's success answers (200/201; 202 too unless `bodies` names it). */
  response?: z.ZodType;
  /**
   * A status whose body differs from `response` (202 DECISION_PENDING), or an error status that
   * can also answer with a body other than the Error (503 of /healthz: which dependency is down).
   */
  bodies?: Partial<Record<string, z.ZodType>>;
  /** A file download: the media types its 200 answers with instead of a JSON body. */
  files?: string[];
}

/** What any operation can answer: bad input at the boundary, an overloaded or failing server. */
const COMMON_ERRORS: ErrorCode[] = [
  'VALIDATION_FAILED',
  'INVALID_TEXT',
  'INVALID_PATH',
  'DATABASE_UNAVAILABLE',
  'INTERNAL',
];
const BODY_ERRORS: ErrorCode[] = ['INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** Writes are rate limited (api/kit/limits.ts writeRateLimit), with a body or without. */
const WRITE_ERRORS: ErrorCode[] = ['RATE_LIMITED'];
const AUTH_ERRORS: ErrorCode[] = ['UNAUTHENTICATED', 'INVALID_TOKEN'];

const STATUS_TEXT: Record<string, string> = {
  '400': 'Invalid input',
  '401': 'Not signed in, or the token is invalid',
  '403': 'Not allowed',
  '404': 'Not found',
  '409': 'Conflict with the current state',
  '413': 'Body too large',
  '415': 'Unsupported media type',
  '422': 'Not allowed by the rules of the procedure',
  '429': 'Too many requests',
  '500': 'Internal error',
  '503': 'A service did not answer in time; retry',
};

/** Every error code an operation can answer with: its own and the common ones. */
export function operationErrors(op: OperationDoc): ErrorCode[] {
  const codes = new Set<ErrorCode>([...COMMON_ERRORS, ...(op.errors ?? [])]);
  if (op.body) for (const c of BODY_ERRORS) codes.add(c);
  if (op.method !== 'get') for (const c of WRITE_ERRORS) codes.add(c);
  if (op.auth === 'required' || op.auth === 'optional') for (const c of AUTH_ERRORS) codes.add(c);
  return [...codes];
}

const operations: OperationDoc[] = [];

export function documented(op: OperationDoc): void {
  if (!operations.some((o) => o.method === op.method && o.path === op.path)) operations.push(op);
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters: unknown[] = [];
    for (const m of op.path.matchAll(/\{(\w+)\}/g))
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    if (op.query) {
      for (const [name, schema] of Object.entries(op.query.shape)) {
        parameters.push({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: jsonSchema(schema as z.ZodType),
        });
      }
    }
    const responses: Record<string, unknown> = {};
    const documentedStatuses = Object.entries(op.responses ?? {});
    if (!documentedStatuses.some(([status]) => /^[23]/.test(status))) documentedStatuses.unshift(['200', 'OK']);
    for (const [status, description] of documentedStatuses) {
      if (!status.startsWith('2')) continue;
      const schema = op.bodies?.[status] ?? op.response;
      const content = {
        ...(schema && status !== '204' ? { 'application/json': { schema: jsonSchema(schema) } } : {}),
        ...(status === '200'
          ? Object.fromEntries((op.files ?? []).map((type) => [type, { schema: { type: 'string', format: 'binary' } }]))
          : {}),
      };
      responses[status] = Object.keys(content).length > 0 ? { description, content } : { description };
    }
    const byStatus = new Map<string, ErrorCode[]>();
    for (const code of operationErrors(op)) {
      const status = String(ERROR_STATUS[code]);
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a.localeCompare(b))) {
      const description = op.responses?.[status] ?? STATUS_TEXT[status] ?? 'Error';
      const error = {
        allOf: [
          { $ref: '#/components/schemas/Error' },
          { properties: { error: { properties: { code: { enum: codes } } } } },
        ],
      };
      const other = op.bodies?.[status];
      responses[status] = {
        description: `${description} (${codes.join(', ')})`,
        'x-error-codes': codes,
        content: { 'application/json': { schema: other ? { anyOf: [error, jsonSchema(other)] } : error } },
      };
    }
    // Statuses a router documents without naming their codes (yet).
    for (const [status, description] of Object.entries(op.responses ?? {})) {
      responses[status] ??= status.startsWith('3')
        ? { description }
        : { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      tags: op.tags,
      security: op.auth === 'required' ? [{ bearer: [] }] : op.auth === 'optional' ? [{}, { bearer: [] }] : [],
      parameters,
      requestBody: op.body
        ? { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } }
        : undefined,
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '政务数据审批系统 API',
      version: '0.1.0',
      description:
        'Procedures of 聊城市政务数据资源管理暂行办法 as workflows. Every error has a stable `code`; ' +
        'its `message` is Chinese, `messageEn` the English text beside it.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'messageEn'],
              properties: {
                code: {
                  type: 'string',
                  description: 'Stable error code (domain/error-codes.ts): what clients rely on and branch on',
                },
                message: {
                  type: 'string',
                  description:
                    'The problem in Chinese, for the people who use the system (e.g. 申请 SH-2026-0001 不存在); ' +
                    'its wording may change, do not parse it',
                },
                messageEn: {
                  type: 'string',
                  description: 'The same problem in English, for operators and integrators; its wording may change too',
                },
                requestId: { type: 'string', description: 'Identifies the request in the logs' },
                details: {
                  description:
                    'Optional, per code: e.g. for VALIDATION_FAILED the field problems ' +
                    '[{ path, code, message }] (path and code stable, message in Chinese)',
                },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
