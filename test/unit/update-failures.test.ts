/**
 * How a workflow's refusal of an Update reaches the client: a typed rejection keeps its code and
 * details; any other failure is a defect, answered as 500 and logged, never as a silent 409.
 */
import express from 'express';
import request from 'supertest';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { executeBounded } from '../../api/kit/updates';
import { AppError, errorHandler } from '../../api/errors';

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
});
