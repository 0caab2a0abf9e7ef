import {
  closesAccess,
  entryChanges,
  findDuplicates,
  legalBasisProblems,
  normalizedName,
  openListOf,
} from '../../domain/catalog-rules';

describe('catalog rules (Art. 17, 21, 24, 25)', () => {
  it('needs a legal basis for every class except UNCONDITIONAL, share and open separately', () => {
    expect(legalBasisProblems({ shareClass: 'UNCONDITIONAL', openClass: 'UNCONDITIONAL' })).toEqual([]);
    expect(legalBasisProblems({ shareClass: 'CONDITIONAL', openClass: 'NOT_OPEN' }).map((p) => p.path)).toEqual([
      'shareLegalBasis',
      'openLegalBasis',
    ]);
    expect(
      legalBasisProblems({
        shareClass: 'NOT_SHARED',
        openClass: 'CONDITIONAL',
        shareLegalBasis: '  ',
        openLegalBasis: '依据',
      }),
    ).toEqual([
      {
        path: 'shareLegalBasis',
        zh: expect.stringMatching(/^共享类型 NOT_SHARED 须有法律、法规或者国务院政策依据（第二十一条第二款/),
        en: expect.stringMatching(/^share class NOT_SHARED needs a legal basis \(Art\. 21/),
      },
    ]);
  });

  it('finds the same data of another department by normalised name or by nearly the same data items', () => {
    expect(normalizedName('企业 登记信息（基础库）')).toBe(normalizedName('企业登记数据'));
    const others = [
      { code: 'A', name: '企业登记信息', departmentId: 'scjgj', fields: ['x'], source: 'PUBLISHED' as const },
      {
        code: 'B',
        name: '别的名字',
        departmentId: 'gaj',
        fields: ['姓名', '证件号', '住址', '电话'],
        source: 'SUBMITTED' as const,
      },
      { code: 'C', name: '企业登记数据', departmentId: 'rsj', fields: [], source: 'PUBLISHED' as const },
      { code: 'D', name: '别的名字', departmentId: 'gaj', fields: ['姓名', '证件号'], source: 'PUBLISHED' as const },
    ];
    const found = findDuplicates(
      { code: 'NEW', name: '企业 登记信息', departmentId: 'rsj', fields: ['姓名', '证件号', '住址', '电话'] },
      others,
    );
    // C is the department's own entry; D shares too few items.
    expect(found.map((d) => [d.code, d.reason])).toEqual([
      ['A', '名称相同'],
      ['B', '数据项重合100%'],
    ]);
  });

  it('records what a version changes and which class changes close access', () => {
    const v1 = {
      code: 'X',
      name: 'n',
      description: 'd',
      fields: ['a'],
      shareClass: 'UNCONDITIONAL' as const,
      openClass: 'CONDITIONAL' as const,
      openLegalBasis: 'b',
      updateFrequency: '每月',
    };
    const v2 = { ...v1, shareClass: 'NOT_SHARED' as const, shareLegalBasis: 'c', fields: ['a', 'b'] };
    expect(entryChanges(null, v1)).toEqual({});
    expect(entryChanges(v1, v2)).toEqual({
      fields: { from: ['a'], to: ['a', 'b'] },
      shareClass: { from: 'UNCONDITIONAL', to: 'NOT_SHARED' },
      shareLegalBasis: { from: null, to: 'c' },
    });
    expect(closesAccess(v1, v2)).toEqual({ share: true, open: false });
    expect(closesAccess(v2, v2)).toEqual({ share: false, open: false });
    expect(closesAccess(null, v2)).toEqual({ share: false, open: false });
    expect([openListOf('UNCONDITIONAL'), openListOf('CONDITIONAL'), openListOf('NOT_OPEN')]).toEqual([
      '无条件开放清单',
      '有条件开放清单',
      null,
    ]);
  });
});
