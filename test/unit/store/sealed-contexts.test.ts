import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ContextKeyError } from '../../../src/store/context-cipher.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { StoredFunction } from '../../../src/store/store.js';

const CANARY = 'sk_live_canary_store_4f2a9c';

function fn(id: string, name: string, context: string): StoredFunction {
  const at = '2026-01-01T00:00:00.000Z';
  return { id, namespace: 'default', name, version: 1, code: 'def main(a, c): pass', context, timeoutSeconds: 60, memoryMib: 256, created: at, updated: at };
}

/** The database file and its WAL, as bytes: what a copy of them would hold. */
function fileBytes(file: string): Buffer {
  const parts = [file, `${file}-wal`].map((f) => {
    try {
      return readFileSync(f);
    } catch {
      return Buffer.alloc(0);
    }
  });
  return Buffer.concat(parts);
}

function rawContexts(file: string): Map<string, string> {
  const db = new Database(file, { readonly: true });
  try {
    return new Map((db.prepare('SELECT id, context FROM functions').all() as { id: string; context: string }[]).map((r) => [r.id, r.context]));
  } finally {
    db.close();
  }
}

describe('contexts at rest in the SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faaspot-sealed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const freshFile = () => join(dir, `db-${++n}.sqlite`);

  test('contexts are written sealed under the key, bound to the function, and read back in plain text', async () => {
    const file = freshFile();
    const box = new SecretBox(Buffer.alloc(32, 7));
    const store = await openSqliteStore(file, { contextCipher: box });
    await store.insertFunction(fn('f1', 'one', JSON.stringify({ api_key: CANARY })));
    assert.equal((await store.getFunction('default', 'one'))?.context, JSON.stringify({ api_key: CANARY }));
    assert.ok(!fileBytes(file).includes(CANARY), 'the secret is in the database files while the store is open');
    const stored = rawContexts(file).get('f1') ?? '';
    assert.match(stored, new RegExp(`^v1:${box.keyId}:`));
    assert.equal(box.open(stored, 'f1'), JSON.stringify({ api_key: CANARY }));

    const updated = await store.updateFunction('default', 'one', { name: 'uno', context: JSON.stringify({ api_key: `${CANARY}_2` }) }, '2026-01-02T00:00:00.000Z');
    assert.equal(updated?.context, JSON.stringify({ api_key: `${CANARY}_2` }));
    assert.equal(box.open(rawContexts(file).get('f1') ?? '', 'f1'), JSON.stringify({ api_key: `${CANARY}_2` }));
    assert.equal((await store.listFunctions('default'))[0]?.context, JSON.stringify({ api_key: `${CANARY}_2` }));
    assert.equal(await store.updateFunction('default', 'one', { context: '{}' }, '2026-01-03T00:00:00.000Z'), undefined, 'the old name is gone');
    await store.close();
    assert.ok(!fileBytes(file).includes(CANARY));
  });

  test('plain-text contexts of an older database are sealed at open, and no copy of them stays in the file', async () => {
    const file = freshFile();
    const first = await openSqliteStore(file, { contextCipher: new SecretBox(Buffer.alloc(32, 1)) });
    await first.insertFunction(fn('f1', 'one', '{}'));
    await first.insertFunction(fn('f2', 'two', '{}'));
    await first.insertFunction(fn('f3', 'three', '{}'));
    await first.close();
    // What a version without encryption wrote: plain contexts, one of them replaced, one function deleted.
    const db = new Database(file);
    db.prepare('UPDATE functions SET context = ? WHERE id = ?').run(JSON.stringify({ key: `${CANARY}_old` }), 'f1');
    db.prepare('UPDATE functions SET context = ? WHERE id = ?').run(JSON.stringify({ key: CANARY, more: 'x'.repeat(5000) }), 'f1');
    db.prepare('UPDATE functions SET context = ? WHERE id = ?').run(JSON.stringify({ key: `${CANARY}_deleted` }), 'f3');
    db.prepare('DELETE FROM functions WHERE id = ?').run('f3');
    db.prepare('UPDATE functions SET context = ? WHERE id = ?').run('{}', 'f2');
    db.close();
    assert.ok(fileBytes(file).includes(CANARY), 'the test starts from plain text in the file');

    const box = new SecretBox(Buffer.alloc(32, 1));
    let sealed = -1;
    const store = await openSqliteStore(file, { contextCipher: box, onContextsSealed: (count) => (sealed = count) });
    assert.equal(sealed, 2);
    assert.equal(JSON.parse((await store.getFunctionById('f1'))?.context ?? '').key, CANARY);
    assert.equal((await store.getFunctionById('f2'))?.context, '{}');
    for (const stored of rawContexts(file).values()) assert.match(stored, new RegExp(`^v1:${box.keyId}:`));
    const bytes = fileBytes(file);
    assert.ok(!bytes.includes(CANARY), 'a plain context, a replaced one or a deleted one is still in the file');
    await store.close();
    assert.ok(!fileBytes(file).includes(CANARY));
  });

  test('contexts sealed under another key stop the open with ContextKeyError, and nothing changes', async () => {
    const file = freshFile();
    const right = new SecretBox(Buffer.alloc(32, 2));
    const store = await openSqliteStore(file, { contextCipher: right });
    await store.insertFunction(fn('f1', 'one', '{"a": 1}'));
    await store.insertFunction(fn('f2', 'two', '{"b": 2}'));
    await store.close();
    const db = new Database(file);
    db.prepare('INSERT INTO functions (id, namespace, name, version, code, context, timeout_seconds, memory_mib, created, updated) VALUES (?, ?, ?, 1, ?, ?, 60, 256, ?, ?)')
      .run('f3', 'default', 'plain', '', '{"c": 3}', 'x', 'x');
    db.close();
    const before = rawContexts(file);

    const wrong = new SecretBox(Buffer.alloc(32, 3));
    await assert.rejects(
      openSqliteStore(file, { contextCipher: wrong }),
      (e: unknown) => e instanceof ContextKeyError && e.count === 2 && e.keyIds.join() === right.keyId && e.expectedKeyId === wrong.keyId,
    );
    assert.deepEqual(rawContexts(file), before, 'the plain context was not sealed under the wrong key either');
  });

  test('with the previous key given, contexts are sealed again under the new one, which alone opens them', async () => {
    const file = freshFile();
    const oldBox = new SecretBox(Buffer.alloc(32, 4));
    const newBox = new SecretBox(Buffer.alloc(32, 5));
    const store = await openSqliteStore(file, { contextCipher: oldBox });
    await store.insertFunction(fn('f1', 'one', '{"a": 1}'));
    await store.insertFunction(fn('f2', 'two', '{"b": 2}'));
    await store.close();
    const oldTexts = rawContexts(file);

    let sealed = -1;
    const rekeyed = await openSqliteStore(file, { contextCipher: newBox, previousContextCipher: oldBox, exclusive: true, onContextsSealed: (count) => (sealed = count) });
    assert.equal(sealed, 2);
    assert.equal((await rekeyed.getFunctionById('f2'))?.context, '{"b": 2}');
    await rekeyed.close();
    for (const [id, stored] of rawContexts(file)) {
      assert.throws(() => oldBox.open(stored, id));
      assert.equal(newBox.open(stored, id), id === 'f1' ? '{"a": 1}' : '{"b": 2}');
    }
    const bytes = fileBytes(file);
    for (const old of oldTexts.values()) assert.ok(!bytes.includes(old.split(':')[3] ?? ''), 'an old ciphertext stays in the file');
  });

  test("a context moved onto another function's row does not open", async () => {
    const file = freshFile();
    const box = new SecretBox(Buffer.alloc(32, 6));
    const store = await openSqliteStore(file, { contextCipher: box });
    await store.insertFunction(fn('f1', 'one', JSON.stringify({ key: CANARY })));
    await store.insertFunction(fn('f2', 'two', '{}'));
    await store.close();
    const db = new Database(file);
    db.prepare('UPDATE functions SET context = (SELECT context FROM functions WHERE id = ?) WHERE id = ?').run('f1', 'f2');
    db.close();
    const reopened = await openSqliteStore(file, { contextCipher: box });
    try {
      assert.equal(JSON.parse((await reopened.getFunction('default', 'one'))?.context ?? '').key, CANARY);
      await assert.rejects(reopened.getFunction('default', 'two'), /another function/);
    } finally {
      await reopened.close();
    }
  });

  test('an exclusive open fails at once, changing nothing, while another connection has the database open', async () => {
    const file = freshFile();
    const box = new SecretBox(Buffer.alloc(32, 8));
    const holder = await openSqliteStore(file, { contextCipher: box });
    try {
      await assert.rejects(openSqliteStore(file, { contextCipher: box, exclusive: true }), { name: 'DatabaseInUseError', message: /in use by another process/ });
    } finally {
      await holder.close();
    }
    const alone = await openSqliteStore(file, { contextCipher: box, exclusive: true });
    await alone.close();
  });

  test('a database file needs a cipher; an in-memory one defaults to a random key', async () => {
    await assert.rejects(openSqliteStore(freshFile()), /contextCipher/);
    const memory = await openSqliteStore(':memory:');
    await memory.insertFunction(fn('f1', 'one', '{"a": 1}'));
    assert.equal((await memory.getFunctionById('f1'))?.context, '{"a": 1}');
    await memory.close();
  });
});
