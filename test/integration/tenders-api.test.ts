/**
 * The commercial tender end to end over HTTP with real Postgres, the Temporal dev server, a real
 * worker and MailDev. On the dev server time is real, so this file inserts a test-only policy
 * version (PolicyVersion, effective now) that shortens the minimum bid window and the publicity
 * period to seconds — the way policy changes without code — and removes it afterwards. The
 * tender itself states an explicit bid deadline, validated against that minimum.
 */
import request from 'supertest';
import type { Express } from 'express';
import type { Db } from '../../lib/db';
import { newId } from '../../lib/ids';
import { createLogger } from '../../lib/logger';
import { createTransport, MailTemplates } from '../../lib/mailer';
import { dispatchOutboxOnce } from '../../lib/outbox';
import { eventually, receivedMail, testApp, testDb, uniqueSuffix } from '../support/env';
import { BIDDERS, bidBody, EVALUATORS, TENDER_CRITERIA } from '../support/tenders';
import { startTestWorker, TestWorker } from '../support/worker';

const SECRET_PLAN = '隐私计算平台';

describe('commercial tender over HTTP (real Postgres, Temporal, SMTP)', () => {
  let db: Db;
  let app: Express;
  let worker: TestWorker;
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
    evaluators: EVALUATORS.map((login) => ({ login, declaredAffiliations: [] })),
    ...overrides,
  });

  beforeAll(async () => {
    db = testDb();
    await db.policyVersion.create({
      data: {
        id: policyId,
        effectiveFrom: new Date(Date.now() - 2000),
        description: 'test only: tender periods in seconds for a real-time API test',
        values: { tenderMinBidWindow: '8 seconds', tenderPublicityPeriod: '3 seconds' },
      },
    });
    worker = await startTestWorker(db);
    ({ app } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue }));
  });
  afterAll(async () => {
    await db?.policyVersion.deleteMany({ where: { id: policyId } });
    await worker?.stop();
    await db?.$disconnect();
  });

  it('accepts only CONDITIONAL-open resources, and only from the data authority', async () => {
    const open = await post('dsj.reviewer', '/api/tenders', plan({ resourceCodes: ['SCJG-004', 'GAJ-003'] }));
    expect(open.status).toBe(422);
    expect(open.body.error.code).toBe('RESOURCE_CLASS_MISMATCH');
    expect(open.body.error.message).toContain('GAJ-003 is UNCONDITIONAL');
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
    expect(weights.body.error.message).toContain('not 100');
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

  it('three companies bid, sealed until opening; a late bid is refused; evaluators score; the winner is published, confirms and is authorised', async () => {
    const created = await post('dsj.reviewer', '/api/tenders', plan());
    expect(created.status).toBe(201);
    const no: string = created.body.tenderNo;
    expect(created.body.status).toBe('DRAFT');
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
    const list = await request(app).get('/api/tenders?status=ANNOUNCED&pageSize=200').expect(200);
    expect(list.body.items.find((t: { tenderNo: string }) => t.tenderNo === no).bidDeadline).toBe(
      deadline.toISOString(),
    );

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
      expect(res.body.sealed).toBe(true);
    }
    const receipt = await get(BIDDERS.hengxin, `/api/tenders/${no}/bid`);
    expect(receipt.body).toMatchObject({ version: 2, sealed: true });
    expect(JSON.stringify(receipt.body)).not.toContain(SECRET_PLAN);

    // Sealed: no API returns a bid's contents (or even the number of bids) before opening, not to the authority either.
    for (const login of ['dsj.admin', 'dsj.evaluator1']) {
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
    expect(late.body.error.message).toContain('deadline');

    // Opening by the workflow's timer; the committee now reads the bids.
    await eventually(
      async () => (await request(app).get(`/api/tenders/${no}`)).body.status === 'EVALUATION',
      'the opening',
    );
    const opened = await get('dsj.evaluator1', `/api/tenders/${no}/bids`);
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
      const res = await get('dsj.evaluator2', '/api/inbox?step=SCORE_BIDS&limit=100');
      const mine = res.body.items.filter((t: { subjectRef: string; title: string }) => t.title.includes(no));
      return mine.length === 3 && mine;
    }, 'three scoring tasks in the inbox');
    expect(inbox.map((t: { subjectRef: string }) => t.subjectRef).sort()).toEqual([
      'u-dsj.evaluator1',
      'u-dsj.evaluator2',
      'u-dsj.evaluator3',
    ]);
    const partial = await post('dsj.evaluator1', `/api/tenders/${no}/scores`, { scores: sheet.slice(0, 2) });
    expect(partial.status).toBe(400);
    expect(partial.body.error.code).toBe('VALIDATION_FAILED');
    expect((await post('dsj.reviewer', `/api/tenders/${no}/scores`, { scores: sheet })).status).toBe(403);
    for (const login of EVALUATORS)
      expect((await post(login, `/api/tenders/${no}/scores`, { scores: sheet })).status).toBe(200);

    // Publicity of the ranking, then award after the (test-short) publicity period.
    const published = await eventually(async () => {
      const res = await request(app).get(`/api/tenders/${no}`);
      return ['PUBLICITY', 'AWARDED'].includes(res.body.status) && res.body;
    }, 'the publicity');
    const ranked = [...published.bids].sort((a: { rank: number }, b: { rank: number }) => a.rank - b.rank);
    expect(ranked.map((b: { bidderId: string }) => b.bidderId)).toEqual(['pa-hengxin', 'pa-huarui', 'pa-zhiyun']);
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
    const register = await request(app).get('/api/authorizations/register').expect(200);
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

    // The follow-up runs on the dev server until its term; end it with the authority's revocation.
    const revoked = await post('dsj.reviewer', `/api/authorizations/${authorizationNo}/revoke`, {
      reasons: '测试结束：撤销授权',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('REVOKED');
  });
});
