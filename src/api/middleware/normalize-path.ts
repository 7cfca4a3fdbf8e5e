import type { Middleware } from 'koa';
import { ApiError } from '../../errors.js';

/** Every route answers with or without a trailing slash; a path whose escapes do not decode is a 400. */
export function normalizePath(): Middleware {
  return async (ctx, next) => {
    try {
      decodeURIComponent(ctx.path);
    } catch {
      throw new ApiError('INVALID_REQUEST', 'The URL path contains percent-escapes that do not decode as UTF-8');
    }
    if (ctx.path.length > 1 && ctx.path.endsWith('/')) ctx.path = ctx.path.replace(/\/+$/, '') || '/';
    await next();
  };
}
