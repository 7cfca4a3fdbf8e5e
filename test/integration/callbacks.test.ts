import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deriveCallbackKey } from '../../src/auth/callback-keys.js';
import { CallbackAllowlist } from '../../src/callbacks/callback-allowlist.js';
import { callbackSettled, CallbackReceiver, type ReceivedCallback } from './callback-receiver.js';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

const HELLO = 'def main(args, context):\n    return "hello " + args.get("name", "world")\n';
const BOOM = 'def main(args, context):\n    raise ValueError("boom")\n';
const SLEEPY = 'import time\n\ndef main(args, context):\n    time.sleep(float(args.get("s", "0")))\n    return "slept"\n';

/** What a receiver does: the signature header is the hex HMAC-SHA256 of the raw body under the secret. */
function signatureIsValid(secret: string, request: ReceivedCallback): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.body, 'utf8').digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-faaspot-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function status(s: TestServer, id: string, wanted: string): Promise<void> {
  for (let i = 0; i < 1500 && (await s.call('GET', `/v1/executions/${id}`)).json.status !== wanted; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await s.call('GET', `/v1/executions/${id}`)).json.status, wanted);
}

function withCallback(url: string): Record<string, string> {
  return { 'x-callback-url': url };
}

describe('completion callbacks', () => {
  let s: TestServer;
  let receiver: CallbackReceiver;
  let secret: string;

  before(async () => {
    receiver = await CallbackReceiver.start();
    s = await startTestServer({ callbackAllowlist: CallbackAllowlist.parse('127.0.0.1'), callbackRetries: 2, callbackBackoffMs: 1 });
    await s.create('hello', HELLO);
    await s.create('boom', BOOM);
    await s.create('sleepy', SLEEPY);
    secret = (await s.call('GET', '/v1/admin/callback-secret')).json.secret;
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    await receiver.close();
  });

  test("the root secret is generated into the data directory (mode 0600) and never shown; an admin token reads a namespace's key, derived from it", async () => {
    const shown = await s.call('GET', '/v1/admin/callback-secret/');
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.json, { namespace: 'default', secret, source: 'file' });
    assert.equal(shown.headers.get('cache-control'), 'no-store');
    const file = join(s.dataDir, 'callback-secret');
    const root = readFileSync(file, 'utf8').trim();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(secret, deriveCallbackKey(root, 'default'), "the admin's own namespace by default");
    assert.notEqual(secret, root);
    const other = await s.call('GET', '/v1/admin/callback-secret?namespace=team-a');
    assert.deepEqual(other.json, { namespace: 'team-a', secret: deriveCallbackKey(root, 'team-a'), source: 'file' });
    for (const bad of ['?namespace=', '?namespace=no%20spaces', '?namespace=a&namespace=b']) {
      const refused = await s.call('GET', `/v1/admin/callback-secret${bad}`);
      assert.deepEqual([refused.status, refused.json.code], [400, 'INVALID_REQUEST'], bad);
    }
    const own = await s.call('GET', '/v1/callback-secret');
    assert.deepEqual(own.json, { namespace: 'default', secret });
    for (const reply of [shown, other, own]) assert.ok(!reply.text.includes(root), 'the root secret is never answered');
  });

  test("any token reads its own namespace's key, never another's; the admin route stays closed to it", async () => {
    const token = (await s.call('POST', '/v1/tokens', { namespace: 'team-keys' })).json.token as string;
    const own = await s.call('GET', '/v1/callback-secret/', undefined, token);
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('cache-control'), 'no-store');
    const adminView = (await s.call('GET', '/v1/admin/callback-secret?namespace=team-keys')).json;
    assert.deepEqual(own.json, { namespace: 'team-keys', secret: adminView.secret });
    assert.notEqual(own.json.secret, secret);
    // A namespace asked for is not a namespace given: the route answers the token's own.
    assert.deepEqual((await s.call('GET', '/v1/callback-secret?namespace=default', undefined, token)).json, own.json);
    for (const path of ['/v1/admin/callback-secret', '/v1/admin/callback-secret?namespace=default', '/v1/admin/callback-secret?namespace=team-keys']) {
      const refused = await s.call('GET', path, undefined, token);
      assert.deepEqual([refused.status, refused.json.code], [403, 'FORBIDDEN'], path);
      assert.ok(!refused.text.includes(secret));
    }
    assert.equal((await s.call('GET', '/v1/callback-secret', undefined, null)).status, 401);
  });

  test("a namespace's callbacks are signed with its own key: another namespace's key does not verify them", async () => {
    const tokenA = (await s.call('POST', '/v1/tokens', { namespace: 'team-sign-a' })).json.token as string;
    const tokenB = (await s.call('POST', '/v1/tokens', { namespace: 'team-sign-b' })).json.token as string;
    const keyA = (await s.call('GET', '/v1/callback-secret', undefined, tokenA)).json.secret as string;
    const keyB = (await s.call('GET', '/v1/callback-secret', undefined, tokenB)).json.secret as string;
    await s.create('hello', HELLO, {}, tokenA);
    await s.create('hello', HELLO, {}, tokenB);
    const idA = (await s.call('POST', '/v1/functions/hello/rpc', {}, tokenA, withCallback(receiver.url('/sign-a')))).json as string;
    const idB = (await s.call('POST', '/v1/functions/hello/rpc', {}, tokenB, withCallback(receiver.url('/sign-b')))).json as string;
    const [fromA] = await receiver.waitFor('/sign-a');
    const [fromB] = await receiver.waitFor('/sign-b');
    assert.ok(fromA && fromB);
    assert.deepEqual([fromA.headers['x-faaspot-execution'], fromB.headers['x-faaspot-execution']], [idA, idB]);
    assert.equal(signatureIsValid(keyA, fromA), true);
    assert.equal(signatureIsValid(keyB, fromB), true);
    assert.equal(signatureIsValid(keyB, fromA), false, "A's callback does not pass at B's receiver");
    assert.equal(signatureIsValid(keyA, fromB), false, "B's callback does not pass at A's receiver");
    assert.equal(signatureIsValid(secret, fromA), false, "nor under the default namespace's key");
  });

  test('a non-blocking run calls back once with its final record, as GET answers it, signed with the secret', async () => {
    const id = (await s.call('POST', '/v1/functions/hello/rpc', { name: 'user1' }, undefined, withCallback(receiver.url('/hello')))).json as string;
    const [request] = await receiver.waitFor('/hello');
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(signatureIsValid(secret, request), true, 'the signature checks out');
    assert.equal(request.headers['x-faaspot-execution'], id);
    assert.equal(request.headers['x-faaspot-attempt'], '1');
    const body = JSON.parse(request.body);
    assert.equal(body.uuid, id);
    assert.equal(body.status, 'completed');
    assert.equal(body.output, 'hello user1');
    assert.deepEqual(body.callback, { url: receiver.url('/hello'), state: 'pending', attempts: 1, last_error: null, next_attempt: null });

    const record = await callbackSettled(s, id);
    assert.deepEqual(record.callback, { url: receiver.url('/hello'), state: 'delivered', attempts: 1, last_error: null, next_attempt: null });
    assert.deepEqual({ ...body, callback: null }, { ...record, callback: null }, 'the body is the record GET answers');
    assert.equal(receiver.at('/hello').length, 1);
  });

  test('the query-string run calls back too, and so does a run whose function raised', async () => {
    const queried = (await s.call('GET', '/v1/functions/hello/rpc?name=q', undefined, undefined, withCallback(receiver.url('/query')))).json as string;
    const failed = (await s.call('POST', '/v1/functions/boom/rpc', {}, undefined, withCallback(receiver.url('/boom')))).json as string;
    const [query] = await receiver.waitFor('/query');
    const [boom] = await receiver.waitFor('/boom');
    assert.deepEqual(JSON.parse(query?.body ?? '').args, { name: 'q' });
    assert.equal(query?.headers['x-faaspot-execution'], queried);
    const record = JSON.parse(boom?.body ?? '');
    assert.equal(record.uuid, failed);
    assert.equal(record.status, 'failed');
    assert.equal(record.error.type, 'ValueError');
    assert.equal((await callbackSettled(s, failed)).callback.state, 'delivered');
  });

  test('bulk_rpc calls back once per execution', async () => {
    const ids = (await s.call('POST', '/v1/functions/hello/bulk_rpc', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], undefined, withCallback(receiver.url('/bulk')))).json as string[];
    assert.equal(ids.length, 3);
    const requests = await receiver.waitFor('/bulk', 3);
    const byId = new Map(requests.map((r) => [r.headers['x-faaspot-execution'] as string, JSON.parse(r.body) as { output: string }]));
    assert.deepEqual([...byId.keys()].sort(), [...ids].sort());
    assert.deepEqual(ids.map((id) => byId.get(id)?.output), ['hello a', 'hello b', 'hello c']);
    for (const request of requests) assert.equal(signatureIsValid(secret, request), true);
    for (const id of ids) assert.equal((await callbackSettled(s, id)).callback.state, 'delivered');
    assert.equal(receiver.at('/bulk').length, 3);
  });

  test('a failing receiver sees the first attempt and exactly FAASPOT_CALLBACK_RETRIES retries, then the callback fails', async () => {
    receiver.answer('/failing', () => ({ status: 500, body: 'not today' }));
    const id = (await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, withCallback(receiver.url('/failing')))).json as string;
    const record = await callbackSettled(s, id);
    assert.deepEqual(record.callback, { url: receiver.url('/failing'), state: 'failed', attempts: 3, last_error: 'HTTP 500: not today', next_attempt: null });
    const attempts = receiver.at('/failing');
    assert.deepEqual(attempts.map((r) => r.headers['x-faaspot-attempt']), ['1', '2', '3']);
    for (const request of attempts) assert.equal(signatureIsValid(secret, request), true, 'each attempt is signed');
    // Nothing is left to come: another callback goes through after it, and the failed one stays at three.
    const later = (await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, withCallback(receiver.url('/later')))).json as string;
    assert.equal((await callbackSettled(s, later)).callback.state, 'delivered');
    assert.equal(receiver.at('/failing').length, 3);
    assert.equal(s.server.callbacks.pending, 0);
  });

  test('a receiver that does not answer delays neither other executions nor other callbacks', async () => {
    receiver.answer('/slow', () => 'hold');
    const slow = (await s.call('POST', '/v1/functions/hello/rpc', { name: 'slow' }, undefined, withCallback(receiver.url('/slow')))).json as string;
    await receiver.waitFor('/slow');
    // The receiver holds the request open: meanwhile runs go on, and other callbacks arrive.
    const blocking = await s.call('GET', '/v1/sync/functions/hello/rpc?name=b');
    assert.equal(blocking.status, 200);
    assert.equal(blocking.json, 'hello b');
    const fast = (await s.call('POST', '/v1/functions/hello/rpc', { name: 'fast' }, undefined, withCallback(receiver.url('/fast')))).json as string;
    assert.equal((await callbackSettled(s, fast)).callback.state, 'delivered');
    const waiting = (await s.call('GET', `/v1/executions/${slow}`)).json;
    assert.equal(waiting.status, 'completed', 'the execution itself ended long ago');
    assert.deepEqual([waiting.callback.state, waiting.callback.attempts], ['pending', 1], 'its callback is still in flight');
    receiver.release('/slow');
    assert.equal((await callbackSettled(s, slow)).callback.state, 'delivered');
    assert.equal(receiver.at('/slow').length, 1);
  });

  test('a callback URL that is not valid, or goes where callbacks may not, is refused before anything is stored', async () => {
    const count = async () => (await s.call('GET', '/v1/executions?include_completed=true&limit=1000')).json.length as number;
    const before = await count();
    const port = receiver.port;
    const invalid = [
      'not a url',
      '/relative/path',
      `ftp://127.0.0.1:${port}/x`,
      `http://user:secret@127.0.0.1:${port}/x`,
      `http://127.0.0.1:${port}/${'a'.repeat(2100)}`,
      `http://127.0.0.1:${port}/a, http://127.0.0.1:${port}/b`,
    ];
    for (const url of invalid) {
      const reply = await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, withCallback(url));
      assert.equal(reply.status, 400, url);
      assert.equal(reply.json.code, 'CALLBACK_URL_INVALID', url);
    }
    const forbidden = [`http://127.0.0.2:${port}/x`, `http://[::1]:${port}/x`, 'http://10.0.0.1/x', 'http://[::ffff:10.0.0.1]/x', 'http://169.254.169.254/latest', 'http://8.8.8.8/x'];
    for (const url of forbidden) {
      for (const [method, path, body] of [['POST', '/v1/functions/hello/rpc', {}], ['GET', '/v1/functions/hello/rpc', undefined], ['POST', '/v1/functions/hello/bulk_rpc', [{}, {}]]] as const) {
        const reply = await s.call(method, path, body, undefined, withCallback(url));
        assert.equal(reply.status, 403, `${method} ${path} ${url}`);
        assert.equal(reply.json.code, 'CALLBACK_URL_FORBIDDEN');
        assert.match(reply.json.message, /FAASPOT_CALLBACK_ALLOWLIST/, 'the message says what to change');
      }
    }
    const sync = await s.call('POST', '/v1/sync/functions/hello/rpc', {}, undefined, withCallback(receiver.url('/sync')));
    assert.equal(sync.status, 400);
    assert.equal(sync.json.code, 'CALLBACK_URL_INVALID');
    assert.match(sync.json.message, /non-blocking runs only/);

    // Two headers: each execution has one callback URL.
    const twice = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const url = new URL(`${s.url}/v1/functions/hello/rpc`);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { authorization: 'Token test-admin-token-0123456789', 'x-callback-url': [receiver.url('/a'), receiver.url('/b')] } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { code: string }).code }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(twice, { status: 400, code: 'CALLBACK_URL_INVALID' });

    assert.equal(await count(), before, 'no refused run was stored');
    assert.equal(receiver.at('/sync').length + receiver.at('/x').length, 0);
  });
});

