/**
 * The access matrix: who may read or act on what, and on which cases (least privilege, Art. 29–31
 * and 等保2.0). Every operation of the API has one entry here, every router asks this table before
 * it answers, and test/integration/access-matrix.test.ts walks every seeded user × every operation
 * of /openapi.json against it. README "Access matrix" is this table written out.
 *
 * A grant names who (`who`: a role, optionally only in some kinds of department, or an account
 * kind) and on which cases (`scope`); `view` says how much of a case it shows: `full`, or
 * `metadata` (procedure facts: numbers, status, steps and deadlines; no evidence, no personal data,
 * no reasons). A principal with no grant for an entry gets 403 (401 when signed out); a case
 * outside every scope the principal holds does not exist for them (404, and it is not listed).
 */
import type { Prisma } from '../generated/prisma/client';
import type { DepartmentKind, Role } from '../generated/prisma/client';
import type { Request } from 'express';
import type { Db } from '../lib/db';
import type { Principal } from './auth';
import { AppError } from './errors';

/** Any caller (signed out too), any signed-in account, any department account, or a role. */
export type Who =
  { account: 'ANYONE' | 'SIGNED_IN' | 'STAFF' } | { role: Role; deptKinds?: DepartmentKind[]; legalPerson?: true };

export type Scope =
  /** every case */
  | 'all'
  /** the case's applicant, reporter or responsible department is the caller's */
  | 'ownDepartment'
  /** the caller's department provides a resource of the case */
  | 'provider'
  /** the caller's department and role hold (or held) an inbox task of the case */
  | 'assigned'
  /** the caller's own: objector, public applicant, operator, bidder, account */
  | 'own'
  /** a non-recused member of the tender's evaluation committee */
  | 'committee'
  /** objections that are not trade-secret or privacy objections */
  | 'nonConfidential'
  /** tenders past their draft */
  | 'published'
  /** catalogue entries open to the public (UNCONDITIONAL open class for a download) */
  | 'openCatalogue';

export type View = 'full' | 'metadata';

export interface Grant {
  who: Who;
  scope: Scope;
  view?: View;
}

/** The Chinese name of each rule's resource, for the refusal people read (the English name stays in messageEn). */
const RESOURCE_ZH: Record<string, string> = {
  'Art. 18 update duty': '第十八条目录更新义务',
  'Art. 25 open lists (无条件/有条件开放清单)': '第二十五条开放清单（无条件/有条件开放清单）',
  'applications (share, non-government, conditional open)': '申请（共享、非政务、有条件开放）',
  'audit trail': '审计记录',
  'authorisation report': '授权报告',
  bid: '投标',
  'catalogue draft': '目录草稿',
  'catalogue draft (Art. 16), Art. 17 project': '目录草稿（第十六条）、第十七条整合项目',
  'catalogue drafts, Art. 18 update duties, Art. 17 projects': '目录草稿、第十八条更新义务、第十七条整合项目',
  'catalogue entry history (versions, who changed what)': '目录条目历史（版本及修改人）',
  'catalogue entry retirement request (撤销/停用)': '目录条目撤销/停用申请',
  'commercial authorisation': '商业授权',
  'commercial authorisations': '商业授权',
  'conditional open application': '有条件开放申请',
  'department evaluation (Art. 6)': '部门评价（第六条）',
  departments: '部门',
  'development token': '开发令牌',
  'drill policy version': '演练政策版本',
  health: '健康检查',
  'inbox tasks': '待办任务',
  'internal catalogue (all share and open classes)': '内部目录（全部共享与开放类型）',
  'non-government application': '非政务申请',
  objection: '异议',
  'objection evidence': '异议证据',
  'objection evidence (facts, files, steps)': '异议证据（事实、文件、处理步骤）',
  'objection withdrawal': '撤回异议',
  objections: '异议',
  'open catalogue': '开放目录',
  'open data download': '开放数据下载',
  'open data download statistics': '开放数据下载统计',
  'open-use authorisation': '开放利用授权',
  'open-use authorisations': '开放利用授权',
  'opened bids': '已开标的投标',
  'own bid': '本人的投标',
  'own session': '本人的会话',
  'public account': '公众账号',
  'public register of authorisations': '授权公示名录',
  'running cases and their steps (supervision)': '办理中的案件及其步骤（监督）',
  'score sheet': '评分表',
  'security incident': '安全事件',
  'security incidents': '安全事件',
  'share application': '共享申请',
  'sign-in by OpenID Connect': 'OpenID Connect 登录',
  tender: '招标',
  'tender comment': '招标意见',
  'tender comments': '招标意见',
  tenders: '招标',
  'working-day calendar': '工作日日历',
};

