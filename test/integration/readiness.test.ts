import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { removeDataDir, startTestServer } from './harness.js';

describe('readiness', () => {
  test('readyz needs no token: ready on a warm server, 503 NOT_READY once it is stopping while healthz stays 200', async () => {
    const s = await startTestServer({ workers: 1 });
    try {
      const ready = await s.call('GET', '/readyz', undefined, null);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.json, { status: 'ready' });

      await s.create('nap', 'import time\n\ndef main(args, context):\n    time.sleep(1)\n    return "rested"\n');
      const answer = s.call('GET', '/v1/sync/functions/nap/rpc');
      for (let i = 0; i < 200 && (await s.call('GET', '/healthz', undefined, null)).json.running === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const stopped = s.server.shutdown(10_000);
      const stopping = await s.call('GET', '/readyz', undefined, null);
      assert.equal(stopping.status, 503);
      assert.equal(stopping.json.code, 'NOT_READY');
      assert.match(stopping.json.message, /stopping/);
      assert.ok(Number(stopping.headers.get('retry-after')) > 0);
      assert.equal((await s.call('GET', '/healthz', undefined, null)).status, 200);
      assert.equal((await answer).status, 200, 'the run going when the stop began finished');
      await stopped;
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });
});
