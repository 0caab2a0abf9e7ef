/**
 * One start-once mechanism for every procedure, on real Postgres, the Temporal dev server and a
 * real worker. Each procedure's case is submitted through its own endpoint to an API whose
 * Temporal accepts TCP and never answers: the case is stored exactly as the API stores it, the
 * answer is 503 START_PENDING with the case number within START_TIMEOUT_MS, and no workflow
 * exists. The reconciler, against the real server, then starts it once; a second run starts
 * nothing. A repeat of the same request (same idempotency key) finishes a pending start too.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { reconcileStarts, startReconciler, type StartedProcedure } from '../../api/kit/starters';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import type { Logger } from '../../lib/logger';
import { eventually, testApp, testDb, uniqueSuffix } from '../support/env';
import { TENDER_CRITERIA, TENDER_ELIGIBILITY } from '../support/tenders';
import { startTestWorker, TestWorker } from '../support/worker';

const BOUND_MS = 1000;
// Far above the bound: this checks that the answer comes instead of a hang (the silent server
// never answers), not how fast a loaded machine is; the lower bound shows the bound was waited.
const ANSWER_WITHIN_MS = BOUND_MS + 30_000;

interface StoredRow {
  workflowId: string;
  workflowStartedAt: Date | null;
}

interface Procedure {
  login: string;
  url: string;
  /** The request body; a resource of the test's own, so no seed resource another test reads is touched. */
  body(): Promise<Record<string, unknown>>;
  /** Where the case number is in a successful answer. */
  caseNoField: string;
  stored(caseNo: string): Promise<StoredRow | null>;
}

