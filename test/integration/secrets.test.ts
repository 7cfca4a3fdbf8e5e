import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError, parseSecretKey } from '../../src/config.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

const FAS = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Uses its context without ever returning or printing it: the execution record must not hold the secret. */
const BILLING = [
  'import hashlib',
  '',
  'def main(args, context):',
  '    return {"sha256": hashlib.sha256(context["api_key"].encode()).hexdigest(), "region": context["region"]}',
  '',
].join('\n');

const sha256 = async (text: string) => {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(text).digest('hex');
};

const newCanary = () => `sk_live_canary_${randomBytes(12).toString('hex')}`;

/** The forms in which a value would show in a file: itself, UTF-16, hex, and base64 at each of the three alignments. */
function encodings(value: string): string[] {
  const forms = [value, Buffer.from(value, 'utf16le').toString('latin1'), Buffer.from(value).toString('hex')];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.from('xx'.slice(0, shift) + value).toString('base64');
    // Drop the characters that also depend on the bytes before and after the value.
    const stable = encoded.slice(Math.ceil((shift * 4) / 3) + 1, -4);
    forms.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** Fails when any form of `value` is in the database file or its WAL, as a copy of them would hold. */
function assertNotInDatabaseFiles(dataDir: string, value: string, when: string): void {
  for (const name of ['faaspot.db', 'faaspot.db-wal']) {
    const file = join(dataDir, name);
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file).toString('latin1');
    for (const form of encodings(value)) assert.ok(!bytes.includes(form), `${when}: ${name} holds ${JSON.stringify(form)}`);
  }
}

function storedContexts(dataDir: string): Map<string, { id: string; context: string }> {
  const db = new Database(join(dataDir, 'faaspot.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT id, name, context FROM functions').all() as { id: string; name: string; context: string }[];
    return new Map(rows.map((r) => [r.name, { id: r.id, context: r.context }]));
  } finally {
    db.close();
  }
}

async function runBilling(s: TestServer, name = 'billing'): Promise<{ sha256: string; region: string }> {
  const reply = await s.call('GET', `/v1/sync/functions/${name}/rpc/`);
  assert.equal(reply.status, 200, reply.text);
  return reply.json as { sha256: string; region: string };
}

