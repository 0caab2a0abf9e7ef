// 政务数据审批系统: the pages, one hash route each (#/inbox, #/tasks/<id>, …), drawn from the JSON API.
import { api, ApiError, devLogin, get, getAll, logout, post, session } from './api.js';
import { barChart } from './charts.js';
import { clearFieldError, deadline, field, h, showFieldError, table, timeEl, when } from './dom.js';
import { label, options } from './labels.js';

const main = document.getElementById('main');
let me = null;

const has = (...roles) => !!me && roles.some((r) => me.roles.includes(r));
const isSupervisor = () => has('SUPERVISOR', 'AUTHORITY_REVIEWER');
const isStaffAccount = () => !!me?.departmentId;

function navLinks() {
  if (!me) return [['#/login', '登录']];
  const links = [];
  if (isStaffAccount()) links.push(['#/inbox', '待办任务']);
  if (has('DEPT_STAFF')) links.push(['#/catalog', '资源目录与共享申请'], ['#/applications', '我的申请']);
  links.push(['#/open', '开放数据目录'], ['#/objections', '数据异议']);
  if (has('PUBLIC_APPLICANT')) links.push(['#/open-applications', '有条件开放申请']);
  if (isSupervisor()) links.push(['#/supervision', '督办看板'], ['#/evaluation', '部门评价']);
  return links;
}

function renderChrome() {
  const nav = document.getElementById('nav');
  const here = location.hash.split('?')[0] || '#/';
  nav.replaceChildren(
    ...navLinks().map(([href, text]) =>
      h('a', { href, 'aria-current': here.startsWith(href) ? 'page' : undefined }, text),
    ),
  );
  const who = document.getElementById('who');
  who.replaceChildren(
    ...(me
      ? [
          h('span', {}, `${me.displayName ?? me.login}（${me.login}）`),
          h(
            'button',
            {
              class: 'secondary',
              type: 'button',
              onclick: async () => {
                await logout().catch(() => {});
                me = null;
                location.hash = '#/login';
              },
            },
            '退出',
          ),
        ]
      : []),
  );
}

function page(title, ...content) {
  document.title = `${title} - 政务数据审批系统`;
  main.replaceChildren(h('h1', {}, title), ...content);
  main.focus({ preventScroll: true });
}

function alertBox(err) {
  const text = err instanceof ApiError ? `${err.message}（${err.code}）` : String(err?.message ?? err);
  return h('div', { class: 'alert', role: 'alert' }, text);
}

/** Marks for a deadline: red when overdue, yellow after the warning time, and a provisional-calendar mark. */
function deadlineMarks(t, now = Date.now()) {
  const marks = [];
  const open = t.status === 'OPEN' || t.status === 'CLAIMED' || t.status === undefined;
  if (open && (t.overdue || (t.dueAt && Date.parse(t.dueAt) < now)))
    marks.push(h('span', { class: 'badge overdue' }, '已超期'));
  else if (open && t.warningAt && Date.parse(t.warningAt) <= now)
    marks.push(h('span', { class: 'badge warning' }, '即将到期'));
  if (t.deadlineProvisional)
    marks.push(
      h('span', { class: 'badge provisional', title: '按暂定工作日历计算，正式日历公布后可能调整' }, '暂定期限'),
    );
  return marks;
}

function rowClass(t) {
  if (t.overdue || (t.dueAt && Date.parse(t.dueAt) < Date.now())) return 'overdue';
  if (t.warningAt && Date.parse(t.warningAt) <= Date.now()) return 'warning';
  return undefined;
}

function selectOf(name, entries, value, blank) {
  return h(
    'select',
    { name },
    blank ? h('option', { value: '' }, blank) : null,
    entries.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
}

function query() {
  return new URLSearchParams(location.hash.split('?')[1] ?? '');
}

function newKey() {
  return crypto.randomUUID();
}

// ---------------------------------------------------------------- sign-in

async function loginPage() {
  const config = await get('/web/config.json');
  const parts = [];
  if (config.devLogins) {
    const pick = field(
      '用户',
      selectOf(
        'login',
        config.devLogins.map((u) => [
          u.login,
          `${u.displayName}（${u.login}${u.department ? '，' + u.department : ''}）`,
        ]),
      ),
    );
    const status = h('div', { role: 'status' });
    parts.push(
      h(
        'form',
        {
          class: 'card',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              await devLogin(pick.control.value);
              me = await session();
              location.hash = landing();
            } catch (err) {
              status.replaceChildren(alertBox(err));
            }
          },
        },
        h('h2', {}, '开发环境：选择预置用户登录'),
        pick.wrap,
        h('button', { type: 'submit' }, '登录'),
        status,
      ),
    );
  }
  if (config.oidc)
    parts.push(h('p', { class: 'card' }, h('a', { class: 'button', href: '/api/auth/login' }, '统一身份认证登录')));
  if (!parts.length) parts.push(h('p', {}, '本环境未配置登录方式。'));
  page('登录', ...parts);
}

function landing() {
  if (has('SUPERVISOR')) return '#/supervision';
  if (has('PUBLIC_APPLICANT')) return '#/open';
  return '#/inbox';
}

