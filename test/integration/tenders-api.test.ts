/**
 * The commercial tender end to end over HTTP with real Postgres, the Temporal dev server, a real
 * worker and MailDev. On the dev server time is real, so the tenders of this file are drills (演练,
 * issue 13 point 19): they run under a drill policy version this file inserts (periods in seconds,
 * a month of the authorisation's term lasting 10 seconds) on an API with DRILLS_ENABLED, and it is
 * removed afterwards. A tender states an explicit bid deadline, validated against that minimum.
 */
import request from 'supertest';
import type { Express } from 'express';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { drawCommittee } from '../../domain/committee-draw';
import { expectCursorPaging } from '../support/pages';
import { BIDDERS, bidBody, EVALUATORS, TENDER_CRITERIA } from '../support/tenders';
import { startTestWorker, TestWorker } from '../support/worker';
import { SA } from '../../workflows/search-attributes';

const SECRET_PLAN = '隐私计算平台';

/** What must never reach an anonymous reader of a tender (issue 13 point 18). */
const INTERNAL_FIELDS = [
  'id',
  'idempotencyKey',
  'requestHash',
  'workflowId',
  'workflowStartedAt',
  'createdById',
  'resourceIds',
  'proposedBidId',
  'previousTenderId',
  'bidderId',
  'providerId',
  'sealedBody',
  'submissionId',
  'objectionCount',
  // The committee's names stay confidential until the result (招标投标法 Art. 37 ¶5).
  'committee',
  'seed',
];

function expectOnlyPublicFields(body: unknown): void {
  const keys = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        keys.add(k);
        walk(x);
      }
  };
  walk(body);
  expect(INTERNAL_FIELDS.filter((k) => keys.has(k))).toEqual([]);
}

