// ESLint 9 flat config: typescript-eslint's recommended rules (syntax only, no type information,
// so `npm run lint` stays fast) over every TypeScript file, and one rule that keeps workflows/
// deterministic. Formatting is Prettier's job (eslint-config-prettier turns off clashing rules).
// CommonJS on purpose: test/unit/lint-workflows.test.ts requires it under Jest, which cannot
// import() an ES module without --experimental-vm-modules.
const js = require('@eslint/js');
const prettier = require('eslint-config-prettier');
const tseslint = require('typescript-eslint');

/**
 * Workflow code runs in Temporal's sandbox and is replayed from history, so it may load at
 * run time only what is deterministic and bundleable. Everything else may be imported as
 * `import type` (erased at compile time) and nothing more.
 */
const WORKFLOW_VALUE_IMPORTS_OUTSIDE = [
  // The Workflow API itself.
  '@temporalio/workflow',
  // The SDK's shared definitions (search attribute keys, failures, payload converters): the
  // workflow package depends on it, it is bundled into every workflow bundle, and it does no I/O.
  // workflows/search-attributes.ts needs defineSearchAttributeKey, which the workflow package
  // does not re-export.
  '@temporalio/common',
];
/**
 * Modules outside workflows/ (relative to the repository root) that a workflow may load as
 * values. Each must be pure: no imports, no I/O, no clock, no randomness.
 */
const WORKFLOW_VALUE_IMPORTS_FROM_REPO = [
  // Score sheet validation in the tender workflow; pure arithmetic on its arguments, imports nothing.
  'domain/tender-ranking',
];
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The rule for a file `depth` folders below workflows/ (workflows/x.ts is 0, workflows/kit/x.ts
 * is 1): a value import must be a listed package, a relative path that stays inside workflows/,
 * or a listed pure module; any other source is allowed only as `import type` / `export type`.
 */
function workflowImportRule(depth) {
  const up = '\\.\\./'.repeat(depth);
  const allowedPackages = WORKFLOW_VALUE_IMPORTS_OUTSIDE.map(escapeRegex).join('|');
  const allowedRepoModules = WORKFLOW_VALUE_IMPORTS_FROM_REPO.map((m) => `${up}\\.\\./${escapeRegex(m)}`).join('|');
  return [
    'error',
    {
      patterns: [
        {
          // Not relative: a package or a Node built-in (fs, node:fs, @prisma/client, pg, date-fns, ...).
          regex: `^(?!\\.|(?:${allowedPackages})$)`,
          caseSensitive: true,
          allowTypeImports: true,
          message:
            'Workflow code must stay deterministic: import values only from @temporalio/workflow and workflow-side modules (workflows/**); use `import type` for anything else.',
        },
        {
          // Relative, but leaving workflows/ (activities, domain, lib, generated, ...).
          regex: `^(?!(?:${allowedRepoModules})$)${up}\\.\\.(?:/|$)`,
          caseSensitive: true,
          allowTypeImports: true,
          message:
            'Workflow code must stay deterministic: modules outside workflows/ (activities, lib, domain, generated) may be imported with `import type` only; call side effects through activities.',
        },
      ],
    },
  ];
}
const WORKFLOW_MAX_DEPTH = 3;

function workflowBlock(files, depth) {
  return {
    files: [files],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': workflowImportRule(depth),
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression',
          message: 'Workflow code must not load modules at run time (no dynamic import()).',
        },
      ],
    },
  };
}

module.exports = tseslint.config(
  {
    ignores: ['node_modules/', 'generated/', '.data/', 'dist/', 'coverage/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // A `let` declared before the handlers that read it and assigned once later (workflows install
      // their Update handlers before the first await, e.g. `loaded` in workflows/tender.ts) is not a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // chinese-workday only loads through require(): a static import is rejected by tsc (TS1479,
      // see domain/calendar/chinese-workday-source.ts).
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^chinese-workday$'] }],
      // A leading underscore marks a binding unused on purpose, e.g. `{ _key, ...rest }` to drop a field.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // web/: the browser's ES modules (served as they are, no build step).
  {
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'sessionStorage',
          'fetch',
          'crypto',
          'Node',
          'FormData',
          'URLSearchParams',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['jest.config.js', '*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // workflows/: deterministic imports. One block per folder depth, because whether `../x` leaves
  // workflows/ depends on where the importing file is. The first block covers every file and
  // fails closed for files deeper than WORKFLOW_MAX_DEPTH (the depth-0 rule refuses value imports
  // from any parent folder); the blocks after it override it for each depth they know.
  workflowBlock('workflows/**/*.ts', 0),
  ...Array.from({ length: WORKFLOW_MAX_DEPTH + 1 }, (_, depth) =>
    workflowBlock(`workflows/${'*/'.repeat(depth)}*.ts`, depth),
  ),
  prettier,
);