describe('completion callbacks without FAASPOT_CALLBACK_ALLOWLIST', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1 });
    await s.create('hello', HELLO);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('loopback, private, link-local and other non-public targets are refused, in every notation', async () => {
    const cases: [string, RegExp][] = [
      ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
      ['http://2130706433/hook', /127\.0\.0\.1 is a loopback address/],
      ['http://[::1]/hook', /\[::1\] is a loopback address/],
      ['http://[::ffff:127.0.0.1]/hook', /loopback address/],
      ['http://localhost:8080/hook', /localhost is a loopback name/],
      ['http://192.168.1.20/hook', /private address/],
      ['http://172.20.0.1/hook', /private address/],
      ['http://[fd00::1]/hook', /unique-local address/],
      ['http://169.254.169.254/latest/meta-data', /link-local address/],
      ['http://0.0.0.0/hook', /unspecified address/],
      ['http://[ff02::1]/hook', /multicast address/],
    ];
    for (const [url, pattern] of cases) {
      const reply = await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, withCallback(url));
      assert.equal(reply.status, 403, url);
      assert.equal(reply.json.code, 'CALLBACK_URL_FORBIDDEN', url);
      assert.match(reply.json.message, pattern, url);
      assert.match(reply.json.message, /FAASPOT_CALLBACK_ALLOWLIST/);
    }
    assert.deepEqual((await s.call('GET', '/v1/executions?include_completed=true')).json, []);
  });

  test('a run without a callback has `callback: null` in its record', async () => {
    const id = (await s.call('POST', '/v1/functions/hello/rpc', {})).json as string;
    const record = (await s.call('GET', `/v1/executions/${id}?wait=30`)).json;
    assert.equal(record.status, 'completed');
    assert.equal(record.callback, null);
  });
});

