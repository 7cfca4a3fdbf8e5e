import { inProcessServers } from '../in-process-servers.js';
import { timePythonSubprocess } from '../python-subprocess.js';
import { summarize } from '../sample-stats.js';
import type { Scenario } from '../scenario.js';
import { isTrivialResult, TRIVIAL_CODE } from '../trivial-function.js';
import { waitForPristine } from '../wait-for-pristine.js';

/**
 * A function nobody has run yet, from its creation to its first result: create (PUT
 * /v1/functions/), then one blocking GET run. Each sample starts with a pristine interpreter ready in
 * every worker, so it measures the warm-pool case the target is about, not an interpreter boot.
 */
export const firstRun: Scenario = {
  name: 'first-run',
  title: "a new function's first run, from create to result",
  async run(context) {
    const { faaspot } = await inProcessServers(context);
    const samples: number[] = [];
    for (let i = 0; i < context.options.samples; i++) {
      await waitForPristine(faaspot);
      const name = `first-run-${i}`;
      const started = performance.now();
      await faaspot.createFunction(name, TRIVIAL_CODE);
      const output = await faaspot.runBlocking(name);
      samples.push(performance.now() - started);
      if (!isTrivialResult(output)) throw new Error(`${name} answered ${output}`);
    }
    // The replacement interpreter of the last sample boots in the background: let it finish
    // before the next scenario measures anything.
    await waitForPristine(faaspot);
    const ours = summarize(samples);
    const python = await timePythonSubprocess(context.options.samples);
    return [
      {
        id: 'first-run.p50',
        scenario: "new function's first run, create to result, p50",
        unit: 'ms',
        ours: ours.p50,
        baseline: python.p50,
        baselineIs: 'python3 -c subprocess running the same main, p50',
        target: { kind: 'at-most', value: 20 },
        note: `${ours.count} samples, p99 ${ours.p99.toFixed(1)} ms`,
      },
    ];
  },
};
