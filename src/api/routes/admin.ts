import Router from '@koa/router';
import { ApiError } from '../../errors.js';
import type { ApiDeps, ApiState } from '../deps.js';

/** Server administration; admin tokens only. */
export function adminRoutes(deps: ApiDeps): Router<ApiState> {
  const { callbackSecret } = deps;
  const router = new Router<ApiState>();

  router.use('/v1/admin', async (ctx, next) => {
    if (!ctx.state.caller.admin) throw new ApiError('FORBIDDEN', 'Only an admin token can use /v1/admin');
    await next();
  });

  // Receivers need the secret to check X-Faaspot-Signature; it is kept out of caches on the way.
  router.get('/v1/admin/callback-secret', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { secret: callbackSecret.secret, source: callbackSecret.source };
  });

  return router;
}
