import Router from '@koa/router';
import Koa from 'koa';
import { ApiError } from '../errors.js';
import type { ApiDeps, ApiState } from './deps.js';
import { authenticate } from './middleware/authenticate.js';
import { errorHandler } from './middleware/error-handler.js';
import { normalizePath } from './middleware/normalize-path.js';
import { executionRoutes } from './routes/executions.js';
import { functionRoutes } from './routes/functions.js';
import { runRoutes } from './routes/runs.js';
import { tokenRoutes } from './routes/tokens.js';

/**
 * The HTTP API as a Koa application: path normalisation, one error handler, then the public
 * routes, then authentication in front of everything under /v1.
 */
export function createApp(deps: ApiDeps): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.use(errorHandler());
  app.use(normalizePath());

  const open = new Router<ApiState>();
  open.get('/healthz', (ctx) => {
    const status = deps.executor.status();
    ctx.body = {
      status: 'ok',
      warm: status.warm,
      workers: status.workers,
      running: status.running,
      queued: status.queued,
      pristine: status.pristine,
      warm_functions: status.warmFunctions,
      cold_starts: status.coldStarts,
      snapshot: status.image,
    };
  });
  app.use(open.routes());
  app.use(open.allowedMethods());

  const v1 = new Router<ApiState>();
  v1.use('/v1', authenticate(deps.store));
  for (const routes of [functionRoutes(deps), runRoutes(deps), executionRoutes(deps), tokenRoutes(deps)]) {
    v1.use(routes.routes());
    v1.use(routes.allowedMethods({
      throw: true,
      methodNotAllowed: () => new ApiError('METHOD_NOT_ALLOWED'),
      notImplemented: () => new ApiError('METHOD_NOT_ALLOWED'),
    }));
  }
  app.use(v1.routes());

  app.use((ctx) => {
    throw new ApiError('NOT_FOUND', `No route ${ctx.method} ${ctx.path}; see the API reference in the README`);
  });
  return app;
}
