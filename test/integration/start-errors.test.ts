import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

test('a setting that cannot be used stops the server with one line naming the variable, and status 1', () => {
  const result = spawnSync(process.execPath, [MAIN], { env: { ...process.env, FAASPOT_PORT: 'http' }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim(), 'faaspot: FAASPOT_PORT must be an integer from 0 to 65535; got "http"');
});
