import pino from 'pino';

/** One logger for API, worker and scripts. Secrets are redacted wherever they might appear. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info') {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'authorization',
        'token',
        'password',
        '*.password',
        '*.token',
        'smtpUrl',
        'databaseUrl',
      ],
      censor: '[redacted]',
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