// ---------------------------------------------------------------- inbox

async function inboxPage() {
  const q = query();
  const filters = h(
    'form',
    {
      class: 'filters card',
      'aria-label': '筛选',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new URLSearchParams();
        for (const [k, v] of new FormData(e.target)) if (v) data.set(k, String(v));
        location.hash = `#/inbox?${data}`;
      },
    },
    field(
      '状态',
      selectOf(
        'status',
        [
          ['open', '待办'],
          ['claimed', '我认领的'],
          ['done', '已办'],
        ],
        q.get('status') ?? 'open',
      ),
    ).wrap,
    field('事项', selectOf('procedure', options('procedure'), q.get('procedure'), '全部')).wrap,
    field('环节', selectOf('step', options('step'), q.get('step'), '全部')).wrap,
    field(
      '是否超期',
      selectOf(
        'overdue',
        [
          ['true', '仅超期'],
          ['false', '未超期'],
        ],
        q.get('overdue'),
        '全部',
      ),
    ).wrap,
    field('案件编号', h('input', { type: 'text', name: 'no', value: q.get('no') ?? '' })).wrap,
    h('button', { type: 'submit' }, '筛选'),
  );
  const params = new URLSearchParams({ limit: '100', sort: 'due' });
  for (const k of ['status', 'procedure', 'step', 'overdue']) if (q.get(k)) params.set(k, q.get(k));
  // The case number is filtered by the API (application, objection, incident or tender number).
  if (q.get('no')?.trim()) params.set('caseNo', q.get('no').trim());
  const status = h('div', { role: 'status' });
  let items;
  try {
    items = (await get(`/api/inbox?${params}`)).items;
  } catch (err) {
    return page('待办任务', filters, alertBox(err));
  }
  const rows = items.map((t) => {
    const caseNo = t.application?.applicationNo ?? t.subjectRef ?? '—';
    const action =
      t.status === 'OPEN'
        ? h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => claim(t.id, 'claim'), 'aria-label': `认领 ${caseNo}` },
            '认领',
          )
        : t.status === 'CLAIMED'
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => claim(t.id, 'unclaim'),
                'aria-label': `退回 ${caseNo}`,
              },
              '退回',
            )
          : null;
    return h(
      'tr',
      { class: rowClass(t), 'data-case': caseNo, 'data-step': t.step },
      h('td', {}, caseNo),
      h('td', {}, label('procedure', t.procedure)),
      h('td', {}, h('a', { href: `#/tasks/${t.id}` }, t.title || label('step', t.step))),
      h('td', {}, label('step', t.step)),
      h('td', {}, timeEl(t.dueAt, { isDeadline: true }), ...deadlineMarks(t)),
      h('td', {}, label('status', t.status), t.decision ? `：${label('decision', t.decision)}` : ''),
      h('td', {}, action),
    );
  });
  async function claim(id, what) {
    try {
      await post(`/api/tasks/${id}/${what}`);
      await render();
    } catch (err) {
      status.replaceChildren(alertBox(err));
    }
  }
  page(
    '待办任务',
    filters,
    status,
    table(
      `共 ${items.length} 项，办理期限为北京时间（Asia/Shanghai）`,
      ['案件编号', '事项', '任务', '环节', '办理期限', '状态', '操作'],
      rows,
      { empty: '暂无任务' },
    ),
  );
}

// ---------------------------------------------------------------- task

function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function timeline(events) {
  if (!events?.length) return h('p', {}, '暂无记录');
  return h(
    'ol',
    { class: 'timeline' },
    events.map((e) => h('li', {}, timeEl(e.at), h('strong', {}, label('status', e.kind)), ' ', e.message ?? '')),
  );
}

function resourcesTable(resources) {
  return table(
    '申请的数据资源',
    ['编码', '名称', '共享类别', '开放类别', '共享依据'],
    resources.map((r) =>
      h(
        'tr',
        {},
        h('td', {}, r.code),
        h('td', {}, r.name ?? '', r.disputeMarks?.length ? h('span', { class: 'badge disputed' }, '存在异议') : null),
        h('td', {}, label('shareClass', r.shareClass)),
        h('td', {}, label('openClass', r.openClass)),
        h('td', {}, r.shareLegalBasis ?? '—'),
      ),
    ),
  );
}

