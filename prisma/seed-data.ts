/**
 * Realistic demo data for 聊城市: the data authority, the municipal government, six government
 * departments, two non-government units (Art. 39 utilities), users with roles, public
 * applicants and a catalog spread over every share and open class (Art. 21, 24).
 * Ids are fixed so seeding twice changes nothing.
 */
import type { DepartmentKind, OpenClass, PublicApplicantKind, Role, ShareClass } from '../generated/prisma/client';

export interface SeedDepartment {
  id: string;
  name: string;
  kind: DepartmentKind;
  headEmail: string;
}
export interface SeedUser {
  login: string;
  displayName: string;
  departmentId?: string;
  roles: Role[];
  publicApplicantId?: string;
}
export interface SeedPublicApplicant {
  id: string;
  kind: PublicApplicantKind;
  name: string;
  unifiedCreditCode?: string;
  contactEmail: string;
}
export interface SeedResource {
  code: string;
  name: string;
  description: string;
  providerId: string;
  shareClass: ShareClass;
  openClass: OpenClass;
  shareLegalBasis?: string;
  openLegalBasis?: string;
  fields: string[];
  updateFrequency: string;
}

export const MAIL_DOMAIN = 'liaocheng.example';

export const departments: SeedDepartment[] = [
  { id: 'dsj', name: '市大数据局', kind: 'AUTHORITY', headEmail: `head.dsj@${MAIL_DOMAIN}` },
  { id: 'szf', name: '市人民政府', kind: 'MUNICIPAL_GOVERNMENT', headEmail: `head.szf@${MAIL_DOMAIN}` },
  { id: 'gaj', name: '市公安局', kind: 'GOVERNMENT', headEmail: `head.gaj@${MAIL_DOMAIN}` },
  { id: 'scjgj', name: '市市场监管局', kind: 'GOVERNMENT', headEmail: `head.scjgj@${MAIL_DOMAIN}` },
  { id: 'zrzyj', name: '市自然资源和规划局', kind: 'GOVERNMENT', headEmail: `head.zrzyj@${MAIL_DOMAIN}` },
  { id: 'rsj', name: '市人力资源和社会保障局', kind: 'GOVERNMENT', headEmail: `head.rsj@${MAIL_DOMAIN}` },
  { id: 'wjw', name: '市卫生健康委员会', kind: 'GOVERNMENT', headEmail: `head.wjw@${MAIL_DOMAIN}` },
  { id: 'ybj', name: '市医疗保障局', kind: 'GOVERNMENT', headEmail: `head.ybj@${MAIL_DOMAIN}` },
  { id: 'water', name: '聊城市自来水有限公司', kind: 'NON_GOVERNMENT', headEmail: `head.water@${MAIL_DOMAIN}` },
  { id: 'gas', name: '聊城市燃气有限公司', kind: 'NON_GOVERNMENT', headEmail: `head.gas@${MAIL_DOMAIN}` },
];

export const publicApplicants: SeedPublicApplicant[] = [
  { id: 'pa-zhang', kind: 'CITIZEN', name: '张伟', contactEmail: `zhang.wei@${MAIL_DOMAIN}` },
  {
    id: 'pa-hengxin',
    kind: 'LEGAL_PERSON',
    name: '聊城恒信数据科技有限公司',
    unifiedCreditCode: '91371500MA3C00001J',
    contactEmail: `bid@hengxin.${MAIL_DOMAIN}`,
  },
  {
    id: 'pa-lcu',
    kind: 'UNIVERSITY',
    name: '聊城大学',
    unifiedCreditCode: '12370000495570001Y',
    contactEmail: `research@lcu.${MAIL_DOMAIN}`,
  },
  // Two more legal persons, so a commercial tender can reach three bidders (招标投标法 Art. 28).
  {
    id: 'pa-huarui',
    kind: 'LEGAL_PERSON',
    name: '聊城华睿信息技术有限公司',
    unifiedCreditCode: '91371500MA3C00002M',
    contactEmail: `bid@huarui.${MAIL_DOMAIN}`,
  },
  {
    id: 'pa-zhiyun',
    kind: 'LEGAL_PERSON',
    name: '山东智云大数据有限公司',
    unifiedCreditCode: '91371500MA3C00003Q',
    contactEmail: `bid@zhiyun.${MAIL_DOMAIN}`,
  },
];