describe('commercial tender over HTTP (real Postgres, Temporal, SMTP)', () => {
  let db: Db;
  let app: Express;
  let worker: TestWorker;
  let temporal: ReturnType<typeof testApp>['temporal'];
  const policyId = `test-tender-api-${newId()}`;
  const tokens = new Map<string, string>();

  async function as(login: string): Promise<string> {
    if (!tokens.has(login))
      tokens.set(login, (await request(app).post('/api/dev/tokens').send({ login }).expect(201)).body.token);
    return tokens.get(login)!;
  }
  const get = async (login: string, url: string) =>
    request(app)
      .get(url)
      .auth(await as(login), { type: 'bearer' });
  const post = async (login: string, url: string, body: object = {}) =>
    request(app)
      .post(url)
      .auth(await as(login), { type: 'bearer' })
      .send(body);
  const del = async (login: string, url: string) =>
    request(app)
      .delete(url)
      .auth(await as(login), { type: 'bearer' });
  const put = async (login: string, url: string, body: object = {}) =>
    request(app)
      .put(url)
      .auth(await as(login), { type: 'bearer' })
      .send(body);

  async function deliverMail(prefixes: string[]) {
    const transport = createTransport(process.env.SMTP_URL!);
    for (const dedupeKeyPrefix of prefixes) {
      while (
        (await dispatchOutboxOnce({
          db,
          transport,
          templates: new MailTemplates(),
          from: 'system <no-reply@liaocheng.example>',
          logger: createLogger('test', 'silent'),
          batchSize: 200,
          dedupeKeyPrefix,
        })) > 0
      );
    }
    transport.close();
  }

  const plan = (overrides: object = {}) => ({
    idempotencyKey: `tender-${uniqueSuffix()}`,
    title: '企业经营与测绘成果数据商业开发授权',
    resourceCodes: ['SCJG-004', 'ZRZY-004'],
    scope: '企业年报经营数据、测绘地理信息成果的商业开发利用',
    authorizationModel: '整体授权',
    termMonths: 24,
    feeCap: 500000,
    eligibility: { requireSecurityCapability: true, requireNoSeriousViolations: true, other: ['依法设立的企业法人'] },
    criteria: TENDER_CRITERIA,
    drillPolicyVersionId: policyId,
    ...overrides,
  });

  beforeAll(async () => {
    db = testDb();
    await db.policyVersion.create({
      data: {
        id: policyId,
        effectiveFrom: new Date(Date.now() - 2000),
        description: '演练（测试）：招标各期间以秒计，授权期限每月 10 秒',
        drill: true,
        values: {
          tenderMinBidWindow: '8 seconds',
          tenderPublicityPeriod: '3 seconds',
          tenderDocumentObjectionCutoff: '4 seconds',
          drillMonth: '10 seconds',
        },
      },
    });
    worker = await startTestWorker(db);
    ({ app, temporal } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue, DRILLS_ENABLED: 'true' }));
  });
  afterAll(async () => {
    await db?.policyVersion.deleteMany({ where: { id: policyId } });
    await worker?.stop();
    await (await temporal?.())?.connection.close();
    await db?.$disconnect();
  });

  it('accepts only CONDITIONAL-open resources, and only from the data authority', async () => {
    const open = await post('dsj.reviewer', '/api/tenders', plan({ resourceCodes: ['SCJG-004', 'GAJ-003'] }));
    expect(open.status).toBe(422);
    expect(open.body.error.code).toBe('RESOURCE_CLASS_MISMATCH');
    expect(open.body.error.messageEn).toContain('GAJ-003 is UNCONDITIONAL');
    const notOpen = await post('dsj.reviewer', '/api/tenders', plan({ resourceCodes: ['GAJ-001'] }));
    expect(notOpen.status).toBe(422);
    expect((await post('gaj.reviewer', '/api/tenders', plan())).status).toBe(403);
    expect((await post('company.hengxin', '/api/tenders', plan())).status).toBe(403);
    const weights = await post(
      'dsj.reviewer',
      '/api/tenders',
      plan({ criteria: [{ key: 'plan', name: '方案', weight: 50, kind: 'SCORED' }] }),
    );
    expect(weights.status).toBe(400);
    expect(weights.body.error.messageEn).toBe('Invalid body: criteria: the weights add up to 50, not 100');
    expect(weights.body.error.message).toBe('请求体有误：criteria：权重合计为 50，应为 100');
    expect(weights.body.error.details).toEqual([{ path: 'criteria', message: '权重合计为 50，应为 100' }]);
    const twice = await post(
      'dsj.reviewer',
      '/api/tenders',
      plan({
        criteria: [
          { key: 'price', name: '报价', weight: 50, kind: 'PRICE' },
          { key: 'price', name: '报价', weight: 50, kind: 'PRICE' },
        ],
      }),
    );
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toBe(
      '请求体有误：criteria：评分标准 price 重复；价格（PRICE）标准至多一项；至少需要一项评分（SCORED）标准',
    );
    expect(twice.body.error.messageEn).toBe(
      'Invalid body: criteria: criterion price appears twice; at most one PRICE criterion; at least one SCORED criterion',
    );
  });

  it('a repeated draft with the same idempotency key returns the same tender and starts one workflow; other content under that key is refused', async () => {
    const body = plan();
    const first = await post('dsj.reviewer', '/api/tenders', body);
    expect(first.status).toBe(201);
    const again = await post('dsj.reviewer', '/api/tenders', body);
    expect(again.status).toBe(200);
    expect(again.body.tenderNo).toBe(first.body.tenderNo);
    expect(await db.tender.count({ where: { idempotencyKey: body.idempotencyKey } })).toBe(1);
    const reused = await post('dsj.reviewer', '/api/tenders', { ...body, title: '另一个招标' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Another member of the authority may use the same key for a plan of their own.
    const other = await post('dsj.admin', '/api/tenders', body);
    expect(other.status).toBe(201);
    expect(other.body.tenderNo).not.toBe(first.body.tenderNo);
    const missingKey = await post('dsj.reviewer', '/api/tenders', { ...body, idempotencyKey: undefined });
    expect(missingKey.status).toBe(400);
    expect(missingKey.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('19. a drill (演练) runs from announcement to authorisation and the first follow-up report on the dev server: three companies bid, sealed until opening; a late bid is refused; evaluators score; the winner is published, confirms and is authorised; the operator reports and the authority accepts', async () => {
    const created = await post('dsj.reviewer', '/api/tenders', plan());
    expect(created.status).toBe(201);
    const no: string = created.body.tenderNo;
    expect(created.body.status).toBe('DRAFT');
    // A drill says so in its number (pages, mails, task titles, search attributes), title and answers.
    expect(no.startsWith('演练-ZB-')).toBe(true);
    expect(created.body).toMatchObject({ drill: true, title: expect.stringMatching(/^【演练】/) });
    expect(created.body.notice).toContain('演练');
    // 17. The committee was drawn at random from the evaluator pool, and the authority sees how.
    const committee = created.body.committee;
    expect(committee).toMatchObject({ method: 'DRAW', size: 5, excluded: [] });
    expect(committee.seed).toMatch(/^[0-9a-f]{32}$/);
    const drawn: string[] = committee.drawn.map((m: { login: string }) => m.login);
    expect(new Set(drawn).size).toBe(5);
    expect(drawn.every((l) => committee.pool.some((m: { login: string }) => m.login === l))).toBe(true);
    const [member1, member2] = drawn;
    expect((await request(app).get(`/api/tenders/${no}`)).status).toBe(404);

    const tooSoon = await post('dsj.reviewer', `/api/tenders/${no}/announce`, {
      bidDeadline: new Date(Date.now() + 2000).toISOString(),
    });
    expect(tooSoon.status).toBe(422);
    expect(tooSoon.body.error.code).toBe('BID_WINDOW_TOO_SHORT');
    const deadline = new Date(Date.now() + 14_000);
    const announced = await post('dsj.reviewer', `/api/tenders/${no}/announce`, {
      bidDeadline: deadline.toISOString(),
    });
    expect(announced.status).toBe(200);
    expect(announced.body.status).toBe('ANNOUNCED');
    const list = await request(app).get('/api/tenders?status=ANNOUNCED&limit=100').expect(200);
    expect(list.body.items.find((t: { tenderNo: string }) => t.tenderNo === no).bidDeadline).toBe(
      deadline.toISOString(),
    );
    expectOnlyPublicFields(list.body);
    const anonymous = await request(app).get(`/api/tenders/${no}`).expect(200);
    expectOnlyPublicFields(anonymous.body);
    expect(anonymous.body).toMatchObject({ tenderNo: no, status: 'ANNOUNCED', sealed: true, feeCap: 500000 });
    // The authority still sees the workflow it supervises.
    expect((await get('dsj.reviewer', `/api/tenders/${no}`)).body.workflowId).toBe(`commercial-tender/${no}`);

    // Only legal persons bid; each may replace its bid until the deadline.
    const university = await put('university.lcu', `/api/tenders/${no}/bid`, bidBody(300000));
    expect(university.status).toBe(403);
    expect(university.body.error.code).toBe('BIDDER_NOT_ELIGIBLE');
    for (const [login, price] of [
      [BIDDERS.hengxin, 320000],
      [BIDDERS.huarui, 280000],
      [BIDDERS.zhiyun, 320000],
      [BIDDERS.hengxin, 300000],
    ] as const) {
      const res = await put(login, `/api/tenders/${no}/bid`, bidBody(price));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sealed: true, overFeeCap: false, warnings: [] });
    }
    const receipt = await get(BIDDERS.hengxin, `/api/tenders/${no}/bid`);
    expect(receipt.body).toMatchObject({ version: 2, sealed: true });
    expect(JSON.stringify(receipt.body)).not.toContain(SECRET_PLAN);

    // Sealed: no API returns a bid's contents (or even the number of bids) before opening, not to the authority either.
    for (const login of ['dsj.admin', member1]) {
      const sealed = await get(login, `/api/tenders/${no}/bids`);
      expect(sealed.status).toBe(403);
      expect(sealed.body.error.code).toBe('BIDS_SEALED');
    }
    const detail = await get('dsj.admin', `/api/tenders/${no}`);
    expect(detail.body).toMatchObject({ sealed: true, bids: null });
    expect(JSON.stringify(detail.body)).not.toContain(SECRET_PLAN);

    // After the deadline: a clear refusal.
    await new Promise((r) => setTimeout(r, Math.max(0, deadline.getTime() - Date.now()) + 300));
    const late = await put(BIDDERS.zhiyun, `/api/tenders/${no}/bid`, bidBody(100000));
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('BID_DEADLINE_PASSED');
    expect(late.body.error.messageEn).toContain('deadline');

    // Opening by the workflow's timer; the committee now reads the bids.
    await eventually(
      async () => (await request(app).get(`/api/tenders/${no}`)).body.status === 'EVALUATION',
      'the opening',
    );
    const opened = await get(member1, `/api/tenders/${no}/bids`);
    expect(opened.status).toBe(200);
    expect(opened.body.items).toHaveLength(3);
    expect(opened.body.items.every((b: { status: string }) => b.status === 'VALID')).toBe(true);
    expect(JSON.stringify(opened.body)).toContain(SECRET_PLAN);
    const bidIdOf = (login: string) =>
      opened.body.items.find((b: { bidderId: string }) => b.bidderId === `pa-${login.split('.')[1]}`).id;
    const quality: Record<string, number> = { [BIDDERS.hengxin]: 90, [BIDDERS.huarui]: 80, [BIDDERS.zhiyun]: 70 };
    const sheet = Object.entries(quality).flatMap(([login, q]) => [
      { bidId: bidIdOf(login), criterion: 'plan', score: q },
      { bidId: bidIdOf(login), criterion: 'security', score: q },
    ]);

    // The scoring tasks are in the evaluators' inbox; a sheet must cover every bid and criterion.
    const inbox = await eventually(async () => {
      const res = await get(member2, '/api/inbox?step=SCORE_BIDS&limit=100');
      const mine = res.body.items.filter((t: { subjectRef: string; title: string }) => t.title.includes(no));
      return mine.length === 5 && mine;
    }, 'five scoring tasks in the inbox');
    // Addressed to the drawn members, and to no one else of the pool.
    expect(inbox.map((t: { subjectRef: string }) => t.subjectRef).sort()).toEqual(
      committee.drawn.map((m: { userId: string }) => m.userId).sort(),
    );
    const notDrawn = committee.pool.find((m: { login: string }) => !drawn.includes(m.login)).login;
    expect((await post(notDrawn, `/api/tenders/${no}/scores`, { scores: sheet })).status).toBe(403);
    const partial = await post(member1, `/api/tenders/${no}/scores`, { scores: sheet.slice(0, 2) });
    expect(partial.status).toBe(400);
    expect(partial.body.error.code).toBe('VALIDATION_FAILED');
    expect((await post('dsj.reviewer', `/api/tenders/${no}/scores`, { scores: sheet })).status).toBe(403);
    for (const login of drawn)
      expect((await post(login, `/api/tenders/${no}/scores`, { scores: sheet })).status).toBe(200);

    // Publicity of the ranking, then award after the (test-short) publicity period.
    const published = await eventually(async () => {
      const res = await request(app).get(`/api/tenders/${no}`);
      return ['PUBLICITY', 'AWARDED'].includes(res.body.status) && res.body;
    }, 'the publicity');
    const ranked = [...published.bids].sort((a: { rank: number }, b: { rank: number }) => a.rank - b.rank);
    const bidderNames = new Map(
      (await db.publicApplicant.findMany({ where: { id: { in: ['pa-hengxin', 'pa-huarui', 'pa-zhiyun'] } } })).map(
        (x) => [x.id, x.name],
      ),
    );
    expect(ranked.map((b: { bidderName: string }) => b.bidderName)).toEqual(
      ['pa-hengxin', 'pa-huarui', 'pa-zhiyun'].map((id) => bidderNames.get(id)),
    );
    // 18. The public detail carries only public fields: no keys, hashes, workflow or internal ids.
    expectOnlyPublicFields(published);
    expect(published.proposedWinner).toBe(bidderNames.get('pa-hengxin'));
    expect(ranked[0].score).toBeCloseTo(90.667, 3);
    await eventually(async () => (await request(app).get(`/api/tenders/${no}`)).body.status === 'AWARDED', 'the award');

    // The winner confirms through the API; the authority in its inbox through the generic task API.
    expect((await post(BIDDERS.huarui, `/api/tenders/${no}/agreement/confirm`)).status).toBe(403);
    const confirmed = await post(BIDDERS.hengxin, `/api/tenders/${no}/agreement/confirm`);
    expect(confirmed.status).toBe(200);
    const agreementTask = await eventually(
      async () =>
        (await get('dsj.reviewer', '/api/inbox?step=AGREEMENT_CONFIRM&limit=100')).body.items.find(
          (t: { title: string }) => t.title.includes(no),
        ),
      'the agreement task',
    );
    expect(
      (await post('dsj.reviewer', `/api/tasks/${agreementTask.id}/complete`, { decision: 'CONFIRM' })).status,
    ).toBe(200);

    const authorizationNo = `SQ-${no}`;
    // The follow-up workflow plans the report duties right after the authorisation exists: wait for both.
    const auth = await eventually(async () => {
      const res = await get('dsj.reviewer', `/api/authorizations/${authorizationNo}`);
      return res.status === 200 && res.body.reports.some((r: { kind: string }) => r.kind === 'PERIODIC') && res.body;
    }, 'the authorisation and its report plan');
    expect(auth).toMatchObject({
      status: 'ACTIVE',
      operator: { id: 'pa-hengxin' },
      feeCap: 500000,
      tender: { tenderNo: no },
    });
    expect(auth.resources.map((r: { code: string }) => r.code).sort()).toEqual(['SCJG-004', 'ZRZY-004']);
    expect(auth.reports.filter((r: { kind: string }) => r.kind === 'PERIODIC')).toHaveLength(8);
    const register = await request(app).get('/api/authorizations/register?limit=100').expect(200);
    expect(register.body.items.map((a: { authorizationNo: string }) => a.authorizationNo)).toContain(authorizationNo);
    expect((await get(BIDDERS.huarui, `/api/authorizations/${authorizationNo}`)).status).toBe(404);
    expect((await get(BIDDERS.hengxin, `/api/authorizations/${authorizationNo}`)).status).toBe(200);

    // Mail through SMTP: receipts, the publicity, the award to the winner, the result to the others.
    const tender = await db.tender.findUniqueOrThrow({ where: { tenderNo: no } });
    await deliverMail([`tender:${tender.id}`, 'bid:', `authorization:${auth.id}`]);
    const mails = await eventually(async () => {
      const all = (await receivedMail()).filter((m) => m.subject.includes(no));
      return (
        all.some((m) => m.subject.includes('中标通知')) &&
        all.filter((m) => m.subject.includes('招标结果')).length === 2 &&
        all
      );
    }, 'award and result mail');
    const to = (subject: string) =>
      mails
        .filter((m) => m.subject.includes(subject))
        .flatMap((m) => m.to.map((t) => t.address))
        .sort();
    expect(to('中标通知')).toEqual(['bid@hengxin.liaocheng.example']);
    expect(to('招标结果')).toEqual(['bid@huarui.liaocheng.example', 'bid@zhiyun.liaocheng.example']);
    expect(to('中标候选人公示')).toEqual([
      'bid@hengxin.liaocheng.example',
      'bid@huarui.liaocheng.example',
      'bid@zhiyun.liaocheng.example',
    ]);
    expect(to('投标回执').length).toBe(4);
    expect(mails.find((m) => m.subject.includes('中标通知'))!.text).toContain(`${no}-XY`);

    // The drill's term is 24 months of 10 seconds: the first report opens 30 seconds after the registration.
    expect(new Date(auth.endsAt).getTime() - new Date(auth.startsAt).getTime()).toBe(24 * 10_000);
    expect(auth.reports.some((r: { kind: string }) => r.kind === 'YEARLY')).toBe(false);
    const first = auth.reports.find(
      (r: { kind: string; periodNo: number }) => r.kind === 'PERIODIC' && r.periodNo === 1,
    );
    await eventually(
      async () => (await db.authorizationReport.findUniqueOrThrow({ where: { id: first.id } })).status === 'DUE',
      'the first report due',
      60_000,
    );
    const filed = await post(
      BIDDERS.hengxin,
      `/api/authorizations/${encodeURIComponent(authorizationNo)}/reports/${first.id}`,
      {
        summary: '演练：第一期数据利用情况报告',
      },
    );
    expect(filed.status).toBe(200);
    const review = await eventually(
      async () =>
        (await get('dsj.reviewer', '/api/inbox?step=REVIEW_USE_REPORT&limit=100')).body.items.find(
          (t: { applicationNo?: string; title: string }) =>
            t.title.includes(authorizationNo) || t.applicationNo === authorizationNo,
        ),
      'the review task of the first report',
    );
    expect((await post('dsj.reviewer', `/api/tasks/${review.id}/complete`, { decision: 'ACCEPT' })).status).toBe(200);
    await eventually(
      async () => (await db.authorizationReport.findUniqueOrThrow({ where: { id: first.id } })).status === 'ACCEPTED',
      'the first report accepted',
    );

    // Every search attribute that names the case, and every mail about it, says 演练.
    const { client } = await temporal();
    for (const workflowId of [`commercial-tender/${no}`, `authorization-followup/${authorizationNo}`]) {
      const d = await client.workflow.getHandle(workflowId).describe();
      expect(d.typedSearchAttributes.get(SA.ApplicationNo)).toContain('演练');
    }
    const drillMails = (await receivedMail()).filter((m) => m.text.includes(no));
    expect(drillMails.length).toBeGreaterThan(5);
    expect(drillMails.filter((m) => !m.subject.includes('演练')).map((m) => m.subject)).toEqual([]);

    // The follow-up runs on the dev server until its term; end it with the authority's revocation.
    const revoked = await post('dsj.reviewer', `/api/authorizations/${authorizationNo}/revoke`, {
      reasons: '测试结束：撤销授权',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('REVOKED');
  });

  /** Drafts and announces a tender (deadline `inMs` from now) and returns its number. */
  async function announced(inMs: number, overrides: object = {}): Promise<{ no: string; deadline: Date }> {
    const created = await post('dsj.reviewer', '/api/tenders', plan(overrides));
    expect(created.status).toBe(201);
    const deadline = new Date(Date.now() + inMs);
    const res = await post('dsj.reviewer', `/api/tenders/${created.body.tenderNo}/announce`, {
      bidDeadline: deadline.toISOString(),
    });
    expect(res.status).toBe(200);
    return { no: created.body.tenderNo, deadline };
  }
  const stageOf = async (no: string) => {
    const { client } = await temporal();
    const d = await client.workflow.getHandle(`commercial-tender/${no}`).describe();
    return d.typedSearchAttributes.get(SA.Stage);
  };

  it('13. a bidder withdraws its bid before the deadline; the withdrawn bid is not opened and no longer counts toward the three bids', async () => {
    const { no, deadline } = await announced(12_000);
    for (const [login, price] of [
      [BIDDERS.hengxin, 300000],
      [BIDDERS.huarui, 280000],
      [BIDDERS.zhiyun, 320000],
    ] as const)
      expect((await put(login, `/api/tenders/${no}/bid`, bidBody(price))).status).toBe(200);
    expect((await request(app).delete(`/api/tenders/${no}/bid`)).status).toBe(401);
    expect((await del('university.lcu', `/api/tenders/${no}/bid`)).body.error.code).toBe('BIDDER_NOT_ELIGIBLE');
    const withdrawn = await del(BIDDERS.zhiyun, `/api/tenders/${no}/bid`);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ tenderNo: no, withdrawn: true, bidDeadline: deadline.toISOString() });
    expect((await get(BIDDERS.zhiyun, `/api/tenders/${no}/bid`)).body.status).toBe('WITHDRAWN');
    // Nothing left to withdraw.
    const again = await del(BIDDERS.zhiyun, `/api/tenders/${no}/bid`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('NOT_FOUND');
    // A withdrawn bidder may bid again before the deadline, and withdraw that bid too.
    expect((await put(BIDDERS.zhiyun, `/api/tenders/${no}/bid`, bidBody(310000))).body.version).toBe(2);
    expect((await del(BIDDERS.zhiyun, `/api/tenders/${no}/bid`)).status).toBe(200);

    await new Promise((r) => setTimeout(r, Math.max(0, deadline.getTime() - Date.now()) + 300));
    const late = await del(BIDDERS.hengxin, `/api/tenders/${no}/bid`);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('BID_DEADLINE_PASSED');
    // Two standing bids of three: the tender fails; the withdrawn bid was never opened.
    const failed = await eventually(async () => {
      const res = await request(app).get(`/api/tenders/${no}`);
      return res.body.status === 'FAILED' && res.body;
    }, 'the failed tender');
    expect(failed.outcomeReasons).toContain('有效投标人 2 家');
    expect(failed.bids).toHaveLength(2);
    const tender = await db.tender.findUniqueOrThrow({ where: { tenderNo: no } });
    const zhiyun = await db.bid.findFirstOrThrow({ where: { tenderId: tender.id, bidderId: 'pa-zhiyun' } });
    expect(zhiyun.status).toBe('WITHDRAWN');
    const bids = await get('dsj.reviewer', `/api/tenders/${no}/bids`);
    expect(bids.status).toBe(200);
    const listed = bids.body.items.find((b: { bidderId: string }) => b.bidderId === 'pa-zhiyun');
    expect(listed).toMatchObject({ status: 'WITHDRAWN', contents: null });
    expect(bids.body.items.filter((b: { contents: unknown }) => b.contents !== null)).toHaveLength(2);
    expect(await db.auditLog.count({ where: { entityId: tender.id, action: 'BID_WITHDRAWN' } })).toBe(2);
    // The withdrawn bidder hears of the withdrawal, not of the failure.
    expect(
      await db.notification.count({
        where: {
          template: 'tender-failed',
          recipient: 'bid@zhiyun.liaocheng.example',
          dedupeKey: { startsWith: `tender:${tender.id}:` },
        },
      }),
    ).toBe(0);
    expect(
      await db.notification.count({ where: { dedupeKey: { startsWith: `bid:${zhiyun.submissionId}:withdrawn` } } }),
    ).toBe(1);
  });

  it('14. during the bid window a legal person objects to the tender documents; the opening waits for the answer; past the cut-off it is refused', async () => {
    const { no, deadline } = await announced(9_000);
    // Not only bidders: any legal person (a potential bidder) may object to the documents.
    const objection = await post(BIDDERS.huarui, `/api/tenders/${no}/objections`, {
      content: '资格条件要求等保三级，超出授权数据的安全需要，排斥潜在投标人',
    });
    expect(objection.status).toBe(201);
    expect(objection.body.kind).toBe('DOCUMENTS');
    const stored = await db.tenderObjection.findUniqueOrThrow({ where: { id: objection.body.objectionId } });
    expect(stored.kind).toBe('DOCUMENTS');
    const task = await eventually(
      async () =>
        (await get('dsj.reviewer', '/api/inbox?step=ANSWER_OBJECTION&limit=100')).body.items.find(
          (t: { subjectRef: string }) => t.subjectRef === objection.body.objectionId,
        ),
      'the answer task',
    );
    expect(task.title).toContain('招标文件异议');
    // Within the cut-off before the deadline (test policy: 4 seconds) an objection is too late.
    await new Promise((r) => setTimeout(r, Math.max(0, deadline.getTime() - 4_000 - Date.now()) + 200));
    const tooLate = await post(BIDDERS.zhiyun, `/api/tenders/${no}/objections`, { content: '迟到的异议' });
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error.code).toBe('OBJECTION_CLOSED');
    // The deadline passes: the procedure is at the opening, but opens nothing before the answer.
    await eventually(async () => (await stageOf(no)) === 'OPENING', 'the opening stage');
    expect((await db.tender.findUniqueOrThrow({ where: { tenderNo: no } })).openedAt).toBeNull();
    const answered = await post('dsj.reviewer', `/api/tasks/${task.id}/complete`, {
      decision: 'DISMISS',
      reasons: '等保三级系处理企业经营数据的法定要求',
    });
    expect(answered.status).toBe(200);
    await eventually(
      async () => (await db.tender.findUniqueOrThrow({ where: { tenderNo: no } })).openedAt !== null,
      'the opening after the answer',
    );
    expect(
      await db.notification.count({
        where: { dedupeKey: { startsWith: `tender-objection:${objection.body.objectionId}:answered` } },
      }),
    ).toBe(1);
  });

  it('15. public comments on the plan can be read, by anyone; only the authority sees who wrote them', async () => {
    const created = await post('dsj.reviewer', '/api/tenders', plan());
    const no: string = created.body.tenderNo;
    expect((await request(app).get(`/api/tenders/${no}/comments`)).status).toBe(404);
    expect((await post('dsj.reviewer', `/api/tenders/${no}/comment-period`)).status).toBe(200);
    const content = '建议将授权期限缩短为12个月，并公开收费标准的测算依据';
    const posted = await post('citizen.zhang', `/api/tenders/${no}/comments`, { content });
    expect(posted.status).toBe(201);
    expect((await request(app).get(`/api/tenders/${no}`)).body.commentCount).toBe(1);
    const pub = await request(app).get(`/api/tenders/${no}/comments`).expect(200);
    expect(pub.body).toMatchObject({ tenderNo: no, nextCursor: null });
    expect(pub.body.items).toEqual([{ id: posted.body.id, content, createdAt: posted.body.createdAt }]);
    const forAuthority = await get('dsj.reviewer', `/api/tenders/${no}/comments`);
    expect(forAuthority.body.items[0].author).toBe(
      (await db.user.findUniqueOrThrow({ where: { login: 'citizen.zhang' } })).displayName,
    );
    expect((await request(app).get(`/api/tenders/${no}/comments?cursor=x`)).status).toBe(400);
    expect((await post('dsj.reviewer', `/api/tenders/${no}/cancel`, { reasons: '测试结束' })).status).toBe(200);
  });

  it('issue 13.12: the tender list, its comments, the authorisation list and register page with cursor/limit like every list; page/pageSize and unknown parameters are 400', async () => {
    const drafts: string[] = [];
    for (let i = 0; i < 3; i++) drafts.push((await post('dsj.reviewer', '/api/tenders', plan())).body.tenderNo);
    // A row of another list is no cursor of this one.
    const cursorOf = (id: string) => Buffer.from(id).toString('base64url');
    const other = await db.tender.findUniqueOrThrow({ where: { tenderNo: drafts[1] } });
    const asAuthority = (base: string) => (query: string) => get('dsj.reviewer', `${base}?${query}`);
    await expectCursorPaging(asAuthority('/api/tenders'), 'tenderNo', 'status=DRAFT', cursorOf(newId()));

    for (const d of drafts) expect((await post('dsj.reviewer', `/api/tenders/${d}/comment-period`)).status).toBe(200);
    const no = drafts[0];
    const comments: string[] = [];
    for (const content of ['建议公开收费测算依据', '建议缩短授权期限', '建议增加数据安全审计'])
      comments.push((await post('citizen.zhang', `/api/tenders/${no}/comments`, { content })).body.id);
    // The public list: anonymous, without drafts.
    const anonymous = (url: string) => (query: string) => request(app).get(`${url}?${query}`);
    await expectCursorPaging(anonymous('/api/tenders'), 'tenderNo', 'status=COMMENT', cursorOf(comments[0]));
    await expectCursorPaging(anonymous(`/api/tenders/${no}/comments`), 'id', '', cursorOf(other.id));
    const walked = await request(app).get(`/api/tenders/${no}/comments?limit=100`).expect(200);
    expect(walked.body.items.map((c: { id: string }) => c.id)).toEqual(comments);

    // Authorisations as a tender awards them (the award itself is walked through in test 19).
    const operator = await db.user.findUniqueOrThrow({ where: { login: BIDDERS.hengxin } });
    const authorizationNos: string[] = [];
    for (let i = 0; i < 3; i++) {
      const authorizationNo = `SQ-PAGE-${uniqueSuffix()}`;
      await db.authorization.create({
        data: {
          id: newId(),
          operatorId: operator.publicApplicantId!,
          resourceIds: [],
          scope: '分页测试',
          startsAt: new Date(),
          endsAt: new Date(Date.now() + 86_400_000),
          authorizationNo,
        },
      });
      authorizationNos.push(authorizationNo);
    }
    const own = (query: string) => get(BIDDERS.hengxin, `/api/authorizations?${query}`);
    try {
      await expectCursorPaging(asAuthority('/api/authorizations'), 'authorizationNo', 'status=ACTIVE');
      // The public register of authorisations in force.
      await expectCursorPaging(anonymous('/api/authorizations/register'), 'authorizationNo', '', cursorOf(other.id));
      await expectCursorPaging(own, 'authorizationNo', '', cursorOf(other.id));
      const first = await own('limit=3');
      expect(first.body.items.map((a: { authorizationNo: string }) => a.authorizationNo).sort()).toEqual(
        [...authorizationNos].sort(),
      );
    } finally {
      await db.authorization.deleteMany({ where: { authorizationNo: { in: authorizationNos } } });
    }
  });

  it('16. an amendment that would move the deadline unlawfully is refused with a code, changes nothing and mails no one', async () => {
    const { no, deadline } = await announced(30 * 86_400_000);
    expect((await put(BIDDERS.hengxin, `/api/tenders/${no}/bid`, bidBody(300000))).status).toBe(200);
    const tender = await db.tender.findUniqueOrThrow({ where: { tenderNo: no } });
    const earlier = await post('dsj.reviewer', `/api/tenders/${no}/amend`, {
      reason: '提前截止',
      bidDeadline: new Date(Date.now() + 5 * 86_400_000).toISOString(),
    });
    expect(earlier.status).toBe(422);
    expect(earlier.body.error.code).toBe('BID_DEADLINE_TOO_EARLY');
    expect(earlier.body.error.messageEn).toContain('15 days');
    const after = await db.tender.findUniqueOrThrow({ where: { id: tender.id } });
    expect(after.bidDeadline!.getTime()).toBe(deadline.getTime());
    expect(after.announcementVersion).toBe(1);
    expect(await db.notification.count({ where: { dedupeKey: { startsWith: `tender:${tender.id}:amended` } } })).toBe(
      0,
    );
    // A lawful earlier deadline is applied, and the mail says what happened.
    const lawful = new Date(Date.now() + 20 * 86_400_000);
    const moved = await post('dsj.reviewer', `/api/tenders/${no}/amend`, {
      reason: '根据意见调整',
      bidDeadline: lawful.toISOString(),
    });
    expect(moved.status).toBe(200);
    expect(moved.body.bidDeadline).toBe(lawful.toISOString());
    const mail = await db.notification.findFirstOrThrow({
      where: { dedupeKey: { startsWith: `tender:${tender.id}:amended:2` } },
    });
    expect((mail.data as { message: string }).message).toContain('提前至');
    // A change of text only keeps the deadline, and says so.
    expect(
      (
        await post('dsj.reviewer', `/api/tenders/${no}/amend`, {
          reason: '更正错字',
          title: '企业经营与测绘成果数据商业开发授权（更正）',
        })
      ).status,
    ).toBe(200);
    const third = await db.notification.findFirstOrThrow({
      where: { dedupeKey: { startsWith: `tender:${tender.id}:amended:3` } },
    });
    expect((third.data as { message: string }).message).toContain('投标截止时间不变');
    expect((await post('dsj.reviewer', `/api/tenders/${no}/cancel`, { reasons: '测试结束' })).status).toBe(200);
  });

  it('17. the committee is drawn at random from the evaluator pool (odd, at least five, recusals stand aside, the draw recorded and reproducible); a designated committee needs reasons; a bid over the fee cap is flagged at submission', async () => {
    const pool = (
      await db.user.findMany({
        where: { departmentId: 'dsj', active: true, roles: { has: 'EVALUATOR' } },
        orderBy: { login: 'asc' },
      })
    ).map((u) => u.login);
    expect(pool.length).toBeGreaterThanOrEqual(7);
    const refused = async (committee: object) => {
      const res = await post('dsj.reviewer', '/api/tenders', plan({ committee }));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('COMMITTEE_INVALID');
      return res.body.error;
    };
    const before = await db.tender.count();
    // Odd and at least five (招标投标法 Art. 37).
    expect((await refused({ method: 'DRAW', size: 6 })).details).toEqual({ size: 6, min: 5, problem: 'an odd number' });
    expect((await refused({ method: 'DRAW', size: 3 })).details).toEqual({ size: 3, min: 5, problem: 'at least 5' });
    expect(
      (await refused({ method: 'DRAW', recusals: [{ login: 'dsj.reviewer', reason: '本人申请' }] })).details,
    ).toEqual({ notInPool: ['dsj.reviewer'] });
    // Too few left after the recusals: the numbers are named.
    const recusing = pool.slice(0, pool.length - 4).map((login) => ({ login, reason: '与潜在投标人存在利害关系' }));
    const tooFew = await refused({ method: 'DRAW', recusals: recusing });
    expect(tooFew.details).toEqual({ pool: pool.length, excluded: pool.length - 4, eligible: 4, size: 5 });
    expect(tooFew.message).toContain(
      `库内 ${pool.length} 人，回避 ${pool.length - 4} 人，可抽取 4 人，评标委员会需要 5 人`,
    );
    // Naming the members is a special tender's option only, with its reasons (实施条例 Art. 47).
    const designatedWithoutReason = await post(
      'dsj.reviewer',
      '/api/tenders',
      plan({ committee: { method: 'DESIGNATED', members: EVALUATORS.map((login) => ({ login })) } }),
    );
    expect(designatedWithoutReason.status).toBe(400);
    await refused({
      method: 'DESIGNATED',
      reason: '技术复杂',
      members: EVALUATORS.slice(0, 4).map((login) => ({ login })),
    });
    await refused({
      method: 'DESIGNATED',
      reason: '技术复杂',
      members: [...EVALUATORS.slice(0, 4), 'dsj.evaluator1'].map((login) => ({ login })),
    });
    // A declared affiliation with one character mistyped would match no bidder at the opening.
    const typo = await post(
      'dsj.reviewer',
      '/api/tenders',
      plan({
        committee: { method: 'DRAW', affiliations: [{ login: pool[1], declaredAffiliations: ['91371500MA3C00021M'] }] },
      }),
    );
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'committee.affiliations[0].declaredAffiliations[0]' }],
    });
    expect(typo.body.error.messageEn).toContain('the check character (the 18th) does not match');
    expect(await db.tender.count()).toBe(before);

    // A draw, one member standing aside: recorded, audited and reproducible from its seed.
    const drawnTender = await post(
      'dsj.reviewer',
      '/api/tenders',
      plan({
        committee: {
          method: 'DRAW',
          recusals: [{ login: pool[0], reason: '近三年曾在投标意向单位任职' }],
          affiliations: [{ login: pool[1], declaredAffiliations: ['91371500MA3C00000F'] }],
        },
      }),
    );
    expect(drawnTender.status).toBe(201);
    const record = drawnTender.body.committee;
    expect(record.excluded).toEqual([
      expect.objectContaining({ login: pool[0], reasons: ['本人申请回避：近三年曾在投标意向单位任职'] }),
    ]);
    expect(record.drawn.map((m: { login: string }) => m.login)).not.toContain(pool[0]);
    const again = drawCommittee({
      pool: record.pool,
      exclusions: record.excluded.flatMap((e: { userId: string; reasons: string[] }) =>
        e.reasons.map((reason) => ({ userId: e.userId, reason })),
      ),
      size: record.size,
      seed: record.seed,
    });
    expect(again.ok && again.draw.drawn).toEqual(record.drawn);
    const stored = await db.tender.findUniqueOrThrow({
      where: { tenderNo: drawnTender.body.tenderNo },
      include: { evaluators: true },
    });
    expect(stored.evaluators.map((e) => e.userId).sort()).toEqual(
      record.drawn.map((m: { userId: string }) => m.userId).sort(),
    );
    // The declared affiliation stays with its member if drawn, for the recusal at the opening.
    const declared = stored.evaluators.find((e) => e.userId === `u-${pool[1]}`);
    if (declared) expect(declared.declaredAffiliations).toEqual(['91371500MA3C00000F']);
    const audit = await db.auditLog.findUniqueOrThrow({ where: { auditKey: `tender:${stored.id}:committee` } });
    expect(audit).toMatchObject({ action: 'COMMITTEE_DRAWN', actor: 'u-dsj.reviewer' });
    expect((audit.details as { seed: string }).seed).toBe(record.seed);
    expect(
      (await post('dsj.reviewer', `/api/tenders/${drawnTender.body.tenderNo}/cancel`, { reasons: '测试结束' })).status,
    ).toBe(200);

    // A designated committee of seven: an explicit, audited option.
    const sevenLogins = pool.slice(0, 7);
    const { no } = await announced(30 * 86_400_000, {
      committee: {
        method: 'DESIGNATED',
        reason: '项目涉及隐私计算与多方安全计算，技术复杂，随机抽取的专家难以胜任（实施条例第四十七条）',
        members: sevenLogins.map((login) => ({ login, declaredAffiliations: [] })),
      },
    });
    const designated = await get('dsj.reviewer', `/api/tenders/${no}`);
    expect(designated.body.committee).toMatchObject({
      method: 'DESIGNATED',
      reason: expect.stringContaining('第四十七条'),
    });
    expect(
      await db.auditLog.count({
        where: {
          action: 'COMMITTEE_DESIGNATED',
          entityId: (await db.tender.findUniqueOrThrow({ where: { tenderNo: no } })).id,
        },
      }),
    ).toBe(1);
    const over = await put(BIDDERS.hengxin, `/api/tenders/${no}/bid`, bidBody(600000));
    expect(over.status).toBe(200);
    expect(over.body.overFeeCap).toBe(true);
    expect(over.body.warnings[0].code).toBe('OVER_FEE_CAP');
    expect((await get(BIDDERS.hengxin, `/api/tenders/${no}/bid`)).body.overFeeCap).toBe(true);
    const tender = await db.tender.findUniqueOrThrow({ where: { tenderNo: no } });
    await deliverMail(['bid:']);
    const receipt = await eventually(
      async () => (await receivedMail()).find((m) => m.subject.includes(no) && m.subject.includes('投标回执')),
      'the receipt mail',
    );
    expect(receipt.text).toContain('超过招标文件规定的收费上限');
    expect((await put(BIDDERS.hengxin, `/api/tenders/${no}/bid`, bidBody(400000))).body.overFeeCap).toBe(false);
    expect(await db.tenderEvaluator.count({ where: { tenderId: tender.id } })).toBe(7);
    expect((await post('dsj.reviewer', `/api/tenders/${no}/cancel`, { reasons: '测试结束' })).status).toBe(200);
  });

  it('19. drills need the deployment to enable them and a drill policy version; a real policy cannot shorten periods to seconds, and a real tender never says 演练', async () => {
    const { app: noDrills } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue });
    const refused = await request(noDrills)
      .post('/api/tenders')
      .auth(await as('dsj.reviewer'), { type: 'bearer' })
      .send(plan());
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('DRILLS_DISABLED');
    // A drill policy version through the admin endpoint: refused where drills are off, checked where they are on.
    const drillId = `drill-${uniqueSuffix()}`;
    const drillValues = {
      tenderMinBidWindow: '10 minutes',
      tenderPublicityPeriod: '5 minutes',
      drillMonth: '1 minute',
    };
    const off = await request(noDrills)
      .put(`/api/admin/drill-policies/${drillId}`)
      .auth(await as('dsj.admin'), { type: 'bearer' })
      .send({ description: '验收演练', values: drillValues });
    expect(off.status).toBe(422);
    expect(off.body.error.code).toBe('DRILLS_DISABLED');
    expect(await db.policyVersion.count({ where: { id: drillId } })).toBe(0);
    expect(
      (
        await put('dsj.reviewer', `/api/admin/drill-policies/${drillId}`, {
          description: '验收演练',
          values: drillValues,
        })
      ).status,
    ).toBe(403);
    const bad = await put('dsj.admin', `/api/admin/drill-policies/${drillId}`, {
      description: '验收演练',
      values: { tenderMinBidWindow: 'soon', noSuchKey: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('noSuchKey');
    expect(bad.body.error.message).toBe(
      '请求体有误：values：tenderMinBidWindow："soon" 不是政策期限，应形如 "20 days" 或 "3 working days"；noSuchKey：不是政策参数',
    );
    expect(bad.body.error.messageEn).toContain('noSuchKey: not a policy value');
    // A drill working day has a fixed length.
    const badDay = await put('dsj.admin', `/api/admin/drill-policies/${drillId}`, {
      description: '验收演练',
      values: { drillWorkingDay: '1 working day' },
    });
    expect(badDay.status).toBe(400);
    expect(badDay.body.error.message).toContain('drillWorkingDay');
    expect(badDay.body.error.details).toEqual([
      { path: 'values', message: 'drillWorkingDay：应为固定时长，如 "2 minutes"' },
    ]);
    const stored = await put('dsj.admin', `/api/admin/drill-policies/${drillId}`, {
      description: '验收演练',
      values: { ...drillValues, drillWorkingDay: '2 minutes' },
    });
    expect(stored.status).toBe(200);
    expect(stored.body.shortPeriods).toContain('drillWorkingDay');
    expect(stored.body).toMatchObject({ drill: true, description: expect.stringContaining('演练') });
    const viaEndpoint = await post('dsj.reviewer', '/api/tenders', plan({ drillPolicyVersionId: drillId }));
    expect(viaEndpoint.status).toBe(201);
    expect(viaEndpoint.body.tenderNo).toMatch(/^演练-/);
    expect(
      (await post('dsj.reviewer', `/api/tenders/${viaEndpoint.body.tenderNo}/cancel`, { reasons: '测试结束' })).status,
    ).toBe(200);
    const realPolicyId = `test-real-${newId()}`;
    await db.policyVersion.create({
      data: {
        id: realPolicyId,
        effectiveFrom: new Date(Date.now() - 1000),
        description: 'test only: a real policy version that tries a bid window in seconds',
        values: { tenderMinBidWindow: '8 seconds' },
      },
    });
    try {
      const notDrill = await post('dsj.reviewer', '/api/tenders', plan({ drillPolicyVersionId: realPolicyId }));
      expect(notDrill.status).toBe(400);
      expect(notDrill.body.error.code).toBe('VALIDATION_FAILED');
      const real = await post('dsj.reviewer', '/api/tenders', plan({ drillPolicyVersionId: undefined }));
      expect(real.status).toBe(201);
      expect(real.body).toMatchObject({ drill: false });
      expect(real.body.tenderNo).not.toContain('演练');
      expect(real.body.title).not.toContain('演练');
      // The seconds of a real policy version are ignored: the 20 days of 招标投标法 Art. 24 stand.
      const tooSoon = await post('dsj.reviewer', `/api/tenders/${real.body.tenderNo}/announce`, {
        bidDeadline: new Date(Date.now() + 60_000).toISOString(),
      });
      expect(tooSoon.status).toBe(422);
      expect(tooSoon.body.error.code).toBe('BID_WINDOW_TOO_SHORT');
      expect(tooSoon.body.error.messageEn).toContain('20 days');
      expect(
        (await post('dsj.reviewer', `/api/tenders/${real.body.tenderNo}/cancel`, { reasons: '测试结束' })).status,
      ).toBe(200);
    } finally {
      await db.policyVersion.deleteMany({ where: { id: { in: [realPolicyId, drillId] } } });
    }
  });
});