async function taskPage(id) {
  let task;
  try {
    task = await get(`/api/tasks/${encodeURIComponent(id)}`);
  } catch (err) {
    return page('任务', alertBox(err));
  }
  const app = task.application;
  const caseNo = app?.applicationNo ?? task.subjectRef;
  const sections = [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'task-h' },
      h('h2', { id: 'task-h' }, '任务'),
      facts([
        ['案件编号', caseNo],
        ['事项', label('procedure', task.procedure)],
        ['环节', label('step', task.step)],
        ['状态', label('status', task.status)],
        ['办理期限', h('span', {}, timeEl(task.dueAt, { isDeadline: true }), ...deadlineMarks(task))],
        ['已作决定', task.decision ? label('decision', task.decision) : null],
        ['理由', task.reasons],
        ['意见', task.comment],
      ]),
    ),
  ];
  if (app) {
    sections.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'app-h' },
        h('h2', { id: 'app-h' }, '申请'),
        facts([
          ['申请编号', app.applicationNo],
          ['申请部门', app.applicantDept?.name],
          ['申请状态', label('status', app.status)],
          ['提交时间', app.submittedAt ? when(app.submittedAt) : null],
          ['用途', app.purpose],
          ['法定职责依据', app.legalDuty],
          ['申请字段', app.fieldsRequested?.join('、')],
          ['使用期限', app.usePeriodDays ? `${app.usePeriodDays} 天` : null],
          ['获取方式', app.accessMode ? label('accessMode', app.accessMode) : null],
          ['应用场景', app.scenario],
          ['安全保障措施', app.securityMeasures],
        ]),
        app.resources?.length ? resourcesTable(app.resources.map((r) => r.resource ?? r)) : null,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'tl-h' },
        h('h2', { id: 'tl-h' }, '办理过程'),
        timeline(app.timeline ?? app.events),
      ),
    );
  }
  const earlier = (task.history ?? []).filter((a) => a.action !== 'TASK_CREATED');
  sections.push(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'hist-h' },
      h('h2', { id: 'hist-h' }, '本任务记录'),
      earlier.length
        ? h(
            'ol',
            { class: 'timeline' },
            earlier.map((a) =>
              h(
                'li',
                {},
                timeEl(a.at),
                h('strong', {}, a.action),
                ' ',
                a.details?.decision ? label('decision', a.details.decision) : '',
              ),
            ),
          )
        : h('p', {}, '暂无'),
    ),
  );
  if (app) {
    // Earlier decisions on the same case: the application's other tasks, when this account may read it.
    const full = await get(`/api/applications/${encodeURIComponent(app.applicationNo)}`).catch(() => null);
    const decided = (full?.tasks ?? []).filter((t) => t.decision && t.id !== task.id);
    if (decided.length)
      sections.push(
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'dec-h' },
          h('h2', { id: 'dec-h' }, '此前的决定'),
          h(
            'ul',
            {},
            decided.map((t) =>
              h(
                'li',
                {},
                `${label('step', t.step)}：${label('decision', t.decision)}`,
                t.completedAt ? `（${when(t.completedAt)}）` : '',
                t.reasons ? ` 理由：${t.reasons}` : '',
              ),
            ),
          ),
        ),
      );
  }
  if (task.status === 'OPEN' || task.status === 'CLAIMED') sections.push(decisionForm(task));
  page(`${label('step', task.step)}：${caseNo}`, ...sections);
}

function decisionForm(task) {
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const decisionError = h('p', { class: 'error', id: 'decision-error', 'aria-live': 'polite' });
  const radios = task.allowedDecisions.map((d, i) =>
    h(
      'label',
      {},
      h('input', {
        type: 'radio',
        name: 'decision',
        value: d,
        required: true,
        checked: i === 0 && task.allowedDecisions.length === 1,
      }),
      ' ',
      label('decision', d),
    ),
  );
  const reasons = field('理由', h('textarea', { name: 'reasons', rows: 3 }), {
    hint: '不同意、不予批准等决定须写明理由',
  });
  const comment = field('意见', h('textarea', { name: 'comment', rows: 2 }));
  const fields = { reasons, comment };
  const fieldset = h(
    'fieldset',
    { 'aria-describedby': 'decision-error' },
    h('legend', {}, '决定'),
    radios,
    decisionError,
  );
  const claimButton =
    task.status === 'OPEN'
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: async () => {
              try {
                await post(`/api/tasks/${task.id}/claim`);
                await render();
              } catch (err) {
                status.replaceChildren(alertBox(err));
              }
            },
          },
          '认领',
        )
      : h('span', { class: 'badge ok' }, '已认领');
  const form = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'form-h',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const data = new FormData(form);
        clearFieldError(reasons);
        clearFieldError(comment);
        decisionError.textContent = '';
        status.replaceChildren();
        const decision = data.get('decision');
        if (!decision) {
          decisionError.textContent = '请选择决定';
          return;
        }
        const body = { decision };
        for (const k of ['reasons', 'comment']) {
          const v = String(data.get(k) ?? '').trim();
          if (v) body[k] = v;
        }
        const button = form.querySelector('button[type=submit]');
        button.disabled = true;
        try {
          const answer = await post(`/api/tasks/${task.id}/complete`, body);
          const state = answer.application?.status ?? answer.status;
          status.replaceChildren(
            h(
              'p',
              { class: 'notice' },
              `已提交决定：${label('decision', decision)}`,
              state ? `；案件状态：${label('status', state)}` : '',
            ),
          );
          form.querySelectorAll('input, textarea, button').forEach((el) => (el.disabled = true));
        } catch (err) {
          button.disabled = false;
          showDecisionError(err);
        }
      },
    },
    h('h2', { id: 'form-h' }, '作出决定'),
    h('p', {}, claimButton),
    fieldset,
    reasons.wrap,
    comment.wrap,
    h('button', { type: 'submit' }, '提交决定'),
    status,
  );
  function showDecisionError(err) {
    if (!(err instanceof ApiError)) return status.replaceChildren(alertBox(err));
    let placed = false;
    if (err.code === 'REASONS_REQUIRED') {
      showFieldError(reasons, '请填写理由：此决定须说明理由');
      reasons.control.focus();
      placed = true;
    }
    for (const d of err.details) {
      const f = fields[String(d.path).replace(/^body\.?/, '')];
      if (f) {
        showFieldError(f, d.message);
        placed = true;
      }
    }
    if (err.code === 'DECISION_NOT_ALLOWED') {
      decisionError.textContent = err.message;
      placed = true;
    }
    if (!placed) status.replaceChildren(alertBox(err));
  }
  return form;
}

