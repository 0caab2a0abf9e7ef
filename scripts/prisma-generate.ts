/**
 * `prisma generate` without internet: the CLI insists on a schema-engine binary it never runs
 * for generation, so point it at any existing executable unless the operator provided one.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ||= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';

const cli = path.join(__dirname, '..', 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
