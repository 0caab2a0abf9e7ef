/** Version 2 without the guard: a running case would fail to replay. */
import { proxyActivities } from '@temporalio/workflow';

const { notice } = proxyActivities<{ notice(text: string): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function noticeWorkflow(): Promise<void> {
  await notice('received');
  await notice('acknowledged');
  await notice('decided');
}
