/**
 * The conditional share in a real browser, acting as the three users: rsj.staff applies for
 * GAJ-001 from the catalogue, gaj.reviewer agrees, dsj.reviewer approves, gaj.reviewer and
 * rsj.staff confirm the agreement. And a refusal without reasons: the error beside the field,
 * nothing recorded.
 */
import { decide, inboxRow, openTask, reloadUntilVisible, screenshot, startWebHarness, WebHarness } from './harness';
import { uniqueSuffix } from '../support/env';

/** A deadline as the pages show it: Shanghai time, `YYYY/MM/DD HH:mm`, midnight as 24:00 of the day before. */
function shanghai(at: Date): string {
  const d = new Date(at.getTime() + 8 * 3_600_000);
  const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0;
  const day = midnight ? new Date(d.getTime() - 86_400_000) : d;
  const p = (n: number) => String(n).padStart(2, '0');
  const time = midnight ? '24:00' : `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  return `${day.getUTCFullYear()}/${p(day.getUTCMonth() + 1)}/${p(day.getUTCDate())} ${time}`;
}

describe('web app: the conditional share in Chromium', () => {
  let web: WebHarness;

  beforeAll(async () => {
    web = await startWebHarness();
  });
  afterAll(async () => {
    await web?.close();
  });

  it('rsj.staff applies for GAJ-001, gaj.reviewer agrees, dsj.reviewer approves, both confirm the agreement', async () => {
    // The applicant: the catalogue, the application form, the case page.
    const staff = await web.signIn('rsj.staff');
    await staff.getByRole('link', { name: '资源目录与共享申请' }).click();
    await staff.getByRole('checkbox', { name: /^选择 GAJ-001 / }).check();
    await staff.getByLabel('用途').fill('核验社会保险待遇领取人员户籍状态');
    await staff.getByLabel('法定职责依据').fill('《社会保险法》第八十一条');
    await staff.getByLabel('申请字段').fill('姓名、公民身份号码');
    await screenshot(staff, 'share-01-catalogue-form');
    await staff.getByRole('button', { name: '提交申请' }).click();
    await staff.locator('#application-status').waitFor();
    const no = decodeURIComponent(new URL(staff.url()).hash.replace('#/applications/', ''));
    const submitted = await web.db.application.findUniqueOrThrow({ where: { applicationNo: no } });
    expect(submitted).toMatchObject({ procedure: 'CONDITIONAL_SHARE', applicantDeptId: 'rsj', usePeriodDays: 90 });
    expect(submitted.fieldsRequested).toEqual(['姓名', '公民身份号码']);
    await screenshot(staff, 'share-02-application');

    // The provider: the inbox with the deadline in Shanghai time (the browser itself is on UTC), claim, the task page.
    const provider = await web.signIn('gaj.reviewer');
    const row = inboxRow(provider, no, 'PROVIDER_REPLY');
    await reloadUntilVisible(provider, `#/inbox?no=${encodeURIComponent(no)}`, row);
    const reply = await web.db.task.findFirstOrThrow({
      where: { application: { applicationNo: no }, step: 'PROVIDER_REPLY' },
    });
    expect(await row.textContent()).toContain(shanghai(reply.dueAt!));
    await row.getByRole('button', { name: `认领 ${no}` }).click();
    await row.getByRole('button', { name: `退回 ${no}` }).waitFor();
    expect((await web.db.task.findUniqueOrThrow({ where: { id: reply.id } })).status).toBe('CLAIMED');
    await screenshot(provider, 'share-03-inbox-provider');
    await row.getByRole('link').click();
    await provider.getByRole('heading', { name: '作出决定' }).waitFor();
    const resource = await web.db.dataResource.findUniqueOrThrow({ where: { code: 'GAJ-001' } });
    const resourceRow = provider.getByRole('row').filter({ hasText: 'GAJ-001' });
    expect(await resourceRow.textContent()).toContain('有条件共享');
    expect(await resourceRow.textContent()).toContain(resource.shareLegalBasis!);
    expect(await provider.locator('main').textContent()).toContain('核验社会保险待遇领取人员户籍状态');
    await screenshot(provider, 'share-04-task-provider');
    await decide(provider, '同意', '同意共享');

    // The data authority approves.
    const authority = await web.signIn('dsj.reviewer');
    await openTask(authority, no, 'AUTHORITY_REVIEW');
    // What the provider decided is on the authority's task page.
    await authority
      .getByRole('region', { name: '此前的决定' })
      .getByText(/提供部门答复：同意/)
      .waitFor();
    await screenshot(authority, 'share-05-task-authority');
    await decide(authority, '批准', '符合法定职责');

    // Both parties confirm the agreement (inbox tasks of each).
    await openTask(provider, no, 'AGREEMENT_CONFIRM');
    await decide(provider, '确认协议');
    await openTask(staff, no, 'AGREEMENT_CONFIRM');
    await screenshot(staff, 'share-06-agreement-confirm');
    await decide(staff, '确认协议');

    // The applicant's case page: approved, with the timeline.
    await reloadUntilVisible(
      staff,
      `#/applications/${encodeURIComponent(no)}`,
      staff.locator('#application-status', { hasText: '已批准' }),
    );
    const timeline = staff.locator('ol.timeline li');
    expect(await timeline.count()).toBeGreaterThanOrEqual(5);
    await screenshot(staff, 'share-07-approved');

    const approved = await web.db.application.findUniqueOrThrow({
      where: { applicationNo: no },
      include: { grants: true, tasks: { orderBy: { createdAt: 'asc' } } },
    });
    expect(approved.status).toBe('APPROVED');
    expect(approved.grants.map((g) => g.status)).toEqual(['ACTIVE']);
    expect(approved.tasks.map((t) => [t.step, t.decision, t.completedById !== null])).toEqual(
      expect.arrayContaining([
        ['PROVIDER_REPLY', 'AGREE', true],
        ['AUTHORITY_REVIEW', 'APPROVE', true],
        ['AGREEMENT_CONFIRM', 'CONFIRM', true],
        ['AGREEMENT_CONFIRM', 'CONFIRM', true],
      ]),
    );
    expect(web.pageErrors).toEqual([]);
    expect(web.foreignRequests).toEqual([]);
  });

  it('a refusal without reasons shows the error beside the reasons field and changes nothing; with reasons it is recorded', async () => {
    const submitted = await web.apiAs('rsj.staff', 'POST', '/api/applications', {
      idempotencyKey: `web-${uniqueSuffix()}`,
      resourceCodes: ['GAJ-001'],
      purpose: '核验失业保险金领取人员户籍状态',
      legalDuty: '《社会保险法》第八十一条',
      fieldsRequested: ['姓名'],
    });
    expect(submitted.status).toBe(201);
    const no = submitted.body.applicationNo as string;

    const provider = await web.signIn('gaj.reviewer');
    await openTask(provider, no, 'PROVIDER_REPLY');
    // Keyboard only: choose 不同意 with Space, submit with Enter.
    await provider.getByRole('radio', { name: '不同意' }).focus();
    await provider.keyboard.press('Space');
    await provider.getByRole('button', { name: '提交决定' }).focus();
    await provider.keyboard.press('Enter');

    const reasons = provider.getByLabel('理由');
    // The error is the field's own description (aria-describedby), right below it.
    const errorId = (await reasons.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'));
    await provider.locator(`#${errorId}`).getByText('请填写理由').waitFor();
    expect(await reasons.getAttribute('aria-invalid')).toBe('true');
    expect(await reasons.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await screenshot(provider, 'refusal-01-reasons-required');

    const task = await web.db.task.findFirstOrThrow({
      where: { application: { applicationNo: no }, step: 'PROVIDER_REPLY' },
    });
    expect(task).toMatchObject({
      status: 'OPEN',
      decision: null,
      reasons: null,
      completedAt: null,
      pendingDecision: null,
    });
    expect((await web.db.application.findUniqueOrThrow({ where: { applicationNo: no } })).status).toBe(
      'PROVIDER_REVIEW',
    );
    const audit = await web.db.auditLog.findMany({ where: { entityType: 'Task', entityId: task.id } });
    expect(audit.map((a) => a.action)).toEqual(['TASK_CREATED']);

    // The same form with reasons: the error goes, the refusal is recorded.
    await reasons.fill('申请用途与法定职责不符');
    await provider.getByRole('button', { name: '提交决定' }).click();
    await provider.getByText('已提交决定：不同意').waitFor();
    expect(await reasons.getAttribute('aria-invalid')).toBeNull();
    const decided = await web.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(decided).toMatchObject({ status: 'DONE', decision: 'REFUSE', reasons: '申请用途与法定职责不符' });
    await screenshot(provider, 'refusal-02-recorded');
    expect(web.pageErrors).toEqual([]);
    expect(web.foreignRequests).toEqual([]);
  });
  it('rsj.staff answers a 补正 request in the inbox, then withdraws the application from its case page', async () => {
    const submitted = await web.apiAs('rsj.staff', 'POST', '/api/applications', {
      idempotencyKey: `web-${uniqueSuffix()}`,
      resourceCodes: ['GAJ-001'],
      purpose: '核验工伤保险待遇领取人员户籍状态',
      legalDuty: '《社会保险法》',
      fieldsRequested: ['姓名'],
    });
    expect(submitted.status).toBe(201);
    const no = submitted.body.applicationNo as string;

    const provider = await web.signIn('gaj.reviewer');
    await openTask(provider, no, 'PROVIDER_REPLY');
    await provider.getByRole('radio', { name: '要求补正', exact: true }).check();
    await provider.getByLabel('理由').fill('请写明法定职责依据的具体条款');
    await provider.getByRole('button', { name: '提交决定' }).click();
    await provider.getByText('已提交决定：要求补正').waitFor();

    const staff = await web.signIn('rsj.staff');
    await openTask(staff, no, 'SUPPLEMENT');
    expect(await staff.locator('main').textContent()).toContain('待补正');
    await screenshot(staff, 'supplement-01-task');
    await decide(staff, '提交补正', '依据《社会保险法》第八十一条');

    // Back with the provider (second round), then withdrawn by the applicant.
    await reloadUntilVisible(
      provider,
      `#/inbox?no=${encodeURIComponent(no)}`,
      inboxRow(provider, no, 'PROVIDER_REPLY'),
    );
    await staff.goto(`${web.base}/web/#/applications/${encodeURIComponent(no)}`);
    await staff.getByLabel('撤回原因').fill('需求已由其他渠道满足');
    await staff.getByRole('button', { name: '撤回申请' }).click();
    await staff.locator('#application-status', { hasText: '已撤回' }).waitFor();
    await screenshot(staff, 'supplement-02-withdrawn');
    const withdrawn = await web.db.application.findUniqueOrThrow({
      where: { applicationNo: no },
      include: { tasks: true },
    });
    expect(withdrawn.status).toBe('WITHDRAWN');
    expect(withdrawn.tasks.find((t) => t.step === 'SUPPLEMENT')).toMatchObject({
      status: 'DONE',
      decision: 'SUPPLEMENT',
    });
    expect(web.pageErrors).toEqual([]);
    expect(web.foreignRequests).toEqual([]);
  });
});