// ---------------------------------------------------------------- department staff: catalogue and applications

async function catalogPage() {
  let items;
  try {
    items = (await get('/api/catalog?limit=100')).items;
  } catch (err) {
    return page('资源目录与共享申请', alertBox(err));
  }
  const status = h('div', { role: 'status' });
  const rows = items.map((r) =>
    h(
      'tr',
      {},
      h(
        'td',
        {},
        h('input', {
          type: 'checkbox',
          name: 'resource',
          value: r.code,
          id: `res-${r.code}`,
          disabled: r.shareClass === 'NOT_SHARED',
          'aria-label': `选择 ${r.code} ${r.name}`,
        }),
      ),
      h('td', {}, r.code),
      h('td', {}, r.name, r.disputed ? h('span', { class: 'badge disputed' }, '存在异议') : null),
      h('td', {}, r.provider?.name ?? ''),
      h('td', {}, label('shareClass', r.shareClass)),
      h('td', {}, r.shareLegalBasis ?? '—'),
    ),
  );
  const purpose = field('用途', h('textarea', { name: 'purpose', rows: 2, required: true }));
  const legalDuty = field('法定职责依据', h('input', { type: 'text', name: 'legalDuty' }), {
    hint: '有条件共享须写明履行职责的依据',
  });
  const fieldsRequested = field('申请字段', h('input', { type: 'text', name: 'fieldsRequested' }), {
    hint: '多个字段用顿号或逗号分隔',
  });
  const usePeriodDays = field(
    '使用期限（天）',
    h('input', { type: 'number', name: 'usePeriodDays', min: 1, value: 90 }),
  );
  const accessMode = field('获取方式', selectOf('accessMode', options('accessMode'), 'INTERFACE'));
  const fields = { purpose, legalDuty, fieldsRequested, usePeriodDays, accessMode };
  const resourcesError = h('p', { class: 'error', id: 'resources-error', 'aria-live': 'polite' });
  let key = newKey();
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        Object.values(fields).forEach(clearFieldError);
        resourcesError.textContent = '';
        const data = new FormData(form);
        const body = {
          idempotencyKey: key,
          resourceCodes: data.getAll('resource').map(String),
          purpose: String(data.get('purpose') ?? '').trim(),
          fieldsRequested: String(data.get('fieldsRequested') ?? '')
            .split(/[、,，\s]+/)
            .filter(Boolean),
          usePeriodDays: Number(data.get('usePeriodDays')),
          accessMode: data.get('accessMode'),
        };
        const duty = String(data.get('legalDuty') ?? '').trim();
        if (duty) body.legalDuty = duty;
        try {
          const answer = await post('/api/applications', body);
          location.hash = `#/applications/${encodeURIComponent(answer.applicationNo)}`;
        } catch (err) {
          if (err instanceof ApiError && err.code === 'IDEMPOTENCY_KEY_REUSED') key = newKey();
          let placed = false;
          for (const d of err.details ?? []) {
            const name = String(d.path)
              .replace(/^body\.?/, '')
              .replace(/\[\d+\]$/, '');
            if (name === 'resourceCodes') {
              resourcesError.textContent = d.message;
              placed = true;
            } else if (fields[name]) {
              showFieldError(fields[name], d.message);
              placed = true;
            }
          }
          if (!placed) status.replaceChildren(alertBox(err));
        }
      },
    },
    table('政务信息资源目录（勾选要申请的资源）', ['选择', '编码', '名称', '提供部门', '共享类别', '共享依据'], rows, {
      attrs: { 'aria-describedby': 'resources-error' },
    }),
    resourcesError,
    h('h2', {}, '申请信息'),
    Object.values(fields).map((f) => f.wrap),
    h('button', { type: 'submit' }, '提交申请'),
    status,
  );
  page('资源目录与共享申请', form);
}

