import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutorStatus } from '../../../src/engine/executor.js';
import type { ExecutionStatus, StoredExecution } from '../../../src/store/store.js';
import { MAX_FUNCTIONS_PER_NAMESPACE, Metrics, OTHER_FUNCTION } from '../../../src/telemetry/metrics.js';
import { parseSamples } from '../../integration/prometheus-text.js';

const IDLE: ExecutorStatus = {
  warm: true,
  workers: 1,
  running: 0,
  queued: 0,
  draining: false,
  pristine: 1,
  warmFunctions: 0,
  coldStarts: 0,
  workerRestarts: 0,
  image: 'none',
};

function ended(namespace: string, functionName: string, status: ExecutionStatus, errorType?: string): StoredExecution {
  return {
    seq: 0,
    id: `${functionName}-${status}-${errorType ?? ''}`,
    namespace,
    functionId: `id-${functionName}`,
    functionName,
    functionVersion: 1,
    status,
    blocking: false,
    args: '{}',
    output: status === 'completed' ? 'null' : null,
    error: errorType === undefined ? null : { type: errorType, message: 'no', traceback: null },
    logs: '',
    logsTruncated: false,
    created: '2026-01-01T10:00:00.000Z',
    started: '2026-01-01T10:00:00.001Z',
    finished: '2026-01-01T10:00:00.002Z',
    durationMs: 1,
    callback: null,
  };
}

/** The `function` label values of the per-function metrics, per metric name. */
async function functionLabels(metrics: Metrics, namespace: string): Promise<Set<string>> {
  const samples = parseSamples(await metrics.text());
  return new Set(
    samples
      .filter((s) => s.name.startsWith('faaspot_execution') && s.labels.namespace === namespace && s.labels.function !== undefined)
      .map((s) => s.labels.function as string),
  );
}

describe('Metrics', () => {
  test("a removed function's series are gone from every metric that names it, and other functions' stay", async () => {
    const metrics = new Metrics({ status: () => IDLE });
    metrics.executionEnded(ended('team', 'gone', 'completed'), { coldStart: false });
    metrics.executionEnded(ended('team', 'gone', 'failed', 'ValueError'), { coldStart: false });
    metrics.executionEnded(ended('team', 'gone', 'failed', 'Timeout'), { coldStart: false });
    metrics.executionEnded(ended('team', 'kept', 'completed'), { coldStart: false });
    metrics.executionEnded(ended('other-team', 'gone', 'completed'), { coldStart: false });
    assert.deepEqual(await functionLabels(metrics, 'team'), new Set(['gone', 'kept']));

    metrics.functionRemoved('team', 'gone');
    assert.deepEqual(await functionLabels(metrics, 'team'), new Set(['kept']));
    assert.deepEqual(await functionLabels(metrics, 'other-team'), new Set(['gone']), 'the same name in another namespace is another function');
    metrics.functionRemoved('team', 'never-ran');

    // A function made again under the name starts from nothing, its error types included.
    metrics.executionEnded(ended('team', 'gone', 'failed', 'KeyError'), { coldStart: false });
    const again = parseSamples(await metrics.text()).filter((s) => s.name === 'faaspot_executions_total' && s.labels.function === 'gone' && s.labels.namespace === 'team');
    assert.deepEqual(again.map((s) => [s.labels.status, s.labels.error_type, s.value]), [['failed', 'KeyError', 1]]);
  });

  test(`past ${MAX_FUNCTIONS_PER_NAMESPACE} functions in a namespace, more are counted as ${OTHER_FUNCTION}; a removed one frees its place`, async () => {
    const metrics = new Metrics({ status: () => IDLE });
    for (let n = 0; n < MAX_FUNCTIONS_PER_NAMESPACE + 5; n++) metrics.executionEnded(ended('many', `f${n}`, 'completed'), { coldStart: false });
    let labels = await functionLabels(metrics, 'many');
    assert.equal(labels.size, MAX_FUNCTIONS_PER_NAMESPACE + 1);
    assert.ok(labels.has(OTHER_FUNCTION) && labels.has('f0') && !labels.has(`f${MAX_FUNCTIONS_PER_NAMESPACE}`));
    const other = parseSamples(await metrics.text()).find((s) => s.name === 'faaspot_executions_total' && s.labels.function === OTHER_FUNCTION);
    assert.equal(other?.value, 5);

    metrics.functionRemoved('many', 'f0');
    metrics.executionEnded(ended('many', 'newcomer', 'completed'), { coldStart: false });
    labels = await functionLabels(metrics, 'many');
    assert.ok(labels.has('newcomer') && !labels.has('f0'));
    assert.equal(labels.size, MAX_FUNCTIONS_PER_NAMESPACE + 1);
  });
});
