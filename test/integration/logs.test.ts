import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { send } from '../reliability/raw-http.js';
import { namespaceToken } from '../reliability/executions.js';
import { CallbackAllowlist } from '../../src/callbacks/callback-allowlist.js';
import { callbackSettled, CallbackReceiver, closedPort } from './callback-receiver.js';
import { ADMIN_TOKEN, removeDataDir, startTestServer, type Reply, type TestServer } from './harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HELLO = 'def main(args, context):\n    return "hello " + args.get("name", "world")\n';
const BOOM = 'def main(args, context):\n    raise ValueError("no")\n';

describe('the server log', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1 });
    await s.create('hello', HELLO);
    await s.create('boom', BOOM);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  /** The log lines of one request, found by the id in its answer. */
  function requestLines(reply: Reply): Record<string, unknown>[] {
    const id = reply.headers.get('x-request-id');
    assert.ok(id, 'the answer carries X-Request-Id');
    return s.logs().filter((line) => line.msg === 'request' && line.request_id === id);
  }

  test('every request is one JSON line with its request id, which the answer carries in X-Request-Id', async () => {
    const listed = await s.call('GET', '/v1/functions/');
    const missing = await s.call('GET', '/v1/functions/nobody');
    const anonymous = await s.call('GET', '/v1/functions/hello', undefined, null);
    const unrouted = await s.call('GET', '/v1/no/such/route?secret=query-text');
    const health = await s.call('GET', '/healthz', undefined, null);
    const ids = [listed, missing, anonymous, unrouted, health].map((reply) => reply.headers.get('x-request-id'));
    for (const id of ids) assert.match(id ?? '', UUID, 'a new id for a request that brings none');
    assert.equal(new Set(ids).size, ids.length, 'each request its own id');

    const [line] = requestLines(listed);
    assert.equal(requestLines(listed).length, 1);
    assert.equal(line?.level, 'info');
    assert.equal(typeof line?.time, 'number');
    assert.deepEqual(
      { method: line?.method, route: line?.route, path: line?.path, status: line?.status, namespace: line?.namespace },
      { method: 'GET', route: '/v1/functions', path: '/v1/functions', status: 200, namespace: 'default' },
    );
    assert.equal(typeof line?.duration_ms, 'number');
    assert.deepEqual(
      requestLines(missing).map((l) => [l.route, l.status, l.code]),
      [['/v1/functions/:name', 404, 'FUNCTION_NOT_FOUND']],
    );
    assert.deepEqual(
      requestLines(anonymous).map((l) => [l.route, l.status, l.code, l.namespace]),
      [['/v1/functions/:name', 401, 'UNAUTHENTICATED', undefined]],
    );
    assert.deepEqual(
      requestLines(unrouted).map((l) => [l.route, l.path, l.status, l.code]),
      [['unmatched', '/v1/no/such/route', 404, 'NOT_FOUND']],
      'the path without its query string',
    );
    assert.deepEqual(requestLines(health).map((l) => [l.route, l.status]), [['/healthz', 200]]);
    assert.ok(!JSON.stringify(s.logs()).includes('query-text'), 'query strings (a run\'s arguments) are not logged');
  });

  test('an incoming X-Request-Id is kept and echoed; one that is too long or has spaces, control or non-ASCII characters is replaced', async () => {
    for (const id of ['req-42', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1', 'x'.repeat(128)]) {
      const reply = await s.call('GET', '/v1/functions/hello', undefined, undefined, { 'x-request-id': id });
      assert.equal(reply.headers.get('x-request-id'), id);
      assert.equal(requestLines(reply).length, 1);
    }
    const unusable = ['x'.repeat(129), 'two words', 'tab\there', 'caf\u00e9', ''];
    for (const id of unusable) {
      const outcome = await send(s.url, { method: 'GET', path: '/healthz', headers: { 'x-request-id': id } });
      assert.equal(outcome.kind, 'response');
      if (outcome.kind !== 'response') continue;
      assert.equal(outcome.status, 200);
      const echoed = outcome.headers['x-request-id'];
      assert.match(String(echoed), UUID, `${JSON.stringify(id)} is replaced by a new id`);
      assert.equal(s.logs().filter((line) => line.request_id === echoed).length, 1);
    }
    for (const line of s.logs()) {
      assert.ok(!unusable.slice(0, 4).includes(line.request_id as string), 'an unusable id never reaches the log');
    }
  });

  test('each ended execution is one line with its id, function, status and duration; the request line of a blocking run names it', async () => {
    const ran = await s.call('GET', '/v1/sync/functions/hello/rpc?name=log', undefined, undefined, { 'x-request-id': 'blocking-run-1' });
    assert.equal(ran.json, 'hello log');
    const executionId = ran.headers.get('x-execution-id');
    const ends = s.logs().filter((line) => line.msg === 'execution ended' && line.execution_id === executionId);
    assert.equal(ends.length, 1);
    const [end] = ends;
    assert.deepEqual(
      { namespace: end?.namespace, function: end?.function, function_version: end?.function_version, status: end?.status, blocking: end?.blocking },
      { namespace: 'default', function: 'hello', function_version: 1, status: 'completed', blocking: true },
    );
    assert.equal(end?.error_type, undefined);
    assert.equal(typeof end?.duration_ms, 'number');
    assert.equal(typeof end?.cold_start, 'boolean');
    assert.deepEqual(requestLines(ran).map((l) => [l.request_id, l.execution_id, l.status]), [['blocking-run-1', executionId, 200]]);

    const failed = await s.call('GET', '/v1/sync/functions/boom/rpc');
    const failedEnd = s.logs().find((line) => line.msg === 'execution ended' && line.execution_id === failed.headers.get('x-execution-id'));
    assert.deepEqual([failedEnd?.function, failedEnd?.status, failedEnd?.error_type], ['boom', 'failed', 'ValueError']);
    assert.ok(!JSON.stringify(s.logs()).includes('"no"'), "the error's message stays in the record");

    const queued = (await s.call('POST', '/v1/functions/hello/rpc', { name: 'later' })).json as string;
    assert.equal((await s.call('GET', `/v1/executions/${queued}?wait=30`)).json.status, 'completed');
    const queuedEnd = s.logs().find((line) => line.msg === 'execution ended' && line.execution_id === queued);
    assert.deepEqual([queuedEnd?.function, queuedEnd?.status, queuedEnd?.blocking], ['hello', 'completed', false]);
  });

  test("the request line of a single non-blocking run names its execution; a bulk's names none", async () => {
    const posted = await s.call('POST', '/v1/functions/hello/rpc', { name: 'posted' });
    const got = await s.call('GET', '/v1/functions/hello/rpc?name=got');
    for (const reply of [posted, got]) {
      assert.deepEqual(requestLines(reply).map((l) => [l.status, l.execution_id]), [[200, reply.json as string]]);
    }
    const bulk = await s.call('POST', '/v1/functions/hello/bulk_rpc', [{ name: 'a' }, { name: 'b' }]);
    assert.equal(bulk.status, 200);
    assert.deepEqual(requestLines(bulk).map((l) => [l.status, l.execution_id]), [[200, undefined]]);
    const ids = [posted.json as string, got.json as string, ...(bulk.json as string[])];
    for (const id of ids) await s.call('GET', `/v1/executions/${id}?wait=30`);
  });

  test('what a function prints stays in its record and never reaches the server log', async () => {
    await s.create('chatty', 'import sys\n\ndef main(args, context):\n    print("printed-" + "marker")\n    print("stderr-" + "marker", file=sys.stderr)\n    return 1\n');
    const reply = await s.call('GET', '/v1/sync/functions/chatty/rpc');
    assert.equal(reply.status, 200);
    const recorded = (await s.call('GET', `/v1/executions/${reply.headers.get('x-execution-id')}`)).json;
    assert.match(recorded.logs, /printed-marker/);
    const log = JSON.stringify(s.logs());
    assert.ok(!log.includes('printed-marker') && !log.includes('stderr-marker'));
  });

  test('GET /v1/admin/callback-secret and GET /v1/callback-secret are logged under their routes, without the keys they answer; idempotency keys and callback URLs are not logged', async () => {
    const shown = await s.call('GET', '/v1/admin/callback-secret', undefined, undefined, { 'x-request-id': 'secret-read-1' });
    assert.equal(shown.headers.get('x-request-id'), 'secret-read-1');
    const secret = shown.json.secret as string;
    assert.deepEqual(requestLines(shown).map((l) => [l.route, l.path, l.status, l.namespace]), [['/v1/admin/callback-secret', '/v1/admin/callback-secret', 200, 'default']]);
    const token = await namespaceToken(s, 'team-secret');
    const refused = await s.call('GET', '/v1/admin/callback-secret', undefined, token);
    assert.deepEqual(requestLines(refused).map((l) => [l.route, l.status, l.code]), [['/v1/admin/callback-secret', 403, 'FORBIDDEN']]);
    const own = await s.call('GET', '/v1/callback-secret/', undefined, token);
    const ownKey = own.json.secret as string;
    assert.deepEqual(requestLines(own).map((l) => [l.route, l.path, l.status, l.namespace]), [['/v1/callback-secret', '/v1/callback-secret', 200, 'team-secret']]);

    const keyed = await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, { 'idempotency-key': 'key-marker-1' });
    const reused = await s.call('POST', '/v1/functions/hello/rpc', { name: 'other' }, undefined, { 'idempotency-key': 'key-marker-1' });
    assert.deepEqual(requestLines(reused).map((l) => [l.route, l.status, l.code]), [['/v1/functions/:name/rpc', 422, 'IDEMPOTENCY_KEY_REUSED']]);
    const forbidden = await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, { 'x-callback-url': 'http://10.0.0.1/url-marker' });
    assert.deepEqual(requestLines(forbidden).map((l) => [l.route, l.status, l.code]), [['/v1/functions/:name/rpc', 403, 'CALLBACK_URL_FORBIDDEN']]);
    await s.call('GET', `/v1/executions/${keyed.json as string}?wait=30`);
    const log = JSON.stringify(s.logs());
    for (const kept of [secret, ownKey, 'key-marker-1', 'url-marker']) assert.ok(!log.includes(kept), `${kept} is not logged`);
  });

  test('no token appears in the log: neither those sent nor a new one answered', async () => {
    const token = await namespaceToken(s, 'team-log');
    assert.equal((await s.call('GET', '/v1/functions', undefined, token)).status, 200);
    assert.equal((await s.call('GET', '/v1/functions', undefined, 'an-unknown-token-0123456789')).status, 401);
    const log = JSON.stringify(s.logs());
    for (const secret of [ADMIN_TOKEN, token, 'an-unknown-token-0123456789']) assert.ok(!log.includes(secret));
    assert.ok(s.logs().some((line) => line.namespace === 'team-log'), 'the namespace is logged instead');
  });
});

