/**
 * The public and supervisors' pages in a real browser: a citizen files an objection from the open
 * catalogue and sees the dispute mark once the data authority has marked the entry; a supervisor
 * sees an overdue case on the board (made overdue by data: the task row's deadline is moved into
 * the past) and the department evaluation with its charts.
 */
import { testResource } from '../support/objections';
import { eventually, uniqueSuffix } from '../support/env';
import { decide, inboxRow, openTask, reloadUntilVisible, screenshot, startWebHarness, WebHarness } from './harness';

describe('web app: public objections and supervision in Chromium', () => {
  let web: WebHarness;

  beforeAll(async () => {
    web = await startWebHarness();
  });
  afterAll(async () => {
    await web?.close();
  });

  it('citizen.zhang files an objection from the open catalogue, sees the dispute mark, then withdraws it', async () => {
    const resource = await testResource(web.db, 'zrzyj', 'UNCONDITIONAL');
    const citizen = await web.signIn('citizen.zhang');
    const row = citizen.locator(`tr[data-code="${resource.code}"]`);
    await reloadUntilVisible(citizen, `#/open?q=${encodeURIComponent(resource.code)}`, row);
    expect(await row.locator('.badge.disputed').count()).toBe(0);
    await screenshot(citizen, 'objection-01-open-catalogue');

    await row.getByRole('link', { name: `对 ${resource.code} 提出异议` }).click();
    expect(await citizen.getByLabel('数据资源编码').inputValue()).toBe(resource.code);
    await citizen.getByLabel('异议类型').selectOption('ERROR');
    await citizen.getByLabel('事实与理由').fill('目录中该数据的名称与实际登记不一致');
    await citizen.getByLabel('更正请求').fill('按登记信息更正名称');
    await screenshot(citizen, 'objection-02-form');
    await citizen.getByRole('button', { name: '提交异议' }).click();
    const notice = citizen.getByText(/^异议已提交，编号 /);
    await notice.waitFor();
    const objectionNo = (await notice.textContent())!.replace(/^异议已提交，编号 /, '').trim();
    const filed = await web.db.objection.findUniqueOrThrow({ where: { objectionNo } });
    expect(filed).toMatchObject({ kind: 'ERROR', facts: '目录中该数据的名称与实际登记不一致' });

    // The data authority marks the entry disputed (an inbox task of its own).
    const authority = await web.signIn('dsj.reviewer');
    await openTask(authority, objectionNo, 'MARK_DISPUTED');
    await decide(authority, '作出异议标注');

    // The citizen sees the mark in the open catalogue, and the objection among theirs.
    await reloadUntilVisible(
      citizen,
      `#/open?q=${encodeURIComponent(resource.code)}`,
      row.locator('.badge.disputed', { hasText: '存在异议' }),
    );
    await screenshot(citizen, 'objection-03-dispute-mark');
    expect(await web.db.disputeMark.count({ where: { resourceId: resource.id, clearedAt: null } })).toBe(1);
    await citizen.getByRole('link', { name: '数据异议' }).click();
    const mine = citizen.getByRole('row').filter({ hasText: objectionNo });
    await mine.waitFor();
    await screenshot(citizen, 'objection-04-mine');

    // Before a decision on the correction the citizen may withdraw it: closed, the mark gone.
    await mine.getByRole('button', { name: `撤回异议 ${objectionNo}` }).click();
    await mine.locator('.objection-status', { hasText: '已撤回' }).waitFor();
    expect(await mine.getByRole('button').count()).toBe(0);
    await screenshot(citizen, 'objection-05-withdrawn');
    expect(await web.db.objection.findUniqueOrThrow({ where: { objectionNo } })).toMatchObject({
      status: 'CLOSED',
      outcome: 'WITHDRAWN',
    });
    expect(await web.db.disputeMark.count({ where: { resourceId: resource.id, clearedAt: null } })).toBe(0);
    expect(web.pageErrors).toEqual([]);
    expect(web.foreignRequests).toEqual([]);
  });

  it('dsj.supervisor sees an overdue case on the board with its steps and the Temporal link, and the evaluation charts', async () => {
    const submitted = await web.apiAs('rsj.staff', 'POST', '/api/applications', {
      idempotencyKey: `web-${uniqueSuffix()}`,
      resourceCodes: ['GAJ-001'],
      purpose: '核验养老保险待遇领取资格',
      legalDuty: '《社会保险法》第八十一条',
      fieldsRequested: ['姓名'],
    });
    expect(submitted.status).toBe(201);
    const no = submitted.body.applicationNo as string;
    const task = await eventually(
      () => web.db.task.findFirst({ where: { application: { applicationNo: no }, step: 'PROVIDER_REPLY' } }),
      `the PROVIDER_REPLY task of ${no}`,
    );
    // Overdue by data: the deadline three days ago, on a provisional calendar year.
    const day = 86_400_000;
    await web.db.task.update({
      where: { id: task.id },
      data: {
        dueAt: new Date(Date.now() - 3 * day),
        warningAt: new Date(Date.now() - 4 * day),
        overdue: true,
        deadlineProvisional: true,
      },
    });

    // The provider's inbox marks it red (overdue) and provisional.
    const provider = await web.signIn('gaj.reviewer');
    const inbox = inboxRow(provider, no, 'PROVIDER_REPLY');
    await reloadUntilVisible(provider, `#/inbox?overdue=true&no=${encodeURIComponent(no)}`, inbox);
    expect(await inbox.getAttribute('class')).toBe('overdue');
    await inbox.locator('.badge.overdue', { hasText: '已超期' }).waitFor();
    await inbox.locator('.badge.provisional', { hasText: '暂定期限' }).waitFor();
    await screenshot(provider, 'supervision-01-inbox-overdue');

    const supervisor = await web.signIn('dsj.supervisor');
    const row = supervisor.locator(`tr[data-case="${no}"]`);
    await reloadUntilVisible(supervisor, '#/supervision?overdue=true', row);
    await row.locator('.badge.overdue', { hasText: '已超期' }).waitFor();
    expect(await row.textContent()).toContain('市公安局');
    const link = row.getByRole('link', { name: `在 Temporal 中查看 ${no}` });
    expect(await link.getAttribute('href')).toContain(encodeURIComponent(`conditional-share/${no}`));
    // The chart of overdue cases by department has a bar for gaj.
    await supervisor.locator('figure.chart svg').first().getByText('市公安局').waitFor();
    await row.getByRole('button', { name: no }).click();
    const steps = supervisor.getByRole('table').filter({ hasText: `案件 ${no} 的各环节` });
    await steps.getByRole('row').filter({ hasText: '提供部门答复' }).locator('.badge.overdue').waitFor();
    await screenshot(supervisor, 'supervision-02-board');

    await supervisor.getByRole('link', { name: '部门评价' }).click();
    await supervisor.getByRole('table').filter({ hasText: '各部门评价指标' }).waitFor();
    expect(await supervisor.locator('figure.chart').count()).toBe(2);
    await supervisor.locator('figure.chart svg[role="img"]').first().waitFor();
    await screenshot(supervisor, 'supervision-03-evaluation');
    expect(web.pageErrors).toEqual([]);
    expect(web.foreignRequests).toEqual([]);
  });
});
