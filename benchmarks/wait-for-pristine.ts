import { allPristine, type FaaspotApi, type Health } from './faaspot-api.js';

/**
 * Polls `/healthz` until every worker holds a pristine interpreter and nothing runs or waits, so that
 * the next new function measures the warm-pool case. A worker boots its replacement once it has been
 * idle for a moment, so an idle server gets there on its own. The wait itself is never timed.
 */
export async function waitForPristine(api: FaaspotApi, timeoutMs = 120_000): Promise<Health> {
  const started = performance.now();
  for (;;) {
    const health = await api.health();
    if (allPristine(health)) return health;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`waited ${timeoutMs} ms for a pristine interpreter in every worker; /healthz: ${JSON.stringify(health)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
