import { randomUUID } from 'node:crypto';
import express, { Express } from 'express';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { authenticate } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, notFoundHandler } from './errors';
import {
  docsSecurityHeaders,
  noStoreForCredentials,
  securityHeaders,
  tokenRateLimit,
  writeRateLimit,
} from './kit/limits';
import { jsonBodies } from './kit/body-type';
import { pathHygiene, textHygiene } from './kit/text-hygiene';
import { openApiDocument } from './openapi';
import { calendarRouter } from './routes/calendar';
import { applicationsRouter } from './routes/applications';
import { auditRouter } from './routes/audit';
import { catalogRouter } from './routes/catalog';
import { catalogManagementRouter } from './routes/catalog-management';
import { departmentsRouter } from './routes/departments';
import { authRouter } from './routes/auth';
import { devTokensRouter } from './routes/dev-tokens';
import { healthRouter } from './routes/health';
import { incidentsRouter } from './routes/security-incident';
import { ATTACHMENT_UPLOAD_PATH, objectionsRouter } from './routes/objection';
import { nonGovernmentApplicationsRouter } from './routes/non-government-access';
import { openDataRouter } from './routes/conditional-open';
import { publicAccountsRouter } from './routes/public-accounts';
import { tasksRouter } from './routes/tasks';
import { authorizationsRouter } from './routes/authorization-followup';
import { tendersRouter } from './routes/tender';
import { supervisionRouter } from './routes/supervision';
import { evaluationRouter } from './routes/evaluation';
import { webRouter } from './web';

/** Where credentials are handed out: rate limited per IP, never cached. */
const TOKEN_PATHS = ['/api/dev/tokens', '/api/auth/login', '/api/auth/callback'];

/** Builds the Express app without listening, so tests drive it with supertest. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
    }),
  );
  app.use(securityHeaders());
  app.use(noStoreForCredentials(TOKEN_PATHS));
  // Before anything reads the path: a malformed escape is INVALID_PATH, not the router's URIError.
  app.use(pathHygiene());
  app.use(express.json({ limit: '1mb' }));
  // A body that is not JSON is 415 naming its type, not a missing field (the upload excepted).
  app.use(jsonBodies([ATTACHMENT_UPLOAD_PATH]));
  // One text check for every endpoint, before any handler can store what it refuses.
  app.use(textHygiene());
  app.use(healthRouter(deps));
  // The web application's static pages (web/), with their own CSP; they need no credentials.
  app.use(webRouter(deps));
  app.use(tokenRateLimit(deps.config, TOKEN_PATHS));
  app.use(devTokensRouter(deps));
  app.use(authenticate(deps));
  app.use(authRouter(deps));
  app.use(writeRateLimit(deps.config));
  app.use(departmentsRouter(deps));
  app.use(catalogRouter(deps), catalogManagementRouter(deps));
  app.use(applicationsRouter(deps));
  app.use(tasksRouter(deps));
  app.use(calendarRouter(deps));
  app.use(nonGovernmentApplicationsRouter(deps));
  app.use(openDataRouter(deps));
  app.use(publicAccountsRouter(deps));
  app.use(objectionsRouter(deps), incidentsRouter(deps));
  app.use(tendersRouter(deps), authorizationsRouter(deps));
  app.use(supervisionRouter(deps), evaluationRouter(deps));
  app.use(auditRouter(deps));

  // Off in production unless API_DOCS=true: the interactive console is for development and review.
  if (deps.config.API_DOCS !== undefined ? deps.config.API_DOCS === 'true' : deps.config.NODE_ENV !== 'production') {
    const document = openApiDocument();
    app.get('/openapi.json', (_req, res) => {
      res.json(document);
    });
    app.use(
      '/docs',
      docsSecurityHeaders(),
      swaggerUi.serve,
      swaggerUi.setup(document, { customSiteTitle: '政务数据审批系统 API' }),
    );
  }

  app.use(notFoundHandler);
  app.use(errorHandler(deps.db));
  return app;
}
