/**
 * The monthly evaluation report, started by the Temporal Schedule `evaluation-report-monthly`
 * (lib/schedules.ts) on the first of every month, or by hand for a given period. One activity:
 * it computes and mails every department's figures; running a period again sends nothing new.
 */
import { acts } from './kit/activities';

export interface EvaluationReportWorkflowInput {
  period?: string;
}

export async function evaluationReportWorkflow(
  input: EvaluationReportWorkflowInput = {},
): Promise<{ period: string; mails: number }> {
  // Date.now() is the workflow's deterministic clock: the time of this run (the schedule's).
  return acts.sendEvaluationReports({ period: input.period, atMs: Date.now() });
}
