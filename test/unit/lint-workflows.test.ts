/**
 * The lint rule that keeps workflows/ deterministic (eslint.config.mjs) can fail: a workflow
 * file that loads Prisma, a Node built-in, an activity module or lib/ as a value is an error,
 * while `import type` of the same modules, @temporalio/workflow and workflow-side modules are
 * fine. The snippets are linted under the repository's real config, as `npm run lint` does
 * (passed in as an object: ESLint would import() the file, which Jest cannot do).
 */
import path from 'node:path';
import { ESLint, Linter } from 'eslint';

const ROOT = path.join(__dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS config, loaded the way ESLint would
const config = require('../../eslint.config.cjs') as Linter.Config[];
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: config });

async function importFindings(code: string, filePath: string): Promise<Array<{ line: number; ruleId: string | null }>> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  const fatal = result.messages.filter((m: Linter.LintMessage) => m.fatal);
  if (fatal.length > 0) throw new Error(`${filePath} did not parse: ${fatal.map((m) => m.message).join('; ')}`);
  return result.messages
    .filter((m: Linter.LintMessage) => m.ruleId === RULE || m.ruleId === 'no-restricted-syntax')
    .map((m: Linter.LintMessage) => ({ line: m.line, ruleId: m.ruleId }));
}

/** One import per line, so a finding's line says which import it is about. */
const lines = (...imports: string[]) => imports.join('\n') + '\n';

describe('lint: workflow code imports only deterministic modules', () => {
  const forbiddenValueImports = [
    "import { PrismaClient } from '@prisma/client';",
    "import { readFileSync } from 'node:fs';",
    "import fs from 'fs';",
    "import { createInboxActivities } from '../activities/inbox';",
    "import { loadConfig } from '../lib/config';",
    "import { DEFAULT_POLICY } from '../domain/policy';",
    "import { Pool } from 'pg';",
    "import nodemailer from 'nodemailer';",
    "import { addDays } from 'date-fns';",
    "import { Worker } from '@temporalio/worker';",
    "import '../lib/db';",
    "export { createDb } from '../lib/db';",
    "export * from '../activities';",
  ];

  it.each(forbiddenValueImports)('refuses %s in workflows/', async (statement) => {
    expect(await importFindings(lines(statement), 'workflows/x.ts')).toEqual([{ line: 1, ruleId: RULE }]);
  });

  it('reports every forbidden value import of a file, each on its own line', async () => {
    const findings = await importFindings(lines(...forbiddenValueImports), 'workflows/x.ts');
    expect(findings.map((f) => f.line)).toEqual(forbiddenValueImports.map((_, i) => i + 1));
  });

  it('refuses a value import that leaves workflows/ from a subfolder (workflows/kit/)', async () => {
    const code = lines(
      "import { createDb } from '../../lib/db';",
      "import { createInboxActivities } from '../../activities/inbox';",
      "import { readFileSync } from 'node:fs';",
    );
    expect(await importFindings(code, 'workflows/kit/x.ts')).toEqual([
      { line: 1, ruleId: RULE },
      { line: 2, ruleId: RULE },
      { line: 3, ruleId: RULE },
    ]);
  });

  it('fails closed below the deepest folder the config knows: no value import from a parent folder', async () => {
    const code = lines("import { helper } from '../helper';", "import { readFileSync } from 'node:fs';");
    expect(await importFindings(code, 'workflows/a/b/c/d/x.ts')).toEqual([
      { line: 1, ruleId: RULE },
      { line: 2, ruleId: RULE },
    ]);
  });

  it('refuses loading modules at run time with import()', async () => {
    expect(await importFindings("export const later = () => import('./messages');\n", 'workflows/x.ts')).toEqual([
      { line: 1, ruleId: 'no-restricted-syntax' },
    ]);
  });

  it('allows type imports of the same modules, @temporalio/workflow and workflow-side modules', async () => {
    const code = lines(
      "import type { PrismaClient } from '@prisma/client';",
      "import type { Stats } from 'node:fs';",
      "import type { OpenTaskInput } from '../activities/inbox';",
      "import { type Activities } from '../activities';",
      "import type { ProcedurePolicy } from '../domain/policy';",
      "import type { Db } from '../lib/db';",
      "export type { AppConfig } from '../lib/config';",
      "import { condition, defineUpdate, proxyActivities } from '@temporalio/workflow';",
      "import { defineSearchAttributeKey } from '@temporalio/common';",
      "import { withdrawUpdate } from './messages';",
      "import { acts } from './procedure-kit';",
      "import { helper } from './kit/helper';",
      "import { scoreSheetProblems } from '../domain/tender-ranking';",
      "export { unconditionalShareWorkflow } from './unconditional-share';",
    );
    expect(await importFindings(code, 'workflows/x.ts')).toEqual([]);
  });

  it('allows a subfolder of workflows/ to import its parent folder', async () => {
    const code = lines(
      "import { completeTaskUpdate } from '../messages';",
      "import { SA } from '../search-attributes';",
      "import { scoreSheetProblems } from '../../domain/tender-ranking';",
      "import type { Db } from '../../lib/db';",
    );
    expect(await importFindings(code, 'workflows/kit/x.ts')).toEqual([]);
  });

  it('applies only to workflows/: activities may import anything', async () => {
    const code = lines("import { readFileSync } from 'node:fs';", "import { PrismaClient } from '@prisma/client';");
    expect(await importFindings(code, 'activities/x.ts')).toEqual([]);
  });
});