describe('completion callbacks across a restart', () => {
  test('callbacks owed when the server stops are delivered after the next start: one cut short, one of a run the stop interrupted, one of a queued run', async () => {
    const receiver = await CallbackReceiver.start();
    receiver.answer('/cut', (_request, nth) => (nth === 1 ? 'hold' : { status: 200 }));
    const overrides = { workers: 1, callbackAllowlist: CallbackAllowlist.parse('127.0.0.1'), callbackRetries: 3, callbackBackoffMs: 1 };
    const first = await startTestServer(overrides);
    const dataDir = first.dataDir;
    try {
      await first.create('hello', HELLO);
      await first.create('sleepy', SLEEPY);
      const secret = (await first.call('GET', '/v1/admin/callback-secret')).json.secret as string;
      const cut = (await first.call('POST', '/v1/functions/hello/rpc', {}, undefined, withCallback(receiver.url('/cut')))).json as string;
      await receiver.waitFor('/cut');
      const interrupted = (await first.call('POST', '/v1/functions/sleepy/rpc', { s: '60' }, undefined, withCallback(receiver.url('/interrupted')))).json as string;
      await status(first, interrupted, 'running');
      const queued = (await first.call('POST', '/v1/functions/hello/rpc', { name: 'later' }, undefined, withCallback(receiver.url('/queued')))).json as string;
      assert.equal((await first.call('GET', `/v1/executions/${queued}`)).json.status, 'pending');
      await first.server.shutdown(0);
      receiver.release('/cut');
      assert.equal(receiver.at('/interrupted').length + receiver.at('/queued').length, 0, 'nothing was sent for them before the stop');

      const second = await startTestServer(overrides, dataDir);
      try {
        assert.equal((await second.call('GET', '/v1/admin/callback-secret')).json.secret, secret, 'the same key after a restart');
        const [, again] = await receiver.waitFor('/cut', 2);
        const [gone] = await receiver.waitFor('/interrupted');
        const [ran] = await receiver.waitFor('/queued');
        assert.equal(again?.headers['x-faaspot-attempt'], '2', 'the attempt cut short counted');
        assert.equal(JSON.parse(gone?.body ?? '').error.type, 'ServerRestarted');
        assert.equal(JSON.parse(ran?.body ?? '').output, 'hello later');
        for (const request of [again, gone, ran]) assert.ok(request && signatureIsValid(secret, request));
        assert.deepEqual(
          [(await callbackSettled(second, cut)).callback.attempts, (await callbackSettled(second, interrupted)).callback.state, (await callbackSettled(second, queued)).callback.state],
          [2, 'delivered', 'delivered'],
        );
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      removeDataDir(dataDir);
      await receiver.close();
    }
  });
});