export interface AccessRule {
  resource: string;
  /** The resource in Chinese (RESOURCE_ZH), quoted in a refusal's message. */
  resourceZh: string;
  action: 'read' | 'act';
  /** "METHOD /openapi/path" of every operation this rule governs */
  operations: string[];
  grants: Grant[];
}

const AUTHORITY: DepartmentKind[] = ['AUTHORITY'];
const GOVERNMENT: DepartmentKind[] = ['GOVERNMENT', 'AUTHORITY', 'MUNICIPAL_GOVERNMENT'];
const anyone: Who = { account: 'ANYONE' };
const signedIn: Who = { account: 'SIGNED_IN' };
const staff: Who = { account: 'STAFF' };
const role = (r: Role, deptKinds?: DepartmentKind[]): Who => ({ role: r, deptKinds });
const authorityReviewer = role('AUTHORITY_REVIEWER', AUTHORITY);
const authorityAdmin = role('ADMIN', AUTHORITY);
const supervisor = role('SUPERVISOR', AUTHORITY);
const deptMembers: Who[] = [role('DEPT_STAFF'), role('PROVIDER_REVIEWER'), role('DEPT_HEAD')];
const providerDeciders: Who[] = [role('PROVIDER_REVIEWER'), role('DEPT_HEAD')];
const publicApplicant = role('PUBLIC_APPLICANT');
const legalPerson: Who = { role: 'PUBLIC_APPLICANT', legalPerson: true };
const tenderManagers = [authorityReviewer, authorityAdmin];

const g = (who: Who | Who[], scope: Scope, view: View = 'full'): Grant[] =>
  (Array.isArray(who) ? who : [who]).map((w) => ({ who: w, scope, view }));

const rule = (resource: string, action: 'read' | 'act', operations: string[], ...grants: Grant[][]): AccessRule => ({
  resource,
  resourceZh: RESOURCE_ZH[resource] ?? resource,
  action,
  operations,
  grants: grants.flat(),
});

