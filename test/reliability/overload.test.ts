import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';
import { assertRefused, cancel, ended, NAP, namespaceToken, record, startNap, until } from './executions.js';

const ECHO = 'def main(args, context):\n    return args\n';
/** Naps that hold a worker until they are cancelled; killed at once when they are. */
const HOLD = 600;
const LIMITS = { timeout: 900 };

/** Every execution of the namespace, ended or not. */
async function executionCount(s: TestServer): Promise<number> {
  const reply = await s.call('GET', '/v1/executions?include_completed=true&limit=1000');
  assert.equal(reply.status, 200);
  return (reply.json as unknown[]).length;
}

describe('a bounded queue', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1, maxQueue: 5, namespaceMaxQueued: 5, blockingWaitSeconds: 600, killGraceMs: 50 });
    await s.create('nap', NAP, LIMITS);
    await s.create('echo', ECHO);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('past FAASPOT_MAX_QUEUE, runs and bulks get 429 QUEUE_FULL with Retry-After, a bulk is refused whole, and nothing is stored for them', async () => {
    const hold = await startNap(s, HOLD);
    const before = await executionCount(s);
    const tooMany = await s.call('POST', '/v1/functions/echo/bulk_rpc', [1, 2, 3, 4, 5, 6].map((n) => ({ n })));
    assertRefused(tooMany, 429, 'QUEUE_FULL', /bulk of 6 runs does not fit, so none was queued.*FAASPOT_MAX_QUEUE.*room for 5 more/);
    assert.equal(await executionCount(s), before, 'no part of the refused bulk was stored');

    const fits = await s.call('POST', '/v1/functions/echo/bulk_rpc', [1, 2, 3, 4, 5].map((n) => ({ n })));
    assert.equal(fits.status, 200, fits.text);
    const queued = fits.json as string[];
    assertRefused(await s.call('POST', '/v1/functions/echo/rpc', { n: 6 }), 429, 'QUEUE_FULL', /FAASPOT_MAX_QUEUE/);
    assertRefused(await s.call('GET', '/v1/functions/echo/rpc?n=6'), 429, 'QUEUE_FULL', /room for 0 more/);
    assertRefused(await s.call('POST', '/v1/functions/echo/bulk_rpc', [{ n: 6 }]), 429, 'QUEUE_FULL', /FAASPOT_MAX_QUEUE/);
    assert.equal(await executionCount(s), before + 5);
    const health = await s.call('GET', '/healthz', undefined, null);
    assert.equal(health.json.queued, 5);

    await cancel(s, hold);
    const records = await ended(s, queued);
    assert.deepEqual(records.map((r) => r.status), ['completed', 'completed', 'completed', 'completed', 'completed']);
    const again = await s.call('POST', '/v1/functions/echo/rpc', { n: 6 });
    assert.equal(again.status, 200, 'once the queue has drained, runs are taken again');
  });

  test('a blocking run is not refused for a full queue: it waits for a worker with its record pending, and goes first', async () => {
    const hold = await startNap(s, HOLD);
    const queued = (await s.call('POST', '/v1/functions/echo/bulk_rpc', [1, 2, 3, 4, 5].map((n) => ({ n })))).json as string[];
    assertRefused(await s.call('POST', '/v1/functions/echo/rpc', { n: 6 }), 429, 'QUEUE_FULL', /FAASPOT_MAX_QUEUE/);

    const blocking = s.call('POST', '/v1/sync/functions/echo/rpc', { blocking: true });
    const waiting = await until(
      async () => (await s.call('GET', '/v1/executions?status=pending&function=echo')).json as { uuid: string; args: unknown }[],
      (pending) => pending.length === 6,
      'the blocking run to be recorded as pending',
    );
    const mine = waiting.find((r) => JSON.stringify(r.args) === '{"blocking":true}');
    assert.ok(mine, 'the waiting blocking run is listed as pending');

    await cancel(s, hold);
    const reply = await blocking;
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json, { blocking: true });
    assert.equal(reply.headers.get('x-execution-id'), mine.uuid);
    const first = await record(s, mine.uuid);
    for (const r of await ended(s, queued)) {
      assert.equal(r.status, 'completed');
      assert.ok((first.started ?? '') <= (r.started ?? ''), 'the blocking run started before the queued ones');
    }
  });
});

