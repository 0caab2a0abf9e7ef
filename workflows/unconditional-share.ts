import { upsertSearchAttributes } from '@temporalio/workflow';
import { acts } from './kit/activities';
import { SA } from './search-attributes';

const { grantUnconditionalAccess, notify, recordAudit } = acts;

export interface UnconditionalShareInput {
  applicationId: string;
  applicationNo: string;
  actorUserId: string;
}

/** Art. 22 ¶1: access to UNCONDITIONAL resources with no human step, still recorded and notified. */
export async function unconditionalShareWorkflow(input: UnconditionalShareInput): Promise<{ status: 'APPROVED' }> {
  upsertSearchAttributes([{ key: SA.Stage, value: 'GRANT' }]);
  const summary = await grantUnconditionalAccess({ applicationId: input.applicationId });
  await recordAudit({
    auditKey: `${input.applicationNo}:granted`,
    actor: 'system',
    action: 'ACCESS_GRANTED',
    entityType: 'Application',
    entityId: input.applicationId,
    details: { resources: summary.resources.map((r) => r.code), requestedBy: input.actorUserId },
  });
  const data = {
    applicationNo: input.applicationNo,
    granteeName: summary.granteeName,
    resources: summary.resources,
    resourceCount: summary.resources.length,
    expiresAt: '',
  };
  await notify({
    eventKey: `${input.applicationNo}:granted:applicant`,
    template: 'grant',
    recipients: summary.applicantRecipients,
    data,
  });
  await notify({
    eventKey: `${input.applicationNo}:granted:provider`,
    template: 'grant',
    recipients: summary.providerRecipients,
    data,
  });
  upsertSearchAttributes([{ key: SA.Stage, value: 'DONE' }]);
  return { status: 'APPROVED' };
}
