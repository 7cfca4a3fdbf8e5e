import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { removeDataDir, startTestServer } from './harness.js';

const RANDOM_CODE = 'import random\n\ndef main(args, context):\n    return random.getrandbits(64)\n';

describe('interpreter snapshot', () => {
  test('the first start makes the snapshot, later starts restore from it, and a damaged one is made again', async () => {
    const snapshotDir = mkdtempSync(join(tmpdir(), 'faaspot-snapshots-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'faaspot-test-'));
    try {
      const first = await startTestServer({ snapshotDir }, dataDir);
      try {
        assert.equal((await first.call('GET', '/healthz', undefined, null)).json.snapshot, 'made');
        await first.create('rand', RANDOM_CODE);
        assert.equal((await first.call('GET', '/v1/sync/functions/rand/rpc')).status, 200);
      } finally {
        await first.stop();
      }
      const files = readdirSync(snapshotDir);
      assert.equal(files.length, 1, `one snapshot file, found ${files.join(', ')}`);
      const file = join(snapshotDir, files[0] ?? '');
      assert.equal(statSync(file).mode & 0o777, 0o600);

      const second = await startTestServer({ snapshotDir }, dataDir);
      try {
        assert.equal((await second.call('GET', '/healthz', undefined, null)).json.snapshot, 'cached');
        assert.equal((await second.call('GET', '/v1/sync/functions/rand/rpc')).status, 200);
      } finally {
        await second.stop();
      }

      writeFileSync(file, 'not a snapshot');
      const third = await startTestServer({ snapshotDir }, dataDir);
      try {
        assert.equal((await third.call('GET', '/healthz', undefined, null)).json.snapshot, 'made');
        assert.equal((await third.call('GET', '/v1/sync/functions/rand/rpc')).status, 200);
        assert.ok(statSync(file).size > 1024 * 1024, 'the damaged snapshot was replaced');
      } finally {
        await third.stop();
      }
    } finally {
      rmSync(snapshotDir, { recursive: true, force: true });
      removeDataDir(dataDir);
    }
  });

  test('interpreters restored from one snapshot do not share random state', async () => {
    const s = await startTestServer();
    try {
      const values = new Set<string>();
      for (let i = 0; i < 4; i++) {
        await s.create(`rand${i}`, RANDOM_CODE);
        const reply = await s.call('GET', `/v1/sync/functions/rand${i}/rpc`);
        assert.equal(reply.status, 200, reply.text);
        values.add(reply.text);
      }
      assert.equal(values.size, 4, `first draws of four restored interpreters: ${[...values].join(', ')}`);
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });

  test('a blocking run that takes a while is listed as running while it runs, and its record is whole after', async () => {
    const s = await startTestServer();
    try {
      await s.create('nap', 'import time\n\ndef main(args, context):\n    time.sleep(1.5)\n    return "rested"\n');
      const answer = s.call('GET', '/v1/sync/functions/nap/rpc');
      let listed: { uuid: string; status: string }[] = [];
      for (let i = 0; i < 100 && listed.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        listed = (await s.call('GET', '/v1/executions/?status=running')).json as { uuid: string; status: string }[];
      }
      assert.equal(listed.length, 1, 'the running blocking execution is listed');
      const reply = await answer;
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('x-execution-id'), listed[0]?.uuid);
      const record = (await s.call('GET', `/v1/executions/${listed[0]?.uuid}`)).json;
      assert.equal(record.status, 'completed');
      assert.equal(record.output, 'rested');
      assert.ok(record.started && record.finished);
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });
});
