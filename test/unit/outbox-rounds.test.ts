/**
 * The outbox dispatcher's rounds while the database is down (lib/outbox.ts): failed rounds back
 * off instead of being logged every interval, and the first round that works says so. A stub
 * database and jest's fake timers: the real outbox against Postgres and SMTP is in
 * test/integration/outbox*.test.ts.
 */
import type { Transporter } from 'nodemailer';
import type { Db } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import type { MailTemplates } from '../../lib/mailer';
import { nextRoundDelay, ROUND_BACKOFF_MAX_MS, startOutboxDispatcher } from '../../lib/outbox';

const unreachable = () =>
  Object.assign(
    new Error("\nInvalid `prisma.$queryRaw()` invocation:\n\n\nCan't reach database server at 127.0.0.1:54320"),
    { code: 'P1001' },
  );

describe('outbox rounds', () => {
  it('wait: none after a full round, the interval after a short one, doubling after failures up to the cap', () => {
    const r = { batchSize: 20, intervalMs: 1000 };
    expect(nextRoundDelay({ ...r, sent: 20, failedRounds: 0 })).toBe(0);
    expect(nextRoundDelay({ ...r, sent: 3, failedRounds: 0 })).toBe(1000);
    expect([1, 2, 3, 4, 5, 6].map((failedRounds) => nextRoundDelay({ ...r, sent: 0, failedRounds }))).toEqual([
      1000,
      2000,
      4000,
      8000,
      16000,
      ROUND_BACKOFF_MAX_MS,
    ]);
    expect(nextRoundDelay({ ...r, sent: 0, failedRounds: 60 })).toBe(ROUND_BACKOFF_MAX_MS);
  });

  describe('with the database down, then back', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('logs the first failure with its error, each further one as one line with the wait, and the recovery', async () => {
      let down = 4; // failed rounds before the database answers again
      const queryRaw = jest.fn(async () => {
        if (down > 0) {
          down -= 1;
          throw unreachable();
        }
        return []; // nothing abandoned, nothing to claim
      });
      const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn() };
      const stop = startOutboxDispatcher({
        db: { $queryRaw: queryRaw } as unknown as Db,
        transport: {} as Transporter,
        templates: {} as MailTemplates,
        from: 'noreply@example.gov.cn',
        logger: logger as unknown as Logger,
        intervalMs: 1000,
      });
      const rounds = () => logger.error.mock.calls.length + logger.info.mock.calls.length;

      await jest.advanceTimersByTimeAsync(0);
      expect(logger.error).toHaveBeenCalledTimes(1);
      const [first, firstMessage] = logger.error.mock.calls[0];
      expect(firstMessage).toBe('outbox round failed');
      expect(first).toMatchObject({ retryInMs: 1000, err: expect.objectContaining({ code: 'P1001' }) });

      // Each wait is the one announced: one round more exactly when it has passed, not before.
      for (const [wait, failedRounds] of [
        [1000, 2],
        [2000, 3],
        [4000, 4],
      ]) {
        await jest.advanceTimersByTimeAsync(wait - 1);
        expect(rounds()).toBe(failedRounds - 1);
        await jest.advanceTimersByTimeAsync(1);
        expect(logger.error).toHaveBeenCalledTimes(failedRounds);
        expect(logger.error.mock.calls[failedRounds - 1]).toEqual([
          {
            failedRounds,
            retryInMs: wait * 2,
            reason: "P1001: Can't reach database server at 127.0.0.1:54320",
          },
          'outbox round failed again',
        ]);
      }

      await jest.advanceTimersByTimeAsync(8000);
      expect(logger.info).toHaveBeenCalledWith({ failedRounds: 4 }, 'outbox rounds work again');
      // Back to the interval, and no further failure or recovery line.
      await jest.advanceTimersByTimeAsync(3000);
      expect(logger.error).toHaveBeenCalledTimes(4);
      expect(logger.info).toHaveBeenCalledTimes(1);
      // 4 failed rounds (their first query), then 4 rounds at 15, 16, 17 and 18 s: each looks for
      // abandoned rows and makes one claim per sending slot (4 by default), finding nothing.
      expect(queryRaw.mock.calls.length).toBe(4 + 4 * (1 + 4));
      await stop();
    });
  });
});
