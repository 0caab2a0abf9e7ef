/**
 * What a calendar change reaches, for tests of its rollout: a running procedure that nobody
 * executes (its task queue has no worker: it records signals, never answers an Update) and an open
 * inbox row with a working-day deadline naming it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../../lib/db';

export async function startUnpolledProbe(client: Client, workflowId: string): Promise<void> {
  await client.workflow.start('calendarSignalProbe', {
    taskQueue: `calendar-probe-no-worker-${randomUUID()}`,
    workflowId,
  });
}

/** A test's probes and their inbox rows (keys `<keyPrefix>:…`) removed again; a probe already gone is fine. */
export async function removeProbes(client: Client, db: Db, keyPrefix: string, workflowIds: string[]): Promise<void> {
  await db.task.deleteMany({ where: { taskKey: { startsWith: `${keyPrefix}:` } } });
  for (const id of workflowIds)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
}

/** An inbox row `<keyPrefix>:<workflowId>:<uuid>` counting working days from `deadlineFrom` (or its creation) to `dueAt`. */
export async function openDeadlineTask(
  db: Db,
  keyPrefix: string,
  workflowId: string,
  dueAt: Date | null,
  more: {
    status?: 'OPEN' | 'CLAIMED' | 'DONE';
    deadlineFrom?: Date | null;
    workingDays?: number | null;
    pausedAt?: Date;
  } = {},
): Promise<void> {
  await db.task.create({
    data: {
      id: `${keyPrefix}-${randomUUID()}`,
      taskKey: `${keyPrefix}:${workflowId}:${randomUUID()}`,
      workflowId,
      procedure: 'OBJECTION',
      step: 'TEST',
      status: more.status ?? 'OPEN',
      candidateDeptId: 'gaj',
      candidateRole: 'PROVIDER_REVIEWER',
      title: 'calendar test task',
      dueAt,
      workingDays: more.workingDays === undefined ? 10 : more.workingDays,
      deadlineFrom: more.deadlineFrom ?? null,
      pausedAt: more.pausedAt ?? null,
    },
  });
}
