/**
 * A worker thread ended under a run (the hard stop of a run that ignores its timeout's interrupt) costs
 * that run only. test/security/limits.test.ts shows the server still serves after such stops, one
 * blocking run at a time; here the other workers are busy meanwhile and executions wait behind it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';

const WORKERS = 3;

/** Runs until cancelled; it takes the interrupt, so it is stopped without ending its thread. */
const HOLD = 'def main(args, context):\n    while True:\n        pass\n';
/** time.sleep ignores the interrupt: past the timeout and the kill grace its thread is ended. */
const STUCK = 'import time\n\ndef main(args, context):\n    time.sleep(60)\n';
const STEADY = `import time
import uuid

INSTANCE = uuid.uuid4().hex
RUNS = 0


def main(args, context):
    global RUNS
    RUNS += 1
    time.sleep(args.get("sleep", 0))
    return {"args": args, "instance": INSTANCE, "run": RUNS}
`;

async function waitForStatus(s: TestServer, id: string, status: string): Promise<void> {
  for (let i = 0; ; i++) {
    const record = (await s.call('GET', `/v1/executions/${id}`)).json;
    if (record.status === status) return;
    assert.ok(i < 3000, `execution ${id} never became ${status}: ${JSON.stringify(record)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function ended(s: TestServer, id: string): Promise<any> {
  const record = (await s.call('GET', `/v1/executions/${id}?wait=60`)).json;
  assert.ok(['completed', 'failed', 'cancelled'].includes(record.status), `execution ${id} is still ${record.status}`);
  return record;
}

describe('worker thread death', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: WORKERS, killGraceMs: 200 });
    await s.create('hold', HOLD, { timeout: 120 });
    await s.create('stuck', STUCK, { timeout: 0.5 });
    await s.create('steady', STEADY);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a worker ended under a run fails that run only: a neighbour\'s run and the executions queued behind it complete, and its replacement serves', { timeout: 120_000 }, async () => {
    // Every worker busy: one held, one with a neighbour's slow run, one with the run that gets stuck.
    const hold = (await s.call('POST', '/v1/functions/hold/rpc', {})).json as string;
    await waitForStatus(s, hold, 'running');
    const neighbour = (await s.call('POST', '/v1/functions/steady/rpc', { neighbour: true, sleep: 1 })).json as string;
    await waitForStatus(s, neighbour, 'running');
    const stuck = (await s.call('POST', '/v1/functions/stuck/rpc', {})).json as string;
    await waitForStatus(s, stuck, 'running');
    const items = Array.from({ length: 20 }, (_, i) => ({ i }));
    const queued = (await s.call('POST', '/v1/functions/steady/bulk_rpc', items)).json as string[];

    const stuckRecord = await ended(s, stuck);
    assert.equal(stuckRecord.status, 'failed');
    assert.equal(stuckRecord.error.type, 'Timeout');

    const neighbourRecord = await ended(s, neighbour);
    assert.equal(neighbourRecord.status, 'completed', JSON.stringify(neighbourRecord.error));
    assert.deepEqual(neighbourRecord.output.args, { neighbour: true, sleep: 1 });

    const outputs = [neighbourRecord.output];
    for (const [i, id] of queued.entries()) {
      const record = await ended(s, id);
      assert.equal(record.status, 'completed', `queued execution ${i}: ${JSON.stringify(record.error)}`);
      assert.deepEqual(record.output.args, items[i]);
      outputs.push(record.output);
    }
    // Each interpreter numbers its runs: 1..n for each means every run was recorded, none twice.
    const runs = new Map<string, number[]>();
    for (const output of outputs) runs.set(output.instance, [...(runs.get(output.instance) ?? []), output.run]);
    for (const [instance, numbers] of runs) {
      assert.deepEqual(numbers.sort((a, b) => a - b), numbers.map((_, i) => i + 1), `interpreter ${instance}`);
    }

    // The held worker is still busy, so these two concurrent runs need both other workers, the
    // replaced one included.
    assert.equal((await s.call('GET', `/v1/executions/${hold}`)).json.status, 'running');
    const health = (await s.call('GET', '/healthz')).json;
    assert.equal(health.workers, WORKERS);
    const fresh = ['fresh-a', 'fresh-b'];
    for (const name of fresh) await s.create(name, 'def main(args, context):\n    return args["x"]\n');
    const replies = await Promise.all(fresh.map((name) => s.call('GET', `/v1/sync/functions/${name}/rpc?x=${name}`)));
    replies.forEach((reply, i) => assert.deepEqual([reply.status, reply.json], [200, fresh[i]]));
    assert.equal((await s.call('GET', `/v1/executions/${hold}`)).json.status, 'running');

    const cancelled = await s.call('DELETE', `/v1/executions/${hold}`);
    assert.equal(cancelled.json.status, 'cancelled');
    const idle = (await s.call('GET', '/healthz')).json;
    assert.deepEqual([idle.workers, idle.running, idle.queued], [WORKERS, 0, 0]);
  });
});