async function applicationsPage() {
  let items;
  try {
    items = (await get('/api/applications?limit=100')).items;
  } catch (err) {
    return page('我的申请', alertBox(err));
  }
  page(
    '我的申请',
    table(
      '本部门提交的共享申请',
      ['申请编号', '事项', '状态', '用途', '提交时间'],
      items.map((a) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/applications/${encodeURIComponent(a.applicationNo)}` }, a.applicationNo)),
          h('td', {}, label('procedure', a.procedure)),
          h('td', {}, label('status', a.status)),
          h('td', {}, a.purpose),
          h('td', {}, timeEl(a.submittedAt)),
        ),
      ),
      { empty: '暂无申请' },
    ),
  );
}

async function applicationPage(no) {
  let a;
  try {
    a = await get(`/api/applications/${encodeURIComponent(no)}`);
  } catch (err) {
    return page(`申请 ${no}`, alertBox(err));
  }
  const status = h('div', { role: 'status' });
  const open = !['APPROVED', 'REFUSED', 'WITHDRAWN', 'EXPIRED'].includes(a.status);
  const openTasks = (a.tasks ?? []).filter((t) => t.status === 'OPEN' || t.status === 'CLAIMED');
  const sections = [
    h(
      'section',
      { class: 'card' },
      facts([
        ['申请编号', a.applicationNo],
        ['事项', label('procedure', a.procedure)],
        ['状态', h('strong', { id: 'application-status' }, label('status', a.status))],
        ['用途', a.purpose],
        ['结果理由', a.outcomeReasons],
      ]),
    ),
    a.resources?.length ? resourcesTable(a.resources.map((r) => r.resource ?? r)) : null,
    h('h2', {}, '当前环节'),
    openTasks.length
      ? h(
          'ul',
          {},
          openTasks.map((t) =>
            h('li', {}, `${label('step', t.step)}（期限 ${deadline(t.dueAt)}）`, ...deadlineMarks(t)),
          ),
        )
      : h('p', {}, '无待办环节'),
    h('p', { class: 'muted' }, '需本部门办理的补正、协议确认等任务见“待办任务”。'),
    a.grants?.length
      ? h(
          'section',
          {},
          h('h2', {}, '授权'),
          h(
            'ul',
            {},
            a.grants.map((g) =>
              h('li', {}, `${g.resource?.code ?? g.resourceCode ?? ''}：${label('status', g.status)}`),
            ),
          ),
        )
      : null,
    a.agreements?.length
      ? h(
          'section',
          {},
          h('h2', {}, '共享协议'),
          h(
            'ul',
            {},
            a.agreements.map((g) => h('li', {}, label('status', g.status))),
          ),
        )
      : null,
    h('h2', {}, '办理过程'),
    timeline(a.timeline ?? a.events),
  ];
  if (open && a.procedure === 'CONDITIONAL_SHARE' && has('DEPT_STAFF') && a.applicantDept?.id === me.departmentId) {
    const reason = field('撤回原因', h('textarea', { name: 'reason', rows: 2 }));
    sections.push(
      h(
        'form',
        {
          class: 'card',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              const r = reason.control.value.trim();
              await post(`/api/applications/${encodeURIComponent(no)}/withdraw`, r ? { reason: r } : {});
              await render();
            } catch (err) {
              status.replaceChildren(alertBox(err));
            }
          },
        },
        h('h2', {}, '撤回申请'),
        reason.wrap,
        h('button', { type: 'submit' }, '撤回申请'),
      ),
    );
  }
  page(`申请 ${no}`, status, ...sections);
}

// ---------------------------------------------------------------- public: open catalogue, objections, conditional-open

async function openCatalogPage() {
  const q = query();
  const params = new URLSearchParams({ limit: '100' });
  if (q.get('q')) params.set('q', q.get('q'));
  let items;
  try {
    items = (await get(`/api/open/catalog?${params}`)).items;
  } catch (err) {
    return page('开放数据目录', alertBox(err));
  }
  const search = h(
    'form',
    {
      class: 'filters card',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const v = new FormData(e.target).get('q');
        location.hash = v ? `#/open?q=${encodeURIComponent(String(v))}` : '#/open';
      },
    },
    field('关键词', h('input', { type: 'search', name: 'q', value: q.get('q') ?? '' })).wrap,
    h('button', { type: 'submit' }, '搜索'),
  );
  page(
    '开放数据目录',
    search,
    table(
      `共 ${items.length} 条；标有“存在异议”的数据正在核实`,
      ['编码', '名称', '提供部门', '开放类别', '获取', '异议'],
      items.map((r) =>
        h(
          'tr',
          { 'data-code': r.code },
          h('td', {}, r.code),
          h(
            'td',
            {},
            r.name,
            r.disputed
              ? h('span', { class: 'badge disputed', title: r.disputeMarks.map((m) => m.note).join('；') }, '存在异议')
              : null,
          ),
          h('td', {}, r.provider?.name ?? ''),
          h(
            'td',
            {},
            label('openClass', r.openClass),
            r.openLegalBasis ? h('div', { class: 'muted' }, r.openLegalBasis) : null,
          ),
          h(
            'td',
            {},
            r.access?.kind === 'DOWNLOAD'
              ? h('a', { href: r.access.href }, `下载 ${r.code}`)
              : has('PUBLIC_APPLICANT')
                ? h('a', { href: `#/open-applications?resource=${encodeURIComponent(r.code)}` }, `申请 ${r.code}`)
                : '需申请',
          ),
          h(
            'td',
            {},
            h('a', { href: `#/objections/new?resource=${encodeURIComponent(r.code)}` }, `对 ${r.code} 提出异议`),
          ),
        ),
      ),
    ),
  );
}

