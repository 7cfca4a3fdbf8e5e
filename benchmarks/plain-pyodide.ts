import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './bench-context.js';
import { summarize } from './sample-stats.js';

const PROBE = fileURLToPath(new URL('./probes/load-pyodide.js', import.meta.url));

/** A plain Pyodide interpreter in a fresh process, medians over `--probes` processes. */
export interface PlainPyodide {
  loadMs: number;
  rssGrowthBytes: number;
}

interface ProbeOutput {
  loadMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

function runProbe(): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [PROBE], { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`the loadPyodide probe failed: ${error.message}\n${stderr}`));
        return;
      }
      const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<ProbeOutput>;
      const { loadMs, rssBeforeBytes, rssAfterBytes } = parsed;
      if (typeof loadMs !== 'number' || typeof rssBeforeBytes !== 'number' || typeof rssAfterBytes !== 'number') {
        reject(new Error(`the loadPyodide probe printed ${stdout}`));
        return;
      }
      resolve({ loadMs, rssBeforeBytes, rssAfterBytes });
    });
  });
}

/** Measured once per run, on first use: the memory and the loadPyodide rows both show it. */
export function plainPyodide(context: BenchContext): Promise<PlainPyodide> {
  return context.shared('plain-pyodide', async () => {
    const outputs: ProbeOutput[] = [];
    // One at a time: two probes at once would share the CPU and time each other.
    for (let i = 0; i < context.options.probes; i++) outputs.push(await runProbe());
    return {
      loadMs: summarize(outputs.map((o) => o.loadMs)).p50,
      rssGrowthBytes: summarize(outputs.map((o) => o.rssAfterBytes - o.rssBeforeBytes)).p50,
    };
  });
}
