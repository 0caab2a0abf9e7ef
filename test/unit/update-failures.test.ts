/**
 * How a workflow's refusal of an Update reaches the client: a typed rejection keeps its code and
 * details; any other failure is a defect, answered as 500 and logged, never as a silent 409.
 */
import express from 'express';
import request from 'supertest';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { executeBounded } from '../../api/kit/updates';
import { AppError, errorHandler } from '../../api/errors';
import { reject } from '../../workflows/kit/reject';
import { Prisma } from '../../generated/prisma/client';

/** A client that runs the call at once; the call fails the way the SDK reports a refusal. */
const client = { withAbortSignal: (_signal: AbortSignal, run: () => Promise<unknown>) => run() } as unknown as Client;
const refusal = (cause: Error) => () => Promise.reject(new WorkflowUpdateFailedError('Workflow Update failed', cause));

describe('executeBounded maps what the workflow answered', () => {
  it('a typed rejection becomes the AppError of its code, with its details', async () => {
    const cause = ApplicationFailure.create({
      type: 'TASK_ALREADY_DECIDED',
      message: 'Task t is already decided: AGREE',
      nonRetryable: true,
      details: [{ decision: 'AGREE' }],
    });
    const err = await executeBounded(client, 1000, refusal(cause)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'TASK_ALREADY_DECIDED', status: 409, details: { decision: 'AGREE' } });
  });

  it("a workflow's reject() reaches the client as its Chinese message with the English beside it", async () => {
    const cause = (() => {
      try {
        return reject('TASK_ALREADY_DECIDED', {
          zh: '任务 t 已作出决定：AGREE',
          en: 'Task t is already decided: AGREE',
        });
      } catch (e) {
        return e as Error;
      }
    })();
    const err = await executeBounded(client, 1000, refusal(cause)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'TASK_ALREADY_DECIDED',
      message: '任务 t 已作出决定：AGREE',
      messageEn: 'Task t is already decided: AGREE',
      details: undefined,
    });
    // A failure without the English detail (an older workflow's) answers its message in both fields.
    const old = ApplicationFailure.create({ type: 'CONFLICT', message: 'The procedure has ended', nonRetryable: true });
    expect(await executeBounded(client, 1000, refusal(old)).catch((e: unknown) => e)).toMatchObject({
      message: 'The procedure has ended',
      messageEn: 'The procedure has ended',
    });
  });

  it('an unknown failure type is a 500 with its cause logged, not a 409', async () => {
    const cause = ApplicationFailure.create({ type: 'SomethingUnexpected', message: 'boom in the handler' });
    const lines: string[] = [];
    const logger = pino(
      { level: 'error' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const app = express();
    app.use((req, _res, next) => {
      (req as unknown as { log: typeof logger }).log = logger;
      next();
    });
    app.post('/x', async (_req, _res, next) => {
      await executeBounded(client, 1000, refusal(cause)).catch(next);
    });
    app.use(errorHandler());
    const res = await request(app).post('/x');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('INTERNAL');
    expect(lines.join('')).toContain('boom in the handler');
  });

  it('an abort at the bound is WORKFLOW_TIMEOUT (503)', async () => {
    const slow: Client = {
      withAbortSignal: (signal: AbortSignal, run: () => Promise<unknown>) =>
        new Promise((_r, reject) => {
          signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
          void run;
        }),
    } as unknown as Client;
    const err = await executeBounded(slow, 50, () => new Promise(() => undefined)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WORKFLOW_TIMEOUT', status: 503 });
  });

  it("the SDK's own Update timeout error is WORKFLOW_TIMEOUT too, whatever its text says", async () => {
    // Its message names neither an abort nor a deadline, so only its class tells it apart.
    const timedOut = () =>
      Promise.reject(
        new WorkflowUpdateRPCTimeoutOrCancelledError('Timed out or cancelled waiting for Workflow Update', {
          cause: new Error('14 UNAVAILABLE: connection closed'),
        }),
      );
    const err = await executeBounded(client, 1000, timedOut).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WORKFLOW_TIMEOUT', status: 503 });
    // Anything else unexpected from Temporal stays SERVICE_UNAVAILABLE.
    const other = await executeBounded(client, 1000, () => Promise.reject(new Error('14 UNAVAILABLE'))).catch(
      (e: unknown) => e,
    );
    expect(other).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});

describe('the error handler and a slow or absent database', () => {
  const appThrowing = (err: Error) => {
    const app = express();
    app.get('/x', () => {
      throw err;
    });
    app.use(errorHandler());
    return app;
  };

  it('a statement cancelled by statement_timeout is a retryable 503 DATABASE_UNAVAILABLE', async () => {
    // The shape Prisma 7 with adapter-pg reports (seen against Postgres with a 100 ms bound).
    const err = new Prisma.PrismaClientKnownRequestError('Raw query failed. Code: `57014`.', {
      code: 'P2010',
      clientVersion: '7',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57014' } } },
    });
    const res = await request(appThrowing(err)).get('/x');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
  });

  it('an unreachable database is 503, another query failure stays a logged 500', async () => {
    const down = new Prisma.PrismaClientKnownRequestError("Can't reach database server", {
      code: 'P1001',
      clientVersion: '7',
    });
    expect((await request(appThrowing(down)).get('/x')).status).toBe(503);
    const bad = new Prisma.PrismaClientKnownRequestError('Raw query failed. Code: `42601`.', {
      code: 'P2010',
      clientVersion: '7',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '42601' } } },
    });
    expect((await request(appThrowing(bad)).get('/x')).status).toBe(500);
  });
});
