/**
 * 目录更新义务 (Art. 18): once a listed situation occurs (法律依据发生变化, 行政职能发生变化, 信息系统
 * 更新完成, other change of the data), the department updates the affected entries and publishes
 * them within 15 working days of the day it occurred — not of the day it was recorded. Recording
 * the event opens the duty as an inbox task with that deadline (warning, overdue reminders and
 * escalation from the kit). The department confirms it once every affected entry has a version
 * published since the event (each review workflow reports its publication); confirming earlier
 * is refused, naming the entries still missing.
 */
import {
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProcedurePolicy } from '../domain/policy';
import { catalogEntryPublishedSignal, type CatalogUpdateDutyInput } from './catalog-messages';
import { acts, noteStatus } from './kit/procedure';
import { reject } from './kit/reject';
import { TaskRuntime } from './kit/tasks';
import { SA } from './search-attributes';

const PROCEDURE_NAME = '政务信息资源目录更新';

export async function catalogUpdateDutyWorkflow(
  input: CatalogUpdateDutyInput,
): Promise<{ fulfilled: true; updated: Record<string, number> }> {
  const wfId = workflowInfo().workflowId;
  let stage = 'UPDATE_DUE';
  const updated = new Map<string, number>();
  setHandler(catalogEntryPublishedSignal, (e) => {
    if (input.resourceIds.includes(e.resourceId))
      updated.set(e.resourceId, Math.max(e.version, updated.get(e.resourceId) ?? 0));
  });
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: input.occurredAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  // Versions published before this workflow ran (a start the reconciler finished late).
  for (const p of (await acts.catalogDutyProgress({ dutyId: input.dutyId })).published)
    updated.set(p.resourceId, Math.max(p.version, updated.get(p.resourceId) ?? 0));

  noteStatus('OPEN');
  upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
  setCurrentDetails(
    `**${PROCEDURE_NAME} ${input.dutyNo}** — stage \`${stage}\`: 自情形发生之日起15个工作日内更新并发布`,
  );
  const codeOf = (id: string) => input.resourceCodes[input.resourceIds.indexOf(id)] ?? id;
  const missing = () => input.resourceIds.filter((id) => !updated.has(id));

  const task = await tasks.open(
    {
      taskKey: `${wfId}:update`,
      procedure: 'CATALOG_UPDATE',
      procedureName: PROCEDURE_NAME,
      applicationNo: input.dutyNo,
      subjectRef: input.dutyId,
      step: 'CATALOG_UPDATE',
      title: `更新并发布目录条目（第十八条，自情形发生之日起15个工作日内）：${input.resourceCodes.join('、')}（${input.dutyNo}）`,
      candidateDeptId: input.departmentId,
      candidateRole: 'DEPT_STAFF',
      allowedDecisions: ['UPDATED'],
      workingDays: policy.catalogUpdateWorkingDays,
      countFromMs: input.occurredAtMs,
    },
    {
      validate: () => {
        const left = missing();
        if (left.length)
          reject(
            'CATALOG_NOT_PUBLISHED',
            {
              zh: `目录条目 ${left.map(codeOf).join(', ')} 在该事项发生后尚未发布新版本：请先提交并发布`,
              en: `Entries ${left.map(codeOf).join(', ')} have no version published since the event: submit and publish them first`,
            },
            { missing: left.map(codeOf) },
          );
      },
    },
  );
  const done = await tasks.decision(task);
  await acts.fulfilCatalogDuty({
    dutyId: input.dutyId,
    actorUserId: done.actor.userId,
    versions: Object.fromEntries([...updated].map(([id, v]) => [codeOf(id), v])),
  });
  stage = 'FULFILLED';
  noteStatus('FULFILLED');
  upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
  tasks.closeAll();
  await condition(allHandlersFinished);
  return { fulfilled: true, updated: Object.fromEntries([...updated].map(([id, v]) => [codeOf(id), v])) };
}
