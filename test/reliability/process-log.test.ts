import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeDataDir } from '../integration/harness.js';
import { until } from './executions.js';
import { startServerChild } from './server-child.js';

test('a server process writes JSON lines on stdout, but for the admin token notice, shown once, and the token is in no line', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faaspot-test-'));
  try {
    // No FAASPOT_ADMIN_TOKEN: the first start generates one and prints it.
    const child = await startServerChild(dataDir, '');
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    await until(() => Promise.resolve(child.output()), (output) => output.includes('"msg":"interpreters warm"'), 'the interpreters to warm');
    const reply = await fetch(`${child.url}/v1/functions`, { headers: { authorization: `Token ${token}`, 'x-request-id': 'process-request-1' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('x-request-id'), 'process-request-1');
    const { code } = await child.signal('SIGTERM');
    assert.equal(code, 0, child.output());

    const lines = child.output().split('\n').filter((line) => line !== '');
    const notice = lines.findIndex((line) => line.startsWith('faaspot: admin token (shown once, also saved to '));
    assert.ok(notice >= 0, child.output());
    assert.equal(lines[notice + 1], token, 'the token on a line of its own, under the notice');
    const logged = lines.filter((_, i) => i !== notice && i !== notice + 1).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(!logged.some((line) => JSON.stringify(line).includes(token)), 'the token is in no log line');

    const listening = logged.find((line) => line.msg === `listening on ${child.url}`);
    assert.equal(listening?.url, child.url);
    assert.equal(listening?.level, 'info');
    assert.equal(listening?.data_dir, dataDir);
    const request = logged.filter((line) => line.request_id === 'process-request-1');
    assert.deepEqual(request.map((line) => [line.msg, line.route, line.status]), [['request', '/v1/functions', 200]]);
    assert.ok(logged.some((line) => line.msg === 'stopped'));
  } finally {
    removeDataDir(dataDir);
  }
});
