/**
 * Temporal Schedules the system keeps: the monthly evaluation report (Art. 6), run at 02:00
 * Shanghai time on the first of every month for the month before. Created when the worker starts
 * if missing; an existing schedule is left as it is (an operator may have paused it in the UI).
 */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

export const EVALUATION_SCHEDULE_ID = 'evaluation-report-monthly';

export async function ensureEvaluationSchedule(
  client: Client,
  opts: { taskQueue: string; scheduleId?: string },
): Promise<'created' | 'exists'> {
  const scheduleId = opts.scheduleId ?? EVALUATION_SCHEDULE_ID;
  try {
    await client.schedule.create({
      scheduleId,
      spec: {
        calendars: [{ dayOfMonth: 1, hour: 2, comment: '每月1日02:00 上月部门评估' }],
        timezone: 'Asia/Shanghai',
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'evaluationReportWorkflow',
        workflowId: scheduleId,
        taskQueue: opts.taskQueue,
        args: [{}],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { purpose: 'Art. 6 monthly department evaluation report' },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
