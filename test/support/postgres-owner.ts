/**
 * A process that owns an embedded Postgres, as `npm start`, the bench and the test setup do, for
 * local-services.test.ts. Usage: `tsx postgres-owner.ts <dir> stop-on-signal | taken-port`.
 *  - stop-on-signal: starts Postgres, prints `up <postmaster pid>`; on SIGTERM it takes its time
 *    (as an owner stopping a worker and an API first would), prints `stopping`, stops Postgres,
 *    prints `stopped` and exits 0. Printing `stopped` proves nothing exited the process early.
 *  - taken-port: starts Postgres on a port this process holds and prints what the start threw.
 *  - exit-unstopped: starts Postgres, prints `up <postmaster pid>` and exits without stopping it
 *    (an owner that forgot to, or crashed through process.exit): its exit hook must stop Postgres.
 */
import net from 'node:net';
import { freePort, PortTakenError, startEmbeddedPostgres } from '../../scripts/lib/services';

async function main(dir: string, mode: string): Promise<void> {
  const log = () => undefined;
  if (mode === 'taken-port') {
    const holder = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      await startEmbeddedPostgres({ dir, port, database: 'owner_test', log, quiet: true });
      console.log('started');
    } catch (err) {
      console.log(JSON.stringify({ portTaken: err instanceof PortTakenError, message: (err as Error).message }));
    }
    holder.close();
    process.exit(0);
  }
  const pg = await startEmbeddedPostgres({ dir, port: await freePort(), database: 'owner_test', log, quiet: true });
  if (mode === 'exit-unstopped') {
    console.log(`up ${pg.pids().join(' ')}`);
    process.exit(0);
  }
  process.on('SIGTERM', () => {
    setTimeout(() => {
      console.log('stopping');
      void pg.stop().then(() => {
        console.log('stopped');
        process.exit(0);
      });
    }, 1_000);
  });
  console.log(`up ${pg.pids().join(' ')}`);
}

void main(process.argv[2], process.argv[3]);
