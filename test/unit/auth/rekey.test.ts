import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { rekey } from '../../../src/auth/rekey.js';
import { openSealedStore } from '../../../src/auth/sealed-store.js';
import { writeSecretKeyFile } from '../../../src/auth/secret-key.js';
import { ConfigError, loadConfig, parseSecretKey } from '../../../src/config.js';
import { SecretBox } from '../../../src/store/secret-box.js';

const AT = '2026-01-01T00:00:00.000Z';

/** A data directory whose database holds `count` functions, its contexts under the key file's key (or `secretKey`). */
async function dataDirWithFunctions(root: string, count: number, secretKey?: Buffer): Promise<string> {
  const dir = mkdtempSync(join(root, 'data-'));
  const store = await openSealedStore(loadConfig({}, { dataDir: dir, secretKey }));
  for (let i = 0; i < count; i++) {
    await store.insertFunction({
      id: `f${i}`, namespace: 'default', name: `fn${i}`, version: 1, code: '', context: JSON.stringify({ i }),
      timeoutSeconds: 60, memoryMib: 256, created: AT, updated: AT,
    });
  }
  await store.close();
  return dir;
}

function contexts(dir: string): { id: string; context: string }[] {
  const db = new Database(join(dir, 'faaspot.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, context FROM functions ORDER BY id').all() as { id: string; context: string }[];
  } finally {
    db.close();
  }
}

const keyIn = (file: string) => parseSecretKey(readFileSync(file, 'utf8')) ?? assert.fail(`no key in ${file}`);

describe('rekey', () => {
  const root = mkdtempSync(join(tmpdir(), 'faaspot-rekey-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('with the key file: every context is encrypted under a new key, which replaces the file (mode 0600); the old key opens none', async () => {
    const dir = await dataDirWithFunctions(root, 3);
    const keyFile = join(dir, 'secret-key');
    const oldBox = new SecretBox(keyIn(keyFile));

    const result = await rekey(loadConfig({}, { dataDir: dir }));
    const newBox = new SecretBox(keyIn(keyFile));
    assert.deepEqual(result, { reencrypted: 3, oldKeyId: oldBox.keyId, newKeyId: newBox.keyId, keyFile });
    assert.notEqual(newBox.keyId, oldBox.keyId);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(dir, 'secret-key.new')));
    for (const { id, context } of contexts(dir)) {
      assert.throws(() => oldBox.open(context, id));
      assert.equal(newBox.open(context, id), JSON.stringify({ i: Number(id.slice(1)) }));
    }
    const store = await openSealedStore(loadConfig({}, { dataDir: dir }));
    assert.equal((await store.getFunction('default', 'fn2'))?.context, '{"i":2}');
    await store.close();
  });

  test('a new key may be given, and must differ from the one in use', async () => {
    const dir = await dataDirWithFunctions(root, 1);
    const given = Buffer.alloc(32, 0x42);
    await rekey(loadConfig({}, { dataDir: dir }), { newKey: given });
    assert.deepEqual(keyIn(join(dir, 'secret-key')), given);
    await assert.rejects(rekey(loadConfig({}, { dataDir: dir }), { newKey: given }), (e: unknown) => e instanceof ConfigError && /key in use/.test(e.message));
  });

  test('stopped after its commit, a rekey leaves the new key in secret-key.new: the server then refuses to start and says so, and running it again finishes', async () => {
    const dir = await dataDirWithFunctions(root, 2);
    const keyFile = join(dir, 'secret-key');
    const oldKey = keyIn(keyFile);
    await rekey(loadConfig({}, { dataDir: dir }));
    const newKey = keyIn(keyFile);
    // As if the process had died before renaming secret-key.new over secret-key.
    writeSecretKeyFile(join(dir, 'secret-key.new'), newKey, 'create');
    writeSecretKeyFile(keyFile, oldKey, 'replace');

    await assert.rejects(openSealedStore(loadConfig({}, { dataDir: dir })), (e: unknown) => e instanceof ConfigError && /rekey was interrupted/.test(e.message) && /fas server rekey/.test(e.message));
    await assert.rejects(rekey(loadConfig({}, { dataDir: dir }), { newKey: Buffer.alloc(32, 1) }), /interrupted rekey/);
    const result = await rekey(loadConfig({}, { dataDir: dir }));
    assert.equal(result.reencrypted, 0);
    assert.deepEqual(keyIn(keyFile), newKey);
    assert.ok(!existsSync(join(dir, 'secret-key.new')));
    const store = await openSealedStore(loadConfig({}, { dataDir: dir }));
    assert.equal((await store.getFunction('default', 'fn1'))?.context, '{"i":1}');
    await store.close();
  });

  test('with FAASPOT_SECRET_KEY: the new key must be given, no key file is written, and only the new key opens the contexts', async () => {
    const oldKey = Buffer.alloc(32, 0x11);
    const newKey = Buffer.alloc(32, 0x22);
    const dir = await dataDirWithFunctions(root, 2, oldKey);
    await assert.rejects(rekey(loadConfig({}, { dataDir: dir, secretKey: oldKey })), (e: unknown) => e instanceof ConfigError && /--new-key/.test(e.message));
    const result = await rekey(loadConfig({}, { dataDir: dir, secretKey: oldKey }), { newKey });
    assert.equal(result.keyFile, undefined);
    assert.equal(result.reencrypted, 2);
    assert.ok(!existsSync(join(dir, 'secret-key')) && !existsSync(join(dir, 'secret-key.new')));
    await assert.rejects(openSealedStore(loadConfig({}, { dataDir: dir, secretKey: oldKey })), (e: unknown) => e instanceof ConfigError && /FAASPOT_SECRET_KEY/.test(e.message));
    const store = await openSealedStore(loadConfig({}, { dataDir: dir, secretKey: newKey }));
    assert.equal((await store.getFunction('default', 'fn0'))?.context, '{"i":0}');
    await store.close();
  });

  test('refused while the database is open elsewhere, leaving the key and the contexts as they were', async () => {
    const dir = await dataDirWithFunctions(root, 1);
    const keyFile = join(dir, 'secret-key');
    const before = readFileSync(keyFile, 'utf8');
    const server = await openSealedStore(loadConfig({}, { dataDir: dir }));
    try {
      await assert.rejects(rekey(loadConfig({}, { dataDir: dir })), { name: 'DatabaseInUseError', message: /stop it first/ });
    } finally {
      await server.close();
    }
    assert.equal(readFileSync(keyFile, 'utf8'), before);
    assert.ok(!existsSync(join(dir, 'secret-key.new')));
    assert.equal(new SecretBox(keyIn(keyFile)).keyIdOf(contexts(dir)[0]?.context ?? ''), new SecretBox(keyIn(keyFile)).keyId);
  });

  test('a data directory without a database is refused', async () => {
    await assert.rejects(rekey(loadConfig({}, { dataDir: join(root, 'nothing-here') })), (e: unknown) => e instanceof ConfigError && /no database/.test(e.message));
  });

  test('a start without the key file the contexts need stops with a message naming it and FAASPOT_SECRET_KEY, and does not make a key', async () => {
    const dir = await dataDirWithFunctions(root, 1);
    rmSync(join(dir, 'secret-key'));
    await assert.rejects(openSealedStore(loadConfig({}, { dataDir: dir })), (e: unknown) =>
      e instanceof ConfigError && e.message.includes(join(dir, 'secret-key')) && e.message.includes('FAASPOT_SECRET_KEY'),
    );
    assert.ok(!existsSync(join(dir, 'secret-key')));
  });
});
