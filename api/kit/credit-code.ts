/** The 统一社会信用代码 field of request bodies (registration, a tender's declared affiliations). */
import { z } from 'zod';
import { CREDIT_CODE_SHAPE, creditCodeProblem } from '../../domain/credit-code';
import { fieldText } from '../errors';

/**
 * A 统一社会信用代码 in a request (domain/credit-code.ts): trimmed and upper-cased, then its shape
 * and its check character; a code that fails either is refused naming which.
 */
export const creditCodeField = z
  .string()
  .trim()
  .toUpperCase()
  // The shape as a pattern, so /openapi.json documents it; the check character needs code.
  .regex(CREDIT_CODE_SHAPE, fieldText('须为 18 位统一社会信用代码', 'must be an 18-character 统一社会信用代码'))
  .refine((code) => creditCodeProblem(code) !== 'CHECK', {
    message: fieldText(
      '校验码（第 18 位）与前 17 位不符（GB 32100-2015），请核对代码',
      'the check character (the 18th) does not match the first 17 (GB 32100-2015); check the code',
    ),
  });
