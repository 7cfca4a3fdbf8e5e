import Router from '@koa/router';
import type { ApiDeps, ApiState } from '../deps.js';

/**
 * `GET /v1/callback-secret`: any token reads the key that signs its own namespace's completion
 * callbacks, for its receivers to check `X-Faaspot-Signature`. Never another namespace's key, nor
 * the root secret it is derived from.
 */
export function callbackSecretRoutes(deps: ApiDeps): Router<ApiState> {
  const { callbackKeys } = deps;
  const router = new Router<ApiState>();

  router.get('/v1/callback-secret', (ctx) => {
    const { namespace } = ctx.state.caller;
    // A key on its way to a receiver's configuration: no cache on the way may keep it.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { namespace, secret: callbackKeys.keyFor(namespace) };
  });

  return router;
}