async function objectionsPage() {
  let items;
  try {
    items = (await get('/api/objections?mine=true&limit=100')).items;
  } catch (err) {
    return page('数据异议', alertBox(err));
  }
  const status = h('div', { role: 'status' });
  // Until a decision on the correction is taken the objector may withdraw it; the API says when it is too late.
  const withdrawable = (o) => ['SUBMITTED', 'ACCEPTED', 'MARKED', 'FORWARDED'].includes(o.status);
  const withdraw = async (o) => {
    try {
      await post(`/api/objections/${encodeURIComponent(o.objectionNo)}/withdraw`, {});
      await objectionsPage();
    } catch (err) {
      status.replaceChildren(alertBox(err));
    }
  };
  page(
    '数据异议',
    h('p', {}, h('a', { class: 'button', href: '#/objections/new' }, '提出异议')),
    status,
    table(
      '我提出的异议',
      ['异议编号', '数据资源', '类型', '状态', '提交时间', '操作'],
      items.map((o) =>
        h(
          'tr',
          {},
          h('td', {}, o.objectionNo),
          h('td', {}, o.resource?.code ?? o.resourceCode ?? ''),
          h('td', {}, label('objectionKind', o.kind)),
          h(
            'td',
            { class: 'objection-status' },
            o.outcome === 'WITHDRAWN' ? '已撤回' : label('objectionStatus', o.status),
          ),
          h('td', {}, timeEl(o.createdAt ?? o.receivedAt)),
          h(
            'td',
            {},
            withdrawable(o)
              ? h('button', { type: 'button', onclick: () => withdraw(o) }, `撤回异议 ${o.objectionNo}`)
              : '',
          ),
        ),
      ),
      { empty: '暂无异议' },
    ),
  );
}

async function objectionFormPage() {
  const q = query();
  const resourceCode = field(
    '数据资源编码',
    h('input', { type: 'text', name: 'resourceCode', value: q.get('resource') ?? '', required: true }),
  );
  const kind = field('异议类型', selectOf('kind', options('objectionKind'), 'ERROR'));
  const recordRef = field('涉及的记录', h('input', { type: 'text', name: 'recordRef' }), { hint: '可选，如记录编号' });
  const facts_ = field('事实与理由', h('textarea', { name: 'facts', rows: 3, required: true }));
  const requestedCorrection = field(
    '更正请求',
    h('textarea', { name: 'requestedCorrection', rows: 2, required: true }),
  );
  const fields = { resourceCode, kind, recordRef, facts: facts_, requestedCorrection };
  const status = h('div', { role: 'status' });
  const key = newKey();
  const form = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        Object.values(fields).forEach(clearFieldError);
        const body = { idempotencyKey: key };
        for (const [k, f] of Object.entries(fields)) {
          const v = f.control.value.trim();
          if (v) body[k] = v;
        }
        try {
          const answer = await post('/api/objections', body);
          status.replaceChildren(h('p', { class: 'notice' }, `异议已提交，编号 ${answer.objectionNo}`));
          form.querySelectorAll('input, textarea, select, button').forEach((el) => (el.disabled = true));
        } catch (err) {
          let placed = false;
          for (const d of err.details ?? []) {
            const f = fields[String(d.path).replace(/^body\.?/, '')];
            if (f) {
              showFieldError(f, d.message);
              placed = true;
            }
          }
          if (!placed) status.replaceChildren(alertBox(err));
        }
      },
    },
    Object.values(fields).map((f) => f.wrap),
    h('button', { type: 'submit' }, '提交异议'),
    status,
  );
  page('提出数据异议', form);
}

