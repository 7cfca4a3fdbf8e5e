import { measureLatency } from '../http-load.js';
import { inProcessServers, TRIVIAL_NAME } from '../in-process-servers.js';
import type { Scenario } from '../scenario.js';

const BASELINE_IS = 'bare Koa route returning JSON, same process and client';

/** One blocking run at a time: the latency a caller sees, against the web framework alone. */
export const blockingLatency: Scenario = {
  name: 'latency',
  title: 'blocking runs of a trivial function, concurrency 1',
  async run(context) {
    const { faaspot, bareUrl } = await inProcessServers(context);
    // The same headers to both, so the only difference is what answers them.
    const headers = faaspot.headers;
    const bare = await measureLatency(context.client, { url: bareUrl, headers }, context.options.requests);
    const ours = await measureLatency(context.client, { url: faaspot.runUrl(TRIVIAL_NAME), headers }, context.options.requests);
    return [
      { id: 'latency.p50', scenario: 'blocking run, concurrency 1, p50', unit: 'ms', ours: ours.p50, baseline: bare.p50, baselineIs: BASELINE_IS, target: { kind: 'at-most', value: 0.5 } },
      { id: 'latency.p99', scenario: 'blocking run, concurrency 1, p99', unit: 'ms', ours: ours.p99, baseline: bare.p99, baselineIs: BASELINE_IS, target: { kind: 'at-most', value: 2 } },
    ];
  },
};