const governmentDepts = ['gaj', 'scjgj', 'zrzyj', 'rsj', 'wjw', 'ybj'];

export const users: SeedUser[] = [
  { login: 'dsj.reviewer', displayName: '大数据局审核员 李娜', departmentId: 'dsj', roles: ['AUTHORITY_REVIEWER'] },
  {
    login: 'dsj.admin',
    displayName: '大数据局管理员 王强',
    departmentId: 'dsj',
    roles: ['ADMIN', 'AUTHORITY_REVIEWER'],
  },
  { login: 'dsj.head', displayName: '大数据局局长 赵敏', departmentId: 'dsj', roles: ['DEPT_HEAD'] },
  { login: 'dsj.supervisor', displayName: '督办员 孙磊', departmentId: 'dsj', roles: ['SUPERVISOR'] },
  // Reads and verifies the audit trail (GET /api/audit, /api/audit/verify) and nothing else.
  { login: 'dsj.auditor', displayName: '安全审计员 冯洁', departmentId: 'dsj', roles: ['AUDITOR'] },
  { login: 'dsj.evaluator1', displayName: '评审专家 周一', departmentId: 'dsj', roles: ['EVALUATOR'] },
  { login: 'dsj.evaluator2', displayName: '评审专家 吴二', departmentId: 'dsj', roles: ['EVALUATOR'] },
  { login: 'dsj.evaluator3', displayName: '评审专家 郑三', departmentId: 'dsj', roles: ['EVALUATOR'] },
  // 招标投标法 Art. 37: a committee of five or more (odd) drawn from the pool, with replacements to spare.
  { login: 'dsj.evaluator4', displayName: '评审专家 王四', departmentId: 'dsj', roles: ['EVALUATOR'] },
  { login: 'dsj.evaluator5', displayName: '评审专家 冯五', departmentId: 'dsj', roles: ['EVALUATOR'] },
  { login: 'dsj.evaluator6', displayName: '评审专家 陈六', departmentId: 'dsj', roles: ['EVALUATOR'] },
  { login: 'dsj.evaluator7', displayName: '评审专家 褚七', departmentId: 'dsj', roles: ['EVALUATOR'] },
  { login: 'szf.reviewer', displayName: '市政府审批人 钱进', departmentId: 'szf', roles: ['MUNICIPAL_REVIEWER'] },
  ...governmentDepts.flatMap((d): SeedUser[] => [
    { login: `${d}.staff`, displayName: `${d} 经办人`, departmentId: d, roles: ['DEPT_STAFF'] },
    { login: `${d}.reviewer`, displayName: `${d} 审核人`, departmentId: d, roles: ['PROVIDER_REVIEWER'] },
    { login: `${d}.head`, displayName: `${d} 负责人`, departmentId: d, roles: ['DEPT_HEAD'] },
  ]),
  { login: 'water.staff', displayName: '自来水公司 经办人', departmentId: 'water', roles: ['DEPT_STAFF'] },
  { login: 'gas.staff', displayName: '燃气公司 经办人', departmentId: 'gas', roles: ['DEPT_STAFF'] },
  { login: 'citizen.zhang', displayName: '张伟', roles: ['PUBLIC_APPLICANT'], publicApplicantId: 'pa-zhang' },
  {
    login: 'company.hengxin',
    displayName: '恒信数据科技',
    roles: ['PUBLIC_APPLICANT'],
    publicApplicantId: 'pa-hengxin',
  },
  { login: 'university.lcu', displayName: '聊城大学科研处', roles: ['PUBLIC_APPLICANT'], publicApplicantId: 'pa-lcu' },
  { login: 'company.huarui', displayName: '华睿信息技术', roles: ['PUBLIC_APPLICANT'], publicApplicantId: 'pa-huarui' },
  { login: 'company.zhiyun', displayName: '智云大数据', roles: ['PUBLIC_APPLICANT'], publicApplicantId: 'pa-zhiyun' },
];

export function userEmail(u: SeedUser): string {
  return `${u.login}@${MAIL_DOMAIN}`;
}

