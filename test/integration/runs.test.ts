import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

describe('runs', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.create('echo', 'def main(args, context):\n    print("got", sorted(args))\n    return {"args": args, "context": context}\n', {
      context: 'key = "v"\nn = 3\nflag = True\n',
    });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a blocking GET passes the query string as string arguments and answers main\'s value', async () => {
    const reply = await s.call('GET', '/v1/sync/functions/echo/rpc/?k1=v1&k2=2&k1=last');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { args: { k1: 'last', k2: '2' }, context: { key: 'v', n: 3, flag: true } });
    assert.match(reply.headers.get('x-execution-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('HEAD on a run route is a 405 and runs nothing', async () => {
    const before = (await s.call('GET', '/v1/executions?function=echo&limit=1000')).json as unknown[];
    for (const path of ['/v1/sync/functions/echo/rpc?k=1', '/v1/functions/echo/rpc?k=1']) {
      const reply = await s.call('HEAD', path);
      assert.equal(reply.status, 405, path);
      assert.equal(reply.headers.get('allow'), 'GET, POST');
    }
    const afterwards = (await s.call('GET', '/v1/executions?function=echo&limit=1000')).json as unknown[];
    assert.equal(afterwards.length, before.length);
  });

  test('a blocking POST takes typed arguments from the body, and an empty body means {}', async () => {
    const typed = await s.call('POST', '/v1/sync/functions/echo/rpc', { a: 1, b: [true, null] });
    assert.deepEqual(typed.json.args, { a: 1, b: [true, null] });
    const empty = await s.call('POST', '/v1/sync/functions/echo/rpc/', '', undefined, { 'content-type': '' });
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.json.args, {});
  });

  test('return values are JSON: a str is a JSON string and None is null', async () => {
    await s.create('values', 'def main(args, context):\n    return {"s": "hi", "n": None, "f": 1.5, "l": [1, 2]}[args["k"]]\n');
    assert.equal((await s.call('GET', '/v1/sync/functions/values/rpc?k=s')).text, '"hi"');
    assert.equal((await s.call('GET', '/v1/sync/functions/values/rpc?k=n')).text, 'null');
    assert.deepEqual((await s.call('GET', '/v1/sync/functions/values/rpc?k=l')).json, [1, 2]);
  });

  test('a function that raises is a 502 FUNCTION_FAILED with the record and the user traceback', async () => {
    await s.create('raises', 'def helper():\n    raise ValueError("bad input")\n\ndef main(args, context):\n    print("before")\n    helper()\n');
    const reply = await s.call('GET', '/v1/sync/functions/raises/rpc');
    assert.equal(reply.status, 502);
    assert.equal(reply.json.code, 'FUNCTION_FAILED');
    const record = reply.json.execution;
    assert.equal(record.status, 'failed');
    assert.equal(record.error.type, 'ValueError');
    assert.equal(record.error.message, 'bad input');
    assert.match(record.error.traceback, /File "raises.py", line 2, in helper/);
    assert.doesNotMatch(record.error.traceback, /faaspot-runtime/);
    assert.equal(record.logs, 'before\n');
    assert.equal(record.output, null);
  });

  test('a value JSON cannot represent fails with ResultNotSerializable', async () => {
    await s.create('notjson', 'def main(args, context):\n    return {"x": object()} if args else float("nan")\n');
    for (const path of ['/v1/sync/functions/notjson/rpc?a=1', '/v1/sync/functions/notjson/rpc']) {
      const reply = await s.call('GET', path);
      assert.equal(reply.status, 502);
      assert.equal(reply.json.execution.error.type, 'ResultNotSerializable');
    }
  });

  test('async def main is awaited', async () => {
    await s.create('aio', 'import asyncio\n\nasync def main(args, context):\n    await asyncio.sleep(0.01)\n    print("awaited")\n    return args["x"] * 2\n');
    const reply = await s.call('POST', '/v1/sync/functions/aio/rpc', { x: 21 });
    assert.equal(reply.json, 42);
    const record = await s.call('GET', `/v1/executions/${reply.headers.get('x-execution-id')}`);
    assert.equal(record.json.logs, 'awaited\n');
  });

  test('a function\'s first run loads it into a pristine interpreter and later runs find it warm', async () => {
    await s.create('counted', 'def main(args, context):\n    return 1\n');
    const health = async () => (await s.call('GET', '/healthz', undefined, null)).json as { cold_starts: number; warm_functions: number };
    const before = await health();
    for (let i = 0; i < 3; i++) assert.equal((await s.call('GET', '/v1/sync/functions/counted/rpc')).status, 200);
    const after = await health();
    assert.equal(after.cold_starts, before.cold_starts + 1);
    assert.ok(after.warm_functions >= 1);
  });

  test('globals persist between runs of one version, and each run gets fresh args and context', async () => {
    await s.create('counter', 'calls = 0\n\ndef main(args, context):\n    global calls\n    calls += 1\n    context["mutated"] = True\n    return {"calls": calls, "ctx": sorted(context)}\n', { context: 'a = 1' });
    const first = (await s.call('GET', '/v1/sync/functions/counter/rpc')).json;
    const second = (await s.call('GET', '/v1/sync/functions/counter/rpc')).json;
    assert.deepEqual(first.ctx, ['a', 'mutated']);
    assert.deepEqual(second.ctx, ['a', 'mutated']);
    assert.ok(second.calls >= 1);
  });

  test('stdout and stderr are captured per execution, cut at the log cap and marked', async () => {
    await s.create('noisy', 'import sys\n\ndef main(args, context):\n    print("out", args["n"])\n    print("err", file=sys.stderr)\n    if args.get("flood"):\n        for i in range(20000):\n            print("x" * 100)\n    return 0\n');
    const run = await s.call('GET', '/v1/sync/functions/noisy/rpc?n=1');
    const record = (await s.call('GET', `/v1/executions/${run.headers.get('x-execution-id')}`)).json;
    assert.equal(record.logs, 'out 1\nerr\n');
    assert.equal(record.logs_truncated, false);
    const flood = await s.call('GET', '/v1/sync/functions/noisy/rpc?n=2&flood=1');
    const cut = (await s.call('GET', `/v1/executions/${flood.headers.get('x-execution-id')}`)).json;
    assert.equal(cut.logs_truncated, true);
    assert.ok(cut.logs.startsWith('out 2\nerr\n'));
    assert.ok(Buffer.byteLength(cut.logs) <= 64 * 1024);
  });

  test('a non-blocking run answers the id as a JSON string; the record ends completed', async () => {
    const reply = await s.call('GET', '/v1/functions/echo/rpc/?name=user1');
    assert.equal(reply.status, 200);
    const id = reply.json as string;
    assert.equal(reply.text, JSON.stringify(id));
    const record = await s.call('GET', `/v1/executions/${id}?wait=10`);
    assert.equal(record.json.status, 'completed');
    assert.equal(record.json.uuid, id);
    assert.equal(record.json.name, 'echo');
    assert.equal(record.json.function_version, 1);
    assert.deepEqual(record.json.args, { name: 'user1' });
    assert.deepEqual(record.json.output.args, { name: 'user1' });
    assert.equal(record.json.error, null);
    for (const key of ['created', 'started', 'finished']) assert.match(record.json[key], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof record.json.duration_ms, 'number');

    const posted = await s.call('POST', '/v1/functions/echo/rpc', { PARAMETER_1: 'VALUE_1' });
    const done = await s.call('GET', `/v1/executions/${posted.json}/?wait=10`);
    assert.deepEqual(done.json.args, { PARAMETER_1: 'VALUE_1' });
  });

  test('bulk_rpc answers one id per item in order, and every item runs', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ i }));
    const reply = await s.call('POST', '/v1/functions/echo/bulk_rpc/', items);
    assert.equal(reply.status, 200);
    const ids = reply.json as string[];
    assert.equal(ids.length, 50);
    await s.call('GET', `/v1/executions/${ids[49]}?wait=30`);
    const records = (await s.call('POST', '/v1/executions/bulk', [...ids, 'no-such-id'])).json;
    assert.equal(records.length, 51);
    assert.equal(records[50], null);
    records.slice(0, 50).forEach((record: { uuid: string; args: unknown; status: string }, i: number) => {
      assert.equal(record.uuid, ids[i]);
      assert.deepEqual(record.args, { i });
    });
  });

  test('bulk_rpc refuses an empty list, a non-array and non-object items, storing nothing', async () => {
    const before = (await s.call('GET', '/v1/executions?include_completed=true&function=echo&limit=1000')).json.length;
    for (const body of [[], { a: 1 }, [{ a: 1 }, 2]]) {
      const reply = await s.call('POST', '/v1/functions/echo/bulk_rpc', body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.json.code, 'INVALID_REQUEST');
    }
    const afterCount = (await s.call('GET', '/v1/executions?include_completed=true&function=echo&limit=1000')).json.length;
    assert.equal(afterCount, before);
  });

  test('an unknown function is a 404 before anything runs', async () => {
    for (const [method, path] of [['GET', '/v1/sync/functions/nope/rpc'], ['POST', '/v1/functions/nope/rpc'], ['POST', '/v1/functions/nope/bulk_rpc']] as const) {
      const reply = await s.call(method, path, method === 'POST' ? [{}] : undefined);
      assert.equal(reply.status, 404);
      assert.equal(reply.json.code, 'FUNCTION_NOT_FOUND');
    }
  });

  test('a body that is not JSON, or of the wrong shape, is a 400 INVALID_REQUEST', async () => {
    const bad = await s.call('POST', '/v1/sync/functions/echo/rpc', '{"a": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'INVALID_REQUEST');
    const array = await s.call('POST', '/v1/functions/echo/rpc', [1, 2]);
    assert.equal(array.json.code, 'INVALID_REQUEST');
    const csv = await s.call('POST', '/v1/functions/echo/rpc', 'a=b', undefined, { 'content-type': 'text/csv' });
    assert.equal(csv.status, 415);
    assert.equal(csv.json.code, 'UNSUPPORTED_MEDIA_TYPE');
    const curlDefault = await s.call('POST', '/v1/sync/functions/echo/rpc', '{"a": 1}', undefined, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(curlDefault.json.args, { a: 1 });
  });

  test('a body over FAASPOT_MAX_BODY is a 413 PAYLOAD_TOO_LARGE and the server keeps serving', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(7 * 1024 * 1024) });
    const reply = await s.call('POST', '/v1/functions/echo/rpc', big);
    assert.equal(reply.status, 413);
    assert.equal(reply.json.code, 'PAYLOAD_TOO_LARGE');
    assert.equal((await s.call('GET', '/v1/sync/functions/echo/rpc?x=1')).json.args.x, '1');
  });
});
