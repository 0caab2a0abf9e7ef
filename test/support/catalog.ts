/**
 * Test data for the catalog procedures: draft and update-duty rows as the API writes them, and
 * the workflow inputs for them (the API tests cover the HTTP side).
 */
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import type { CatalogProjectInput, CatalogReviewInput, CatalogUpdateDutyInput } from '../../workflows/catalog-messages';
import { uniqueSuffix } from './env';

export interface DraftContent {
  code?: string;
  name?: string;
  description?: string;
  fields?: string[];
  shareClass?: 'UNCONDITIONAL' | 'CONDITIONAL' | 'NOT_SHARED';
  openClass?: 'UNCONDITIONAL' | 'CONDITIONAL' | 'NOT_OPEN';
  shareLegalBasis?: string | null;
  openLegalBasis?: string | null;
}

export const BASIS = '《中华人民共和国数据安全法》第三十八条';

/** A submitted draft of `departmentId` (a new entry, or a revision of `resourceId`). */
export async function draftRow(
  db: Db,
  departmentId: string,
  content: DraftContent = {},
  opts: { resourceId?: string; dutyId?: string; submittedAtMs?: number } = {},
): Promise<{ input: CatalogReviewInput; workflowId: string }> {
  const draftNo = `ML-T-${uniqueSuffix().toUpperCase()}`;
  const code = content.code ?? `T-CAT-${uniqueSuffix().toUpperCase()}`;
  const id = newId();
  const submittedAt = new Date(opts.submittedAtMs ?? Date.now());
  await db.catalogDraft.create({
    data: {
      id,
      draftNo,
      workflowId: `catalog-review/${draftNo}`,
      departmentId,
      resourceId: opts.resourceId ?? null,
      code,
      name: content.name ?? `测试目录 ${code}`,
      description: content.description ?? '目录管理测试用条目',
      fields: content.fields ?? [`字段-${code}-1`, `字段-${code}-2`],
      shareClass: content.shareClass ?? 'UNCONDITIONAL',
      openClass: content.openClass ?? 'UNCONDITIONAL',
      shareLegalBasis: content.shareLegalBasis ?? null,
      openLegalBasis: content.openLegalBasis ?? null,
      updateFrequency: '每月',
      sourceSystem: '测试业务系统',
      dutyId: opts.dutyId ?? null,
      status: 'SUBMITTED',
      createdById: `u-${departmentId}.staff`,
      idempotencyKey: draftNo,
      requestHash: 'test',
      submittedAt,
    },
  });
  const authority = await db.department.findFirstOrThrow({ where: { kind: 'AUTHORITY' } });
  return {
    workflowId: `catalog-review/${draftNo}`,
    input: {
      draftId: id,
      draftNo,
      departmentId,
      authorityDeptId: authority.id,
      code,
      submittedAtMs: submittedAt.getTime(),
    },
  };
}

/** An Art. 18 duty recorded for the entries; `occurredOn` is a Shanghai calendar day. */
export async function dutyRow(
  db: Db,
  departmentId: string,
  resources: Array<{ id: string; code: string }>,
  occurredOn: string,
  recordedAtMs = Date.now(),
): Promise<{ input: CatalogUpdateDutyInput; workflowId: string }> {
  const dutyNo = `GX18-T-${uniqueSuffix().toUpperCase()}`;
  const id = newId();
  await db.catalogUpdateDuty.create({
    data: {
      id,
      dutyNo,
      workflowId: `catalog-update/${dutyNo}`,
      departmentId,
      kind: 'LEGAL_BASIS_CHANGED',
      description: '上位法修订，共享依据条款变更',
      occurredOn: new Date(`${occurredOn}T00:00:00Z`),
      resourceIds: resources.map((r) => r.id),
      recordedById: `u-${departmentId}.staff`,
      recordedAt: new Date(recordedAtMs),
      idempotencyKey: dutyNo,
      requestHash: 'test',
    },
  });
  return {
    workflowId: `catalog-update/${dutyNo}`,
    input: {
      dutyId: id,
      dutyNo,
      departmentId,
      occurredAtMs: Date.parse(`${occurredOn}T00:00:00+08:00`),
      resourceIds: resources.map((r) => r.id),
      resourceCodes: resources.map((r) => r.code),
    },
  };
}

/** An Art. 17 project of `departmentId` over its drafts, as POST /api/catalog/projects stores it. */
export async function projectRow(
  db: Db,
  departmentId: string,
  draftNos: string[],
  registeredAtMs = Date.now(),
): Promise<{ input: CatalogProjectInput; workflowId: string }> {
  const projectNo = `XM-T-${uniqueSuffix().toUpperCase()}`;
  const id = newId();
  const drafts = await db.catalogDraft.findMany({ where: { draftNo: { in: draftNos } } });
  const ordered = draftNos.map((no) => drafts.find((d) => d.draftNo === no)!);
  await db.infoSystemProject.create({
    data: {
      id,
      projectNo,
      workflowId: `catalog-project/${projectNo}`,
      departmentId,
      name: `测试信息系统 ${projectNo}`,
      description: '目录管理测试用项目',
      draftIds: ordered.map((d) => d.id),
      registeredById: `u-${departmentId}.staff`,
      createdAt: new Date(registeredAtMs),
      idempotencyKey: projectNo,
      requestHash: 'test',
    },
  });
  const authority = await db.department.findFirstOrThrow({ where: { kind: 'AUTHORITY' } });
  return {
    workflowId: `catalog-project/${projectNo}`,
    input: {
      projectId: id,
      projectNo,
      departmentId,
      authorityDeptId: authority.id,
      name: `测试信息系统 ${projectNo}`,
      draftNos,
      codes: ordered.map((d) => d.code),
      registeredAtMs,
    },
  };
}
