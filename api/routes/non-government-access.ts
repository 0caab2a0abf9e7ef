/**
 * 非政务部门申请 (Art. 22 ¶3): a NON_GOVERNMENT unit (e.g. a utility under Art. 39) applies to
 * the data authority with its use scenario and security measures. Government departments use
 * the share procedures at /api/applications instead. The application is read back through
 * GET /api/applications/{no}, which serves every procedure.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DEFAULT_POLICY } from '../../domain/policy';
import { newId } from '../../lib/ids';
import { withdrawUpdate } from '../../workflows/messages';
import { Principal, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { refuseRetired } from '../catalog-citations';
import { actorOf } from '../kit/decisions';
import { AppError, fieldText, parse } from '../errors';
import { documented } from '../openapi';
import { startApplication } from '../kit/starters';
import { temporalClient } from '../kit/temporal';
import { executeBounded } from '../kit/updates';
import {
  hashRequest,
  idempotencyKeySchema as idempotencyKey,
  newApplicationNo,
  submitOnce,
  unknownResources,
} from '../submissions';
import { applicationDetail, applicationDetailSchema, SUBMISSION_ERRORS, UPDATE_ERRORS } from './applications';
import { waitForStatus } from './conditional-open';

const submitBody = z
  .object({
    idempotencyKey,
    resourceCodes: z
      .array(z.string().trim().min(1).max(64))
      .min(1)
      .max(50)
      .refine(
        (codes) => new Set(codes).size === codes.length,
        fieldText('数据资源不得重复', 'must not repeat a resource'),
      ),
    purpose: z.string().trim().min(4).max(2000),
    /** 履职需要: the public-affairs function the unit performs (e.g. 《城市供水条例》 for a water utility). */
    dutyBasis: z.string().trim().min(4).max(2000),
    /** 应用场景 */
    scenario: z.string().trim().min(4).max(4000),
    /** 安全保障措施 */
    securityMeasures: z.string().trim().min(4).max(4000),
    fieldsRequested: z.array(z.string().trim().min(1).max(100)).max(200).default([]),
    usePeriodDays: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_POLICY.maxUsePeriodDays)
      .default(DEFAULT_POLICY.defaultUsePeriodDays),
    accessMode: z.enum(['INTERFACE', 'DATA_COPY']).default('INTERFACE'),
  })
  .strict();

const withdrawBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();
const noParam = z.object({ no: z.string().min(1).max(64) });

function requireNonGovernmentStaff(req: Parameters<typeof requireRole>[0]): Principal {
  const p = requireRole(req, 'DEPT_STAFF');
  if (p.departmentKind !== 'NON_GOVERNMENT') {
    throw new AppError('PROCEDURE_NOT_ALLOWED', {
      zh: '政务部门应通过共享申请程序申请共享数据（第二十二条第一款、第二款）：请使用 POST /api/applications',
      en: 'Government departments apply for shared data through the share procedures (Art. 22 ¶1–2): use POST /api/applications',
    });
  }
  return p;
}

