import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeDataDir } from '../integration/harness.js';
import { until } from './executions.js';
import { startServerChild } from './server-child.js';

test('a server process whose stdout is not a terminal writes only JSON lines there: the generated admin token is in none, one line names its file', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'faaspot-test-'));
  try {
    // No FAASPOT_ADMIN_TOKEN: the first start generates one; stdout is a pipe, so it is not printed.
    const child = await startServerChild(dataDir, '');
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    await until(() => Promise.resolve(child.output()), (output) => output.includes('"msg":"interpreters warm"'), 'the interpreters to warm');
    const reply = await fetch(`${child.url}/v1/functions`, { headers: { authorization: `Token ${token}`, 'x-request-id': 'process-request-1' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('x-request-id'), 'process-request-1');
    const { code } = await child.signal('SIGTERM');
    assert.equal(code, 0, child.output());

    assert.ok(!child.output().includes(token), 'the token is written nowhere on stdout or stderr');
    const lines = child.output().split('\n').filter((line) => line !== '');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const generated = logged.filter((line) => line.msg === 'admin token generated');
    assert.deepEqual(generated.map((line) => [line.level, line.file]), [['info', join(dataDir, 'admin-token')]]);

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