async function openApplicationsPage() {
  const q = query();
  let items = [];
  const status = h('div', { role: 'status' });
  try {
    items = (await get('/api/open/applications?limit=100')).items ?? [];
  } catch (err) {
    status.replaceChildren(alertBox(err));
  }
  const resourceCodes = field(
    '数据资源编码',
    h('input', { type: 'text', name: 'resourceCodes', value: q.get('resource') ?? '' }),
    {
      hint: '多个编码用逗号分隔',
    },
  );
  const fieldOfUse = field(
    '应用领域',
    selectOf(
      'fieldOfUse',
      [
        ['INNOVATION', '创新发展'],
        ['CITY_GOVERNANCE', '城市治理'],
        ['SOCIAL_SERVICE', '社会服务'],
        ['RESEARCH', '科学研究'],
      ],
      'INNOVATION',
    ),
  );
  const purpose = field('用途', h('textarea', { name: 'purpose', rows: 2 }));
  const scenario = field('应用场景', h('textarea', { name: 'scenario', rows: 2 }));
  const fieldsRequested = field('申请字段', h('input', { type: 'text', name: 'fieldsRequested' }));
  const securityMeasures = field('安全保障措施', h('textarea', { name: 'securityMeasures', rows: 2 }));
  const pledge = field('接受安全承诺书', h('input', { type: 'checkbox', name: 'securityPledgeAccepted' }), {
    inline: true,
  });
  const fields = {
    resourceCodes,
    fieldOfUse,
    purpose,
    scenario,
    fieldsRequested,
    securityMeasures,
    securityPledgeAccepted: pledge,
  };
  const key = newKey();
  const split = (v) => v.split(/[、,，\s]+/).filter(Boolean);
  const form = h(
    'form',
    {
      class: 'card',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        Object.values(fields).forEach(clearFieldError);
        const body = {
          idempotencyKey: key,
          resourceCodes: split(resourceCodes.control.value),
          fieldOfUse: fieldOfUse.control.value,
          purpose: purpose.control.value.trim(),
          scenario: scenario.control.value.trim(),
          fieldsRequested: split(fieldsRequested.control.value),
          securityMeasures: securityMeasures.control.value.trim(),
          securityPledgeAccepted: pledge.control.checked,
          commercialUse: false,
        };
        try {
          const answer = await post('/api/open/applications', body);
          status.replaceChildren(h('p', { class: 'notice' }, `申请已提交，编号 ${answer.applicationNo}`));
        } catch (err) {
          let placed = false;
          for (const d of err.details ?? []) {
            const f =
              fields[
                String(d.path)
                  .replace(/^body\.?/, '')
                  .replace(/\[\d+\]$/, '')
              ];
            if (f) {
              showFieldError(f, d.message);
              placed = true;
            }
          }
          if (!placed) status.replaceChildren(alertBox(err));
        }
      },
    },
    h('h2', {}, '提交有条件开放申请'),
    Object.values(fields).map((f) => f.wrap),
    h('button', { type: 'submit' }, '提交申请'),
  );
  page(
    '有条件开放申请',
    status,
    table(
      '我的申请',
      ['申请编号', '状态', '提交时间'],
      items.map((a) =>
        h(
          'tr',
          {},
          h('td', {}, a.applicationNo),
          h('td', {}, label('status', a.status)),
          h('td', {}, timeEl(a.submittedAt)),
        ),
      ),
      { empty: '暂无申请' },
    ),
    form,
  );
}

// ---------------------------------------------------------------- supervisors

async function supervisionPage() {
  const q = query();
  const params = new URLSearchParams({ limit: '100' });
  for (const k of ['procedure', 'overdue']) if (q.get(k)) params.set(k, q.get(k));
  let items;
  try {
    items = (await get(`/api/supervision/cases?${params}`)).items;
  } catch (err) {
    return page('督办看板', alertBox(err));
  }
  const filters = h(
    'form',
    {
      class: 'filters card',
      'aria-label': '筛选',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new URLSearchParams();
        for (const [k, v] of new FormData(e.target)) if (v) data.set(k, String(v));
        location.hash = `#/supervision?${data}`;
      },
    },
    field('事项', selectOf('procedure', options('procedure'), q.get('procedure'), '全部')).wrap,
    field(
      '是否超期',
      selectOf(
        'overdue',
        [
          ['true', '仅超期'],
          ['false', '未超期'],
        ],
        q.get('overdue'),
        '全部',
      ),
    ).wrap,
    h('button', { type: 'submit' }, '筛选'),
  );
  const dept = await deptNames();
  const byDept = new Map();
  for (const c of items) if (c.overdue) for (const d of c.actingDepts) byDept.set(d, (byDept.get(d) ?? 0) + 1);
  const stepsBox = h('section', { 'aria-live': 'polite' });
  async function showSteps(c) {
    try {
      const { steps } = await get(`/api/supervision/steps?workflowId=${encodeURIComponent(c.workflowId)}`);
      stepsBox.replaceChildren(
        table(
          `案件 ${c.caseNo} 的各环节`,
          ['环节', '办理部门', '期限', '办结时间', '逾期工作日'],
          steps.map((s) =>
            h(
              'tr',
              { class: rowClass(s) },
              h('td', {}, label('step', s.step)),
              h('td', {}, dept(s.department ?? '')),
              h('td', {}, timeEl(s.dueAt, { isDeadline: true }), ...deadlineMarks(s)),
              h('td', {}, timeEl(s.completedAt)),
              h('td', {}, String(s.workingDaysLate ?? 0)),
            ),
          ),
        ),
      );
    } catch (err) {
      stepsBox.replaceChildren(alertBox(err));
    }
  }
  page(
    '督办看板',
    filters,
    barChart(
      '超期案件数（按办理部门）',
      [...byDept].sort((a, b) => b[1] - a[1]).map(([d, n]) => ({ label: dept(d), value: n, late: true })),
    ),
    table(
      `在办案件 ${items.length} 件，超期在前；期限为北京时间`,
      ['案件编号', '事项', '阶段', '办理部门', '最早期限', '流程'],
      items.map((c) =>
        h(
          'tr',
          { class: c.overdue ? 'overdue' : undefined, 'data-case': c.caseNo },
          h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => showSteps(c) }, c.caseNo)),
          h('td', {}, label('procedure', c.procedure)),
          h('td', {}, label('status', c.stage) === c.stage ? label('step', c.stage) : label('status', c.stage)),
          h('td', {}, c.actingDepts.map(dept).join('、')),
          h('td', {}, timeEl(c.dueAt, { isDeadline: true }), ...deadlineMarks(c)),
          h(
            'td',
            {},
            c.temporalUrl
              ? h(
                  'a',
                  {
                    href: c.temporalUrl,
                    target: '_blank',
                    rel: 'noopener',
                    'aria-label': `在 Temporal 中查看 ${c.caseNo}`,
                  },
                  'Temporal 流程',
                )
              : '—',
          ),
        ),
      ),
      { empty: '暂无在办案件' },
    ),
    stepsBox,
  );
}

