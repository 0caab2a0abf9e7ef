/** `npm start`'s one-line failures (lib/one-line.ts): the reason after the headline is kept. */
import { oneLine } from '../../lib/one-line';

describe('oneLine', () => {
  it('keeps a one-line message as it is', () => {
    expect(oneLine(new Error('the API could not bind port 3000'))).toBe('the API could not bind port 3000');
  });

  it("keeps the reason a service printed after the headline's colon, on the same line", () => {
    const err = new Error(
      'Postgres exited (code 1) during start-up:\n' +
        '  2026-12-04 18:44:00 UTC [1] LOG:  starting PostgreSQL 18.4\n' +
        '  2026-12-04 18:44:00 UTC [1] FATAL:  lock file "postmaster.pid" already exists\n' +
        '  2026-12-04 18:44:00 UTC [1] HINT:  Is another postmaster (PID 42) running?',
    );
    const line = oneLine(err);
    expect(line).not.toContain('\n');
    expect(line).toBe(
      'Postgres exited (code 1) during start-up: ' +
        '2026-12-04 18:44:00 UTC [1] LOG:  starting PostgreSQL 18.4 | ' +
        '2026-12-04 18:44:00 UTC [1] FATAL:  lock file "postmaster.pid" already exists | ' +
        '2026-12-04 18:44:00 UTC [1] HINT:  Is another postmaster (PID 42) running?',
    );
  });

  it('keeps the last reason lines of a long one and says how many were left out', () => {
    const reason = Array.from({ length: 20 }, (_, i) => `  line ${i + 1}`).join('\n');
    expect(oneLine(new Error(`Temporal exited (code 1) during start-up:\n${reason}`))).toBe(
      'Temporal exited (code 1) during start-up: (17 lines before) line 18 | line 19 | line 20',
    );
    expect(oneLine(new Error('a:\nb\nc'), 1)).toBe('a: (1 line before) c');
  });

  it("keeps a Prisma client error's reason and code, not its code frame", () => {
    const err = Object.assign(
      new Error(
        '\nInvalid `db.auditLog.findFirst()` invocation in\n/srv/app/lib/audit-chain.ts:3:13\n\n' +
          "  1 import { createDb }\n→ 3 db.auditLog.findFirst(\nCan't reach database server at 127.0.0.1:1",
      ),
      { code: 'P1001' },
    );
    expect(oneLine(err)).toBe("P1001: Can't reach database server at 127.0.0.1:1");
  });

  it('skips blank lines, takes what is not an Error, and never answers an empty line', () => {
    expect(oneLine(new Error('\n\n  headline\n\n  reason  \n'))).toBe('headline reason');
    expect(oneLine('plain text')).toBe('plain text');
    expect(oneLine(new Error(''))).toBe('unknown error');
  });
});
