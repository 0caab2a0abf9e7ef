/**
 * 目录审核发布 (Art. 16–17, with Art. 21, 24): a department's submitted entry is reviewed (审核) by
 * the data authority within the policy's review time, and published into the city-level catalog
 * (市级政务信息资源目录) as the entry's next version, or returned with reasons; the department
 * revises and resubmits (a new review round) or withdraws. Entries of other departments that look
 * like the same data are found on every submission and shown to the reviewer, who must give
 * reasons to publish anyway (Art. 17: the authority integrates duplicates). A published class
 * change that closes access (NOT_SHARED, NOT_OPEN) does not cut running grants silently: the
 * provider keeps or suspends each active grant, with reasons. An Art. 18 update duty waiting for
 * the entry is told of the new version. A retirement request (撤销/停用) of a published entry is
 * reviewed the same way (RETIRE or RETURN); a retired entry's active grants get the same
 * keep-or-suspend tasks.
 */
import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProcedurePolicy } from '../domain/policy';
import { catalogEntryPublishedSignal, type CatalogReviewInput, type CatalogReviewOutcome } from './catalog-messages';
import { acts, noteStatus } from './kit/procedure';
import { TaskRuntime, type TaskSpec } from './kit/tasks';
import type { CompleteTaskInput } from './messages';
import { SA } from './search-attributes';

export type CatalogReviewStage = 'SUBMITTED' | 'REVIEW' | 'RETURNED' | 'GRANT_REVIEW' | 'PUBLISHED' | 'WITHDRAWN';

const PROCEDURE_NAME = '政务信息资源目录审核发布';

/** Suspected duplicates open the authority's CATALOG_INTEGRATE step before the review (Art. 17). */
export const INTEGRATE_DUPLICATES_PATCH = 'catalog-integrate-duplicates';

