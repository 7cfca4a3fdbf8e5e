import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CALLBACK_SECRET_FILE_NAME, loadCallbackSecret } from '../../../src/auth/callback-secret.js';
import { ConfigError } from '../../../src/config.js';

function withDataDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'faaspot-callback-secret-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without FAASPOT_CALLBACK_SECRET, the first start generates one into the data directory, mode 0600, and later starts read it', () => {
  withDataDir((dir) => {
    const first = loadCallbackSecret(join(dir, 'data'), undefined);
    const file = join(dir, 'data', CALLBACK_SECRET_FILE_NAME);
    assert.deepEqual({ ...first, secret: '' }, { secret: '', source: 'file', file, generated: true });
    assert.match(first.secret, /^[0-9a-f]{64}$/);
    assert.equal(readFileSync(file, 'utf8'), `${first.secret}\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const second = loadCallbackSecret(join(dir, 'data'), undefined);
    assert.deepEqual(second, { ...first, generated: false });
  });
});

test('FAASPOT_CALLBACK_SECRET wins, and no file is made', () => {
  withDataDir((dir) => {
    assert.deepEqual(loadCallbackSecret(dir, 'configured-secret-0123'), { secret: 'configured-secret-0123', source: 'environment', file: undefined, generated: false });
    assert.throws(() => readFileSync(join(dir, CALLBACK_SECRET_FILE_NAME)), /ENOENT/);
  });
});

test('a file that holds no usable secret stops the start with a message naming it, and is left alone', () => {
  withDataDir((dir) => {
    const file = join(dir, CALLBACK_SECRET_FILE_NAME);
    writeFileSync(file, 'short\n');
    assert.throws(() => loadCallbackSecret(dir, undefined), (e: unknown) => e instanceof ConfigError && e.message.includes(file));
    assert.equal(readFileSync(file, 'utf8'), 'short\n');
  });
});