export const ACCESS_MATRIX = {
  health: rule('health', 'read', ['GET /healthz'], g(anyone, 'all')),
  devTokens: rule('development token', 'act', ['POST /api/dev/tokens'], g(anyone, 'all')),
  signIn: rule('sign-in by OpenID Connect', 'act', ['GET /api/auth/login', 'GET /api/auth/callback'], g(anyone, 'all')),
  session: rule('own session', 'read', ['GET /api/auth/session'], g(signedIn, 'all')),
  signOut: rule('own session', 'act', ['POST /api/auth/logout'], g(signedIn, 'all')),
  departments: rule('departments', 'read', ['GET /api/departments'], g(signedIn, 'all')),
  calendar: rule(
    'working-day calendar',
    'read',
    ['GET /api/calendar/deadline', 'GET /api/calendar/days', 'GET /api/calendar/years'],
    g(signedIn, 'all'),
  ),
  calendarLoad: rule('working-day calendar', 'act', ['PUT /api/admin/calendar/years/{year}'], g(role('ADMIN'), 'all')),
  calendarRollout: rule(
    'working-day calendar',
    'read',
    ['GET /api/admin/calendar/years/{year}/rollout'],
    g(role('ADMIN'), 'all'),
  ),
  catalog: rule('internal catalogue (all share and open classes)', 'read', ['GET /api/catalog'], g(staff, 'all')),
  catalogHistory: rule(
    'catalogue entry history (versions, who changed what)',
    'read',
    ['GET /api/catalog/entries/{code}/history'],
    g(staff, 'all'),
  ),
  catalogDrafts: rule(
    'catalogue drafts, Art. 18 update duties, Art. 17 projects',
    'read',
    [
      'GET /api/catalog/drafts',
      'GET /api/catalog/drafts/{no}',
      'GET /api/catalog/update-duties',
      'GET /api/catalog/update-duties/{no}',
      'GET /api/catalog/projects',
      'GET /api/catalog/projects/{no}',
    ],
    g(staff, 'ownDepartment'),
    g(authorityReviewer, 'all'),
  ),
  catalogCompile: rule(
    'catalogue draft (Art. 16), Art. 17 project',
    'act',
    ['POST /api/catalog/drafts', 'POST /api/catalog/projects'],
    g(role('DEPT_STAFF', ['GOVERNMENT']), 'all'),
  ),
  catalogDraftEdit: rule(
    'catalogue draft',
    'act',
    ['PUT /api/catalog/drafts/{no}', 'POST /api/catalog/drafts/{no}/submit'],
    g(role('DEPT_STAFF', ['GOVERNMENT']), 'ownDepartment'),
  ),
  catalogRetire: rule(
    'catalogue entry retirement request (撤销/停用)',
    'act',
    ['POST /api/catalog/entries/{code}/retire'],
    g(role('DEPT_STAFF', ['GOVERNMENT']), 'ownDepartment'),
  ),
  catalogUpdateDuty: rule(
    'Art. 18 update duty',
    'act',
    ['POST /api/catalog/update-duties'],
    g(role('DEPT_STAFF'), 'all'),
    g(authorityReviewer, 'all'),
  ),
  openLists: rule(
    'Art. 25 open lists (无条件/有条件开放清单)',
    'read',
    ['GET /api/open/catalog/lists'],
    g(anyone, 'all'),
  ),
  applications: rule(
    'applications (share, non-government, conditional open)',
    'read',
    ['GET /api/applications', 'GET /api/applications/{no}'],
    g(deptMembers, 'ownDepartment'),
    g(providerDeciders, 'provider'),
    g(staff, 'assigned'),
    g(authorityReviewer, 'all'),
    g(supervisor, 'all', 'metadata'),
  ),
  applicationSubmit: rule(
    'share application',
    'act',
    ['POST /api/applications'],
    g(role('DEPT_STAFF', GOVERNMENT), 'all'),
  ),
  applicationWithdraw: rule(
    'share application',
    'act',
    ['POST /api/applications/{no}/withdraw'],
    g(role('DEPT_STAFF'), 'ownDepartment'),
  ),
  nonGovernmentSubmit: rule(
    'non-government application',
    'act',
    ['POST /api/non-government-applications'],
    g(role('DEPT_STAFF', ['NON_GOVERNMENT']), 'all'),
  ),
  nonGovernmentWithdraw: rule(
    'non-government application',
    'act',
    ['POST /api/non-government-applications/{no}/withdraw'],
    g(role('DEPT_STAFF', ['NON_GOVERNMENT']), 'ownDepartment'),
  ),
  inbox: rule('inbox tasks', 'read', ['GET /api/inbox', 'GET /api/tasks/{id}'], g(signedIn, 'assigned')),
  taskAct: rule(
    'inbox tasks',
    'act',
    ['POST /api/tasks/{id}/claim', 'POST /api/tasks/{id}/unclaim', 'POST /api/tasks/{id}/complete'],
    g(signedIn, 'assigned'),
  ),
  openCatalog: rule('open catalogue', 'read', ['GET /api/open/catalog'], g(anyone, 'openCatalogue')),
  openDownload: rule(
    'open data download',
    'read',
    ['GET /api/open/resources/{code}/download'],
    g(anyone, 'openCatalogue'),
    g(publicApplicant, 'own'),
  ),
  openStats: rule(
    'open data download statistics',
    'read',
    ['GET /api/open/downloads/stats'],
    g([authorityReviewer, supervisor, authorityAdmin], 'all'),
  ),
  openApplications: rule(
    'conditional open application',
    'read',
    ['GET /api/open/applications', 'GET /api/open/applications/{no}'],
    g(publicApplicant, 'own'),
  ),
  openApply: rule(
    'conditional open application',
    'act',
    ['POST /api/open/applications', 'POST /api/open/applications/{no}/agreement'],
    g(publicApplicant, 'own'),
  ),
  openAuthorizations: rule(
    'open-use authorisations',
    'read',
    ['GET /api/open/authorizations'],
    g([authorityReviewer, supervisor, authorityAdmin], 'all'),
  ),
  openUseReport: rule(
    'open-use authorisation',
    'act',
    ['POST /api/open/authorizations/{id}/use-reports'],
    g(publicApplicant, 'own'),
  ),
  openRevoke: rule(
    'open-use authorisation',
    'act',
    ['POST /api/open/authorizations/{id}/revoke'],
    g(authorityReviewer, 'all'),
  ),
  publicRegister: rule('public account', 'act', ['POST /api/public/accounts'], g(anyone, 'all')),
  publicMe: rule('public account', 'read', ['GET /api/public/me'], g(publicApplicant, 'own')),
  objections: rule(
    'objections',
    'read',
    ['GET /api/objections', 'GET /api/objections/{no}'],
    g(signedIn, 'nonConfidential', 'metadata'),
    g(signedIn, 'own'),
    g(staff, 'assigned'),
    g(authorityReviewer, 'all'),
    g(supervisor, 'all', 'metadata'),
  ),
  objectionEvidence: rule(
    'objection evidence (facts, files, steps)',
    'read',
    ['GET /api/objections/{no}/attachments/{id}'],
    g(signedIn, 'own'),
    g(staff, 'assigned'),
    g(authorityReviewer, 'all'),
  ),
  objectionFile: rule('objection', 'act', ['POST /api/objections'], g(signedIn, 'all')),
  objectionAttach: rule('objection evidence', 'act', ['POST /api/objections/{no}/attachments'], g(signedIn, 'own')),
  objectionWithdraw: rule('objection withdrawal', 'act', ['POST /api/objections/{no}/withdraw'], g(signedIn, 'own')),
  incidents: rule(
    'security incidents',
    'read',
    ['GET /api/incidents', 'GET /api/incidents/{no}'],
    g(deptMembers, 'ownDepartment'),
    g(providerDeciders, 'provider'),
    g(staff, 'assigned'),
    g(authorityReviewer, 'all'),
    g(supervisor, 'all', 'metadata'),
    // A citizen or company follows its own report (number, status, times, conclusion).
    g(publicApplicant, 'own'),
  ),
  incidentReport: rule(
    'security incident',
    'act',
    ['POST /api/incidents'],
    g([role('DEPT_STAFF'), authorityReviewer, publicApplicant], 'all'),
  ),
  incidentSuspend: rule(
    'security incident',
    'act',
    ['POST /api/incidents/{no}/suspend-grants'],
    g(authorityReviewer, 'all'),
    g(role('PROVIDER_REVIEWER'), 'provider'),
  ),
  incidentSuspensionDecision: rule(
    'security incident',
    'act',
    ['POST /api/incidents/{no}/suspension-decision'],
    // The provider's reviewers holding the incident's DECIDE_SUSPENSION task.
    g(role('PROVIDER_REVIEWER'), 'assigned'),
  ),
  tenders: rule(
    'tenders',
    'read',
    ['GET /api/tenders', 'GET /api/tenders/{no}'],
    g(anyone, 'published'),
    g(tenderManagers, 'all'),
  ),
  tenderBids: rule(
    'opened bids',
    'read',
    ['GET /api/tenders/{no}/bids'],
    g(tenderManagers, 'all'),
    g(role('EVALUATOR'), 'committee'),
  ),
  tenderComments: rule(
    'tender comments',
    'read',
    ['GET /api/tenders/{no}/comments'],
    g(anyone, 'published'),
    g(tenderManagers, 'all'),
  ),
  ownBid: rule('own bid', 'read', ['GET /api/tenders/{no}/bid'], g(legalPerson, 'own')),
  bidWithdraw: rule('own bid', 'act', ['DELETE /api/tenders/{no}/bid'], g(legalPerson, 'own')),
  tenderManage: rule(
    'tender',
    'act',
    [
      'POST /api/tenders',
      'POST /api/tenders/{no}/comment-period',
      'POST /api/tenders/{no}/announce',
      'POST /api/tenders/{no}/amend',
      'POST /api/tenders/{no}/cancel',
    ],
    g(tenderManagers, 'all'),
  ),
  tenderComment: rule('tender comment', 'act', ['POST /api/tenders/{no}/comments'], g(signedIn, 'published')),
  tenderBid: rule(
    'bid',
    'act',
    ['PUT /api/tenders/{no}/bid', 'POST /api/tenders/{no}/objections', 'POST /api/tenders/{no}/agreement/confirm'],
    g(legalPerson, 'published'),
  ),
  drillPolicy: rule('drill policy version', 'act', ['PUT /api/admin/drill-policies/{id}'], g(authorityAdmin, 'all')),
  tenderScores: rule('score sheet', 'act', ['POST /api/tenders/{no}/scores'], g(role('EVALUATOR'), 'committee')),
  authorizationRegister: rule(
    'public register of authorisations',
    'read',
    ['GET /api/authorizations/register'],
    g(anyone, 'all'),
  ),
  authorizations: rule(
    'commercial authorisations',
    'read',
    ['GET /api/authorizations', 'GET /api/authorizations/{no}'],
    g(tenderManagers, 'all'),
    g(publicApplicant, 'own'),
    g(providerDeciders, 'provider'),
  ),
  authorizationReport: rule(
    'authorisation report',
    'act',
    ['POST /api/authorizations/{no}/reports/{reportId}'],
    g(publicApplicant, 'own'),
  ),
  authorizationChange: rule(
    'commercial authorisation',
    'act',
    [
      'POST /api/authorizations/{no}/suspend',
      'POST /api/authorizations/{no}/reinstate',
      'POST /api/authorizations/{no}/revoke',
    ],
    g(tenderManagers, 'all'),
  ),
  supervision: rule(
    'running cases and their steps (supervision)',
    'read',
    ['GET /api/supervision/cases', 'GET /api/supervision/steps'],
    g([supervisor, authorityReviewer], 'all', 'metadata'),
  ),
  evaluation: rule(
    'department evaluation (Art. 6)',
    'read',
    ['GET /api/evaluation'],
    g([supervisor, authorityReviewer], 'all'),
    g(role('DEPT_HEAD'), 'ownDepartment'),
  ),
  audit: rule('audit trail', 'read', ['GET /api/audit', 'GET /api/audit/verify'], g(role('AUDITOR', AUTHORITY), 'all')),
} satisfies Record<string, AccessRule>;

