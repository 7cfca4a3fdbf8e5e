import type { Middleware } from 'koa';

/** Every route answers with or without a trailing slash. */
export function normalizePath(): Middleware {
  return async (ctx, next) => {
    if (ctx.path.length > 1 && ctx.path.endsWith('/')) ctx.path = ctx.path.replace(/\/+$/, '') || '/';
    await next();
  };
}
