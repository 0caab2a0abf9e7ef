/**
 * 异议处理 (Art. 33). Receipt → the data authority marks the data as disputed within 1 working
 * day → it determines whose scope the correction is:
 *  (一) its own: it decides whether to correct within 5 working days of receipt;
 *  (二) the provider's: it forwards within 2 working days of receipt, the provider decides
 *       within 5 working days of the forward and reports, the authority tells the objector
 *       promptly (policy deadline).
 * A decision to correct opens a correction task for whoever decided it (the authority in its own
 * scope since `objection-own-scope-correction-by-authority`, the provider after a forward; the
 * dispute mark shows the decision from the moment it is taken); once done, the catalog
 * entry's version goes up and grant holders are told. Closing clears the mark and tells the
 * objector the outcome with reasons. Every step is an inbox task with a working-day deadline
 * (warning, overdue, escalation from the framework); the deadlines the article counts "from
 * receipt" count from the receipt instant however late the step is opened.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProcedurePolicy } from '../domain/policy';
import { activitiesInFlight } from './kit/activities';
import { reject } from './kit/reject';
import { settle } from './kit/settle';
import { TaskRuntime, TaskSpec } from './kit/tasks';
import type { CompleteTaskInput } from './messages';
import { withdrawObjectionUpdate, type ObjectionInput, type ObjectionOutcome } from './objection-messages';
import { SA } from './search-attributes';
import { acts } from './kit/procedure';

export type ObjectionStage =
  'RECEIVED' | 'MARKING' | 'SCOPE' | 'AUTHORITY_DECISION' | 'PROVIDER_DECISION' | 'INFORM' | 'CORRECTION' | 'CLOSED';

const PROCEDURE_NAME = '政务数据异议处理';

/** Until a decision on the correction is recorded, the objector may withdraw the objection. */
const WITHDRAWABLE: ObjectionStage[] = ['RECEIVED', 'MARKING', 'SCOPE', 'AUTHORITY_DECISION', 'PROVIDER_DECISION'];
const WITHDRAWN_TEXT = '异议提出人撤回异议';