let departmentNames = null;
/** Department names by id (GET /api/departments), loaded once; an unknown id is shown as it is. */
async function deptNames() {
  if (!departmentNames) {
    const items = await getAll('/api/departments').catch(() => []);
    departmentNames = new Map(items.map((d) => [d.id, d.name]));
  }
  return (id) => departmentNames.get(id) ?? id;
}

function monthLabel(d) {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(d);
}

function onTimeRate(evaluations) {
  let handled = 0;
  let onTime = 0;
  for (const e of evaluations)
    for (const s of e.steps) {
      handled += s.handled;
      onTime += s.onTime;
    }
  return handled ? onTime / handled : null;
}

async function evaluationPage() {
  const q = query();
  const period = q.get('period') ?? monthLabel(new Date());
  const department = q.get('department') ?? '';
  const dept = department ? `&department=${encodeURIComponent(department)}` : '';
  const [y, m] = period.split('-').map(Number);
  const months = Array.from({ length: 6 }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - (5 - i), 15));
    return monthLabel(d);
  });
  let current;
  let history;
  try {
    [current, ...history] = await Promise.all(
      [period, ...months].map((p) => get(`/api/evaluation?period=${p}${dept}`).then((r) => r.items)),
    );
  } catch (err) {
    return page('部门评价', alertBox(err));
  }
  const filters = h(
    'form',
    {
      class: 'filters card',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new URLSearchParams();
        for (const [k, v] of new FormData(e.target)) if (v) data.set(k, String(v));
        location.hash = `#/evaluation?${data}`;
      },
    },
    field('统计月份', h('input', { type: 'month', name: 'period', value: period })).wrap,
    field('部门编码', h('input', { type: 'text', name: 'department', value: department }), { hint: '留空为全部部门' })
      .wrap,
    h('button', { type: 'submit' }, '查询'),
  );
  const pct = (v) => `${Math.round(v * 100)}%`;
  const name = await deptNames();
  page(
    '部门评价',
    filters,
    h(
      'p',
      {},
      h('a', { href: `/api/evaluation?period=${period}${dept}&format=csv`, download: true }, '导出 CSV'),
      ' 说明：导出会记入审计日志。',
    ),
    barChart(
      '超期环节数（按部门）',
      current.map((e) => ({ label: name(e.departmentId), value: e.overdue, late: e.overdue > 0 })),
    ),
    barChart(
      `按时办结率（按月，${department || '全部部门'}）`,
      months.map((p, i) => ({ label: p, value: onTimeRate(history[i]) })),
      { format: pct, max: 1 },
    ),
    table(
      `${period} 各部门评价指标`,
      ['部门', '受理', '办结', '按时办结率', '超期', '督办', '异议（收到/更正）', '共享答复', '开放下载'],
      current.map((e) => {
        const rate = onTimeRate([e]);
        return h(
          'tr',
          {},
          h('td', {}, name(e.departmentId)),
          h('td', {}, String(e.procedures.reduce((n, p) => n + p.received, 0))),
          h('td', {}, String(e.procedures.reduce((n, p) => n + p.handled, 0))),
          h('td', {}, rate === null ? '—' : pct(rate)),
          h('td', {}, String(e.overdue)),
          h('td', {}, String(e.escalated)),
          h('td', {}, `${e.objectionsReceived}/${e.objectionsCorrected}`),
          h('td', {}, String(e.shareRequestsAnswered)),
          h('td', {}, String(e.openDataDownloads)),
        );
      }),
    ),
  );
}

// ---------------------------------------------------------------- routing

const routes = [
  [/^#\/login$/, loginPage, false],
  [/^#\/inbox$/, inboxPage],
  [/^#\/tasks\/([\w-]+)$/, taskPage],
  [/^#\/catalog$/, catalogPage],
  [/^#\/applications$/, applicationsPage],
  [/^#\/applications\/(.+)$/, (no) => applicationPage(decodeURIComponent(no))],
  [/^#\/open$/, openCatalogPage],
  [/^#\/objections$/, objectionsPage],
  [/^#\/objections\/new$/, objectionFormPage],
  [/^#\/open-applications$/, openApplicationsPage],
  [/^#\/supervision$/, supervisionPage],
  [/^#\/evaluation$/, evaluationPage],
];

async function render() {
  const path = location.hash.split('?')[0];
  if (me === null) me = await session().catch(() => null);
  if (!me && path !== '#/login') {
    location.hash = '#/login';
    return;
  }
  renderChrome();
  main.setAttribute('aria-busy', 'true');
  try {
    for (const [re, view] of routes) {
      const m = re.exec(path);
      if (m) return await view(...m.slice(1));
    }
    location.hash = me ? landing() : '#/login';
  } catch (err) {
    page('出错了', alertBox(err));
  } finally {
    main.removeAttribute('aria-busy');
  }
}

window.addEventListener('hashchange', () => void render());
void render();

export { api };
