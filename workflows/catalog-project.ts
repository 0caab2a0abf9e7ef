/**
 * 信息系统项目立项审批条件 (Art. 17): a department's new or expanded information system is
 * registered as a project with the catalog entries compiled for it; the catalog is a condition of
 * the project's approval (作为项目立项审批条件). Registration opens the data authority's
 * `PROJECT_APPROVAL` task at once, so the project is seen and can be returned with reasons at any
 * time; `APPROVE` is refused with CATALOG_NOT_PUBLISHED, naming the entries still missing, until
 * every one of them is published (each review workflow reports its publication). The department
 * is told of the decision by mail. Art. 17 sets no time limit for this step.
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
import { catalogEntryPublishedSignal, type CatalogProjectInput, type CatalogProjectOutcome } from './catalog-messages';
import { acts, noteStatus } from './kit/procedure';
import { reject } from './kit/reject';
import { TaskRuntime } from './kit/tasks';
import { SA } from './search-attributes';

const PROCEDURE_NAME = '信息系统项目立项审批（目录条件）';

export async function catalogProjectWorkflow(
  input: CatalogProjectInput,
): Promise<{ outcome: CatalogProjectOutcome; published: string[] }> {
  const wfId = workflowInfo().workflowId;
  let stage = 'APPROVAL';
  const published = new Set<string>();
  setHandler(catalogEntryPublishedSignal, (e) => {
    if (input.draftNos.includes(e.draftNo)) published.add(e.draftNo);
  });
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: input.registeredAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  // Entries published before this workflow ran (drafts published earlier, a late start).
  for (const no of (await acts.catalogProjectProgress({ projectId: input.projectId })).published) published.add(no);

  noteStatus('REGISTERED');
  upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
  setCurrentDetails(`**${PROCEDURE_NAME} ${input.projectNo}** — stage \`${stage}\`: 目录发布后方可批准（第十七条）`);
  const codeOf = (no: string) => input.codes[input.draftNos.indexOf(no)] ?? no;
  const missing = () => input.draftNos.filter((no) => !published.has(no));

  const task = await tasks.open(
    {
      taskKey: `${wfId}:approval`,
      procedure: 'CATALOG_PROJECT',
      procedureName: PROCEDURE_NAME,
      applicationNo: input.projectNo,
      subjectRef: input.projectId,
      step: 'PROJECT_APPROVAL',
      title: `审批信息系统项目（第十七条，目录为立项审批条件）：${input.name}（${input.projectNo}）；目录：${input.codes.join('、')}`,
      candidateDeptId: input.authorityDeptId,
      candidateRole: 'AUTHORITY_REVIEWER',
      allowedDecisions: ['APPROVE', 'RETURN'],
      reasonsRequiredFor: ['RETURN'],
      workingDays: null,
    },
    {
      validate: (d) => {
        const left = missing();
        if (d.decision === 'APPROVE' && left.length)
          reject(
            'CATALOG_NOT_PUBLISHED',
            {
              zh: `项目 ${input.projectNo} 的目录条目尚未发布，不能批准（第十七条）：${left.map(codeOf).join('、')}`,
              en: `Project ${input.projectNo} waits for its catalog entries to be published (Art. 17): ${left.map(codeOf).join(', ')}`,
            },
            { missing: left.map(codeOf) },
          );
      },
    },
  );
  const decided = await tasks.decision(task);
  const approve = decided.decision === 'APPROVE';
  await acts.decideCatalogProject({
    projectId: input.projectId,
    approve,
    reasons: decided.reasons ?? '',
    comment: decided.comment ?? '',
    actorUserId: decided.actor.userId,
  });
  stage = approve ? 'APPROVED' : 'RETURNED';
  noteStatus(stage);
  upsertSearchAttributes([{ key: SA.Stage, value: stage }]);
  tasks.closeAll();
  await condition(allHandlersFinished);
  return { outcome: approve ? 'APPROVED' : 'RETURNED', published: [...published].sort() };
}
