import { FaaspotApi } from '../faaspot-api.js';
import { summarize, type SampleStats } from '../sample-stats.js';
import { ServerProcess } from '../server-process.js';
import type { Scenario } from '../scenario.js';
import { isTrivialResult, TRIVIAL_CODE } from '../trivial-function.js';

/** Room for every interpreter of the scenario, so none needs to be dropped for memory. */
const MEMORY_BUDGET = '5G';

/**
 * N distinct functions run one after another, then all again, in a server whose memory budget
 * holds them all: the second pass should find every one warm. Warm runs are counted from
 * `/healthz` `cold_starts` over each pass.
 */
export const distinctFunctions: Scenario = {
  name: 'distinct',
  title: `distinct functions run twice with FAASPOT_MEMORY_BUDGET=${MEMORY_BUDGET}`,
  run(context) {
    return context.cleanup.scoped(async (cleanup) => {
      const count = context.options.functions;
      const dataDir = cleanup.tempDir('faaspot-bench-distinct-');
      const server = await ServerProcess.start(cleanup, {
        dataDir,
        adminToken: context.adminToken,
        workers: context.options.workers,
        env: { FAASPOT_MEMORY_BUDGET: MEMORY_BUDGET },
      });
      const api = new FaaspotApi(context.client, server.url, context.adminToken);
      await api.waitFor('a warm server', (health) => health.warm);
      const names = Array.from({ length: count }, (_, i) => `distinct-${i}`);
      for (const name of names) await api.createFunction(name, TRIVIAL_CODE);

      /** Runs every function once, in order; answers the cold starts and the time of each run. */
      const pass = async () => {
        const { coldStarts } = await api.health();
        const times: number[] = [];
        for (const name of names) {
          const started = performance.now();
          const output = await api.runBlocking(name);
          times.push(performance.now() - started);
          if (!isTrivialResult(output)) throw new Error(`${name} answered ${output}`);
        }
        return { cold: (await api.health()).coldStarts - coldStarts, runs: summarize(times) };
      };
      const describe = (runs: SampleStats) => `run p50 ${runs.p50.toFixed(1)} ms, max ${runs.max.toFixed(0)} ms`;
      const first = await pass();
      context.log(`distinct: first pass ${first.cold} cold starts, ${describe(first.runs)}`);
      const second = await pass();
      await server.stop();
      return [
        {
          id: 'distinct.second-pass-warm',
          scenario: `${count} distinct functions, second pass, warm runs`,
          unit: 'runs',
          ours: count - second.cold,
          baseline: first.cold,
          baselineIs: 'cold starts of the first pass',
          target: { kind: 'at-least', value: count },
          note: `first pass ${describe(first.runs)}; second pass ${describe(second.runs)}`,
        },
      ];
    });
  },
};
