/**
 * 统一社会信用代码 (GB 32100-2015): 18 characters from 0–9 and the capitals without I, O, S, V
 * and Z; positions 3–8 the administrative division (digits); the 18th a check character over the
 * first 17. A code with a wrong check character is a typing error: a bidder's code declared by an
 * evaluator as an affiliation would then match no bidder, and the conflict would go unnoticed.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Weight of position i (1-based) is 3^(i−1) mod 31. */
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export const CREDIT_CODE_SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character for the first 17 characters of a code (of the right shape). */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return ALPHABET[(31 - (sum % 31)) % 31];
}

/** What is wrong with a code (upper case), or null: SHAPE (characters, length), CHECK (18th character). */
export function creditCodeProblem(code: string): 'SHAPE' | 'CHECK' | null {
  if (!CREDIT_CODE_SHAPE.test(code)) return 'SHAPE';
  return creditCodeCheckCharacter(code.slice(0, 17)) === code[17] ? null : 'CHECK';
}
