import { allPristine, type FaaspotApi, type Health } from './faaspot-api.js';

/** How often a stale count is refreshed; the wait itself is never timed. */
const REFRESH_MS = 250;

/** Runs `name` once per worker, all at once, so that each worker is likely to run one. */
async function refresh(api: FaaspotApi, name: string, workers: number): Promise<void> {
  await Promise.all(Array.from({ length: workers }, () => api.runBlocking(name)));
}

/**
 * Runs `refresher` (a function of the server) once per worker, then polls `/healthz` until every
 * worker holds a pristine interpreter and nothing runs or waits, so that the next new function
 * measures the warm-pool case. After the first call `refresher` is warm in every worker, and its
 * runs take no pristine interpreter.
 *
 * The refreshes are needed because the engine learns that a worker's replacement interpreter has
 * booted only from that worker's next task result: on an idle server `pristine` stays below
 * `workers` after a cold start, however long ago the boot ended. So while the count is short, the
 * refresher runs again about every {@link REFRESH_MS}.
 */
export async function waitForPristine(api: FaaspotApi, refresher: string, timeoutMs = 120_000): Promise<Health> {
  const started = performance.now();
  await refresh(api, refresher, (await api.health()).workers);
  let refreshed = performance.now();
  for (;;) {
    const health = await api.health();
    if (allPristine(health)) return health;
    const now = performance.now();
    if (now - started > timeoutMs) {
      throw new Error(`waited ${timeoutMs} ms for a pristine interpreter in every worker; /healthz: ${JSON.stringify(health)}`);
    }
    if (health.running === 0 && health.queued === 0 && now - refreshed >= REFRESH_MS) {
      await refresh(api, refresher, health.workers);
      refreshed = performance.now();
    } else {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
