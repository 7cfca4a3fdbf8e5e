import { plainPyodide } from '../plain-pyodide.js';
import type { Scenario } from '../scenario.js';

/** A reference figure, not a comparison: what one plain interpreter takes to boot, with no cache. */
export const plainLoadPyodide: Scenario = {
  name: 'load-pyodide',
  title: 'plain loadPyodide() in a fresh node process',
  async run(context) {
    const plain = await plainPyodide(context);
    return [
      {
        id: 'load-pyodide.ms',
        scenario: 'plain loadPyodide() in a fresh node process',
        unit: 'ms',
        ours: null,
        baseline: plain.loadMs,
        baselineIs: 'this row is a baseline itself',
        target: { kind: 'report' },
        note: `median of ${context.options.probes} process(es)`,
      },
    ];
  },
};