export async function catalogReviewWorkflow(
  input: CatalogReviewInput,
): Promise<{ outcome: CatalogReviewOutcome; version?: number; rounds: number }> {
  const wfId = workflowInfo().workflowId;
  let stage: CatalogReviewStage = 'SUBMITTED';
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: input.submittedAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  const ref = `${input.code}（${input.draftNo}）`;

  const enter = (next: CatalogReviewStage, status: string, message: string) => {
    stage = next;
    noteStatus(status);
    upsertSearchAttributes([{ key: SA.Stage, value: next }]);
    setCurrentDetails(`**${PROCEDURE_NAME} ${input.draftNo}** — stage \`${next}\`: ${message}`);
  };

  type StepSpec = Omit<TaskSpec, 'procedure' | 'procedureName' | 'applicationNo' | 'taskKey'> & { key: string };
  async function step({ key, ...spec }: StepSpec): Promise<CompleteTaskInput> {
    const task = await tasks.open({
      ...spec,
      taskKey: `${wfId}:${key}`,
      procedure: 'CATALOG_REVIEW',
      procedureName: PROCEDURE_NAME,
      applicationNo: input.draftNo,
      subjectRef: spec.subjectRef ?? input.draftId,
    });
    return tasks.decision(task);
  }

  for (let round = 1; ; round += 1) {
    const checked = await acts.checkCatalogDraft({ draftId: input.draftId, round });
    const { duplicates } = checked;
    // A retirement request (撤销/停用) goes through the same review: RETIRE or RETURN.
    const retirement = checked.kind === 'RETIREMENT';
    enter(
      'REVIEW',
      'SUBMITTED',
      retirement ? '数据主管部门审核目录条目停用申请' : '数据主管部门审核目录条目（第十六条）',
    );
    const duplicateNote = duplicates.length ? `；疑似重复：${duplicates.map((d) => d.code).join('、')}` : '';
    // Art. 17 (发现目录重复的，应当整合): the authority integrates before it reviews — the existing
    // entry is the source and this draft is withdrawn referring to it, this draft becomes the
    // source the others refer to once published, or both are kept, always with reasons.
    let integrated = false;
    if (!retirement && duplicates.length > 0 && patched(INTEGRATE_DUPLICATES_PATCH)) {
      // USE_EXISTING:<code> names one published duplicate as the source; drafts under review have none yet.
      const sources = duplicates.filter((d) => d.source === 'PUBLISHED').map((d) => `USE_EXISTING:${d.code}`);
      const integration = await step({
        key: `integrate:${round}`,
        step: 'CATALOG_INTEGRATE',
        title: `整合重复目录（第十七条）：${ref} 与 ${duplicates.map((d) => `${d.code}（${d.departmentId}）`).join('、')}`,
        candidateDeptId: input.authorityDeptId,
        candidateRole: 'AUTHORITY_REVIEWER',
        allowedDecisions: [...sources, 'USE_THIS', 'KEEP_BOTH'],
        reasonsRequiredFor: [...sources, 'USE_THIS', 'KEEP_BOTH'],
        workingDays: policy.catalogReviewWorkingDays,
      });
      const source = sources.includes(integration.decision) ? integration.decision.slice('USE_EXISTING:'.length) : null;
      await acts.integrateCatalogDuplicates({
        draftId: input.draftId,
        round,
        decision: source ? 'USE_EXISTING' : (integration.decision as 'USE_THIS' | 'KEEP_BOTH'),
        sourceCode: source ?? input.code,
        duplicates,
        reasons: integration.reasons ?? '',
        actorUserId: integration.actor.userId,
      });
      if (source) {
        enter('WITHDRAWN', 'WITHDRAWN', `已整合至 ${source}，本条目撤回`);
        tasks.closeAll();
        await condition(allHandlersFinished);
        return { outcome: 'INTEGRATED', rounds: round };
      }
      integrated = true;
    }
    const review = await step(
      retirement
        ? {
            key: `review:${round}`,
            step: 'CATALOG_REVIEW',
            title: `审核目录条目停用（撤销）申请：${ref}；理由：${checked.reasons ?? ''}`,
            candidateDeptId: input.authorityDeptId,
            candidateRole: 'AUTHORITY_REVIEWER',
            allowedDecisions: ['RETIRE', 'RETURN'],
            reasonsRequiredFor: ['RETURN'],
            workingDays: policy.catalogReviewWorkingDays,
          }
        : {
            key: `review:${round}`,
            step: 'CATALOG_REVIEW',
            title: `审核目录条目（第十六条）：${ref}${duplicateNote}`,
            candidateDeptId: input.authorityDeptId,
            candidateRole: 'AUTHORITY_REVIEWER',
            allowedDecisions: ['PUBLISH', 'RETURN'],
            // A suspected duplicate is published only with reasons why it is not the same data (Art. 17),
            // unless the integration step gave them.
            reasonsRequiredFor: duplicates.length && !integrated ? ['PUBLISH', 'RETURN'] : ['RETURN'],
            workingDays: policy.catalogReviewWorkingDays,
          },
    );

    if (review.decision === 'RETURN') {
      await acts.returnCatalogDraft({
        draftId: input.draftId,
        round,
        reasons: review.reasons ?? '',
        actorUserId: review.actor.userId,
      });
      enter('RETURNED', 'RETURNED', '已退回，待部门修改后重新提交');
      const answer = await step({
        key: `resubmit:${round}`,
        step: 'CATALOG_RESUBMIT',
        title: retirement ? `重新提交或撤回目录条目停用申请：${ref}` : `修改后重新提交目录条目：${ref}`,
        candidateDeptId: input.departmentId,
        candidateRole: 'DEPT_STAFF',
        allowedDecisions: ['RESUBMIT', 'WITHDRAW'],
        workingDays: null,
      });
      if (answer.decision === 'WITHDRAW') {
        await acts.withdrawCatalogDraft({ draftId: input.draftId, actorUserId: answer.actor.userId });
        enter('WITHDRAWN', 'WITHDRAWN', '部门已撤回目录条目');
        tasks.closeAll();
        await condition(allHandlersFinished);
        return { outcome: 'WITHDRAWN', rounds: round };
      }
      await acts.resubmitCatalogDraft({ draftId: input.draftId, round: round + 1, actorUserId: answer.actor.userId });
      continue;
    }

    const published = await acts.publishCatalogDraft({
      draftId: input.draftId,
      actorUserId: review.actor.userId,
      reasons: review.reasons,
      comment: review.comment,
    });
    if (integrated) await acts.applyCatalogIntegration({ draftId: input.draftId, round });
    for (const duty of [...published.dutyWorkflowIds, ...(published.projectWorkflowIds ?? [])]) {
      // A duty or an Art. 17 project that has ended meanwhile has nothing left to wait for.
      await getExternalWorkflowHandle(duty)
        .signal(catalogEntryPublishedSignal, {
          resourceId: published.resourceId,
          version: published.version,
          draftNo: input.draftNo,
        })
        .catch(() => undefined);
    }

    if (published.grantsToReview.length > 0) {
      enter(
        'GRANT_REVIEW',
        'PUBLISHED',
        retirement
          ? '条目停用后，提供部门逐项决定保留或暂停现有授权'
          : '分类变更后，提供部门逐项决定保留或暂停现有授权',
      );
      await Promise.all(
        published.grantsToReview.map(async (g) => {
          const decision = await step({
            key: `grant:${g.grantId}`,
            step: 'GRANT_REVIEW',
            title: `${ref} 变更为${g.newClassText}：决定保留或暂停 ${g.granteeName} 的授权（${g.applicationNo}）`,
            candidateDeptId: input.departmentId,
            candidateRole: 'PROVIDER_REVIEWER',
            subjectRef: g.grantId,
            allowedDecisions: ['KEEP', 'SUSPEND'],
            reasonsRequiredFor: ['KEEP', 'SUSPEND'],
            workingDays: policy.catalogGrantReviewWorkingDays,
          });
          await acts.applyCatalogGrantReview({
            draftId: input.draftId,
            grantId: g.grantId,
            keep: decision.decision === 'KEEP',
            reasons: decision.reasons ?? '',
            actorUserId: decision.actor.userId,
          });
        }),
      );
    }
    enter(
      'PUBLISHED',
      'PUBLISHED',
      retirement ? `已停用（第${published.version}版）` : `已发布为第${published.version}版`,
    );
    tasks.closeAll();
    await condition(allHandlersFinished);
    return { outcome: 'PUBLISHED', version: published.version, rounds: round };
  }
}