/** `fas server rekey ARGS` in a process of its own, on `dataDir`; asynchronous, so a server in this process keeps answering. */
function fasRekey(dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const { FAASPOT_SECRET_KEY: _unset, ...inherited } = process.env;
    const child = spawn(process.execPath, [FAS, 'server', 'rekey', ...args], {
      env: { ...inherited, FAASPOT_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const keyIn = (file: string) => parseSecretKey(readFileSync(file, 'utf8')) ?? assert.fail(`no key in ${file}`);

describe('secrets at rest', () => {
  test('a copy of the database and its WAL holds no context value, while the function runs with it; the generated key file is mode 0600', async () => {
    const s = await startTestServer();
    const canary = newCanary();
    const replaced = newCanary();
    try {
      await s.create('billing', BILLING, { context: `api_key = "${canary}"\nregion = "eu-west"\n` });
      assert.deepEqual(await runBilling(s), { sha256: await sha256(canary), region: 'eu-west' });
      assert.deepEqual((await s.call('GET', '/v1/functions/billing')).json.context_keys, ['api_key', 'region']);
      assert.equal((await s.call('PATCH', '/v1/functions/billing', { context: { api_key: replaced, region: 'us' } })).status, 200);
      assert.deepEqual(await runBilling(s), { sha256: await sha256(replaced), region: 'us' });

      const keyFile = join(s.dataDir, 'secret-key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.ok(existsSync(join(s.dataDir, 'faaspot.db-wal')), 'the WAL is there to be searched');
      assertNotInDatabaseFiles(s.dataDir, canary, 'while serving');
      assertNotInDatabaseFiles(s.dataDir, replaced, 'while serving');
      await s.stop();
      assertNotInDatabaseFiles(s.dataDir, canary, 'after stopping');
      assertNotInDatabaseFiles(s.dataDir, replaced, 'after stopping');

      const stored = storedContexts(s.dataDir).get('billing');
      assert.ok(stored);
      assert.match(stored.context, /^v1:[0-9a-f]{8}:/);
      assert.equal(JSON.parse(new SecretBox(keyIn(keyFile)).open(stored.context, stored.id)).api_key, replaced);

      const again = await startTestServer({}, s.dataDir);
      try {
        assert.deepEqual(await runBilling(again), { sha256: await sha256(replaced), region: 'us' });
      } finally {
        await again.stop();
      }
    } finally {
      removeDataDir(s.dataDir);
    }
  });

  test('under another key the server does not start, and the message names FAASPOT_SECRET_KEY or the key file', async () => {
    const first = await startTestServer({ secretKey: randomBytes(32) });
    const dir = first.dataDir;
    try {
      await first.create('billing', BILLING, { context: { api_key: newCanary(), region: 'eu' } });
      await first.stop();

      await assert.rejects(startTestServer({ secretKey: randomBytes(32) }, dir), (e: unknown) =>
        e instanceof ConfigError && /^FAASPOT_SECRET_KEY \(key [0-9a-f]{8}\) is not the key/.test(e.message) && /Set FAASPOT_SECRET_KEY/.test(e.message),
      );
      // Unset, the key file is looked for: there is none, and none is made.
      await assert.rejects(startTestServer({}, dir), (e: unknown) =>
        e instanceof ConfigError && e.message.includes(`${join(dir, 'secret-key')} does not exist and FAASPOT_SECRET_KEY is unset`),
      );
      assert.ok(!existsSync(join(dir, 'secret-key')));
      writeFileSync(join(dir, 'secret-key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      await assert.rejects(startTestServer({}, dir), (e: unknown) =>
        e instanceof ConfigError && e.message.startsWith(`${join(dir, 'secret-key')} (key `),
      );
    } finally {
      removeDataDir(dir);
    }
  });

  test("a context moved onto another function does not decrypt: that function's runs fail with INTERNAL, the others run", async () => {
    const first = await startTestServer();
    const dir = first.dataDir;
    const canary = newCanary();
    try {
      await first.create('billing', BILLING, { context: { api_key: canary, region: 'eu' } });
      await first.create('thief', BILLING, { context: { api_key: 'mine', region: 'nowhere' } });
      await first.stop();
      const db = new Database(join(dir, 'faaspot.db'));
      db.prepare("UPDATE functions SET context = (SELECT context FROM functions WHERE name = 'billing') WHERE name = 'thief'").run();
      db.close();

      const second = await startTestServer({}, dir);
      try {
        assert.deepEqual(await runBilling(second), { sha256: await sha256(canary), region: 'eu' });
        const stolen = await second.call('GET', '/v1/sync/functions/thief/rpc/');
        assert.equal(stolen.status, 500);
        assert.deepEqual(stolen.json, { code: 'INTERNAL', message: stolen.json.message });
        assert.ok(!stolen.text.includes(canary));
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dir);
    }
  });

  test('fas server rekey: refused while the server runs; once it is stopped, only the new key opens the contexts and the functions run', async () => {
    const first = await startTestServer();
    const dir = first.dataDir;
    const keyFile = join(dir, 'secret-key');
    const canary = newCanary();
    try {
      await first.create('billing', BILLING, { context: { api_key: canary, region: 'eu' } });
      await first.create('other', BILLING, { context: { api_key: 'x', region: 'ap' } });
      const oldKey = keyIn(keyFile);

      const refused = await fasRekey(dir);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /in use by another process, such as a running server: stop it first/);
      assert.deepEqual(keyIn(keyFile), oldKey);
      assert.deepEqual(await runBilling(first), { sha256: await sha256(canary), region: 'eu' });
      await first.stop();

      const done = await fasRekey(dir);
      assert.equal(done.code, 0, done.stderr);
      const newKey = keyIn(keyFile);
      const oldBox = new SecretBox(oldKey);
      const newBox = new SecretBox(newKey);
      assert.equal(done.stdout, `fas: encrypted 2 function contexts under key ${newBox.keyId} (before: key ${oldBox.keyId})\nfas: the new key is in ${keyFile}\n`);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      for (const { id, context } of storedContexts(dir).values()) {
        assert.throws(() => oldBox.open(context, id));
        assert.doesNotThrow(() => newBox.open(context, id));
      }
      assertNotInDatabaseFiles(dir, canary, 'after the rekey');

      const second = await startTestServer({}, dir);
      try {
        assert.deepEqual(await runBilling(second), { sha256: await sha256(canary), region: 'eu' });
        assert.deepEqual(await runBilling(second, 'other'), { sha256: await sha256('x'), region: 'ap' });
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dir);
    }
  });

  test('fas server rekey with FAASPOT_SECRET_KEY takes the new key from a file and tells to set the variable; --help explains the command', async () => {
    const oldKey = randomBytes(32);
    const first = await startTestServer({ secretKey: oldKey });
    const dir = first.dataDir;
    try {
      await first.create('billing', BILLING, { context: { api_key: 'k', region: 'eu' } });
      await first.stop();
      const newKey = randomBytes(32);
      const newKeyFile = join(dir, 'new.key');
      writeFileSync(newKeyFile, newKey.toString('hex'), { mode: 0o600 });

      const missing = await fasRekey(dir, [], { FAASPOT_SECRET_KEY: oldKey.toString('base64') });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /FAASPOT_SECRET_KEY is set, so give the new key with --new-key or --new-key-file/);
      const done = await fasRekey(dir, ['--new-key-file', newKeyFile], { FAASPOT_SECRET_KEY: oldKey.toString('base64') });
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /now set FAASPOT_SECRET_KEY to the new key before starting the server/);
      assert.ok(!existsSync(join(dir, 'secret-key')));

      const second = await startTestServer({ secretKey: newKey }, dir);
      try {
        assert.deepEqual(await runBilling(second), { sha256: await sha256('k'), region: 'eu' });
      } finally {
        await second.stop();
      }

      const help = await fasRekey(dir, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: fas server rekey/);
      assert.match(help.stdout, /server stopped/);
      const bad = await fasRekey(dir, ['--new-key', 'short']);
      assert.equal(bad.code, 2);
    } finally {
      removeDataDir(dir);
    }
  });

  test('plain-text contexts of a database from before encryption are encrypted at the first start, and gone from its files', async () => {
    const first = await startTestServer();
    const dir = first.dataDir;
    const canary = newCanary();
    const deleted = newCanary();
    try {
      await first.create('billing', BILLING, { context: {} });
      await first.create('gone', BILLING, { context: {} });
      await first.stop();
      // What an older version left: plain contexts, one of a function since deleted, and no key file.
      const db = new Database(join(dir, 'faaspot.db'));
      db.prepare("UPDATE functions SET context = ? WHERE name = 'billing'").run(JSON.stringify({ api_key: canary, region: 'eu' }));
      db.prepare("UPDATE functions SET context = ? WHERE name = 'gone'").run(JSON.stringify({ api_key: deleted, region: 'eu' }));
      db.prepare("DELETE FROM functions WHERE name = 'gone'").run();
      db.close();
      rmSync(join(dir, 'secret-key'));
      const before = readFileSync(join(dir, 'faaspot.db')).toString('latin1');
      assert.ok(before.includes(canary) && before.includes(deleted), 'the test starts from plain text in the file');

      const second = await startTestServer({}, dir);
      try {
        assert.equal(statSync(join(dir, 'secret-key')).mode & 0o777, 0o600);
        assert.deepEqual(await runBilling(second), { sha256: await sha256(canary), region: 'eu' });
        assertNotInDatabaseFiles(dir, canary, 'after the start');
        assertNotInDatabaseFiles(dir, deleted, 'after the start');
      } finally {
        await second.stop();
      }
      assertNotInDatabaseFiles(dir, canary, 'after stopping');
      const stored = storedContexts(dir).get('billing');
      assert.ok(stored);
      assert.equal(JSON.parse(new SecretBox(keyIn(join(dir, 'secret-key'))).open(stored.context, stored.id)).api_key, canary);
    } finally {
      removeDataDir(dir);
    }
  });
});
