import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in tests log only warnings; the native runtime can be installed once per process.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier test file in this process
}