export function nonGovernmentApplicationsRouter(deps: ApiDeps): Router {
  const { db } = deps;
  documented({
    method: 'post',
    path: '/api/non-government-applications',
    summary: 'A non-government unit applies for government data (Art. 22 ¶3)',
    tags: ['applications'],
    auth: 'required',
    body: submitBody,
    response: applicationDetailSchema,
    errors: SUBMISSION_ERRORS,
    responses: {
      201: 'Submitted (the same answer as GET /api/applications/{no}, case deadline included); answered once the first step is done, or after START_ANSWER_WAIT_MS',
      200: 'Repeat of an earlier submission',
      409: 'Idempotency key reused with other content',
      422: 'Not a non-government unit, a resource code unknown (UNKNOWN_RESOURCE, details.codes), or a resource that cannot be provided',
      503: 'Workflow service unavailable, or START_PENDING (stored, start not yet confirmed): repeat the request',
    },
  });
  documented({
    method: 'post',
    path: '/api/non-government-applications/{no}/withdraw',
    summary: 'Withdraw a non-government application before the agreement is signed',
    tags: ['applications'],
    auth: 'required',
    body: withdrawBody,
    errors: [...UPDATE_ERRORS, 'NOT_FOUND', 'PROCEDURE_NOT_ALLOWED'],
    response: applicationDetailSchema,
  });
  const router = Router();

  router.post('/api/non-government-applications', async (req, res) => {
    const p = requireNonGovernmentStaff(req);
    const body = parse(submitBody, req.body, 'body');
    const applicantKey = `dept:${p.departmentId}`;
    const requestHash = hashRequest(body);
    const { applicationId, created } = await submitOnce({
      db,
      applicantKey,
      idempotencyKey: body.idempotencyKey,
      requestHash,
      start: (id) => startApplication(deps, id),
      create: async () => {
        const resources = await db.dataResource.findMany({ where: { code: { in: body.resourceCodes } } });
        unknownResources(body.resourceCodes, resources);
        refuseRetired(resources);
        const notShared = resources.filter((r) => r.shareClass === 'NOT_SHARED');
        if (notShared.length) {
          throw new AppError(
            'RESOURCE_NOT_SHAREABLE',
            {
              zh: `不予共享（第二十一条）：${notShared.map((r) => `${r.code} ${r.name}，法律法规依据：${r.shareLegalBasis}`).join('；')}`,
              en: `不予共享 (Art. 21): ${notShared.map((r) => `${r.code} ${r.name}, legal basis: ${r.shareLegalBasis}`).join('; ')}`,
            },
            { resources: notShared.map((r) => ({ code: r.code, legalBasis: r.shareLegalBasis })) },
          );
        }
        const applicationNo = newApplicationNo('FZ');
        const id = newId();
        await db.$transaction([
          db.application.create({
            data: {
              id,
              applicationNo,
              procedure: 'NON_GOVERNMENT_ACCESS',
              workflowId: `non-government-access/${applicationNo}`,
              idempotencyKey: body.idempotencyKey,
              applicantKey,
              applicantDeptId: p.departmentId,
              submittedById: p.userId,
              purpose: body.purpose,
              legalDuty: body.dutyBasis,
              fieldsRequested: body.fieldsRequested,
              usePeriodDays: body.usePeriodDays,
              accessMode: body.accessMode,
              details: { requestHash, scenario: body.scenario, securityMeasures: body.securityMeasures },
              resources: { create: resources.map((r) => ({ resourceId: r.id })) },
              events: {
                create: [{ eventKey: 'submitted', kind: 'SUBMITTED', message: '非政务部门申请已提交数据主管部门' }],
              },
            },
          }),
          db.auditLog.create({
            data: {
              auditKey: `application:${id}:submitted`,
              actor: p.userId,
              action: 'APPLICATION_SUBMITTED',
              entityType: 'Application',
              entityId: id,
              details: { applicationNo, resources: body.resourceCodes },
            },
          }),
        ]);
        return id;
      },
    });
    res.status(created ? 201 : 200).json(await view(applicationId));
  });

  // The same answer as GET /api/applications/{no}: the whole application, scenario and security measures included.
  const view = (id: string) => applicationDetail(db, id);

  router.post('/api/non-government-applications/:no/withdraw', async (req, res) => {
    const p = requireNonGovernmentStaff(req);
    const { no } = parse(noParam, req.params, 'params');
    const app = await db.application.findUnique({ where: { applicationNo: no } });
    if (!app || app.procedure !== 'NON_GOVERNMENT_ACCESS')
      throw new AppError('NOT_FOUND', { zh: `非政务部门申请 ${no} 不存在`, en: `No non-government application ${no}` });
    if (app.applicantDeptId !== p.departmentId)
      throw new AppError('FORBIDDEN', {
        zh: `只有申请单位可以撤回申请 ${no}`,
        en: `Only the applicant unit may withdraw ${no}`,
      });
    const body = parse(withdrawBody, req.body, 'body');
    const client = await temporalClient(deps);
    await executeBounded(client, deps.config.UPDATE_TIMEOUT_MS, (c) =>
      c.workflow.getHandle(app.workflowId).executeUpdate(withdrawUpdate, {
        args: [
          {
            actor: actorOf(p),
            reason: body.reason,
          },
        ],
        updateId: `${app.id}:withdraw`,
      }),
    );
    await waitForStatus(db, app.id, ['WITHDRAWN']);
    res.json(await view(app.id));
  });

  return router;
}
