import { spawn } from 'node:child_process';
import { summarize, type SampleStats } from './sample-stats.js';
import { isTrivialResult, TRIVIAL_CODE } from './trivial-function.js';

/** The trivial function called once by a Python program of its own, printing the result as JSON. */
const PROGRAM = `${TRIVIAL_CODE}\nimport json, sys\nsys.stdout.write(json.dumps(main({}, {})))\n`;

function runOnce(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('python3', ['-c', PROGRAM], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const elapsed = performance.now() - started;
      if (code !== 0 || !isTrivialResult(output)) reject(new Error(`python3 -c exited ${code} with ${JSON.stringify(output)}`));
      else resolve(elapsed);
    });
  });
}

/**
 * Spawn-to-exit time of `python3 -c` running the trivial main once, `count` times after one
 * unmeasured call: what running each call in a process of its own would cost.
 */
export async function timePythonSubprocess(count: number): Promise<SampleStats> {
  await runOnce();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await runOnce());
  return summarize(samples);
}
