/** Version 1 of a tiny procedure, as it ran when its history was recorded. */
import { proxyActivities } from '@temporalio/workflow';

const { notice } = proxyActivities<{ notice(text: string): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function noticeWorkflow(): Promise<void> {
  await notice('received');
  await notice('decided');
}