export type AccessKey = keyof typeof ACCESS_MATRIX;

/** Whether `who` describes the principal (undefined: signed out). `legalPerson` is checked by the router. */
export function matches(who: Who, p: Principal | undefined): boolean {
  if ('account' in who) {
    if (who.account === 'ANYONE') return true;
    if (!p) return false;
    return who.account === 'SIGNED_IN' || p.departmentId !== null;
  }
  if (!p || !p.roles.includes(who.role)) return false;
  return !who.deptKinds || (p.departmentKind !== null && who.deptKinds.includes(p.departmentKind as DepartmentKind));
}

/** The grants of one entry the principal holds. */
export function grantsOf(key: AccessKey, p: Principal | undefined): Grant[] {
  return ACCESS_MATRIX[key].grants.filter((gr) => matches(gr.who, p));
}

export interface Access {
  p: Principal | undefined;
  grants: Grant[];
  scopes: Set<Scope>;
  /** Whether some grant on `scope` shows the full case (not only its metadata). */
  full(scope: Scope): boolean;
}

function access(p: Principal | undefined, grants: Grant[]): Access {
  return {
    p,
    grants,
    scopes: new Set(grants.map((x) => x.scope)),
    full: (scope) => grants.some((x) => x.scope === scope && x.view === 'full'),
  };
}

