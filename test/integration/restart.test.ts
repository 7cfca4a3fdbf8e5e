import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { removeDataDir, startTestServer } from './harness.js';

describe('restart durability', () => {
  test('pending executions run after a restart; ones that were running fail with ServerRestarted', async () => {
    const first = await startTestServer({ workers: 1 });
    const dataDir = first.dataDir;
    try {
      await first.create('slow', 'import time\n\ndef main(args, context):\n    time.sleep(float(args.get("s", 0)))\n    return args\n');
      const running = (await first.call('GET', '/v1/functions/slow/rpc?s=30')).json as string;
      for (let i = 0; i < 200 && (await first.call('GET', `/v1/executions/${running}`)).json.status !== 'running'; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      const queued = (await first.call('POST', '/v1/functions/slow/bulk_rpc', [{ n: 1 }, { n: 2 }, { n: 3 }])).json as string[];
      assert.equal((await first.call('GET', `/v1/executions/${queued[0]}`)).json.status, 'pending');
      await first.stop();

      const second = await startTestServer({ workers: 1 }, dataDir);
      try {
        const interrupted = (await second.call('GET', `/v1/executions/${running}`)).json;
        assert.equal(interrupted.status, 'failed');
        assert.equal(interrupted.error.type, 'ServerRestarted');
        const last = queued[queued.length - 1];
        await second.call('GET', `/v1/executions/${last}?wait=30`);
        const records = (await second.call('POST', '/v1/executions/bulk', queued)).json as { status: string; args: { n: number } }[];
        assert.deepEqual(records.map((r) => r.status), ['completed', 'completed', 'completed']);
        assert.deepEqual(records.map((r) => r.args.n), [1, 2, 3]);
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });

  test('the store is one SQLite file in WAL mode under the data directory', async () => {
    const s = await startTestServer({ workers: 1 });
    await s.stop();
    try {
      const db = new Database(join(s.dataDir, 'faaspot.db'), { readonly: true });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const hashes = db.prepare('SELECT token_hash FROM tokens').all() as { token_hash: string }[];
      assert.ok(hashes.length > 0);
      for (const { token_hash } of hashes) assert.notEqual(token_hash, 'test-admin-token-0123456789');
      db.close();
    } finally {
      removeDataDir(s.dataDir);
    }
  });
});
