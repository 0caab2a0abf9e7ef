import { bundleWorkflowCode, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NotifyInput } from '../../activities/notifications';
import type { AuditEntry } from '../../activities/audit';
import { unconditionalShareWorkflow } from '../../workflows';
import { createTimeSkippingEnv, uniqueSuffix } from '../support/env';
import { recordHistory } from '../support/procedures';

describe('unconditional share workflow (time-skipping server, fake activities)', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
  });
  afterAll(() => env?.teardown());

  it('grants at once, audits, and notifies applicant and provider', async () => {
    const calls: { notify: NotifyInput[]; audit: AuditEntry[]; grant: string[] } = { notify: [], audit: [], grant: [] };
    const taskQueue = `tq-${uniqueSuffix()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: {
        async grantUnconditionalAccess({ applicationId }: { applicationId: string }) {
          calls.grant.push(applicationId);
          return {
            applicationNo: 'A-1',
            granteeName: '市人社局',
            applicantRecipients: [{ email: 'a@x', name: 'a' }],
            providerRecipients: [{ email: 'p@x', name: 'p' }],
            resources: [{ code: 'SCJG-001', name: '企业登记基本信息', provider: '市市场监管局' }],
          };
        },
        async recordAudit(e: AuditEntry) {
          calls.audit.push(e);
        },
        async notify(n: NotifyInput) {
          calls.notify.push(n);
          return n.recipients.length;
        },
      },
    });
    const handle = await env.client.workflow.start(unconditionalShareWorkflow, {
      workflowId: `unconditional-share/A-${uniqueSuffix()}`,
      taskQueue,
      args: [{ applicationId: 'app-1', applicationNo: 'A-1', actorUserId: 'u-1' }],
    });
    const result = await worker.runUntil(handle.result());
    expect(result).toEqual({ status: 'APPROVED' });
    expect(calls.grant).toEqual(['app-1']);
    expect(calls.audit.map((a) => a.action)).toEqual(['ACCESS_GRANTED']);
    expect(calls.notify.map((n) => n.recipients[0].email)).toEqual(['a@x', 'p@x']);
    await recordHistory('unconditional-share-granted', handle);
  });
});
