import { Worker } from 'node:worker_threads';
import { summarize } from '../sample-stats.js';
import type { Scenario } from '../scenario.js';

const PROBE = new URL('../probes/restore-interpreters.js', import.meta.url);

interface ProbeResult {
  coldMs: number;
  restoreMs: number[];
}

function runProbe(count: number): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PROBE, { workerData: { count }, resourceLimits: { stackSizeMb: 64 } });
    worker.once('message', (result: ProbeResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`the restore probe exited with ${code}`));
    });
  });
}

/** A pristine interpreter from nothing to ready inside a worker thread: restored against booted cold. */
export const pristineRestore: Scenario = {
  name: 'restore',
  title: 'pristine interpreter restored from the snapshot, inside a worker',
  async run(context) {
    const count = context.options.quick ? 8 : 25;
    const { coldMs, restoreMs } = await runProbe(count);
    const stats = summarize(restoreMs);
    return [
      {
        id: 'restore.p50',
        scenario: 'pristine interpreter, nothing to ready, in a worker, p50',
        unit: 'ms',
        ours: stats.p50,
        baseline: coldMs,
        baselineIs: 'the same sealed interpreter booted from nothing in that worker',
        target: { kind: 'at-most', value: 50 },
        note: `${count} restores: p50 ${stats.p50.toFixed(1)} ms, min ${Math.min(...restoreMs).toFixed(1)} ms, max ${Math.max(...restoreMs).toFixed(1)} ms`,
      },
    ];
  },
};
