import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

const HELLO = 'def main(args, context):\n    return "hello " + args.get("name", "world")\n';

/** What Python's urllib.parse.quote(text.encode("utf-8")) sends. */
function pythonQuote(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
}

describe('functions', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a function is created, listed without code, read with its code and context keys only', async () => {
    const created = await s.call('PUT', '/v1/functions/', { name: 'hello', code: HELLO, context: 'access_key_is = "XYZ"\nsecret_access_key = "123"\n' });
    assert.equal(created.status, 200);
    assert.equal(created.json.name, 'hello');
    assert.equal(created.json.version, 1);
    assert.equal(created.json.timeout, 60);
    assert.deepEqual(created.json.context_keys, ['access_key_is', 'secret_access_key']);

    const list = await s.call('GET', '/v1/functions/');
    assert.equal(list.status, 200);
    const entry = list.json.find((f: { name: string }) => f.name === 'hello');
    assert.ok(entry);
    assert.equal(entry.code, undefined);

    for (const path of ['/v1/functions/hello', '/v1/functions/hello/']) {
      const got = await s.call('GET', path);
      assert.equal(got.status, 200);
      assert.equal(got.json.code, HELLO);
      assert.ok(!got.text.includes('XYZ'), 'context values are never shown');
    }
  });

  test('creating a name that exists is a 409 FUNCTION_EXISTS', async () => {
    await s.create('dup', HELLO);
    const again = await s.call('PUT', '/v1/functions', { name: 'dup', code: HELLO });
    assert.equal(again.status, 409);
    assert.equal(again.json.code, 'FUNCTION_EXISTS');
  });

  test('code with a syntax error is a 400 INVALID_CODE naming line and column', async () => {
    const reply = await s.call('PUT', '/v1/functions/', { name: 'broken', code: 'def main(args, context):\n    return (1 +\n' });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.code, 'INVALID_CODE');
    assert.equal(typeof reply.json.line, 'number');
    assert.match(reply.json.message, /line \d+/);
    assert.equal((await s.call('GET', '/v1/functions/broken')).status, 404);
  });

  test('code without a two-parameter main is a 400 INVALID_MAIN', async () => {
    for (const code of ['x = 1\n', 'def main(args):\n    return 1\n', 'def helper(a, b):\n    return 1\n']) {
      const reply = await s.call('PUT', '/v1/functions/', { name: 'nomain', code });
      assert.equal(reply.status, 400, code);
      assert.equal(reply.json.code, 'INVALID_MAIN', code);
    }
    await s.create('asyncmain', 'async def main(args, context, *rest):\n    return 1\n');
  });

  test('a bad context line is a 400 INVALID_CONTEXT naming the line', async () => {
    const reply = await s.call('PUT', '/v1/functions/', { name: 'badctx', code: HELLO, context: 'a = 1\nthis line has no equals sign\n' });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.code, 'INVALID_CONTEXT');
    assert.match(reply.json.message, /line 2/);
  });

  test('URL-quoted code and context are decoded; raw code with % is kept as it is', async () => {
    const code = 'def main(args, context):\n    return "%d%%" % context["n"]\n';
    const quoted = await s.call('PUT', '/v1/functions/', { name: 'quoted', code: pythonQuote(code), context: pythonQuote('n = 5\n') });
    assert.equal(quoted.status, 200, quoted.text);
    assert.equal((await s.call('GET', '/v1/functions/quoted')).json.code, code);
    assert.equal((await s.call('GET', '/v1/sync/functions/quoted/rpc/')).json, '5%');

    const raw = await s.call('PUT', '/v1/functions/', { name: 'raw', code, context: 'n = 7' });
    assert.equal(raw.status, 200, raw.text);
    assert.equal((await s.call('GET', '/v1/functions/raw')).json.code, code);
    assert.equal((await s.call('GET', '/v1/sync/functions/raw/rpc/')).json, '7%');
  });

  test('an empty context string (what the original client sends) is an empty context', async () => {
    await s.create('emptyctx', 'def main(args, context):\n    return context\n', { context: '' });
    assert.deepEqual((await s.call('GET', '/v1/sync/functions/emptyctx/rpc')).json, {});
  });

  test('update bumps the version, renames, and later runs use the new code', async () => {
    await s.create('upd', 'def main(args, context):\n    return 1\n');
    assert.equal((await s.call('GET', '/v1/sync/functions/upd/rpc')).json, 1);
    const patched = await s.call('PATCH', '/v1/functions/upd', { code: 'def main(args, context):\n    return 2\n', timeout: 5 });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.version, 2);
    assert.equal(patched.json.timeout, 5);
    const run = await s.call('GET', '/v1/sync/functions/upd/rpc');
    assert.equal(run.json, 2);
    const record = await s.call('GET', `/v1/executions/${run.headers.get('x-execution-id')}`);
    assert.equal(record.json.function_version, 2);

    const renamed = await s.call('PATCH', '/v1/functions/upd/', { name: 'upd2' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.version, 3);
    assert.equal((await s.call('GET', '/v1/functions/upd')).status, 404);
    assert.equal((await s.call('GET', '/v1/sync/functions/upd2/rpc')).json, 2);
    assert.equal((await s.call('PATCH', '/v1/functions/upd2', { code: 'oops(' })).json.code, 'INVALID_CODE');
    await s.create('other', HELLO);
    assert.equal((await s.call('PATCH', '/v1/functions/upd2', { name: 'other' })).status, 409);
  });

  test('delete removes the function and cancels its pending executions', async () => {
    await s.create('slow', 'import time\ndef main(args, context):\n    time.sleep(0.3)\n    return 1\n');
    await s.create('victim', HELLO);
    // Occupy both workers so the victim's executions stay pending.
    const busy = [s.call('GET', '/v1/sync/functions/slow/rpc'), s.call('GET', '/v1/sync/functions/slow/rpc')];
    await new Promise((r) => setTimeout(r, 50));
    const ids = (await s.call('POST', '/v1/functions/victim/bulk_rpc', [{}, {}, {}])).json as string[];
    const deleted = await s.call('DELETE', '/v1/functions/victim/');
    assert.equal(deleted.status, 200);
    await Promise.all(busy);
    const records = (await s.call('POST', '/v1/executions/bulk', ids)).json as { status: string }[];
    for (const record of records) assert.ok(['cancelled', 'completed'].includes(record.status));
    assert.ok(records.some((r) => r.status === 'cancelled'), 'pending executions were cancelled');
    assert.equal((await s.call('GET', '/v1/functions/victim')).status, 404);
    assert.equal((await s.call('DELETE', '/v1/functions/victim')).json.code, 'FUNCTION_NOT_FOUND');
  });

  test('invalid names are a 400 INVALID_NAME', async () => {
    for (const name of ['', 'a b', '../x', 'a/b', 'x'.repeat(65), '.hidden']) {
      const reply = await s.call('PUT', '/v1/functions/', { name, code: HELLO });
      assert.equal(reply.status, 400, name);
      assert.equal(reply.json.code, 'INVALID_NAME', name);
    }
    await s.create('hello.py', HELLO);
  });
});
