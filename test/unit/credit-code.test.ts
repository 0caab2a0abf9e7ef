/** 统一社会信用代码 (domain/credit-code.ts): shape and the GB 32100-2015 check character. */
import { creditCodeCheckCharacter, creditCodeProblem } from '../../domain/credit-code';

describe('统一社会信用代码', () => {
  it("accepts the standard's worked example and codes whose check character is computed", () => {
    // The code widely cited as GB 32100-2015's worked example of the check character.
    expect(creditCodeProblem('91350100M000100Y43')).toBeNull();
    expect(creditCodeCheckCharacter('91350100M000100Y4')).toBe('3');
    for (const code of ['91371500MA3C00001J', '91371500MA3C00002M', '91371500MA3C00003Q', '12370000495570001Y'])
      expect(creditCodeProblem(code)).toBeNull();
  });

  it('finds every single changed character and every swap of two different neighbours in a valid code', () => {
    const valid = '91371500MA3C00002M';
    const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    for (let i = 0; i < 18; i++) {
      for (const c of alphabet) {
        if (c === valid[i]) continue;
        const typo = valid.slice(0, i) + c + valid.slice(i + 1);
        // Positions 3–8 take digits only: a letter there is a SHAPE problem, the rest a CHECK one.
        expect(creditCodeProblem(typo)).not.toBeNull();
      }
    }
    for (let i = 0; i < 17; i++) {
      if (valid[i] === valid[i + 1]) continue;
      const swapped = valid.slice(0, i) + valid[i + 1] + valid[i] + valid.slice(i + 2);
      expect(creditCodeProblem(swapped)).not.toBeNull();
    }
  });

  it('names the problem: SHAPE for the characters and the length, CHECK for the 18th character', () => {
    expect(creditCodeProblem('91371500MA3C00002')).toBe('SHAPE'); // 17 characters
    expect(creditCodeProblem('91371500MA3C0000OM')).toBe('SHAPE'); // O is not used
    expect(creditCodeProblem('913715A0MA3C00002M')).toBe('SHAPE'); // a letter in the division code
    expect(creditCodeProblem('91371500MA3C00002X')).toBe('CHECK');
    expect(creditCodeProblem('91371500MA3C000002')).toBe('CHECK');
  });
});
