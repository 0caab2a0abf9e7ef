/**
 * Test helpers for the non-government access and conditional open procedures: application rows
 * as the API writes them, the applicant's agreement answer, and a worker on the Temporal dev
 * server for API tests.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { answerOpenAgreementUpdate, AnswerOpenAgreementResult } from '../../workflows/open-messages';
import { eventually, uniqueSuffix } from './env';

export async function nonGovernmentApplication(db: Db, applicantDeptId: string, resourceCodes: string[]) {
  const applicationNo = `FZ-T-${uniqueSuffix()}`;
  const id = newId();
  const workflowId = `non-government-access/${applicationNo}`;
  const resources = await db.dataResource.findMany({ where: { code: { in: resourceCodes } } });
  await db.application.create({
    data: {
      id,
      applicationNo,
      procedure: 'NON_GOVERNMENT_ACCESS',
      workflowId,
      idempotencyKey: applicationNo,
      applicantKey: `dept:${applicantDeptId}`,
      applicantDeptId,
      submittedById: `u-${applicantDeptId}.staff`,
      purpose: '核对用水户身份以办理过户',
      legalDuty: '《城市供水条例》第二十三条',
      fieldsRequested: [],
      usePeriodDays: 60,
      accessMode: 'INTERFACE',
      details: { scenario: '供水营业厅过户业务身份核验', securityMeasures: '专线接入，操作留痕，等保三级' },
      resources: { create: resources.map((r) => ({ resourceId: r.id })) },
    },
  });
  return { id, applicationNo, workflowId, providerDeptIds: [...new Set(resources.map((r) => r.providerId))].sort() };
}

export async function openApplication(
  db: Db,
  publicApplicantId: string,
  resourceCodes: string[],
  fieldOfUse = 'SOCIAL_SERVICE',
) {
  const applicationNo = `KF-T-${uniqueSuffix()}`;
  const id = newId();
  const workflowId = `conditional-open/${applicationNo}`;
  const resources = await db.dataResource.findMany({ where: { code: { in: resourceCodes } } });
  await db.application.create({
    data: {
      id,
      applicationNo,
      procedure: 'CONDITIONAL_OPEN',
      workflowId,
      idempotencyKey: applicationNo,
      applicantKey: `public:${publicApplicantId}`,
      applicantPublicId: publicApplicantId,
      submittedById: 'test',
      purpose: '开发便民就医查询小程序',
      fieldsRequested: [],
      usePeriodDays: 200,
      accessMode: 'DOWNLOAD',
      details: {
        fieldOfUse,
        scenario: '便民就医查询',
        securityMeasures: '数据加密存储，最小权限访问',
        securityPledgeAccepted: true,
        commercialUse: false,
        nonProfitResearch: fieldOfUse === 'RESEARCH',
      },
      resources: { create: resources.map((r) => ({ resourceId: r.id })) },
    },
  });
  return { id, applicationNo, workflowId, providerDeptIds: [...new Set(resources.map((r) => r.providerId))].sort() };
}

/** The applicant's answer as the API sends it, once the agreement exists. */
export async function answerAgreement(
  db: Db,
  handle: WorkflowHandle,
  applicationId: string,
  login: string,
  accept: boolean,
  agreementNo?: string,
): Promise<AnswerOpenAgreementResult> {
  const agreement = await eventually(
    () => db.agreement.findFirst({ where: { applicationId, kind: 'OPEN_USE' } }),
    'the open-use agreement',
  );
  await eventually(
    async () =>
      (await db.application.findUniqueOrThrow({ where: { id: applicationId } })).status === 'AGREEMENT_PENDING',
    'the AGREEMENT stage',
  );
  const u = await db.user.findUniqueOrThrow({ where: { login } });
  return handle.executeUpdate(answerOpenAgreementUpdate, {
    args: [
      {
        agreementNo: agreementNo ?? agreement.agreementNo,
        accept,
        actor: { userId: u.id, login: u.login, publicApplicantId: u.publicApplicantId },
      },
    ],
  });
}
