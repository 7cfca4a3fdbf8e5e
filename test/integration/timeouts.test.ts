import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

describe('timeouts', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ killGraceMs: 500 });
    await s.create('ok', 'def main(args, context):\n    return "still serving"\n');
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a Python loop past its timeout is a 504 FUNCTION_TIMEOUT with the record, and the pool keeps serving', async () => {
    await s.create('pyloop', 'def main(args, context):\n    n = 0\n    while True:\n        n += 1\n', { timeout: 0.5 });
    const reply = await s.call('GET', '/v1/sync/functions/pyloop/rpc');
    assert.equal(reply.status, 504);
    assert.equal(reply.json.code, 'FUNCTION_TIMEOUT');
    assert.equal(reply.json.execution.status, 'failed');
    assert.equal(reply.json.execution.error.type, 'Timeout');
    assert.match(reply.json.execution.error.traceback, /pyloop.py/, 'the interrupt shows where the loop was');
    assert.equal((await s.call('GET', '/v1/sync/functions/ok/rpc')).json, 'still serving');
    // The interrupted interpreter is not reused: the next run of the same function works.
    const again = await s.call('GET', '/v1/sync/functions/pyloop/rpc');
    assert.equal(again.json.execution.error.type, 'Timeout');
  });

  test('a C loop and time.sleep that ignore the interrupt are stopped hard, and the pool keeps serving', async () => {
    await s.create('cloop', 'def main(args, context):\n    return sum(range(10 ** 12))\n', { timeout: 0.5 });
    await s.create('sleeper', 'import time\n\ndef main(args, context):\n    time.sleep(3600)\n', { timeout: 0.5 });
    const [c, sleep] = await Promise.all([s.call('GET', '/v1/sync/functions/cloop/rpc'), s.call('GET', '/v1/sync/functions/sleeper/rpc')]);
    for (const reply of [c, sleep]) {
      assert.equal(reply.status, 504);
      assert.equal(reply.json.execution.error.type, 'Timeout');
      // Its thread was ended, so main reported no time: the record has the time from its start to the stop.
      assert.ok(reply.json.execution.duration_ms >= 500, `duration_ms ${reply.json.execution.duration_ms} covers the timeout`);
    }
    const results = await Promise.all([1, 2, 3, 4].map(() => s.call('GET', '/v1/sync/functions/ok/rpc')));
    for (const result of results) assert.equal(result.json, 'still serving');
  });

  test('a non-blocking run that times out ends failed with Timeout', async () => {
    const id = (await s.call('GET', '/v1/functions/cloop/rpc')).json;
    const record = (await s.call('GET', `/v1/executions/${id}?wait=30`)).json;
    assert.equal(record.status, 'failed');
    assert.equal(record.error.type, 'Timeout');
  });
});
