/**
 * Red team: one function against another. A holder function keeps its context secret in its
 * interpreter (a global, builtins, sys.modules, os.environ, a file in /tmp); hostile functions in
 * the same namespace and in another one try to find it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';
import {
  BENIGN,
  assertNothingReached,
  assertStillServes,
  call,
  hostile,
  makeCanaries,
  plantEnvCanary,
  random,
  runHostile,
  type Canaries,
} from './hostile.js';

const HOLDER = `
import builtins
import os
import sys
import types

kept = None


def main(args, context):
    global kept
    kept = context["secret"]
    builtins.LEAKED_SECRET = kept
    os.environ["LEAKED_SECRET"] = kept
    shared = types.ModuleType("leaked_secret")
    shared.value = kept
    sys.modules["leaked_secret"] = shared
    with open("/tmp/holder-secret.txt", "w") as handle:
        handle.write(kept)
    return kept
`;

/** Looks for a string starting with the secret's prefix everywhere a function can look. */
const HUNTER = hostile(`
def main(args, context):
    start(args)
    import gc
    prefix = "sek" + "rit-"
    _, hits, steps = hunt(prefix)
    note("walk visited " + str(steps) + " objects, hits " + short(hits[:20]))
    attempt("builtins.LEAKED_SECRET", lambda: builtins.LEAKED_SECRET)
    attempt("os.environ", lambda: dict(os.environ))
    attempt("sys.modules leaked_secret", lambda: sys.modules["leaked_secret"].value)
    attempt("import leaked_secret", lambda: __import__("leaked_secret").value)
    attempt("global kept", lambda: globals()["kept"])
    attempt("holder module", lambda: vars(sys.modules["holder"]).get("kept"))
    attempt("/tmp", lambda: os.listdir("/tmp"))
    attempt("/tmp/holder-secret.txt", lambda: open("/tmp/holder-secret.txt").read())

    def gc_strings():
        return [o for o in gc.get_objects() if isinstance(o, str) and prefix in o][:20]

    attempt("gc strings", gc_strings)
    for folder, dirs, files in os.walk("/"):
        if folder.startswith("/lib") or folder.startswith("/proc") or folder.startswith("/dev"):
            dirs[:] = []
            continue
        for name in files:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read(1 << 20)
            except Exception:
                continue
            if prefix.encode() in data:
                note("file " + path + ": " + data.decode("utf-8", "replace")[:500])
    return FOUND
`);