describe('callback delivery failures in the server log', () => {
  let s: TestServer;
  let receiver: CallbackReceiver;
  before(async () => {
    receiver = await CallbackReceiver.start();
    s = await startTestServer({ workers: 1, callbackAllowlist: CallbackAllowlist.parse('127.0.0.1'), callbackRetries: 2, callbackBackoffMs: 1 });
    await s.create('hello', HELLO);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    await receiver.close();
  });

  test('each failed attempt is a warn line with the execution id, attempt and reason; never the URL, the body or the secret', async () => {
    const path = '/hook-failing?receiver-token=url-marker';
    receiver.answer(path, () => ({ status: 503, body: 'receiver down' }));
    const secret = (await s.call('GET', '/v1/admin/callback-secret')).json.secret as string;
    const url = receiver.url(path);
    const id = (await s.call('POST', '/v1/functions/hello/rpc', { name: 'body-marker' }, undefined, { 'x-callback-url': url })).json as string;
    const record = await callbackSettled(s, id);
    assert.deepEqual([record.callback.state, record.callback.attempts], ['failed', 3]);

    const failures = s.logs().filter((line) => line.msg === 'callback delivery failed');
    assert.deepEqual(
      failures.map((line) => [line.level, line.execution_id, line.attempt, line.reason, line.gave_up]),
      [
        ['warn', id, 1, 'HTTP 503', false],
        ['warn', id, 2, 'HTTP 503', false],
        ['warn', id, 3, 'HTTP 503', true],
      ],
    );
    assert.ok(failures.slice(0, 2).every((line) => typeof line.next_attempt === 'string' && !Number.isNaN(Date.parse(line.next_attempt))));
    assert.equal(failures[2]?.next_attempt, undefined);

    const log = JSON.stringify(s.logs());
    const [sent] = receiver.at(path);
    assert.ok(sent);
    for (const kept of [secret, 'url-marker', 'body-marker', String(sent.headers['x-faaspot-signature'])]) {
      assert.ok(!log.includes(kept), `${kept} is not logged`);
    }
  });

  test('a receiver that quotes the body in its answer puts neither the arguments nor the output in the log; the record keeps the excerpt', async () => {
    const path = '/hook-echo';
    receiver.answer(path, (request) => ({ status: 400, body: `bad request: ${request.body}` }));
    const id = (await s.call('POST', '/v1/functions/hello/rpc', { name: 'echoed-arg-marker' }, undefined, { 'x-callback-url': receiver.url(path) })).json as string;
    const record = await callbackSettled(s, id);
    assert.equal(record.output, 'hello echoed-arg-marker');
    assert.deepEqual([record.callback.state, record.callback.attempts], ['failed', 3]);
    assert.match(record.callback.last_error, /^HTTP 400: bad request: .*echoed-arg-marker/, 'the record, which is the namespace\'s, keeps the start of the answer');

    const failures = s.logs().filter((line) => line.msg === 'callback delivery failed' && line.execution_id === id);
    assert.deepEqual(failures.map((line) => line.reason), ['HTTP 400', 'HTTP 400', 'HTTP 400']);
    const log = JSON.stringify(s.logs());
    assert.ok(!log.includes('echoed-arg-marker'), 'neither the arguments nor the output reach the log');
    assert.ok(!log.includes('bad request'), 'nor any of the answer');
  });

  test('a connection error is logged by its code, without the host or address', async () => {
    const port = await closedPort();
    const id = (await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, { 'x-callback-url': `http://127.0.0.1:${port}/hook` })).json as string;
    const record = await callbackSettled(s, id);
    assert.match(record.callback.last_error, /ECONNREFUSED/);
    const failures = s.logs().filter((line) => line.msg === 'callback delivery failed' && line.execution_id === id);
    assert.deepEqual(failures.map((line) => line.reason), ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    assert.ok(!JSON.stringify(failures).includes(String(port)) && !JSON.stringify(failures).includes('127.0.0.1'));
  });

  test('a delivered callback writes no line of its own', async () => {
    const id = (await s.call('POST', '/v1/functions/hello/rpc', {}, undefined, { 'x-callback-url': receiver.url('/hook-fine') })).json as string;
    assert.equal((await callbackSettled(s, id)).callback.state, 'delivered');
    // The run's request line and its end: nothing for the callback.
    assert.deepEqual(s.logs().filter((line) => line.execution_id === id).map((line) => line.msg), ['request', 'execution ended']);
  });
});

describe('FAASPOT_LOG_LEVEL', () => {
  test('warn leaves out the lines of requests and of executions', async () => {
    const s = await startTestServer({ workers: 1, logLevel: 'warn' });
    try {
      await s.create('hello', HELLO);
      assert.equal((await s.call('GET', '/v1/sync/functions/hello/rpc')).status, 200);
      assert.equal((await s.call('GET', '/v1/no/route')).status, 404);
      assert.deepEqual(s.logs(), []);
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });
});
