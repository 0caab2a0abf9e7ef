/**
 * Version 2 adds a step. Running cases took the old path, so the new step is guarded: `patched()`
 * is false while replaying a history recorded without it, true for every new case. Later, once no
 * old case runs: `deprecatePatch('notice-acknowledged')`, then remove the guard.
 */
import { patched, proxyActivities } from '@temporalio/workflow';

const { notice } = proxyActivities<{ notice(text: string): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function noticeWorkflow(): Promise<void> {
  await notice('received');
  if (patched('notice-acknowledged')) await notice('acknowledged');
  await notice('decided');
}