/** The principal's grants on `key`; 401 for a signed-out caller and 403 for one without any. */
export function authorize(req: Request, key: AccessKey): Access {
  const p = req.principal;
  const grants = grantsOf(key, p);
  if (grants.length === 0) {
    if (!p)
      throw new AppError('UNAUTHENTICATED', {
        zh: '请先登录：请发送 "Authorization: Bearer <token>" 请求头',
        en: 'Sign in first: send "Authorization: Bearer <token>"',
      });
    const rule = ACCESS_MATRIX[key];
    throw new AppError('FORBIDDEN', {
      zh: `您的角色（${p.roles.join(', ')}）无权${rule.action === 'read' ? '查阅' : '办理'}“${rule.resourceZh}”`,
      en: `Your roles (${p.roles.join(', ')}) give no ${rule.action} access to ${rule.resource}`,
    });
  }
  return access(p, grants);
}

/** authorize() for routes that need a signed-in principal. */
export function authorizeSignedIn(req: Request, key: AccessKey): Access & { p: Principal } {
  const a = authorize(req, key);
  if (!a.p)
    throw new AppError('UNAUTHENTICATED', {
      zh: '请先登录：请发送 "Authorization: Bearer <token>" 请求头',
      en: 'Sign in first: send "Authorization: Bearer <token>"',
    });
  return a as Access & { p: Principal };
}

const NONE = { id: { in: [] as string[] } };
const ALL = {};

/** Any of the scopes' conditions; `ALL` among them is everything (Prisma's `OR: [{}]` matches nothing). */
function anyOf<W extends object>(parts: Array<W | null>): W {
  const present = parts.filter((x): x is W => x !== null);
  if (present.some((x) => x === ALL)) return ALL as W;
  return (present.length ? { OR: present } : NONE) as W;
}