describe('security: functions cannot reach each other', () => {
  let s: TestServer;
  let c: Canaries;
  let otherToken: string;
  const secret = random('sekrit-');

  before(async () => {
    const env = plantEnvCanary();
    c = await makeCanaries(env);
    s = await startTestServer({ workers: 2 });
    await s.create('benign', BENIGN);
    const token = await s.call('POST', '/v1/tokens', { namespace: 'other' });
    assert.equal(token.status, 200, token.text);
    otherToken = token.json.token;
    await s.create('holder', HOLDER, { context: `secret = "${secret}"\n`, timeout: 5 });
    // Run it on both workers' lanes if the scheduler spreads it; it stays warm with the secret.
    const runs = await Promise.all([call(s, 'holder'), call(s, 'holder')]);
    for (const run of runs) assert.equal(run.reply.json, secret, 'the holder must hold its secret for this suite to mean anything');
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    await c.close();
  });

  test('12a. a function in the same namespace cannot find another function\'s context secret', { timeout: 120_000 }, async (t) => {
    const outcome = await runHostile(s, 'hunter', HUNTER, c.args(), { timeout: 30 });
    await assertNothingReached(outcome, c, t);
    assert.ok(!outcome.everything.includes(secret), 'a function read another function\'s secret');
    const described = await s.call('GET', '/v1/functions/holder');
    assert.ok(!described.text.includes(secret), 'the API shows a context value');
    assert.equal((await call(s, 'holder')).reply.json, secret, 'the holder keeps working');
    await assertStillServes(s);
  });

  test('12b. a function in another namespace cannot find it, nor run, read or list the holder', { timeout: 120_000 }, async (t) => {
    const outcome = await runHostile(s, 'hunter', HUNTER, c.args(), { timeout: 30 }, otherToken);
    await assertNothingReached(outcome, c, t);
    assert.ok(!outcome.everything.includes(secret), 'a function of another namespace read the secret');
    for (const [method, path] of [
      ['GET', '/v1/sync/functions/holder/rpc'],
      ['GET', '/v1/functions/holder'],
      ['GET', '/v1/functions/holder/rpc'],
    ] as const) {
      const reply = await s.call(method, path, undefined, otherToken);
      assert.equal(reply.status, 404, `${method} ${path} from another namespace: ${reply.status}`);
      assert.ok(!reply.text.includes(secret));
    }
    const listed = await s.call('GET', '/v1/executions?include_completed=true&limit=1000', undefined, otherToken);
    assert.ok(!listed.text.includes(secret), 'another namespace lists the holder\'s executions');
    const holderRun = await call(s, 'holder');
    const id = holderRun.reply.headers.get('x-execution-id');
    const record = await s.call('GET', `/v1/executions/${id}`, undefined, otherToken);
    assert.equal(record.status, 404);
    const bulk = await s.call('POST', '/v1/executions/bulk', [id], otherToken);
    assert.ok(!bulk.text.includes(secret), 'another namespace reads the holder\'s execution in bulk');
    await assertStillServes(s);
  });

  test('12c. a function\'s /tmp starts empty even after another function wrote to its own', { timeout: 120_000 }, async () => {
    const writer = 'import os\n\ndef main(args, context):\n    open("/tmp/left-behind.txt", "w").write("x")\n    os.makedirs("/tmp/dir-left-behind", exist_ok=True)\n    return sorted(os.listdir("/tmp"))\n';
    const reader = 'import os\n\ndef main(args, context):\n    return sorted(os.listdir("/tmp"))\n';
    await s.create('tmp-writer', writer, { timeout: 5 });
    const wrote = await call(s, 'tmp-writer');
    assert.ok((wrote.reply.json as string[]).includes('left-behind.txt'), wrote.reply.text);
    const read = await runHostile(s, 'tmp-reader', reader, {});
    assert.equal(read.reply.status, 200, read.reply.text);
    assert.deepEqual(read.reply.json, [], 'a fresh function sees files in /tmp');
    const cross = await runHostile(s, 'tmp-reader', reader, {}, {}, otherToken);
    assert.deepEqual(cross.reply.json, [], 'a function of another namespace sees files in /tmp');
    await assertStillServes(s);
  });

  test('12d. globals, builtins, sys.modules and os.environ are not shared between functions or versions', { timeout: 120_000 }, async () => {
    const mark = random('mark-');
    const setter = `
import builtins
import os
import sys
import types

shared = None


def main(args, context):
    global shared
    shared = args["mark"]
    builtins.SHARED_MARK = shared
    os.environ["SHARED_MARK"] = shared
    sys.modules["shared_mark"] = types.ModuleType("shared_mark")
    sys.modules["shared_mark"].value = shared
    sys.setrecursionlimit(123)
    return shared
`;
    const reader = `
import builtins
import os
import sys


def main(args, context):
    return {
        "global": globals().get("shared"),
        "builtins": getattr(builtins, "SHARED_MARK", None),
        "environ": os.environ.get("SHARED_MARK"),
        "module": getattr(sys.modules.get("shared_mark"), "value", None),
        "recursionlimit": sys.getrecursionlimit(),
    }
`;
    await s.create('mark-setter', setter, { timeout: 5 });
    assert.equal((await call(s, 'mark-setter', { mark })).reply.json, mark);
    const readers = [await runHostile(s, 'mark-reader', reader, {}), await runHostile(s, 'mark-reader', reader, {}, {}, otherToken)];
    // A new version of the setter itself must not inherit the old version's state either.
    const patched = await s.call('PATCH', '/v1/functions/mark-setter', { code: reader });
    assert.equal(patched.status, 200, patched.text);
    readers.push(await call(s, 'mark-setter'));
    for (const outcome of readers) {
      assert.equal(outcome.reply.status, 200, outcome.reply.text);
      assert.ok(!outcome.reply.text.includes(mark), `state leaked between functions: ${outcome.reply.text}`);
      assert.notEqual(outcome.reply.json.recursionlimit, 123, 'sys.setrecursionlimit leaked between functions');
    }
    await assertStillServes(s);
  });
});
