/**
 * `npm run audit:verify`: recomputes the audit trail's hash chain (lib/audit-chain.ts) and reports
 * the first broken link. Exit code 0 when the whole chain holds, 1 at a broken link, 2 when it
 * cannot run. Reads DATABASE_URL (the app role may read the audit log). Progress goes to stderr
 * every 50,000 rows; the result is one line on stdout, or JSON with --json.
 */
import { verifyAuditChain } from '../lib/audit-chain';
import { createDb } from '../lib/db';
import { oneLine } from '../lib/one-line';

const NAME = 'audit:verify';

async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`${NAME}: DATABASE_URL must be set`);
    return 2;
  }
  const db = createDb(url);
  try {
    let reported = 0;
    const result = await verifyAuditChain(db, {
      onProgress: (n) => {
        if (n - reported >= 50_000) {
          reported = n;
          console.error(`${NAME}: ${n} rows checked…`);
        }
      },
    });
    if (json) console.log(JSON.stringify(result));
    else if (result.ok)
      console.log(`${NAME}: OK, ${result.rowsChecked} rows, head ${result.lastGood.seq} ${result.lastGood.hash}`);
    else {
      const b = result.firstBroken!;
      console.log(
        `${NAME}: BROKEN at seq ${b.seq} (${b.kind}): ${b.message}; expected ${b.expected}, found ${b.found}; ` +
          `${result.rowsChecked} rows verified before it`,
      );
    }
    return result.ok ? 0 : 1;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`${NAME}: ${oneLine(err)}`);
    process.exit(2);
  },
);
