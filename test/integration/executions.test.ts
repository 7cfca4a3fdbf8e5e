import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

describe('executions', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.create('quick', 'def main(args, context):\n    return args\n');
    await s.create('sleepy', 'import time\n\ndef main(args, context):\n    time.sleep(float(args.get("s", "0.5")))\n    return "slept"\n');
    await s.create('spin', 'def main(args, context):\n    while True:\n        pass\n', { timeout: 30 });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('the list shows pending and running ones by default, newest first; include_completed adds ended ones', async () => {
    const done = (await s.call('GET', '/v1/functions/quick/rpc?x=1')).json;
    await s.call('GET', `/v1/executions/${done}?wait=10`);
    const running = (await s.call('GET', '/v1/functions/sleepy/rpc?s=1')).json;
    const active = (await s.call('GET', '/v1/executions/')).json as { uuid: string; status: string }[];
    assert.ok(active.some((e) => e.uuid === running));
    assert.ok(!active.some((e) => e.uuid === done));
    assert.ok(active.every((e) => e.status === 'pending' || e.status === 'running'));
    const all = (await s.call('GET', '/v1/executions?include_completed=True')).json as { uuid: string }[];
    assert.ok(all.findIndex((e) => e.uuid === running) < all.findIndex((e) => e.uuid === done), 'newest first');
    const completed = (await s.call('GET', '/v1/executions?status=completed&function=quick')).json as { uuid: string; name: string }[];
    assert.ok(completed.some((e) => e.uuid === done));
    assert.ok(completed.every((e) => e.name === 'quick'));
    await s.call('GET', `/v1/executions/${running}?wait=10`);
  });

  test('pages follow X-Next-Cursor until the end', async () => {
    const ids = (await s.call('POST', '/v1/functions/quick/bulk_rpc', Array.from({ length: 7 }, (_, i) => ({ i })))).json as string[];
    await s.call('GET', `/v1/executions/${ids[6]}?wait=10`);
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await s.call('GET', `/v1/executions?include_completed=1&function=quick&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...(page.json as { uuid: string }[]).map((e) => e.uuid));
      cursor = page.headers.get('x-next-cursor');
    }
    for (const id of ids) assert.ok(seen.includes(id));
    assert.equal(new Set(seen).size, seen.length);
  });

  test('wait and limit out of range are a 400', async () => {
    const id = (await s.call('GET', '/v1/functions/quick/rpc')).json;
    for (const path of [`/v1/executions/${id}?wait=61`, `/v1/executions/${id}?wait=-1`, '/v1/executions?limit=0', '/v1/executions?limit=1001', '/v1/executions?include_completed=maybe']) {
      const reply = await s.call('GET', path);
      assert.equal(reply.status, 400, path);
      assert.equal(reply.json.code, 'INVALID_REQUEST', path);
    }
  });

  test('an unknown execution id is a 404 EXECUTION_NOT_FOUND', async () => {
    assert.equal((await s.call('GET', '/v1/executions/00000000-0000-0000-0000-000000000000')).json.code, 'EXECUTION_NOT_FOUND');
    assert.equal((await s.call('DELETE', '/v1/executions/nope')).json.code, 'EXECUTION_NOT_FOUND');
  });

  test('cancelling a running execution stops it; cancelling an ended one is a 409', async () => {
    const id = (await s.call('GET', '/v1/functions/spin/rpc')).json;
    for (let i = 0; i < 100 && (await s.call('GET', `/v1/executions/${id}`)).json.status !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancelled = await s.call('DELETE', `/v1/executions/${id}`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.json.status, 'cancelled');
    assert.equal(cancelled.json.error.type, 'Cancelled');
    const again = await s.call('DELETE', `/v1/executions/${id}/`);
    assert.equal(again.status, 409);
    assert.equal(again.json.code, 'EXECUTION_ENDED');
    assert.equal((await s.call('GET', '/v1/sync/functions/quick/rpc?still=alive')).json.still, 'alive');
  });

  test('cancelling a pending execution cancels it before it runs', async () => {
    const blockers = [s.call('GET', '/v1/sync/functions/sleepy/rpc?s=0.5'), s.call('GET', '/v1/sync/functions/sleepy/rpc?s=0.5')];
    await new Promise((r) => setTimeout(r, 100));
    const id = (await s.call('GET', '/v1/functions/quick/rpc')).json;
    const cancelled = await s.call('DELETE', `/v1/executions/${id}`);
    assert.equal(cancelled.json.status, 'cancelled');
    assert.equal(cancelled.json.started, null);
    await Promise.all(blockers);
    assert.equal((await s.call('GET', `/v1/executions/${id}`)).json.status, 'cancelled');
  });
});
