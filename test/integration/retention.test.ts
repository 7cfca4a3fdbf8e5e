import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { removeDataDir, startTestServer } from './harness.js';

const HOUR = 3_600_000;

describe('retention', () => {
  test('ended executions older than FAASPOT_RETENTION are deleted; recent, pending and running ones stay', { timeout: 120_000 }, async () => {
    const s = await startTestServer({ workers: 1, retentionSeconds: 3600 });
    try {
      await s.create('echo', 'def main(args, context):\n    if args.get("fail"):\n        raise ValueError("no")\n    return args\n');
      const recentOk = (await s.call('GET', '/v1/sync/functions/echo/rpc?x=1')).headers.get('x-execution-id');
      const recentFailed = (await s.call('GET', '/v1/sync/functions/echo/rpc?fail=1')).headers.get('x-execution-id');
      const recentQueued = (await s.call('POST', '/v1/functions/echo/bulk_rpc', [{ x: 2 }, { x: 3 }])).json as string[];
      for (const id of recentQueued) await s.call('GET', `/v1/executions/${id}?wait=30`);

      // Records as an older server would have left them, written beside the running server (WAL
      // lets a second connection write). Ages are whole hours from the cutoff, so no clock edge matters.
      const db = new Database(join(s.dataDir, 'faaspot.db'));
      db.pragma('busy_timeout = 5000');
      const { id: functionId } = db.prepare("SELECT id FROM functions WHERE name = 'echo'").get() as { id: string };
      const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
      const insert = db.prepare(`INSERT INTO executions (id, namespace, function_id, function_name, function_version, status, blocking, args, output, error, logs, logs_truncated, created, started, finished, duration_ms)
        VALUES (?, 'default', ?, 'echo', 1, ?, 0, '{}', NULL, NULL, '', 0, ?, ?, ?, NULL)`);
      const old: Record<string, [status: string, createdHoursAgo: number, finishedHoursAgo: number | null]> = {
        'old-completed': ['completed', 50, 49],
        'old-failed': ['failed', 3, 2],
        'old-cancelled': ['cancelled', 24 * 30, 24 * 30],
        'created-old-ended-recently': ['completed', 24 * 30, 0.5],
        'old-pending': ['pending', 24 * 30, null],
        'old-running': ['running', 24 * 30, null],
      };
      const ids = Object.fromEntries(Object.keys(old).map((name) => [name, randomUUID()]));
      for (const [name, [status, created, finished]] of Object.entries(old)) {
        insert.run(ids[name], functionId, status, ago(created), status === 'pending' ? null : ago(created), finished === null ? null : ago(finished));
      }
      db.close();

      assert.ok(s.server.retention, 'retention is on');
      assert.equal(await s.server.retention.sweep(), 3);

      const exists = async (id: string | null | undefined) => (await s.call('GET', `/v1/executions/${id}`)).status === 200;
      for (const name of ['old-completed', 'old-failed', 'old-cancelled']) assert.equal(await exists(ids[name]), false, name);
      for (const name of ['created-old-ended-recently', 'old-pending', 'old-running']) assert.equal(await exists(ids[name]), true, name);
      for (const id of [recentOk, recentFailed, ...recentQueued]) assert.equal(await exists(id), true, `recent ${id}`);
      const listed = (await s.call('GET', '/v1/executions?include_completed=true')).json as { uuid: string }[];
      assert.equal(listed.length, 7);
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });
});
