/**
 * Test data for objection and security incident tests: a resource of its own per test (so a
 * dispute mark or a version bump never touches a seed resource another test reads), a grant
 * holder on it, and the objection / incident rows as the API writes them.
 */
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { MailTemplates } from '../../lib/mailer';
import type { ObjectionInput, SecurityIncidentInput } from '../../workflows/objection-messages';
import { uniqueSuffix } from './env';

export interface TestResource {
  id: string;
  code: string;
  providerId: string;
}

/** A published catalog entry of `providerId` that only this test uses. */
export async function testResource(
  db: Db,
  providerId = 'zrzyj',
  openClass: 'UNCONDITIONAL' | 'CONDITIONAL' | 'NOT_OPEN' = 'UNCONDITIONAL',
): Promise<TestResource> {
  const code = `T-OBJ-${uniqueSuffix().toUpperCase()}`;
  const r = await db.dataResource.create({
    data: {
      id: newId(),
      code,
      name: `测试数据 ${code}`,
      description: '异议与安全事件测试用目录条目',
      catalogId: `catalog-${providerId}`,
      providerId,
      shareClass: 'UNCONDITIONAL',
      openClass,
      openLegalBasis: openClass === 'UNCONDITIONAL' ? null : '《中华人民共和国数据安全法》第三十八条',
      fields: ['编号', '名称'],
      updateFrequency: '每月',
    },
  });
  return { id: r.id, code: r.code, providerId };
}

/** An ACTIVE grant on the resource for a department (its staff are told about marks and corrections). */
export async function activeGrant(
  db: Db,
  resourceId: string,
  granteeDeptId: string,
): Promise<{ grantId: string; applicationId: string }> {
  const applicationNo = `T-G-${uniqueSuffix()}`;
  const applicationId = newId();
  await db.application.create({
    data: {
      id: applicationId,
      applicationNo,
      procedure: 'UNCONDITIONAL_SHARE',
      status: 'APPROVED',
      workflowId: `unconditional-share/${applicationNo}`,
      idempotencyKey: applicationNo,
      applicantKey: `dept:${granteeDeptId}`,
      applicantDeptId: granteeDeptId,
      submittedById: `u-${granteeDeptId}.staff`,
      purpose: '测试用访问权限',
      resources: { create: [{ resourceId }] },
    },
  });
  const grantId = newId();
  await db.accessGrant.create({
    data: { id: grantId, applicationId, resourceId, granteeDeptId, status: 'ACTIVE', activatedAt: new Date() },
  });
  return { grantId, applicationId };
}

export async function userId(db: Db, login: string): Promise<string> {
  return (await db.user.findUniqueOrThrow({ where: { login } })).id;
}

/** The objection row as POST /api/objections writes it, and the workflow input for it. */
export async function objectionRow(
  db: Db,
  opts: {
    resource: TestResource;
    objectorLogin: string;
    receivedAtMs: number;
    kind?: 'ERROR' | 'OMISSION' | 'TRADE_SECRET' | 'PRIVACY';
  },
): Promise<{ input: ObjectionInput; workflowId: string }> {
  const objectionNo = `YY-T-${uniqueSuffix().toUpperCase()}`;
  const kind = opts.kind ?? 'ERROR';
  const id = newId();
  const workflowId = `objection/${objectionNo}`;
  const objectorUserId = await userId(db, opts.objectorLogin);
  await db.objection.create({
    data: {
      id,
      objectionNo,
      workflowId,
      resourceId: opts.resource.id,
      objectorUserId,
      kind,
      facts: '第3行地址与实际不符',
      requestedCorrection: '将地址更正为东昌府区柳园南路1号',
      confidential: kind === 'TRADE_SECRET' || kind === 'PRIVACY',
      receivedAt: new Date(opts.receivedAtMs),
      idempotencyKey: objectionNo,
    },
  });
  return {
    workflowId,
    input: {
      objectionId: id,
      objectionNo,
      resourceId: opts.resource.id,
      resourceCode: opts.resource.code,
      providerDeptId: opts.resource.providerId,
      authorityDeptId: 'dsj',
      receivedAtMs: opts.receivedAtMs,
      objectorUserId,
    },
  };
}

/** The incident row as POST /api/incidents writes it, and the workflow input for it. */
export async function incidentRow(
  db: Db,
  opts: {
    resourceIds: string[];
    reporterLogin: string;
    responsibleDeptId: string;
    reportedAtMs: number;
    suspendGrants: boolean;
  },
): Promise<{ input: SecurityIncidentInput; workflowId: string }> {
  // A public applicant (no department) reports for the authority to triage.
  const incidentNo = `AQ-T-${uniqueSuffix().toUpperCase()}`;
  const id = newId();
  const reporter = await db.user.findUniqueOrThrow({ where: { login: opts.reporterLogin } });
  const workflowId = `security-incident/${incidentNo}`;
  await db.securityIncident.create({
    data: {
      id,
      incidentNo,
      workflowId,
      kind: 'LEAK',
      description: '接口调用日志显示存在异常批量查询',
      resourceIds: opts.resourceIds,
      reporterUserId: reporter.id,
      reporterDeptId: reporter.departmentId,
      responsibleDeptId: opts.responsibleDeptId,
      suspendGrants: opts.suspendGrants,
      idempotencyKey: incidentNo,
      reportedAt: new Date(opts.reportedAtMs),
    },
  });
  return {
    workflowId,
    input: {
      incidentId: id,
      incidentNo,
      responsibleDeptId: opts.responsibleDeptId,
      authorityDeptId: 'dsj',
      reporterUserId: reporter.id,
      reportedAtMs: opts.reportedAtMs,
      suspendGrants: opts.suspendGrants,
      ...(reporter.departmentId === null ? { triage: true } : {}),
    },
  };
}

/** Renders every queued mail whose key starts with one of the prefixes: strict templates fail on any missing variable. */
export async function renderQueuedMail(
  db: Db,
  prefixes: string[],
): Promise<Array<{ template: string; recipient: string; subject: string; text: string }>> {
  const templates = new MailTemplates();
  const rows = await db.notification.findMany({
    where: { OR: prefixes.map((p) => ({ dedupeKey: { startsWith: p } })) },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((r) => ({
    template: r.template,
    recipient: r.recipient,
    ...templates.render(r.template, r.data as Record<string, unknown>),
  }));
}
