import Router from '@koa/router';
import { ApiError } from '../../errors.js';
import type { ApiDeps, ApiState } from '../deps.js';
import { assertNamespaceName } from '../namespace-name.js';

/** Server administration; admin tokens only. */
export function adminRoutes(deps: ApiDeps): Router<ApiState> {
  const { callbackKeys } = deps;
  const router = new Router<ApiState>();

  router.use('/v1/admin', async (ctx, next) => {
    if (!ctx.state.caller.admin) throw new ApiError('FORBIDDEN', 'Only an admin token can use /v1/admin');
    await next();
  });

  // The key of any namespace (`?namespace=`, default the admin's own), for the operator who sets up
  // receivers; never the root secret, from which every namespace's key is derived.
  router.get('/v1/admin/callback-secret', (ctx) => {
    const namespace = namespaceParam(ctx.query.namespace) ?? ctx.state.caller.namespace;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { namespace, secret: callbackKeys.keyFor(namespace), source: callbackKeys.source };
  });

  return router;
}

/** The `namespace` query parameter, checked as the names of namespaces are; undefined when absent. */
function namespaceParam(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new ApiError('INVALID_REQUEST', '`namespace` must be given once');
  return assertNamespaceName(value);
}
