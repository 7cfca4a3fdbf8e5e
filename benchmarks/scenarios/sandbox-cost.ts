import { Interpreter } from '../../runtime/interpreter.js';
import type { Scenario } from '../scenario.js';
import { TRIVIAL_CODE } from '../trivial-function.js';

/** Boot time and per-call time of main in one interpreter, in this thread. */
async function interpreterCost(sandbox: boolean, calls: number) {
  const started = performance.now();
  const interpreter = await Interpreter.boot(new Int32Array(new SharedArrayBuffer(4)), { sandbox });
  const bootMs = performance.now() - started;
  const caps = { logBytes: 65_536, outputBytes: 1_000_000 };
  interpreter.run('{}', caps, { code: TRIVIAL_CODE, context: '{}', filename: 'trivial.py' });
  for (let i = 0; i < 1000; i++) interpreter.run('{}', caps, undefined);
  const t = performance.now();
  for (let i = 0; i < calls; i++) interpreter.run('{"n": 1}', caps, undefined);
  return { bootMs, runUs: ((performance.now() - t) * 1000) / calls };
}

/** What the sandbox layers cost: a sealed interpreter against one booted without them. */
export const sandboxCost: Scenario = {
  name: 'sandbox',
  title: 'sandbox cost in one interpreter',
  async run(context) {
    const calls = context.options.requests * 10;
    const open = await interpreterCost(false, calls);
    const sealed = await interpreterCost(true, calls);
    const baselineIs = 'the same interpreter booted without the sandbox';
    return [
      { id: 'sandbox.run', scenario: 'sandbox: main called in an interpreter', unit: 'µs', ours: sealed.runUs, baseline: open.runUs, baselineIs, target: { kind: 'report' } },
      { id: 'sandbox.boot', scenario: 'sandbox: interpreter boot', unit: 'ms', ours: sealed.bootMs, baseline: open.bootMs, baselineIs, target: { kind: 'report' } },
    ];
  },
};