/** A Temporal frontend that accepts connections and never answers a byte. */
async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP proxy to the real Temporal that, once frozen, drops every byte: an established connection stops answering. */
async function freezableProxy(target: string): Promise<{ address: string; freeze(): void; close(): Promise<void> }> {
  const [host, port] = target.split(':');
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (b) => {
      if (!frozen) upstream.write(b);
    });
    upstream.on('data', (b) => {
      if (!frozen) client.write(b);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    freeze: () => {
      frozen = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A logger whose lines the test reads. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('one start-once mechanism for every procedure (real Postgres, Temporal dev server, worker)', () => {
  let db: Db;
  let worker: TestWorker;
  let real: ReturnType<typeof testApp>;
  let client: Client;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const tokens = new Map<string, string>();
  const workflowIds: string[] = [];

  const realDeps = () => ({ db, config: real.config, temporal: real.temporal });
  /** An API whose Temporal never answers; a fresh one per request, so its first connection attempt is the request's. */
  const unansweredApi = (address = silent.address, boundMs = BOUND_MS) =>
    testApp(db, {
      TEMPORAL_TASK_QUEUE: worker.taskQueue,
      TEMPORAL_ADDRESS: address,
      START_TIMEOUT_MS: String(boundMs),
    });

  async function token(login: string): Promise<string> {
    if (!tokens.has(login))
      tokens.set(login, (await request(real.app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
    return tokens.get(login)!;
  }

  async function resource(
    providerId: string,
    shareClass: 'UNCONDITIONAL' | 'CONDITIONAL',
    openClass: 'CONDITIONAL' | 'NOT_OPEN',
  ): Promise<string> {
    const code = `T-START-${uniqueSuffix().toUpperCase()}`;
    const basis = '《中华人民共和国数据安全法》第三十八条';
    await db.dataResource.create({
      data: {
        id: newId(),
        code,
        name: `测试数据 ${code}`,
        description: '启动一次测试用目录条目',
        catalogId: `catalog-${providerId}`,
        providerId,
        shareClass,
        openClass,
        shareLegalBasis: shareClass === 'CONDITIONAL' ? basis : null,
        openLegalBasis: basis,
        fields: ['编号', '名称'],
        updateFrequency: '每月',
      },
    });
    return code;
  }

  const key = () => `start-once-${uniqueSuffix()}`;
  const application = (caseNo: string) =>
    db.application.findUnique({
      where: { applicationNo: caseNo },
      select: { workflowId: true, workflowStartedAt: true },
    });

  const PROCEDURES: Record<StartedProcedure, Procedure> = {
    UNCONDITIONAL_SHARE: {
      login: 'ybj.staff',
      url: '/api/applications',
      caseNoField: 'applicationNo',
      stored: application,
      body: async () => ({
        idempotencyKey: key(),
        resourceCodes: [await resource('wjw', 'UNCONDITIONAL', 'NOT_OPEN')],
        purpose: '核验医疗机构执业信息',
        usePeriodDays: 30,
      }),
    },
    CONDITIONAL_SHARE: {
      login: 'ybj.staff',
      url: '/api/applications',
      caseNoField: 'applicationNo',
      stored: application,
      body: async () => ({
        idempotencyKey: key(),
        resourceCodes: [await resource('wjw', 'CONDITIONAL', 'NOT_OPEN')],
        purpose: '核验参保人员出生信息',
        legalDuty: '《医疗保障基金使用监督管理条例》第六条',
        usePeriodDays: 30,
      }),
    },
    NON_GOVERNMENT_ACCESS: {
      login: 'water.staff',
      url: '/api/non-government-applications',
      caseNoField: 'applicationNo',
      stored: application,
      body: async () => ({
        idempotencyKey: key(),
        resourceCodes: [await resource('zrzyj', 'CONDITIONAL', 'NOT_OPEN')],
        purpose: '办理用水户过户核验',
        dutyBasis: '《城市供水条例》第二十条',
        scenario: '核验不动产权利人以办理用水过户',
        securityMeasures: '专线接入，访问留痕，等保三级',
        usePeriodDays: 30,
      }),
    },
    CONDITIONAL_OPEN: {
      login: 'citizen.zhang',
      url: '/api/open/applications',
      caseNoField: 'applicationNo',
      stored: application,
      body: async () => ({
        idempotencyKey: key(),
        resourceCodes: [await resource('rsj', 'UNCONDITIONAL', 'CONDITIONAL')],
        fieldOfUse: 'SOCIAL_SERVICE',
        purpose: '社区就业服务信息整理',
        scenario: '为社区居民整理就业服务信息',
        fieldsRequested: ['编号'],
        securityMeasures: '本地存储，专人管理',
        securityPledgeAccepted: true,
        commercialUse: false,
      }),
    },
    COMMERCIAL_TENDER: {
      login: 'dsj.reviewer',
      url: '/api/tenders',
      caseNoField: 'tenderNo',
      stored: (caseNo) =>
        db.tender.findUnique({ where: { tenderNo: caseNo }, select: { workflowId: true, workflowStartedAt: true } }),
      body: async () => ({
        idempotencyKey: key(),
        title: '测试数据商业开发授权',
        resourceCodes: [await resource('scjgj', 'UNCONDITIONAL', 'CONDITIONAL')],
        scope: '测试数据的商业开发利用',
        authorizationModel: '整体授权',
        termMonths: 12,
        feeCap: 100000,
        eligibility: TENDER_ELIGIBILITY,
        criteria: TENDER_CRITERIA,
      }),
    },
    OBJECTION: {
      login: 'citizen.zhang',
      url: '/api/objections',
      caseNoField: 'objectionNo',
      stored: (caseNo) =>
        db.objection.findUnique({
          where: { objectionNo: caseNo },
          select: { workflowId: true, workflowStartedAt: true },
        }),
      body: async () => ({
        idempotencyKey: key(),
        resourceCode: await resource('zrzyj', 'UNCONDITIONAL', 'CONDITIONAL'),
        kind: 'ERROR',
        facts: '登记的门牌号与不动产权证书不一致',
        requestedCorrection: '更正为柳园南路1号',
      }),
    },
    SECURITY_INCIDENT: {
      login: 'gaj.staff',
      url: '/api/incidents',
      caseNoField: 'incidentNo',
      stored: (caseNo) =>
        db.securityIncident.findUnique({
          where: { incidentNo: caseNo },
          select: { workflowId: true, workflowStartedAt: true },
        }),
      body: async () => ({
        idempotencyKey: key(),
        kind: 'RISK',
        description: '接口调用日志显示存在异常批量查询',
        resourceCodes: [await resource('gaj', 'UNCONDITIONAL', 'NOT_OPEN')],
      }),
    },
    CATALOG_REVIEW: {
      login: 'gaj.staff',
      url: '/api/catalog/drafts',
      caseNoField: 'draftNo',
      stored: (caseNo) =>
        db.catalogDraft.findUnique({
          where: { draftNo: caseNo },
          select: { workflowId: true, workflowStartedAt: true },
        }),
      body: async () => ({
        idempotencyKey: key(),
        code: `T-START-${uniqueSuffix().toUpperCase()}`,
        name: `启动一次测试目录 ${uniqueSuffix()}`,
        description: '启动一次测试用目录条目',
        fields: ['编号', '名称'],
        shareClass: 'UNCONDITIONAL',
        openClass: 'UNCONDITIONAL',
        updateFrequency: '每月',
        sourceSystem: '测试系统',
        submit: true,
      }),
    },
    CATALOG_UPDATE: {
      login: 'gaj.staff',
      url: '/api/catalog/update-duties',
      caseNoField: 'dutyNo',
      stored: (caseNo) =>
        db.catalogUpdateDuty.findUnique({
          where: { dutyNo: caseNo },
          select: { workflowId: true, workflowStartedAt: true },
        }),
      body: async () => ({
        idempotencyKey: key(),
        kind: 'SYSTEM_UPDATED',
        description: '人口信息系统升级完成',
        occurredOn: new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()),
        resourceCodes: [await resource('gaj', 'UNCONDITIONAL', 'NOT_OPEN')],
      }),
    },
    CATALOG_PROJECT: {
      login: 'gaj.staff',
      url: '/api/catalog/projects',
      caseNoField: 'projectNo',
      stored: (caseNo) =>
        db.infoSystemProject.findUnique({
          where: { projectNo: caseNo },
          select: { workflowId: true, workflowStartedAt: true },
        }),
      body: async () => {
        // A compiled draft of 市公安局 for the project (its catalog, Art. 17).
        const draftNo = `ML-START-${uniqueSuffix().toUpperCase()}`;
        await db.catalogDraft.create({
          data: {
            id: newId(),
            draftNo,
            workflowId: `catalog-review/${draftNo}`,
            departmentId: 'gaj',
            code: `T-START-${uniqueSuffix().toUpperCase()}`,
            name: '启动一次测试项目目录',
            description: '启动一次测试用目录条目',
            fields: ['编号'],
            shareClass: 'UNCONDITIONAL',
            openClass: 'UNCONDITIONAL',
            updateFrequency: '每月',
            sourceSystem: '测试系统',
            status: 'DRAFT',
            createdById: 'u-gaj.staff',
            idempotencyKey: draftNo,
            requestHash: 'test',
          },
        });
        return {
          idempotencyKey: key(),
          name: '人口信息系统扩容',
          description: '启动一次测试项目',
          draftNos: [draftNo],
        };
      },
    },
  };

  beforeAll(async () => {
    db = testDb();
    worker = await startTestWorker(db);
    real = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue });
    client = (await real.temporal()).client;
    silent = await silentServer();
  });
  afterAll(async () => {
    // The dev server (not the time-skipping one) takes terminations at any moment.
    for (const id of workflowIds)
      await client?.workflow
        .getHandle(id)
        .terminate('start-once test over')
        .catch(() => undefined);
    await worker?.stop();
    await silent?.close();
    await db?.$disconnect();
  });

  /** Submits to an API whose Temporal never answers; asserts START_PENDING in time and the stored, unstarted case. */
  async function submitUnanswered(
    p: Procedure,
    body: Record<string, unknown>,
    api = unansweredApi(),
  ): Promise<{ caseNo: string; workflowId: string }> {
    const t0 = Date.now();
    const res = await request(api.app)
      .post(p.url)
      .auth(await token(p.login), { type: 'bearer' })
      .send(body);
    const elapsed = Date.now() - t0;
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 503, code: 'START_PENDING' });
    expect(elapsed).toBeGreaterThanOrEqual(BOUND_MS - 50);
    expect(elapsed).toBeLessThan(ANSWER_WITHIN_MS);
    const caseNo = res.body.error.details.caseNo as string;
    expect(res.body.error.message).toContain(caseNo);
    const row = await p.stored(caseNo);
    expect(row).toMatchObject({ workflowStartedAt: null });
    workflowIds.push(row!.workflowId);
    await expect(client.workflow.getHandle(row!.workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    return { caseNo, workflowId: row!.workflowId };
  }

  /** The workflow exists, ran its first workflow task on the worker, and has not failed. */
  async function expectStarted(workflowId: string): Promise<string> {
    const d = await eventually(async () => {
      const x = await client.workflow.getHandle(workflowId).describe();
      return (x.historyLength ?? 0) >= 4 ? x : undefined;
    }, `${workflowId} to run its first workflow task`);
    expect(['RUNNING', 'COMPLETED']).toContain(d.status.name);
    return d.runId;
  }

  it.each(Object.keys(PROCEDURES) as StartedProcedure[])(
    '%s: an unconfirmed start is 503 START_PENDING with the case number; the reconciler starts the stored case once',
    async (procedure) => {
      const p = PROCEDURES[procedure];
      const { caseNo, workflowId } = await submitUnanswered(p, await p.body());

      // Too young for the reconciler's default window: it is left to its own request.
      expect(await reconcileStarts(realDeps(), { caseNos: [caseNo] })).toEqual([]);
      const { logger, lines } = capturingLogger();
      expect(await reconcileStarts(realDeps(), { caseNos: [caseNo], olderThanMs: 0, logger })).toEqual([caseNo]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          procedure,
          caseNo,
          workflowId,
          msg: expect.stringContaining('started the workflow'),
        }),
      );
      const runId = await expectStarted(workflowId);
      expect((await p.stored(caseNo))!.workflowStartedAt).toBeInstanceOf(Date);

      // A second run starts nothing: the case is no longer pending, and its one execution is the same.
      expect(await reconcileStarts(realDeps(), { caseNos: [caseNo], olderThanMs: 0, logger })).toEqual([]);
      expect((await client.workflow.getHandle(workflowId).describe()).runId).toBe(runId);
      expect(lines.filter((l) => l.caseNo === caseNo)).toHaveLength(1);
    },
  );

  // One per way a router resumes a repeated submission: submitOnce (applications), the tender's
  // draft resume, the objection's and the incident's own, and createOnce (the catalog's three).
  it.each([
    'CONDITIONAL_SHARE',
    'COMMERCIAL_TENDER',
    'OBJECTION',
    'SECURITY_INCIDENT',
    'CATALOG_REVIEW',
    'CATALOG_UPDATE',
    'CATALOG_PROJECT',
  ] as StartedProcedure[])(
    '%s: a repeat of the same request with the same idempotency key finishes a pending start',
    async (procedure) => {
      const p = PROCEDURES[procedure];
      const body = await p.body();
      const { caseNo, workflowId } = await submitUnanswered(p, body);
      const again = await request(real.app)
        .post(p.url)
        .auth(await token(p.login), { type: 'bearer' })
        .send(body);
      expect(again.status).toBe(200);
      expect(again.body[p.caseNoField]).toBe(caseNo);
      await expectStarted(workflowId);
      expect((await p.stored(caseNo))!.workflowStartedAt).toBeInstanceOf(Date);
      expect(await reconcileStarts(realDeps(), { caseNos: [caseNo], olderThanMs: 0 })).toEqual([]);
    },
  );

  it.each(['CATALOG_REVIEW', 'CATALOG_UPDATE', 'CATALOG_PROJECT'] as StartedProcedure[])(
    '%s: racing repeats of a request make one case; its key with other content is 409 and writes nothing',
    async (procedure) => {
      const p = PROCEDURES[procedure];
      const body = await p.body();
      const post = async (b: Record<string, unknown>) =>
        request(real.app)
          .post(p.url)
          .auth(await token(p.login), { type: 'bearer' })
          .send(b);
      const answers = await Promise.all([post(body), post(body), post(body)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
      const caseNo = answers.find((a) => a.status === 201)!.body[p.caseNoField] as string;
      expect(answers.map((a) => a.body[p.caseNoField])).toEqual([caseNo, caseNo, caseNo]);
      const row = await p.stored(caseNo);
      workflowIds.push(row!.workflowId);
      await expectStarted(row!.workflowId);

      // The same key again, with other content, racing a repeat: the repeat answers the case, the
      // other is refused, naming the case the key made.
      const other = { ...body, description: `${String(body.description)}（改）` };
      const [reused, repeat] = await Promise.all([post(other), post(body)]);
      expect(reused.status).toBe(409);
      expect(reused.body.error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: expect.stringContaining(caseNo),
      });
      expect(repeat.status).toBe(200);
      expect(repeat.body[p.caseNoField]).toBe(caseNo);
    },
  );

  it('bounds a start on a connection that stops answering; the reconciler timer outlives it', async () => {
    const proxy = await freezableProxy(process.env.TEMPORAL_ADDRESS!);
    const api = unansweredApi(proxy.address);
    try {
      await api.temporal(); // connected while Temporal still answers
      proxy.freeze();
      const p = PROCEDURES.SECURITY_INCIDENT;
      const { caseNo, workflowId } = await submitUnanswered(p, await p.body(), api);

      // The timer against the frozen Temporal: each run fails on the bound, is logged, and the timer keeps going.
      const frozen = capturingLogger();
      const stopFrozen = startReconciler({ db, config: api.config, temporal: api.temporal }, frozen.logger, {
        everyMs: 100,
        olderThanMs: 0,
        caseNos: [caseNo],
      });
      try {
        await eventually(
          async () => frozen.lines.filter((l) => String(l.msg).includes('run failed')).length >= 2,
          'two failed reconciler runs',
        );
      } finally {
        stopFrozen();
        // A run still in flight ends on its bound; none may be left when the connection closes.
        await new Promise((r) => setTimeout(r, BOUND_MS + 500));
      }
      expect(frozen.lines.find((l) => String(l.msg).includes('run failed'))?.err).toContain(caseNo);
      expect((await p.stored(caseNo))!.workflowStartedAt).toBeNull();

      // The timer against the real server starts it.
      const live = capturingLogger();
      const stopLive = startReconciler(realDeps(), live.logger, { everyMs: 100, olderThanMs: 0, caseNos: [caseNo] });
      try {
        await eventually(
          async () => (await p.stored(caseNo))!.workflowStartedAt,
          'the reconciler timer to start the case',
        );
      } finally {
        stopLive();
      }
      await expectStarted(workflowId);
      expect(live.lines).toContainEqual(
        expect.objectContaining({ caseNo, msg: expect.stringContaining('started the workflow') }),
      );
    } finally {
      await api
        .temporal()
        .then((t) => t.connection.close())
        .catch(() => undefined);
      await proxy.close();
    }
  });

  it('a Temporal that refuses within the bound is SERVICE_UNAVAILABLE; the reconciler starts the case', async () => {
    const p = PROCEDURES.OBJECTION;
    // Nothing listens on port 1; the client gives up connecting (5 s) before this bound.
    const api = unansweredApi('127.0.0.1:1', 15_000);
    const body = await p.body();
    const res = await request(api.app)
      .post(p.url)
      .auth(await token(p.login), { type: 'bearer' })
      .send(body);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    const stored = await db.objection.findFirstOrThrow({
      where: { idempotencyKey: body.idempotencyKey as string },
      select: { objectionNo: true, workflowId: true, workflowStartedAt: true },
    });
    workflowIds.push(stored.workflowId);
    expect(stored.workflowStartedAt).toBeNull();
    expect(await reconcileStarts(realDeps(), { caseNos: [stored.objectionNo], olderThanMs: 0 })).toEqual([
      stored.objectionNo,
    ]);
    await expectStarted(stored.workflowId);
  });
});
