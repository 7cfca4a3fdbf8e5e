import Router from '@koa/router';
import Koa from 'koa';
import { ApiError } from '../errors.js';
import type { ApiDeps, ApiState } from './deps.js';
import { authenticate } from './middleware/authenticate.js';
import { decodableUrl } from './middleware/decodable-url.js';
import { errorHandler } from './middleware/error-handler.js';
import { normalizePath } from './middleware/normalize-path.js';
import { requestLog } from './middleware/request-log.js';
import { unmatchedRoute } from './middleware/unmatched-route.js';
import { openApiDocument } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { callbackSecretRoutes } from './routes/callback-secret.js';
import { executionRoutes } from './routes/executions.js';
import { functionRoutes } from './routes/functions.js';
import { runRoutes } from './routes/runs.js';
import { tokenRoutes } from './routes/tokens.js';

/**
 * The HTTP API as a Koa application: the request id and log line, one error handler, URL checks and
 * path normalisation, then the public routes, then authentication in front of everything under /v1;
 * what no route takes is a 404 or a 405.
 */
export function createApp(deps: ApiDeps): Koa<ApiState> {
  const app = new Koa<ApiState>();
  const open = new Router<ApiState>();
  open.get('/healthz', (ctx) => {
    const status = deps.executor.status();
    ctx.body = {
      status: 'ok',
      warm: status.warm,
      workers: status.workers,
      running: status.running,
      queued: status.queued,
      draining: status.draining,
      pristine: status.pristine,
      warm_functions: status.warmFunctions,
      cold_starts: status.coldStarts,
      snapshot: status.image,
    };
  });
  open.get('/readyz', async (ctx) => {
    const status = deps.executor.status();
    const reasons: string[] = [];
    if (!status.warm) reasons.push('the interpreters are still warming up');
    if (status.draining) reasons.push('the server is stopping');
    try {
      await deps.store.countTokens();
    } catch {
      reasons.push('the database does not answer');
    }
    if (reasons.length > 0) throw new ApiError('NOT_READY', `Not ready: ${reasons.join('; ')}.`);
    ctx.body = { status: 'ready' };
  });
  const openapi = openApiDocument(deps.config);
  open.get('/v1/openapi.json', (ctx) => {
    ctx.body = openapi;
  });

  const v1 = new Router<ApiState>();
  v1.use('/v1', authenticate(deps.store));
  for (const routes of [functionRoutes(deps), runRoutes(deps), executionRoutes(deps), tokenRoutes(deps), callbackSecretRoutes(deps), adminRoutes(deps)]) {
    v1.use(routes.routes());
  }

  app.use(requestLog(deps));
  app.use(errorHandler());
  app.use(decodableUrl());
  app.use(normalizePath());
  app.use(unmatchedRoute([open, v1]));
  app.use(open.routes());
  app.use(v1.routes());
  return app;
}
