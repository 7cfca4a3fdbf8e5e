import type { BenchContext } from '../bench-context.js';
import { measureThroughput } from '../http-load.js';
import { inProcessServers, TRIVIAL_NAME } from '../in-process-servers.js';
import type { Scenario } from '../scenario.js';

/** Requests kept in flight. */
const CONCURRENCY = 32;

/** Blocking runs and bare Koa requests per second at concurrency 32. */
export interface BlockingThroughput {
  ours: number;
  bare: number;
}

/** Measured once per run: the bulk scenario compares its completion rate with it. */
export function measureBlockingThroughput(context: BenchContext): Promise<BlockingThroughput> {
  return context.shared('blocking-throughput', async () => {
    const { faaspot, bareUrl } = await inProcessServers(context);
    const headers = faaspot.headers;
    const { seconds } = context.options;
    const bare = await measureThroughput(context.client, { url: bareUrl, headers }, CONCURRENCY, seconds);
    const ours = await measureThroughput(context.client, { url: faaspot.runUrl(TRIVIAL_NAME), headers }, CONCURRENCY, seconds);
    return { ours, bare };
  });
}

export const blockingThroughput: Scenario = {
  name: 'throughput',
  title: `blocking runs of a trivial function, concurrency ${CONCURRENCY}`,
  async run(context) {
    const { ours, bare } = await measureBlockingThroughput(context);
    return [
      {
        id: 'throughput.c32',
        scenario: `blocking runs, concurrency ${CONCURRENCY}`,
        unit: 'req/s',
        ours,
        baseline: bare,
        baselineIs: 'bare Koa route, same process and client',
        target: { kind: 'ratio-at-least', value: 0.5 },
      },
    ];
  },
};
