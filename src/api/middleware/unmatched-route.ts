import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { ApiError } from '../../errors.js';
import { showText } from '../../functions/show-text.js';

/**
 * Answers what no route handled: 405 METHOD_NOT_ALLOWED, with an `Allow` header, when the path is a
 * route's but the method is not; else 404 NOT_FOUND. It goes in front of the routers and decides once
 * they have passed the request on, since only then is it known that none took it.
 */
export function unmatchedRoute<State>(routers: readonly Router<State>[]): Middleware<State> {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    const routes = routers.flatMap((router) => router.match(ctx.path, ctx.method).path).filter((layer) => layer.methods.length > 0);
    // A literal path outranks a pattern that also matches it: /v1/executions/bulk is not an execution id.
    const literal = routes.filter((layer) => layer.paramNames.length === 0);
    const allowed = new Set((literal.length > 0 ? literal : routes).flatMap((layer) => layer.methods));
    const where = `${ctx.method} ${showText(ctx.path, 200)}`;
    if (allowed.size === 0) throw new ApiError('NOT_FOUND', `No route ${where}; see the API reference in the README`);
    const allow = [...allowed].join(', ');
    throw new ApiError('METHOD_NOT_ALLOWED', `No route ${where}: this path answers ${allow}`, undefined, { Allow: allow });
  };
}