describe('a blocking run that finds no worker', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1, blockingWaitSeconds: 0.2, killGraceMs: 50 });
    await s.create('nap', NAP, LIMITS);
    await s.create('echo', ECHO);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('after FAASPOT_BLOCKING_WAIT it is a 429 QUEUE_FULL with Retry-After, and its record ends cancelled with QueueTimeout', async () => {
    const hold = await startNap(s, HOLD);
    const reply = await s.call('GET', '/v1/sync/functions/echo/rpc?n=1');
    assertRefused(reply, 429, 'QUEUE_FULL', /echo did not run: no worker was free to start it within 0\.2 s \(FAASPOT_BLOCKING_WAIT\)/);
    const id = reply.headers.get('x-execution-id') ?? '';
    assert.equal(reply.json.execution.uuid, id);
    assert.equal(reply.json.execution.status, 'cancelled');
    assert.equal(reply.json.execution.error.type, 'QueueTimeout');

    const stored = await record(s, id);
    assert.equal(stored.status, 'cancelled', 'the record does not stay pending');
    assert.equal(stored.error?.type, 'QueueTimeout');
    assert.equal(stored.output, null);
    const pending = await s.call('GET', '/v1/executions?status=pending,running&function=echo');
    assert.deepEqual(pending.json, []);
    await cancel(s, hold);
  });
});

describe('namespaces under a flood', () => {
  let s: TestServer;
  let flood: string;
  let quiet: string;
  before(async () => {
    s = await startTestServer({ workers: 2, maxQueue: 100, namespaceMaxQueued: 3, namespaceMaxRunning: 1, killGraceMs: 50 });
    flood = await namespaceToken(s, 'flood');
    quiet = await namespaceToken(s, 'quiet');
    for (const token of [flood, quiet]) {
      await s.create('nap', NAP, LIMITS, token);
      await s.create('echo', ECHO, {}, token);
    }
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a namespace past FAASPOT_NAMESPACE_MAX_QUEUED gets 429 QUEUE_FULL while another namespace\'s runs still complete', async () => {
    const hold = await startNap(s, HOLD, flood);
    const queued = await s.call('POST', '/v1/functions/nap/bulk_rpc', [{ n: 1 }, { n: 2 }, { n: 3 }], flood);
    assert.equal(queued.status, 200, queued.text);
    const floodIds = queued.json as string[];
    assertRefused(
      await s.call('POST', '/v1/functions/nap/rpc', { n: 4 }, flood),
      429,
      'QUEUE_FULL',
      /At most 3 executions of a namespace may wait for a worker \(FAASPOT_NAMESPACE_MAX_QUEUED\) and this one has room for 0 more/,
    );

    // The flooding namespace is at its running cap with a worker free: the other namespace gets it.
    const sync = await s.call('POST', '/v1/sync/functions/echo/rpc', { from: 'quiet' }, quiet);
    assert.equal(sync.status, 200, sync.text);
    assert.deepEqual(sync.json, { from: 'quiet' });
    const queuedRun = await s.call('POST', '/v1/functions/echo/rpc', { from: 'quiet', n: 2 }, quiet);
    assert.equal(queuedRun.status, 200, queuedRun.text);
    const [done] = await ended(s, [queuedRun.json as string], quiet);
    assert.equal(done?.status, 'completed');
    for (const id of floodIds) assert.equal((await record(s, id, flood)).status, 'pending', 'held back by its namespace\'s running cap');

    await cancel(s, hold, flood);
    const records = await ended(s, floodIds, flood);
    assert.deepEqual(records.map((r) => [r.status, r.args.n]), [['completed', 1], ['completed', 2], ['completed', 3]]);
    const started = records.map((r) => r.started);
    assert.deepEqual(started, [...started].sort(), 'the namespace\'s own runs started in the order they came');
  });
});

describe('fair share without a running cap', () => {
  let s: TestServer;
  let flood: string;
  let quiet: string;
  before(async () => {
    s = await startTestServer({ workers: 2, killGraceMs: 50 });
    flood = await namespaceToken(s, 'flood');
    quiet = await namespaceToken(s, 'quiet');
    await s.create('nap', NAP, LIMITS, flood);
    await s.create('echo', ECHO, {}, quiet);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a freed worker goes to the namespace with fewer runs going, ahead of a flooding namespace\'s older queued runs', async () => {
    const first = await startNap(s, HOLD, flood);
    await startNap(s, HOLD, flood);
    const backlog = (await s.call('POST', '/v1/functions/nap/bulk_rpc', [{ s: HOLD }, { s: HOLD }], flood)).json as string[];
    const late = await s.call('POST', '/v1/functions/echo/rpc', { from: 'quiet' }, quiet);
    assert.equal(late.status, 200, late.text);

    await cancel(s, first, flood);
    const [done] = await ended(s, [late.json as string], quiet);
    assert.equal(done?.status, 'completed', 'the quiet namespace\'s run was not left behind the flood');
    assert.equal((await record(s, backlog[1] as string, flood)).status, 'pending');
  });
});
