import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSecretKey } from '../../../src/auth/secret-key.js';
import { ConfigError, parseSecretKey } from '../../../src/config.js';

describe('loadSecretKey', () => {
  const root = mkdtempSync(join(tmpdir(), 'faaspot-key-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('with no key configured, the first start writes a new key to <data dir>/secret-key with mode 0600, and later starts read it', () => {
    const dir = join(root, 'first', 'data');
    const first = loadSecretKey(dir, undefined);
    const file = join(dir, 'secret-key');
    assert.equal(first.generated, true);
    assert.equal(first.origin, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(parseSecretKey(readFileSync(file, 'utf8')), first.key);
    const second = loadSecretKey(dir, undefined);
    assert.equal(second.generated, false);
    assert.deepEqual(second.key, first.key);
  });

  test('FAASPOT_SECRET_KEY wins and no file is written', () => {
    const dir = join(root, 'env');
    const key = Buffer.alloc(32, 9);
    const loaded = loadSecretKey(dir, key);
    assert.deepEqual(loaded, { key, origin: 'FAASPOT_SECRET_KEY', generated: false });
    assert.throws(() => statSync(join(dir, 'secret-key')), { code: 'ENOENT' });
  });

  test('a key file that holds no key stops the start with a message naming the file', () => {
    const dir = mkdtempSync(join(root, 'bad-'));
    writeFileSync(join(dir, 'secret-key'), 'not a key\n');
    assert.throws(() => loadSecretKey(dir, undefined), (e: unknown) => e instanceof ConfigError && e.message.includes(join(dir, 'secret-key')));
  });
});
