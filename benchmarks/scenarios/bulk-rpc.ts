import { idle } from '../faaspot-api.js';
import { inProcessServers, TRIVIAL_NAME } from '../in-process-servers.js';
import type { Scenario } from '../scenario.js';
import { measureBlockingThroughput } from './blocking-throughput.js';

/** The engine counts an execution done just before its record is written: allow for that. */
const RECORD_GRACE_MS = 5_000;

/**
 * One bulk_rpc of `--bulk` items of the trivial function: how long until the server accepts it,
 * and how fast it works through all of them, against the blocking throughput of the same run.
 */
export const bulkRpc: Scenario = {
  name: 'bulk',
  title: 'bulk_rpc of the trivial function',
  async run(context) {
    const throughput = await measureBlockingThroughput(context);
    const { faaspot, bareUrl } = await inProcessServers(context);
    const count = context.options.bulk;
    const items = Array.from({ length: count }, (_, i) => ({ i }));
    await faaspot.waitFor('an idle server', idle);
    const started = performance.now();
    const ids = await faaspot.bulkRpc(TRIVIAL_NAME, items);
    const acceptedMs = performance.now() - started;
    await faaspot.waitFor(`all ${count} bulk executions to end`, idle, 600_000);
    const seconds = (performance.now() - started) / 1000;

    let completed = await faaspot.countCompleted(TRIVIAL_NAME, ids);
    const deadline = performance.now() + RECORD_GRACE_MS;
    while (completed < count && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      completed = await faaspot.countCompleted(TRIVIAL_NAME, ids);
    }
    if (completed !== count) throw new Error(`the executions list shows ${completed} of the ${count} bulk executions completed`);

    // After ours, whose timing the garbage it leaves would disturb; timed as ours is: from the
    // items, through serialising them, to the answer.
    const bareStarted = performance.now();
    const bare = await context.client.request('POST', bareUrl, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(items) });
    const bareMs = performance.now() - bareStarted;
    if (bare.status !== 200) throw new Error(`the bare Koa route answered ${bare.status} to the bulk body`);

    return [
      {
        id: 'bulk.accepted',
        scenario: `bulk_rpc of ${count} items, accepted`,
        unit: 'ms',
        ours: acceptedMs,
        baseline: bareMs,
        baselineIs: 'bare Koa route reading the same body, answering an id per item',
        target: { kind: 'at-most', value: 250 },
      },
      {
        id: 'bulk.completed',
        scenario: `bulk_rpc of ${count} items, all completed`,
        unit: 'items/s',
        ours: count / seconds,
        baseline: throughput.ours,
        baselineIs: 'blocking runs at concurrency 32, same run',
        target: { kind: 'ratio-at-least', value: 0.5 },
        note: `${count} completed in ${seconds.toFixed(2)} s from the request`,
      },
    ];
  },
};
