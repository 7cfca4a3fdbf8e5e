import type { BenchContext } from '../bench-context.js';
import type { Cleanup } from '../cleanup.js';
import { FaaspotApi } from '../faaspot-api.js';
import { ServerProcess } from '../server-process.js';
import type { Scenario } from '../scenario.js';

/** Spawn to the first `/healthz` that says `warm: true`, then stops the server. */
async function timeStart(context: BenchContext, cleanup: Cleanup, dataDir: string): Promise<number> {
  const server = await ServerProcess.start(cleanup, { dataDir, adminToken: context.adminToken, workers: context.options.workers });
  const api = new FaaspotApi(context.client, server.url, context.adminToken);
  await api.waitFor('warm: true', (health) => health.warm);
  const elapsed = performance.now() - server.spawnedAt;
  await server.stop();
  return elapsed;
}

/**
 * `node dist/src/main.js` started twice on one data directory. The first start has nothing cached
 * and is the baseline; the second may use whatever the first left on disk (a snapshot) and is ours.
 */
export const startToReady: Scenario = {
  name: 'start',
  title: 'server start to ready',
  run(context) {
    return context.cleanup.scoped(async (cleanup) => {
      const dataDir = cleanup.tempDir('faaspot-bench-start-');
      const first = await timeStart(context, cleanup, dataDir);
      const second = await timeStart(context, cleanup, dataDir);
      return [
        {
          id: 'start.ready',
          scenario: 'server start to ready (warm: true), second start',
          unit: 'ms',
          ours: second,
          baseline: first,
          baselineIs: 'first start on a fresh data directory (no cache)',
          target: { kind: 'at-most', value: 1000 },
        },
      ];
    });
  },
};