const basis = {
  personalInfo: '《中华人民共和国个人信息保护法》第十三条、第三十四条',
  dataSecurity: '《中华人民共和国数据安全法》第三十八条',
  household: '《中华人民共和国居民身份证法》第十三条',
  medical: '《医疗机构病历管理规定》第六条',
  socialSecurity: '《社会保险法》第八十一条',
  stateSecret: '《中华人民共和国保守国家秘密法》第九条',
  realEstate: '《不动产登记暂行条例》第二十八条',
  medicalInsurance: '《医疗保障基金使用监督管理条例》第二十三条',
  enterpriseInfo: '《企业信息公示暂行条例》第十条',
};

export const resources: SeedResource[] = [
  {
    code: 'GAJ-001',
    name: '人口基础信息',
    description: '全市户籍人口基础信息（姓名、身份证号、户籍地址）',
    providerId: 'gaj',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.household,
    openLegalBasis: basis.personalInfo,
    fields: ['姓名', '公民身份号码', '户籍地址', '出生日期'],
    updateFrequency: '实时',
  },
  {
    code: 'GAJ-002',
    name: '机动车登记信息',
    description: '机动车登记、转移、注销信息',
    providerId: 'gaj',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.personalInfo,
    openLegalBasis: basis.personalInfo,
    fields: ['号牌号码', '车辆类型', '所有人', '登记日期'],
    updateFrequency: '每日',
  },
  {
    code: 'GAJ-003',
    name: '户籍办理网点目录',
    description: '公安户籍窗口地址与办公时间',
    providerId: 'gaj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['网点名称', '地址', '办公时间', '电话'],
    updateFrequency: '每月',
  },
  {
    code: 'GAJ-004',
    name: '涉密案件信息',
    description: '涉及国家秘密的案件信息',
    providerId: 'gaj',
    shareClass: 'NOT_SHARED',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.stateSecret,
    openLegalBasis: basis.stateSecret,
    fields: ['案件编号'],
    updateFrequency: '不定期',
  },
  {
    code: 'SCJG-001',
    name: '企业登记基本信息',
    description: '市场主体名称、统一社会信用代码、法定代表人、注册资本',
    providerId: 'scjgj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['企业名称', '统一社会信用代码', '法定代表人', '注册资本', '成立日期'],
    updateFrequency: '每日',
  },
  {
    code: 'SCJG-002',
    name: '行政处罚信息',
    description: '市场监管领域行政处罚决定',
    providerId: 'scjgj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'CONDITIONAL',
    openLegalBasis: basis.enterpriseInfo,
    fields: ['决定书文号', '当事人', '违法事实', '处罚内容'],
    updateFrequency: '每周',
  },
  {
    code: 'SCJG-003',
    name: '食品生产许可信息',
    description: '食品生产许可证发放与变更',
    providerId: 'scjgj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['许可证编号', '生产者名称', '有效期'],
    updateFrequency: '每周',
  },
  {
    code: 'SCJG-004',
    name: '企业年报经营数据',
    description: '企业年度报告中的资产、营收等经营数据',
    providerId: 'scjgj',
    shareClass: 'CONDITIONAL',
    openClass: 'CONDITIONAL',
    shareLegalBasis: basis.enterpriseInfo,
    openLegalBasis: basis.enterpriseInfo,
    fields: ['企业名称', '资产总额', '营业总收入', '纳税总额'],
    updateFrequency: '每年',
  },
  {
    code: 'ZRZY-001',
    name: '国土空间规划图',
    description: '市级国土空间总体规划矢量数据',
    providerId: 'zrzyj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'CONDITIONAL',
    openLegalBasis: basis.dataSecurity,
    fields: ['图斑编号', '用地类型', '面积'],
    updateFrequency: '每年',
  },
  {
    code: 'ZRZY-002',
    name: '不动产登记信息',
    description: '不动产权利人、坐落、权属状态',
    providerId: 'zrzyj',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.realEstate,
    openLegalBasis: basis.realEstate,
    fields: ['不动产单元号', '权利人', '坐落', '权利类型'],
    updateFrequency: '实时',
  },
  {
    code: 'ZRZY-003',
    name: '地质灾害隐患点',
    description: '地质灾害隐患点位置与等级',
    providerId: 'zrzyj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['隐患点编号', '位置', '等级'],
    updateFrequency: '每季度',
  },
  {
    code: 'ZRZY-004',
    name: '测绘地理信息成果',
    description: '大比例尺基础测绘成果',
    providerId: 'zrzyj',
    shareClass: 'CONDITIONAL',
    openClass: 'CONDITIONAL',
    shareLegalBasis: basis.dataSecurity,
    openLegalBasis: basis.dataSecurity,
    fields: ['图幅号', '比例尺', '成果类型'],
    updateFrequency: '每年',
  },
  {
    code: 'RSJ-001',
    name: '社会保险参保信息',
    description: '个人社会保险参保、缴费信息',
    providerId: 'rsj',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.socialSecurity,
    openLegalBasis: basis.personalInfo,
    fields: ['姓名', '公民身份号码', '参保险种', '缴费状态'],
    updateFrequency: '每月',
  },
  {
    code: 'RSJ-002',
    name: '公共就业服务机构名录',
    description: '公共就业服务机构名称、地址、服务项目',
    providerId: 'rsj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['机构名称', '地址', '服务项目'],
    updateFrequency: '每季度',
  },
  {
    code: 'RSJ-003',
    name: '职业技能等级认定汇总',
    description: '按职业、等级汇总的认定人数',
    providerId: 'rsj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'CONDITIONAL',
    openLegalBasis: basis.dataSecurity,
    fields: ['职业', '等级', '人数'],
    updateFrequency: '每季度',
  },
  {
    code: 'RSJ-004',
    name: '劳动保障监察案件',
    description: '劳动保障监察立案与处理',
    providerId: 'rsj',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.personalInfo,
    openLegalBasis: basis.personalInfo,
    fields: ['案件编号', '用人单位', '处理结果'],
    updateFrequency: '每周',
  },
  {
    code: 'WJW-001',
    name: '医疗机构名录',
    description: '医疗机构名称、级别、执业地址',
    providerId: 'wjw',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['机构名称', '级别', '地址', '执业科目'],
    updateFrequency: '每月',
  },
  {
    code: 'WJW-002',
    name: '出生医学证明信息',
    description: '出生医学证明签发信息',
    providerId: 'wjw',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.personalInfo,
    openLegalBasis: basis.personalInfo,
    fields: ['新生儿姓名', '出生日期', '母亲身份证号'],
    updateFrequency: '实时',
  },
  {
    code: 'WJW-003',
    name: '电子病历',
    description: '医疗机构电子病历',
    providerId: 'wjw',
    shareClass: 'NOT_SHARED',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.medical,
    openLegalBasis: basis.medical,
    fields: ['病历号'],
    updateFrequency: '实时',
  },
  {
    code: 'WJW-004',
    name: '传染病统计汇总',
    description: '法定传染病按月、按病种统计',
    providerId: 'wjw',
    shareClass: 'UNCONDITIONAL',
    openClass: 'CONDITIONAL',
    openLegalBasis: basis.dataSecurity,
    fields: ['月份', '病种', '发病数'],
    updateFrequency: '每月',
  },
  {
    code: 'YBJ-001',
    name: '医保定点医药机构',
    description: '医保定点医疗机构和零售药店名录',
    providerId: 'ybj',
    shareClass: 'UNCONDITIONAL',
    openClass: 'UNCONDITIONAL',
    fields: ['机构名称', '机构类型', '地址'],
    updateFrequency: '每月',
  },
  {
    code: 'YBJ-002',
    name: '医保结算明细',
    description: '参保人员医疗费用结算明细',
    providerId: 'ybj',
    shareClass: 'CONDITIONAL',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.medicalInsurance,
    openLegalBasis: basis.personalInfo,
    fields: ['结算号', '参保人', '医疗费用总额', '统筹支付'],
    updateFrequency: '每日',
  },
  {
    code: 'YBJ-003',
    name: '医保基金运行汇总',
    description: '医保基金收支按月汇总',
    providerId: 'ybj',
    shareClass: 'CONDITIONAL',
    openClass: 'CONDITIONAL',
    shareLegalBasis: basis.medicalInsurance,
    openLegalBasis: basis.dataSecurity,
    fields: ['月份', '基金收入', '基金支出'],
    updateFrequency: '每月',
  },
  {
    code: 'YBJ-004',
    name: '医保稽核涉密线索',
    description: '医保基金监管稽核线索',
    providerId: 'ybj',
    shareClass: 'NOT_SHARED',
    openClass: 'NOT_OPEN',
    shareLegalBasis: basis.medicalInsurance,
    openLegalBasis: basis.medicalInsurance,
    fields: ['线索编号'],
    updateFrequency: '不定期',
  },
];