/** Tasks the principal's department and roles are candidates for. */
function taskOf(p: Principal): Prisma.TaskWhereInput {
  return { candidateDeptId: p.departmentId ?? '', candidateRole: { in: p.roles } };
}

/** Workflows of a procedure in which the principal's department and roles hold (or held) a task. */
async function assignedWorkflows(
  db: Db,
  p: Principal,
  procedure: 'OBJECTION' | 'SECURITY_INCIDENT',
): Promise<string[]> {
  if (!p.departmentId) return [];
  const rows = await db.task.findMany({
    where: { procedure, ...taskOf(p) },
    select: { workflowId: true },
    distinct: ['workflowId'],
  });
  return rows.map((r) => r.workflowId);
}

/** Applications within the principal's scopes, and whether it sees them in full. */
export function applicationScope(a: Access): {
  where: Prisma.ApplicationWhereInput;
  full: Prisma.ApplicationWhereInput;
} {
  const p = a.p;
  const part = (scope: Scope): Prisma.ApplicationWhereInput | null => {
    if (!a.scopes.has(scope) || !p) return null;
    if (scope === 'all') return ALL;
    if (!p.departmentId) return null;
    if (scope === 'ownDepartment') return { applicantDeptId: p.departmentId };
    if (scope === 'provider') return { resources: { some: { resource: { providerId: p.departmentId } } } };
    if (scope === 'assigned') return { tasks: { some: taskOf(p) } };
    return null;
  };
  const scopes = [...a.scopes];
  return { where: anyOf(scopes.map(part)), full: anyOf(scopes.filter((s) => a.full(s)).map(part)) };
}

/** Objections within the principal's scopes; `full`: those whose facts and evidence it sees. */
export async function objectionScope(
  db: Db,
  a: Access,
): Promise<{ where: Prisma.ObjectionWhereInput; full: Prisma.ObjectionWhereInput }> {
  const p = a.p;
  const assigned = a.scopes.has('assigned') && p ? await assignedWorkflows(db, p, 'OBJECTION') : [];
  const part = (scope: Scope): Prisma.ObjectionWhereInput | null => {
    if (!a.scopes.has(scope) || !p) return null;
    if (scope === 'all') return ALL;
    if (scope === 'nonConfidential') return { confidential: false };
    if (scope === 'own') return { objectorUserId: p.userId };
    // A task of the objection: the provider once the authority has forwarded it to them.
    if (scope === 'assigned') return { workflowId: { in: assigned } };
    return null;
  };
  const scopes = [...a.scopes];
  return { where: anyOf(scopes.map(part)), full: anyOf(scopes.filter((s) => a.full(s)).map(part)) };
}

/** Incidents within the principal's scopes (provider: of an affected resource). */
export async function incidentScope(
  db: Db,
  a: Access,
): Promise<{ where: Prisma.SecurityIncidentWhereInput; full: Prisma.SecurityIncidentWhereInput }> {
  const p = a.p;
  const parts = new Map<Scope, Prisma.SecurityIncidentWhereInput>();
  for (const scope of a.scopes) {
    if (!p) continue;
    if (scope === 'all') parts.set(scope, ALL);
    else if (scope === 'own') parts.set(scope, { reporterUserId: p.userId });
    else if (!p.departmentId) continue;
    else if (scope === 'ownDepartment')
      parts.set(scope, { OR: [{ responsibleDeptId: p.departmentId }, { reporterDeptId: p.departmentId }] });
    else if (scope === 'provider') {
      const provided = await db.dataResource.findMany({ where: { providerId: p.departmentId }, select: { id: true } });
      parts.set(scope, { resourceIds: { hasSome: provided.map((r) => r.id) } });
    } else if (scope === 'assigned')
      parts.set(scope, { workflowId: { in: await assignedWorkflows(db, p, 'SECURITY_INCIDENT') } });
  }
  return {
    where: anyOf([...parts.values()]),
    full: anyOf([...parts.entries()].filter(([s]) => a.full(s)).map(([, w]) => w)),
  };
}

/** Every operation of the matrix, "METHOD /path", for the test and the README. */
export function matrixOperations(): Map<string, AccessKey> {
  const ops = new Map<string, AccessKey>();
  for (const [key, r] of Object.entries(ACCESS_MATRIX) as Array<[AccessKey, AccessRule]>)
    for (const op of r.operations) ops.set(op, key);
  return ops;
}
