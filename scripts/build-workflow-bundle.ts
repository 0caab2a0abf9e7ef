/**
 * `npm run build:workflows [-- <out.js>]`
 *
 * Bundles workflows/ (webpack, as the worker would at every start) into one file the
 * production worker loads with `workflowBundle: { codePath }` (worker.ts, WORKFLOW_BUNDLE_PATH).
 * The Dockerfile runs it once at image build. Output path: the argument, else
 * WORKFLOW_BUNDLE_PATH, else dist/workflow-bundle.js; relative paths are from the current folder.
 * Prints one line with the path and size. Exit codes: 0 written, 2 bad arguments, 1 bundling failed.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const NAME = 'build:workflows';
export const DEFAULT_WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'dist', 'workflow-bundle.js');

/** Bundles workflows/ into `outPath` (folders created; written whole or not at all). */
export async function buildWorkflowBundle(outPath: string): Promise<{ path: string; bytes: number }> {
  const target = path.resolve(outPath);
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // Webpack's statistics are info-level noise here; warnings and errors still show.
    logger: new DefaultLogger('WARN'),
  });
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, target);
  return { path: target, bytes: Buffer.byteLength(code) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) {
    console.error(
      `${NAME}: usage: npm run ${NAME} [-- <out.js>]   (default: $WORKFLOW_BUNDLE_PATH or dist/workflow-bundle.js)`,
    );
    process.exit(2);
  }
  const out = args[0] || process.env.WORKFLOW_BUNDLE_PATH || DEFAULT_WORKFLOW_BUNDLE_PATH;
  const { path: written, bytes } = await buildWorkflowBundle(out);
  const shown = path.relative(process.cwd(), written);
  const where = shown.startsWith('..') || path.isAbsolute(shown) ? written : shown;
  console.log(`${NAME}: wrote ${where} (${(bytes / 1024 / 1024).toFixed(2)} MB)`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`${NAME}: ${err.stack ?? err.message}`);
    process.exit(1);
  });
}
