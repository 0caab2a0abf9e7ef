/**
 * The OpenAPI document is built from the same zod schemas the handlers validate with, so the
 * documentation cannot drift from the checks.
 */
import { z } from 'zod';

export interface OperationDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string; // OpenAPI style: /api/tasks/{id}
  summary: string;
  tags: string[];
  auth?: 'none' | 'optional' | 'required';
  query?: z.ZodObject;
  body?: z.ZodType;
  responses?: Record<string, string>;
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
    for (const [status, description] of Object.entries(op.responses ?? { 200: 'OK' })) {
      responses[status] = status.startsWith('2')
        ? { description }
        : { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    responses['400'] ??= {
      description: 'Invalid input',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    if (op.auth === 'required')
      responses['401'] ??= {
        description: 'Not signed in',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
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
      description: 'Procedures of 聊城市政务数据资源管理暂行办法 as workflows. Every error has a stable `code`.',
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
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                requestId: { type: 'string' },
                details: {},
              },
            },
          },
        },
      },
    },
    paths,
  };
}
