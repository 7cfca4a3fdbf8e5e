import { randomUUID } from 'node:crypto';
import type { Layer } from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../../telemetry/logger.js';
import type { HttpMetrics } from '../../telemetry/metrics.js';
import type { ApiState } from '../deps.js';

/** Options of {@link requestLog}. */
export interface RequestLogOptions {
  /** Receives one `request` line per answered request, at level info. */
  logger: Logger;
  /** Counts each answered request by method, route template and status. */
  metrics: HttpMetrics;
}

/**
 * An incoming `X-Request-Id` is kept when it is 1 to 128 visible ASCII characters: anything else (too
 * long, spaces, control or non-ASCII characters) could break a log line or a log query, and is
 * replaced by a new id.
 */
export const USABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The route label of a request that no route took: one series, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Gives every request an id (the caller's `X-Request-Id` if usable, else a new UUID), echoes it in
 * the `X-Request-Id` answer header, and once the answer is decided counts it and logs one line:
 * `request_id`, `method`, `route` (the template, `/v1/functions/:name`), `path`, `status`,
 * `duration_ms`, and where known `namespace`, `execution_id` (a single run's, blocking or not; never a
 * bulk's) and the error `code`.
 * Never the query string (a run's arguments) or headers (the token). Goes first, so it sees the
 * status the error handler chose.
 */
export function requestLog({ logger, metrics }: RequestLogOptions): Middleware<ApiState> {
  return async (ctx, next) => {
    const started = performance.now();
    const incoming = ctx.get('x-request-id');
    const id = USABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    let failed = false;
    try {
      await next();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // An error past the error handler is answered by Koa itself, with a 500.
      const status = failed ? 500 : ctx.status;
      const route = matchedRoute(ctx);
      metrics.requestEnded(ctx.method, route, status);
      if (logger.isLevelEnabled('info')) {
        const body = ctx.body as { code?: unknown } | null | undefined;
        logger.info(
          {
            request_id: id,
            method: ctx.method,
            route,
            path: ctx.path,
            status,
            duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
            namespace: ctx.state.caller?.namespace,
            execution_id: ctx.state.executionId,
            code: status >= 400 && typeof body?.code === 'string' ? body.code : undefined,
          },
          'request',
        );
      }
    }
  };
}

/** The template of the route that took the request (the last layer registered for its method), else {@link UNMATCHED_ROUTE}. */
function matchedRoute(ctx: Context): string {
  const matched = (ctx as { matched?: Layer[] }).matched;
  if (matched) {
    for (let i = matched.length - 1; i >= 0; i--) {
      const layer = matched[i] as Layer;
      if (layer.methods.includes(ctx.method)) return String(layer.path);
    }
  }
  return UNMATCHED_ROUTE;
}
