import Router from '@koa/router';
import Koa from 'koa';
import { errorHandler } from './middleware/error-handler.js';
import { normalizePath } from './middleware/normalize-path.js';
import { unmatchedRoute } from './middleware/unmatched-route.js';

/** What the metrics listener serves. */
export interface MetricsSource {
  /** The `Content-Type` of {@link text}. */
  readonly contentType: string;
  /** Every metric, in the Prometheus text format. */
  text(): Promise<string>;
}

/**
 * The metrics listener's application: `GET /metrics` in the Prometheus text format, and nothing else.
 * It runs on a listener of its own (`FAASPOT_METRICS_PORT`), so it asks for no token and is not part
 * of the API or its OpenAPI document; other paths and methods answer as the API's do (404, 405).
 */
export function createMetricsApp(metrics: MetricsSource): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', metrics.contentType);
    // A HEAD answers no body: the exposition, which reads every series, is not built for it.
    if (ctx.method === 'HEAD') {
      ctx.status = 200;
      return;
    }
    ctx.body = await metrics.text();
  });
  app.use(errorHandler());
  app.use(normalizePath());
  app.use(unmatchedRoute([router]));
  app.use(router.routes());
  return app;
}