export async function objectionWorkflow(input: ObjectionInput): Promise<{ outcome: ObjectionOutcome }> {
  const wfId = workflowInfo().workflowId;
  let stage: ObjectionStage = 'RECEIVED';
  // Registered before the first await: a withdrawal sent the moment the objection is filed is
  // taken in, not refused for want of a handler at the end of the first activation.
  const main = new CancellationScope();
  let decided = false;
  let withdrawing = false;
  let withdrawal: { reason?: string } | undefined;
  // A decision being recorded on one of its tasks counts as taken (none before the tasks exist).
  let deciding = (): boolean => false;
  setHandler(
    withdrawObjectionUpdate,
    async (w) => {
      withdrawing = true;
      // Cancelled only between activities (while it waits for a person or a timer): an activity
      // cut off mid-way could still commit after the clean-up, e.g. a dispute mark placed late.
      await condition(() => activitiesInFlight() === 0);
      if (decided || !WITHDRAWABLE.includes(stage)) {
        withdrawing = false;
        refuseWithdrawal();
      }
      withdrawal = { reason: w.reason };
      main.cancel();
      await settle(() => stage === 'CLOSED');
      return { stage, outcome: 'WITHDRAWN' as const };
    },
    {
      validator: (w) => {
        if (input.objectorUserId !== undefined && w.actor.userId !== input.objectorUserId)
          reject('FORBIDDEN', {
            zh: `只有异议提出人可以撤回异议 ${input.objectionNo}`,
            en: `Only the objector may withdraw objection ${input.objectionNo}`,
          });
        if (withdrawing || decided || deciding() || !WITHDRAWABLE.includes(stage)) refuseWithdrawal();
      },
    },
  );
  function refuseWithdrawal(): never {
    return reject('CONFLICT', {
      zh: `异议 ${input.objectionNo} 已作出处理决定或已结束（阶段 ${stage}），不能再撤回`,
      en: `Objection ${input.objectionNo} is decided or closed (stage ${stage}) and can no longer be withdrawn`,
    });
  }

  // The policy in force when the objection was received, kept to the end.
  const policy: ProcedurePolicy = await acts.loadPolicy({ atMs: input.receivedAtMs });
  const tasks = new TaskRuntime(policy, () => stage);
  deciding = () => tasks.openTasks().some((t) => t.decidedBy !== undefined);
  const ref = `${input.resourceCode}（${input.objectionNo}）`;

  const enter = (next: ObjectionStage, message: string) => {
    stage = next;
    upsertSearchAttributes([{ key: SA.Stage, value: next }]);
    setCurrentDetails(`**${PROCEDURE_NAME} ${input.objectionNo}** — stage \`${next}\`: ${message}`);
  };

  type StepSpec = Omit<TaskSpec, 'procedure' | 'procedureName' | 'applicationNo' | 'subjectRef' | 'taskKey'> & {
    key: string;
  };
  async function step({ key, ...spec }: StepSpec): Promise<CompleteTaskInput> {
    const task = await tasks.open({
      ...spec,
      taskKey: `${wfId}:${key}`,
      procedure: 'OBJECTION',
      procedureName: PROCEDURE_NAME,
      applicationNo: input.objectionNo,
      subjectRef: input.objectionId,
    });
    return tasks.decision(task);
  }
  const authority = { candidateDeptId: input.authorityDeptId, candidateRole: 'AUTHORITY_REVIEWER' } as const;
  const decisionSpec = { allowedDecisions: ['CORRECT', 'REJECT'], reasonsRequiredFor: ['CORRECT', 'REJECT'] };

  async function procedure(): Promise<ObjectionOutcome> {
    await acts.acceptObjection({ objectionId: input.objectionId });

    enter('MARKING', '数据主管部门应在收到异议之日起1个工作日内作出异议标注');
    const mark = await step({
      key: 'mark',
      step: 'MARK_DISPUTED',
      title: `作出异议标注：${ref}`,
      ...authority,
      allowedDecisions: ['MARK'],
      workingDays: policy.objectionMarkWorkingDays,
      countFromMs: input.receivedAtMs,
    });
    await acts.placeDisputeMark({ objectionId: input.objectionId, actorUserId: mark.actor.userId });

    enter('SCOPE', '确定更正范围；属提供部门范围的，应在收到异议之日起2个工作日内转交');
    // The forward deadline bounds the scope decision: a provider-scope objection not forwarded by then is late.
    const scope = await step({
      key: 'scope',
      step: 'DETERMINE_SCOPE',
      title: `确定异议更正范围（本部门决定或转交提供部门）：${ref}`,
      ...authority,
      allowedDecisions: ['OWN_SCOPE', 'FORWARD'],
      workingDays: policy.objectionForwardWorkingDays,
      countFromMs: input.receivedAtMs,
    });

    let decision: CompleteTaskInput;
    const providerScope = scope.decision === 'FORWARD';
    if (!providerScope) {
      await acts.setObjectionScope({
        objectionId: input.objectionId,
        scope: 'AUTHORITY',
        actorUserId: scope.actor.userId,
      });
      enter('AUTHORITY_DECISION', '数据主管部门应在收到异议之日起5个工作日内作出是否更正的决定');
      decision = await step({
        key: 'authority-decision',
        step: 'AUTHORITY_DECISION',
        title: `作出是否更正的决定：${ref}`,
        ...authority,
        ...decisionSpec,
        workingDays: policy.objectionAuthorityDecisionWorkingDays,
        countFromMs: input.receivedAtMs,
      });
    } else {
      await acts.setObjectionScope({
        objectionId: input.objectionId,
        scope: 'PROVIDER',
        actorUserId: scope.actor.userId,
      });
      const { forwardedAtMs } = await acts.forwardObjection({
        objectionId: input.objectionId,
        actorUserId: scope.actor.userId,
        comment: scope.comment,
      });
      enter('PROVIDER_DECISION', '提供部门应在收到转交之日起5个工作日内作出是否更正的决定并告知数据主管部门');
      decision = await step({
        key: 'provider-decision',
        step: 'PROVIDER_DECISION',
        title: `作出是否更正的决定并告知数据主管部门：${ref}`,
        candidateDeptId: input.providerDeptId,
        candidateRole: 'PROVIDER_REVIEWER',
        ...decisionSpec,
        workingDays: policy.objectionProviderDecisionWorkingDays,
        countFromMs: forwardedAtMs,
      });
    }
    decided = true;
    const correct = decision.decision === 'CORRECT';
    const reasons = decision.reasons ?? '';
    await acts.recordObjectionDecision({
      objectionId: input.objectionId,
      decision: correct ? 'CORRECT' : 'REJECT',
      reasons,
      decidedBy: providerScope ? 'PROVIDER' : 'AUTHORITY',
      actorUserId: decision.actor.userId,
    });

    let informComment: string | undefined;
    if (providerScope) {
      enter('INFORM', '数据主管部门应及时将处理结果告知异议提出人');
      const inform = await step({
        key: 'inform',
        step: 'INFORM_OBJECTOR',
        title: `将提供部门的处理结果告知异议提出人：${ref}`,
        ...authority,
        allowedDecisions: ['INFORM'],
        workingDays: policy.objectionInformWorkingDays,
      });
      informComment = inform.comment;
      if (correct)
        await acts.informObjectorOfDecision({
          objectionId: input.objectionId,
          decision: 'CORRECT',
          reasons,
          comment: inform.comment,
          actorUserId: inform.actor.userId,
        });
    } else if (correct) {
      await acts.informObjectorOfDecision({
        objectionId: input.objectionId,
        decision: 'CORRECT',
        reasons,
        comment: decision.comment,
        actorUserId: decision.actor.userId,
      });
    }

    if (correct) {
      // Case (一) is the authority's scope: it corrects (histories from before gave it to the provider).
      const authorityCorrects = !providerScope && patched('objection-own-scope-correction-by-authority');
      enter(
        'CORRECTION',
        authorityCorrects
          ? '数据主管部门更正数据，更正后目录条目版本更新并通知使用方'
          : '数据提供部门更正数据，更正后目录条目版本更新并通知使用方',
      );
      const corrected = await step({
        key: 'correction',
        step: 'CORRECTION',
        title: `更正异议数据：${ref}`,
        ...(authorityCorrects ? authority : { candidateDeptId: input.providerDeptId, candidateRole: 'DEPT_STAFF' }),
        allowedDecisions: ['CORRECTED'],
        workingDays: policy.objectionCorrectionWorkingDays,
      });
      await acts.applyCorrection({
        objectionId: input.objectionId,
        actorUserId: corrected.actor.userId,
        note: corrected.comment,
      });
    }

    const outcome: ObjectionOutcome = correct ? 'CORRECTED' : 'REJECTED';
    await acts.closeObjection({
      objectionId: input.objectionId,
      outcome,
      reasons,
      comment: informComment ?? decision.comment,
    });
    enter('CLOSED', correct ? '已更正，异议标注已撤销' : '不予更正，异议标注已撤销');
    tasks.closeAll();
    return outcome;
  }

  let outcome: ObjectionOutcome;
  try {
    outcome = await main.run(procedure);
  } catch (err) {
    if (!isCancellation(err) || !withdrawal) throw err;
    // Withdrawn before any decision: nothing stays open, the mark goes, the objector is told.
    outcome = 'WITHDRAWN';
    tasks.closeAll();
    await acts.cancelOpenTasks({ workflowId: wfId, reason: WITHDRAWN_TEXT });
    await acts.closeObjection({
      objectionId: input.objectionId,
      outcome,
      reasons: withdrawal.reason?.trim() || WITHDRAWN_TEXT,
    });
    enter('CLOSED', `${WITHDRAWN_TEXT}，异议标注已撤销`);
  }
  await condition(allHandlersFinished);
  return { outcome };
}
