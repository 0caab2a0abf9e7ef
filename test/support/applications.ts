/** The body of a conditional share application (市人社局 asking for 市公安局's GAJ-001), for API tests. */
export function shareSubmission(idempotencyKey: string, overrides: Record<string, unknown> = {}) {
  return {
    idempotencyKey,
    resourceCodes: ['GAJ-001'],
    purpose: '核验社会保险待遇领取人员户籍状态',
    legalDuty: '《社会保险法》第八十一条',
    fieldsRequested: ['姓名', '公民身份号码'],
    usePeriodDays: 90,
    accessMode: 'INTERFACE',
    ...overrides,
  };
}
