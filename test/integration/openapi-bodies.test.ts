/**
 * Real answers match the bodies /openapi.json documents for them (issue 13 point 10): for a
 * representative set of operations across the routers, called as the users who read them, each
 * answer's status is one the operation documents and its JSON body validates (ajv, JSON Schema
 * 2020-12) against the schema documented for that status; a file download answers one of its
 * documented media types. The cases are rows like the ones the procedures write (as in
 * access-matrix.test.ts); no workflow runs, and the writes checked
 * (claiming a task, a use report, a token) need none. test/unit/openapi-bodies.test.ts checks that every
 * operation documents its bodies.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import request from 'supertest';
import type { Express } from 'express';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { testApp, testDb, uniqueSuffix } from '../support/env';
import { incidentRow, objectionRow, testResource } from '../support/objections';
import { openApplication } from '../support/open-data';
import { draftTender, inEvaluationWithOneBid } from '../support/tenders';

type Schema = Record<string, unknown>;
type Doc = {
  components: { schemas: Record<string, Schema> };
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: Schema }> }> }>
  >;
};

describe('real answers match the bodies documented in /openapi.json', () => {
  let db: Db;
  let app: Express;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const compiled = new Map<string, ValidateFunction>();
  const tokens = new Map<string, string>();
  const checked = new Set<string>();

  const ids = {
    shareNo: '',
    shareTaskId: '',
    objectionTaskId: '',
    openNo: '',
    tenderNo: '',
    incidentNo: '',
    publicIncidentNo: '',
    objectionNo: '',
    workflowId: '',
    authorizationId: '',
    draftNo: '',
  };

  async function token(login: string): Promise<string> {
    if (!tokens.has(login))
      tokens.set(login, (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
    return tokens.get(login)!;
  }

  /** Calls the operation and checks its answer against the schema documented for the status it answered with. */
  async function answers(
    method: 'get' | 'post',
    template: string,
    url: string,
    login?: string,
    body?: object,
  ): Promise<request.Response> {
    let req = method === 'get' ? request(app).get(url) : request(app).post(url);
    if (login) req = req.set('Authorization', `Bearer ${await token(login)}`);
    const res = body ? await req.send(body) : await req;
    const name = `${method.toUpperCase()} ${template}`;
    const documented = doc.paths[template]?.[method]?.responses[String(res.status)];
    expect([name, res.status, documented ? 'documented' : 'not documented', res.body]).toEqual([
      name,
      res.status,
      'documented',
      res.body,
    ]);
    const type = String(res.headers['content-type'] ?? '').split(';')[0];
    const content = documented!.content?.[type];
    expect([name, type, content ? 'documented type' : Object.keys(documented!.content ?? {})]).toEqual([
      name,
      type,
      'documented type',
    ]);
    if (type === 'application/json') {
      const key = `${name} ${res.status}`;
      let validate = compiled.get(key);
      if (!validate) {
        validate = ajv.compile({ ...content!.schema, components: doc.components });
        compiled.set(key, validate);
      }
      const valid = validate(res.body);
      expect([key, valid ? [] : validate.errors]).toEqual([key, []]);
    }
    checked.add(name);
    return res;
  }

  beforeAll(async () => {
    db = testDb();
    ({ app } = testApp(db));
    doc = (await request(app).get('/openapi.json').expect(200)).body as Doc;

    const task = async (workflowId: string, procedure: string, dept: string, role: string, extra = {}) => {
      const id = newId();
      await db.task.create({
        data: {
          id,
          taskKey: `openapi-bodies:${id}`,
          workflowId,
          procedure: procedure as never,
          step: 'OPENAPI_BODIES_TEST',
          status: 'OPEN',
          candidateDeptId: dept,
          candidateRole: role as never,
          allowedDecisions: ['AGREE'],
          title: '文档校验测试任务',
          dueAt: new Date(Date.now() + 86400_000),
          ...extra,
        },
      });
      return id;
    };

    // A conditional share application of 市人社局 for 市公安局's GAJ-001, with its provider's task.
    ids.shareNo = `GX-B-${uniqueSuffix()}`;
    const share = await db.application.create({
      data: {
        id: newId(),
        applicationNo: ids.shareNo,
        procedure: 'CONDITIONAL_SHARE',
        status: 'PROVIDER_REVIEW',
        workflowId: `conditional-share/${ids.shareNo}`,
        idempotencyKey: ids.shareNo,
        applicantKey: 'dept:rsj',
        applicantDeptId: 'rsj',
        submittedById: 'u-rsj.staff',
        purpose: '核验社会保险待遇领取人员户籍状态',
        legalDuty: '《社会保险法》第八十一条',
        fieldsRequested: ['姓名', '公民身份号码'],
        resources: { create: [{ resourceId: 'res-GAJ-001' }] },
      },
    });
    ids.workflowId = share.workflowId;
    ids.shareTaskId = await task(share.workflowId, 'CONDITIONAL_SHARE', 'gaj', 'PROVIDER_REVIEWER', {
      applicationId: share.id,
    });

    // A conditional open application of 张伟.
    const openRes = await testResource(db, 'wjw', 'CONDITIONAL');
    const open = await openApplication(db, 'pa-zhang', [openRes.code]);
    ids.openNo = open.applicationNo;
    ids.authorizationId = (
      await db.authorization.create({
        data: {
          id: newId(),
          applicationId: open.id,
          operatorId: 'pa-zhang',
          resourceIds: [openRes.id],
          scope: '便民就医查询',
          startsAt: new Date(),
          endsAt: new Date(Date.now() + 86400_000 * 200),
        },
      })
    ).id;

    // An objection of 张伟 with a piece of evidence, and the provider's task on it.
    const objRes = await testResource(db, 'zrzyj');
    const objection = await objectionRow(db, {
      resource: objRes,
      objectorLogin: 'citizen.zhang',
      receivedAtMs: Date.now(),
    });
    const pdf = Buffer.from('%PDF-1.4\n证据\n%%EOF\n');
    await db.attachment.create({
      data: {
        id: newId(),
        objectionId: objection.input.objectionId,
        fileName: '证据.pdf',
        mediaType: 'application/pdf',
        sizeBytes: pdf.length,
        sha256: 'test',
        content: new Uint8Array(pdf),
      },
    });
    ids.objectionNo = (
      await db.objection.findUniqueOrThrow({ where: { id: objection.input.objectionId } })
    ).objectionNo;
    ids.objectionTaskId = await task(objection.workflowId, 'OBJECTION', 'zrzyj', 'PROVIDER_REVIEWER', {
      subjectRef: objection.input.objectionId,
    });

    // An incident 市人社局 reports on GAJ-001, and a suspected leak 张伟 reported.
    const incident = await incidentRow(db, {
      resourceIds: ['res-GAJ-001'],
      reporterLogin: 'rsj.staff',
      responsibleDeptId: 'rsj',
      reportedAtMs: Date.now(),
      suspendGrants: false,
    });
    ids.incidentNo = (
      await db.securityIncident.findUniqueOrThrow({ where: { id: incident.input.incidentId } })
    ).incidentNo;
    await task(incident.workflowId, 'SECURITY_INCIDENT', 'rsj', 'DEPT_STAFF');
    const publicIncident = await incidentRow(db, {
      resourceIds: [objRes.id],
      reporterLogin: 'citizen.zhang',
      responsibleDeptId: 'zrzyj',
      reportedAtMs: Date.now(),
      suspendGrants: false,
    });
    ids.publicIncidentNo = (
      await db.securityIncident.findUniqueOrThrow({ where: { id: publicIncident.input.incidentId } })
    ).incidentNo;

    // A catalog draft of 市人社局 under review, with its review step.
    ids.draftNo = `ML-B-${uniqueSuffix()}`;
    const draft = await db.catalogDraft.create({
      data: {
        id: newId(),
        draftNo: ids.draftNo,
        workflowId: `catalog-review/${ids.draftNo}`,
        departmentId: 'rsj',
        code: `RSJ-B-${uniqueSuffix().toUpperCase()}`,
        name: '测试目录条目',
        description: '文档校验测试用目录草稿',
        fields: ['姓名'],
        shareClass: 'UNCONDITIONAL',
        openClass: 'NOT_OPEN',
        openLegalBasis: '《中华人民共和国个人信息保护法》第十三条',
        updateFrequency: '每月',
        sourceSystem: '社保业务系统',
        createdById: 'u-rsj.staff',
        idempotencyKey: ids.draftNo,
        requestHash: 'test',
      },
    });
    await task(draft.workflowId, 'CATALOG_REVIEW', 'dsj', 'AUTHORITY_REVIEWER');

    // A tender in evaluation with an opened bid.
    const tender = await draftTender(db);
    ids.tenderNo = tender.tenderNo;
    await inEvaluationWithOneBid(db, tender.id);
  }, 60_000);

  afterAll(async () => {
    await db.$disconnect();
  });

  it('applications: detail (full and a supervisor’s metadata), list', async () => {
    const full = await answers('get', '/api/applications/{no}', `/api/applications/${ids.shareNo}`, 'rsj.staff');
    expect(full.body.purpose).toBe('核验社会保险待遇领取人员户籍状态');
    const meta = await answers('get', '/api/applications/{no}', `/api/applications/${ids.shareNo}`, 'dsj.supervisor');
    expect(meta.body.view).toBe('metadata');
    await answers('get', '/api/applications', '/api/applications?limit=5', 'rsj.staff');
  });

  it('inbox and tasks: list, detail (application and objection), claim and unclaim', async () => {
    const inbox = await answers('get', '/api/inbox', '/api/inbox?limit=50', 'gaj.reviewer');
    expect(inbox.body.items.length).toBeGreaterThan(0);
    const t = await answers('get', '/api/tasks/{id}', `/api/tasks/${ids.shareTaskId}`, 'gaj.reviewer');
    expect(t.body.application.applicationNo).toBe(ids.shareNo);
    const o = await answers('get', '/api/tasks/{id}', `/api/tasks/${ids.objectionTaskId}`, 'zrzyj.reviewer');
    expect(o.body.objection.attachments).toHaveLength(1);
    await answers('post', '/api/tasks/{id}/claim', `/api/tasks/${ids.shareTaskId}/claim`, 'gaj.reviewer');
    await answers('post', '/api/tasks/{id}/unclaim', `/api/tasks/${ids.shareTaskId}/unclaim`, 'gaj.reviewer');
  });

  it('catalogue: internal list, open catalogue, open lists, drafts', async () => {
    await answers('get', '/api/catalog', '/api/catalog?limit=5', 'rsj.staff');
    await answers('get', '/api/open/catalog', '/api/open/catalog?limit=5');
    await answers('get', '/api/open/catalog/lists', '/api/open/catalog/lists');
    const drafts = await answers('get', '/api/catalog/drafts', '/api/catalog/drafts', 'rsj.staff');
    expect(drafts.body.items.map((d: { draftNo: string }) => d.draftNo)).toContain(ids.draftNo);
    const draft = await answers('get', '/api/catalog/drafts/{no}', `/api/catalog/drafts/${ids.draftNo}`, 'rsj.staff');
    expect(draft.body.steps).toHaveLength(1);
    await answers('get', '/api/departments', '/api/departments', 'rsj.staff');
    await answers('get', '/api/catalog/entries/{code}/history', '/api/catalog/entries/GAJ-001/history', 'gaj.staff');
  });

  it('open data: application detail, a public applicant’s account, a download', async () => {
    const open = await answers(
      'get',
      '/api/open/applications/{no}',
      `/api/open/applications/${ids.openNo}`,
      'citizen.zhang',
    );
    expect(open.body.applicationNo).toBe(ids.openNo);
    await answers('get', '/api/public/me', '/api/public/me', 'citizen.zhang');
    const download = await answers(
      'get',
      '/api/open/resources/{code}/download',
      '/api/open/resources/SCJG-001/download',
    );
    expect(download.headers['content-type']).toMatch(/^text\/csv/);
    await answers('get', '/api/open/downloads/stats', '/api/open/downloads/stats', 'dsj.reviewer');
    await answers('get', '/api/open/applications', '/api/open/applications?limit=5', 'citizen.zhang');
    await answers('get', '/api/open/authorizations', '/api/open/authorizations?limit=5', 'dsj.reviewer');
    await answers('get', '/api/authorizations/register', '/api/authorizations/register?limit=5');
    // A write answered 201, and its repeat 200, each with its documented body.
    const report = { period: '2026-Q4', summary: '本季度用于便民就医查询，未发生安全事件' };
    const url = `/api/open/authorizations/${ids.authorizationId}/use-reports`;
    const first = await answers('post', '/api/open/authorizations/{id}/use-reports', url, 'citizen.zhang', report);
    const again = await answers('post', '/api/open/authorizations/{id}/use-reports', url, 'citizen.zhang', report);
    expect([first.status, again.status, again.body.id]).toEqual([201, 200, first.body.id]);
    await answers('post', '/api/dev/tokens', '/api/dev/tokens', undefined, { login: 'citizen.zhang' });
  });

  it('tenders: public detail and the authority’s, list, opened bids', async () => {
    const pub = await answers('get', '/api/tenders/{no}', `/api/tenders/${ids.tenderNo}`);
    expect(pub.body.bids).toHaveLength(1);
    expect(pub.body.workflowId).toBeUndefined();
    const own = await answers('get', '/api/tenders/{no}', `/api/tenders/${ids.tenderNo}`, 'dsj.reviewer');
    expect(own.body.workflowId).toBeDefined();
    await answers('get', '/api/tenders', '/api/tenders?limit=5');
    await answers('get', '/api/tenders/{no}/bids', `/api/tenders/${ids.tenderNo}/bids`, 'dsj.reviewer');
    await answers('get', '/api/tenders/{no}/comments', `/api/tenders/${ids.tenderNo}/comments`);
    await answers('get', '/api/tenders/{no}/bid', `/api/tenders/${ids.tenderNo}/bid`, 'company.hengxin');
  });

  it('incidents: detail for the departments, a public reporter and a supervisor; list', async () => {
    const full = await answers('get', '/api/incidents/{no}', `/api/incidents/${ids.incidentNo}`, 'rsj.staff');
    expect(full.body.audit).toBeDefined();
    const pub = await answers('get', '/api/incidents/{no}', `/api/incidents/${ids.publicIncidentNo}`, 'citizen.zhang');
    expect(pub.body.steps).toBeUndefined();
    const meta = await answers('get', '/api/incidents/{no}', `/api/incidents/${ids.incidentNo}`, 'dsj.supervisor');
    expect(meta.body.view).toBe('metadata');
    await answers('get', '/api/incidents', '/api/incidents?limit=5', 'rsj.staff');
  });

  it('objections: detail for the objector and for the public, list, evidence download', async () => {
    const mine = await answers('get', '/api/objections/{no}', `/api/objections/${ids.objectionNo}`, 'citizen.zhang');
    expect(mine.body.attachments).toHaveLength(1);
    const other = await answers('get', '/api/objections/{no}', `/api/objections/${ids.objectionNo}`, 'company.huarui');
    expect(other.body.facts).toBeUndefined();
    await answers('get', '/api/objections', '/api/objections?limit=5', 'citizen.zhang');
    const file = await answers(
      'get',
      '/api/objections/{no}/attachments/{id}',
      mine.body.attachments[0].href ?? `/api/objections/${ids.objectionNo}/attachments/${mine.body.attachments[0].id}`,
      'citizen.zhang',
    );
    expect(file.headers['content-type']).toBe('application/pdf');
  });

  it('supervision, evaluation (JSON and CSV), calendar, audit, session, health', async () => {
    const cases = await answers('get', '/api/supervision/cases', '/api/supervision/cases?limit=50', 'dsj.supervisor');
    expect(cases.body.items.length).toBeGreaterThan(0);
    await answers(
      'get',
      '/api/supervision/steps',
      `/api/supervision/steps?workflowId=${encodeURIComponent(ids.workflowId)}`,
      'dsj.supervisor',
    );
    const month = new Date().toISOString().slice(0, 7);
    const evaluation = await answers(
      'get',
      '/api/evaluation',
      `/api/evaluation?period=${month}&department=gaj`,
      'dsj.supervisor',
    );
    expect(evaluation.body.items).toHaveLength(1);
    await answers(
      'get',
      '/api/evaluation',
      `/api/evaluation?period=${month}&department=gaj&format=csv`,
      'dsj.supervisor',
    );
    await answers('get', '/api/calendar/years', '/api/calendar/years', 'rsj.staff');
    await answers(
      'get',
      '/api/calendar/deadline',
      '/api/calendar/deadline?from=2026-09-30T10:00:00%2B08:00&workingDays=5',
      'rsj.staff',
    );
    await answers('get', '/api/calendar/days', '/api/calendar/days?from=2026-09-28&to=2026-10-09', 'rsj.staff');
    await answers('get', '/api/audit', '/api/audit?limit=5', 'dsj.auditor');
    await answers('get', '/api/auth/session', '/api/auth/session', 'rsj.staff');
    await answers('get', '/healthz', '/healthz');
  });

  it('covers operations of at least ten routers', () => {
    const prefixes = new Set([...checked].map((n) => n.split(' ')[1].split('/').slice(0, 3).join('/')));
    expect(prefixes.size).toBeGreaterThanOrEqual(10);
  });
});
