/**
 * Red team: denial of service. Each hostile function must fail (or be cut) on its own, and a benign
 * function must still answer afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';
import { BENIGN, assertEveryWorkerServes, assertStillServes, call, runHostile } from './hostile.js';

const LOG_CAP = 64 * 1024;

describe('security: resource limits hold and the server survives', () => {
  let s: TestServer;

  before(async () => {
    s = await startTestServer({ workers: 2, killGraceMs: 500 });
    await s.create('benign', BENIGN);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('13a. allocating memory until it dies fails the execution with a memory error only', { timeout: 120_000 }, async () => {
    const code = 'def main(args, context):\n    b = []\n    while True:\n        b.append(bytearray(10**7))\n';
    const outcome = await runHostile(s, 'memory-hog', code, {}, { timeout: 30 });
    assert.equal(outcome.reply.status, 502, outcome.reply.text.slice(0, 500));
    assert.ok(['MemoryError', 'MemoryLimitExceeded'].includes(outcome.record.error.type), `error type ${outcome.record.error.type}`);
    await assertStillServes(s);
    // The same function again: its broken interpreter was not kept, and it fails the same way.
    const again = await call(s, 'memory-hog');
    assert.equal(again.reply.status, 502);
    assert.ok(['MemoryError', 'MemoryLimitExceeded'].includes(again.record.error.type), `error type ${again.record.error.type}`);
    await assertEveryWorkerServes(s);
  });

  test('13b. unbounded recursion fails with RecursionError', { timeout: 120_000 }, async () => {
    const code = 'def f(n):\n    return f(n + 1)\n\ndef main(args, context):\n    return f(0)\n';
    const outcome = await runHostile(s, 'recurse', code, {});
    assert.equal(outcome.reply.status, 502);
    assert.equal(outcome.record.error.type, 'RecursionError');
    await assertStillServes(s);
  });

  test('13b\'. raising the recursion limit and recursing fails the execution only', { timeout: 120_000 }, async () => {
    const code = 'import sys\n\ndef f(n):\n    return f(n + 1)\n\ndef main(args, context):\n    sys.setrecursionlimit(10**7)\n    return f(0)\n';
    const outcome = await runHostile(s, 'recurse-unlimited', code, {});
    assert.equal(outcome.reply.status, 502, outcome.reply.text.slice(0, 500));
    assert.equal(outcome.record.status, 'failed');
    await assertStillServes(s);
    assert.equal((await call(s, 'recurse-unlimited')).reply.status, 502);
    await assertEveryWorkerServes(s);
  });

  test('13c. a deeply nested return value fails the execution only', { timeout: 120_000 }, async () => {
    const code = 'def main(args, context):\n    x = []\n    for _ in range(100000):\n        x = [x]\n    return x\n';
    const outcome = await runHostile(s, 'nested', code, {});
    const id = outcome.reply.headers.get('x-execution-id');
    const record = await s.call('GET', `/v1/executions/${id}`);
    assert.equal(record.status, 200, `the execution record cannot be read: ${record.status} ${record.text.slice(0, 300)}`);
    assert.equal(outcome.reply.status, 502, `a value nested 100000 deep must fail its execution, got ${outcome.reply.status}`);
    assert.equal(record.json.status, 'failed');
    await assertEveryWorkerServes(s);
  });

  test('13d. a flood of stdout completes with logs cut at the cap and marked', { timeout: 180_000 }, async () => {
    const code = 'def main(args, context):\n    for i in range(10**6):\n        print("flood line", i)\n    return "done"\n';
    const outcome = await runHostile(s, 'flood', code, {}, { timeout: 120 });
    assert.equal(outcome.reply.status, 200, outcome.reply.text.slice(0, 500));
    assert.equal(outcome.reply.json, 'done');
    assert.equal(outcome.record.logs_truncated, true);
    assert.ok(Buffer.byteLength(outcome.record.logs) <= LOG_CAP, `logs are ${Buffer.byteLength(outcome.record.logs)} bytes`);
    assert.ok(outcome.record.logs.startsWith('flood line 0\n'));
    await assertStillServes(s);
  });

  test('13d\'. the log cap holds even when the function tampers with its capture and the runtime', { timeout: 120_000 }, async () => {
    const code = `
import sys


def main(args, context):
    capture = sys.stdout
    for name in ("_cap", "cap", "limit"):
        try:
            setattr(capture, name, 2**40)
        except Exception:
            pass
    try:
        type(capture).truncated = property(lambda self: False, lambda self, v: None)
    except Exception:
        pass
    print("y" * (2 * 2**20))
    frame = sys._getframe()
    while frame is not None:
        g = frame.f_globals
        original = g.get("_end")
        if callable(original) and g is not globals():
            def forged(*a, _original=original):
                result = list(_original(*a))
                for i, item in enumerate(result):
                    if isinstance(item, str) and i > 0:
                        result[i] = item + "z" * (2 * 2**20)
                return tuple(result)
            g["_end"] = forged
        frame = frame.f_back
    return "done"
`;
    const outcome = await runHostile(s, 'log-tamper', code, {});
    const id = outcome.reply.headers.get('x-execution-id');
    const record = await s.call('GET', `/v1/executions/${id}`);
    assert.equal(record.status, 200, `the execution record cannot be read: ${record.status} ${record.text.slice(0, 300)}`);
    const logs: string = record.json.logs ?? '';
    assert.ok(Buffer.byteLength(logs) <= LOG_CAP, `the function wrote ${Buffer.byteLength(logs)} bytes of logs past the cap`);
    assert.ok(outcome.reply.text.length < 1024 * 1024, `the reply is ${outcome.reply.text.length} bytes`);
    await assertStillServes(s);
  });

  test('13e. os._exit(1) and sys.exit() fail only their own execution', { timeout: 120_000 }, async () => {
    const exits = [
      ['exit-os', 'import os\n\ndef main(args, context):\n    os._exit(1)\n'],
      ['exit-sys', 'import sys\n\ndef main(args, context):\n    sys.exit()\n'],
      ['exit-sys-code', 'import sys\n\ndef main(args, context):\n    sys.exit(3)\n'],
      ['exit-builtin', 'def main(args, context):\n    exit()\n'],
      ['exit-abort', 'import os\n\ndef main(args, context):\n    os.abort()\n'],
      ['exit-toplevel', 'import os\nos._exit(0)\n\ndef main(args, context):\n    return 1\n'],
    ];
    for (const [name, code] of exits) {
      const outcome = await runHostile(s, name!, code!, {});
      assert.equal(outcome.reply.status, 502, `${name}: ${outcome.reply.status} ${outcome.reply.text.slice(0, 300)}`);
      assert.equal(outcome.record.status, 'failed', name);
      await assertStillServes(s);
      const again = await call(s, name!);
      assert.equal(again.reply.status, 502, `${name} (second run): ${again.reply.status}`);
      await assertEveryWorkerServes(s);
    }
  });

  test('13f. a ~10 MiB return value fails with OutputTooLarge', { timeout: 120_000 }, async () => {
    const code = 'def main(args, context):\n    return "x" * (10 * 2**20)\n';
    const outcome = await runHostile(s, 'big-output', code, {});
    assert.notEqual(outcome.reply.status, 200, 'a 10 MiB return value must not be accepted');
    assert.equal(outcome.reply.status, 502);
    assert.equal(outcome.record.error?.type, 'OutputTooLarge', 'planned error type for an oversized return value');
    await assertStillServes(s);
  });

  test('13f\'. the output cap holds even when the function patches the runtime through its frames', { timeout: 120_000 }, async () => {
    const code = `
import json
import sys


def main(args, context):
    frame = sys._getframe()
    while frame is not None:
        g = frame.f_globals
        if g is not globals():
            if callable(g.get("_serialise")) and callable(g.get("_end")):
                end = g["_end"]
                g["_serialise"] = lambda result, capture, saved, duration, *rest: end(capture, saved, "completed", json.dumps(result), None, duration)
        frame = frame.f_back
    return "x" * (10 * 2**20)
`;
    const outcome = await runHostile(s, 'big-output-forged', code, {});
    assert.notEqual(outcome.reply.status, 200, `a 10 MiB return value got through (${outcome.reply.text.length} bytes)`);
    assert.ok(outcome.reply.text.length < 1024 * 1024, `the reply is ${outcome.reply.text.length} bytes`);
    await assertStillServes(s);
  });

  test('13g. a function that swallows the timeout interrupt, or ignores SIGINT, is stopped', { timeout: 120_000 }, async () => {
    const swallow = 'def main(args, context):\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n';
    const ignore = 'import signal\n\ndef main(args, context):\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n';
    const handler = 'import signal\n\ndef main(args, context):\n    signal.signal(signal.SIGINT, lambda *a: None)\n    while True:\n        pass\n';
    for (const [name, code] of [['swallow', swallow], ['sigign', ignore], ['sighandler', handler]] as const) {
      const outcome = await runHostile(s, name, code, {}, { timeout: 0.5 });
      assert.equal(outcome.reply.status, 504, `${name}: ${outcome.reply.status}`);
      assert.equal(outcome.record.error.type, 'Timeout');
      await assertStillServes(s);
    }
  });

  test('13h. code nested too deeply to compile is refused at creation and the server keeps serving', { timeout: 120_000 }, async () => {
    const depth = 100_000;
    const code = 'x = ' + '['.repeat(depth) + ']'.repeat(depth) + '\n\ndef main(args, context):\n    return 1\n';
    const reply = await s.call('PUT', '/v1/functions/', { name: 'deep-code', code });
    assert.equal(reply.status, 400, reply.text.slice(0, 300));
    assert.equal(reply.json.code, 'INVALID_CODE');
    const expression = 'def main(args, context):\n    return eval("[" * 100000 + "]" * 100000)\n';
    const outcome = await runHostile(s, 'deep-eval', expression, {});
    assert.equal(outcome.reply.status, 502);
    await assertStillServes(s);
  });

  test('13i. hostile loops occupying every worker delay other executions but lose none', { timeout: 120_000 }, async () => {
    await s.create('hog', 'def main(args, context):\n    while True:\n        pass\n', { timeout: 3 });
    const hogs = [call(s, 'hog'), call(s, 'hog')];
    const benign = await Promise.all([1, 2, 3].map(() => s.call('GET', '/v1/sync/functions/benign/rpc?x=1')));
    for (const reply of benign) assert.equal(reply.status, 200, `a benign run failed: ${reply.text.slice(0, 300)}`);
    for (const outcome of await Promise.all(hogs)) assert.equal(outcome.reply.status, 504);
    await assertStillServes(s);
  });

  test('13j. a function that crashes its interpreter or poisons its worker\'s JavaScript realm fails only its own execution', { timeout: 180_000 }, async () => {
    const load = 'import _frozen_importlib\nimport importlib.machinery\n\ndef core():\n    return _frozen_importlib._load(importlib.machinery.BuiltinImporter.find_spec("_pyodide_core"))\n\n';
    const fatal = load + 'def main(args, context):\n    core().trigger_fatal_error()\n';
    const poison = load + `def main(args, context):
    c = core()
    prototype = c.to_js([1]).constructor.prototype
    for name in ("push", "slice", "map", "join", "concat", "indexOf", "forEach", "includes", "filter", "splice"):
        original = getattr(prototype, name)

        def spy(this, *a, _original=original):
            return _original.apply(this, c.to_js(list(a)))

        setattr(prototype, name, c.create_proxy(spy, capture_this=True))
    return "poisoned"
`;
    for (const [name, code] of [['fatal', fatal], ['poison', poison]] as const) {
      const outcome = await runHostile(s, name, code, {});
      assert.equal(outcome.record?.status, 'failed', `${name}: ${outcome.reply.status} ${outcome.reply.text.slice(0, 300)}`);
      await assertEveryWorkerServes(s);
    }
  });

  test('13k. files written to the in-memory file system count against the memory setting: ENOSPC past it, room again once deleted', { timeout: 120_000 }, async () => {
    // 16 MiB files into /tmp until the file system refuses; then delete them and write one more.
    const code = [
      'import errno, os',
      '',
      'def main(args, context):',
      '    chunk = b"x" * (16 * 2**20)',
      '    names = []',
      '    refused = None',
      '    for i in range(64):',
      '        name = f"/tmp/fill-{i}"',
      '        try:',
      '            with open(name, "wb") as f:',
      '                f.write(chunk)',
      '        except OSError as e:',
      '            refused = errno.errorcode.get(e.errno)',
      '            break',
      '        names.append(name)',
      '    for name in names + [f"/tmp/fill-{len(names)}"]:',
      '        if os.path.exists(name):',
      '            os.remove(name)',
      '    with open("/tmp/after", "wb") as f:',
      '        f.write(chunk)',
      '    os.remove("/tmp/after")',
      '    return {"written_mib": 16 * len(names), "refused": refused}',
    ].join('\n');
    const outcome = await runHostile(s, 'file-filler', code, {}, { timeout: 60, memory: 128 });
    assert.equal(outcome.reply.status, 200, outcome.reply.text.slice(0, 500));
    const output = outcome.reply.json as { written_mib: number; refused: string | null };
    assert.equal(output.refused, 'ENOSPC');
    assert.ok(output.written_mib >= 96 && output.written_mib <= 128, `wrote ${output.written_mib} MiB under a 128 MiB setting`);
    // Warm again: the deleted files left room, and the limit still holds.
    const again = await call(s, 'file-filler');
    assert.deepEqual(again.reply.json, output);
    await assertStillServes(s);
  });

  test('13l. a pipe holds 64 KiB unread at most: a write to a full pipe fails with BlockingIOError', { timeout: 120_000 }, async () => {
    const code = [
      'import os',
      '',
      'def main(args, context):',
      '    r, w = os.pipe()',
      '    written = 0',
      '    try:',
      '        for _ in range(1024):',
      '            written += os.write(w, b"x" * 2**20)',
      '    except BlockingIOError:',
      '        pass',
      '    read = len(os.read(r, 2**20))',
      '    return {"written": written, "read": read, "again": os.write(w, b"y" * 100)}',
    ].join('\n');
    const outcome = await runHostile(s, 'pipe-filler', code, {});
    assert.equal(outcome.reply.status, 200, outcome.reply.text.slice(0, 500));
    assert.deepEqual(outcome.reply.json, { written: 65536, read: 65536, again: 100 });
    await assertStillServes(s);
  });
});
