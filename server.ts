/** API entry point: `npm run server` (npm start runs it for you with the embedded stack). */
import { createApp } from './api/app';
import { TokenService } from './api/auth';
import { OidcService } from './api/oidc';
import { startReconciler } from './api/kit/starters';
import { loadConfig, requireSetting } from './lib/config';
import { createDb } from './lib/db';
import { createLogger } from './lib/logger';
import { lazyTemporal } from './lib/temporal';

async function main() {
  const config = loadConfig();
  const logger = createLogger('api', config.LOG_LEVEL);
  const db = createDb(requireSetting(config, 'DATABASE_URL'));
  const temporal = lazyTemporal(requireSetting(config, 'TEMPORAL_ADDRESS'), config.TEMPORAL_NAMESPACE);
  const tokens = new TokenService(
    requireSetting(config, 'AUTH_TOKEN_SECRET'),
    config.AUTH_TOKEN_TTL,
    config.maxTokenLifetimeSeconds,
  );
  // In production sign-in is the identity provider's (development tokens are off there).
  if (config.NODE_ENV === 'production') requireSetting(config, 'OIDC_ISSUER');
  const oidc = config.OIDC_ISSUER ? new OidcService(config, db, logger) : null;
  const app = createApp({ config, db, logger, tokens, oidc, temporal });
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'API listening'));
  const stopReconciler = startReconciler({ db, config, temporal }, logger, { everyMs: config.RECONCILE_INTERVAL_MS });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'API shutting down');
    stopReconciler();
    server.close(async () => {
      await db.$disconnect();
      const t = await temporal().catch(() => undefined);
      await t?.connection.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: Error) => {
  console.error(`api: ${err.message}`);
  process.exit(1);
});
