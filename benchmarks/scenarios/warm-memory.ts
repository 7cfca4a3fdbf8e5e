import { FaaspotApi } from '../faaspot-api.js';
import { plainPyodide } from '../plain-pyodide.js';
import { ServerProcess } from '../server-process.js';
import type { Scenario } from '../scenario.js';
import { isTrivialResult, TRIVIAL_CODE } from '../trivial-function.js';
import { waitForPristine } from '../wait-for-pristine.js';

const MIB = 2 ** 20;
/** Lets a server's allocations of the last moment land before its RSS is read. */
const SETTLE_MS = 500;

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/**
 * What one more warm interpreter costs the server process: its RSS once warm, then after K new
 * functions have each run once (each keeps an interpreter warm) and every worker again holds a
 * pristine one, divided by K.
 */
export const warmMemory: Scenario = {
  name: 'memory',
  title: 'memory per additional warm interpreter',
  run(context) {
    return context.cleanup.scoped(async (cleanup) => {
      const count = context.options.interpreters;
      const dataDir = cleanup.tempDir('faaspot-bench-memory-');
      const server = await ServerProcess.start(cleanup, { dataDir, adminToken: context.adminToken, workers: context.options.workers });
      const api = new FaaspotApi(context.client, server.url, context.adminToken);
      await api.waitFor('a warm server', (health) => health.warm);
      await waitForPristine(api);
      await settle();
      const before = await api.health();
      const rssBefore = server.rssBytes();
      for (let i = 0; i < count; i++) {
        const name = `memory-${i}`;
        await api.createFunction(name, TRIVIAL_CODE);
        const output = await api.runBlocking(name);
        if (!isTrivialResult(output)) throw new Error(`${name} answered ${output}`);
      }
      const after = await waitForPristine(api);
      await settle();
      const rssAfter = server.rssBytes();
      await server.stop();
      const plain = await plainPyodide(context);
      const warmAdded = after.warmFunctions - before.warmFunctions;
      return [
        {
          id: 'memory.per-interpreter',
          scenario: 'RSS per additional warm interpreter',
          unit: 'MiB',
          ours: (rssAfter - rssBefore) / count / MIB,
          baseline: plain.rssGrowthBytes / MIB,
          baselineIs: 'RSS growth of one plain loadPyodide() in a fresh node',
          target: { kind: 'at-most', value: 45 },
          note: `${count} functions run once; RSS ${(rssBefore / MIB).toFixed(0)} -> ${(rssAfter / MIB).toFixed(0)} MiB; warm_functions +${warmAdded}${warmAdded === count ? '' : ` (expected ${count})`}`,
        },
      ];
    });
  },
};
