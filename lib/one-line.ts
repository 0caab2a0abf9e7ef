/**
 * A failure as one line for a terminal, no stack trace. A message of several lines is a headline
 * and its reason (a service that exited during start-up: what it printed last, the FATAL line
 * among it): the headline is kept with the last few reason lines, joined on the same line, so the
 * reason is never cut off after the colon that announces it. A Prisma client error is a code frame
 * of the calling line with the reason last: the reason alone is kept, after its code.
 */
export const REASON_LINES = 3;
const SEPARATOR = ' | ';
/** The first line of a Prisma client error: "Invalid `db.auditLog.findFirst()` invocation in". */
const PRISMA_INVOCATION = /^Invalid `[^`]+` invocation\b/;

export function oneLine(err: unknown, reasonLines = REASON_LINES): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return 'unknown error';
  const [headline, ...reason] = lines;
  if (PRISMA_INVOCATION.test(headline) && reason.length > 0) {
    const code = (err as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${reason[reason.length - 1]}`;
  }
  if (reason.length === 0) return headline;
  const kept = reason.slice(-reasonLines);
  const skipped = reason.length - kept.length;
  const lead = skipped > 0 ? `(${skipped} line${skipped === 1 ? '' : 's'} before) ` : '';
  return `${headline} ${lead}${kept.join(SEPARATOR)}`;
}
