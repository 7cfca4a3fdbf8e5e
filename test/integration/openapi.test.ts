import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallbackAllowlist } from '../../src/callbacks/callback-allowlist.js';
import { removeDataDir, startTestServer, type Reply, type TestServer } from './harness.js';
import { resolvePointer, schemaErrors } from './json-schema.js';

describe('the OpenAPI document', () => {
  let s: TestServer;
  let doc: any;
  before(async () => {
    s = await startTestServer({ workers: 1, callbackAllowlist: CallbackAllowlist.parse('127.0.0.1'), callbackRetries: 0 });
    const reply = await s.call('GET', '/v1/openapi.json', undefined, null);
    assert.equal(reply.status, 200, reply.text);
    doc = reply.json;
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  /** Operations ("GET /v1/functions/{name}") seen answering 200. */
  const succeeded = new Set<string>();

  /**
   * Sends a request and checks the reply against the document: the operation of `template` documents
   * the status, the body fits that answer's schema, its required headers are there and fit theirs.
   * A request that succeeds must also fit the documented request body.
   */
  async function documented(method: string, template: string, path: string, body?: unknown, token?: string | null, headers?: Record<string, string>): Promise<Reply> {
    const reply = await s.call(method, path, body, token, headers);
    const route = `${method} ${template}`;
    const op = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${route} is documented`);
    const response = op.responses[String(reply.status)];
    assert.ok(response, `${route} documents the status ${reply.status} it answered: ${reply.text.slice(0, 300)}`);
    const schema = response.content['application/json'].schema;
    assert.deepEqual(schemaErrors(reply.json, schema, doc), [], `${route} ${reply.status} fits its schema: ${reply.text.slice(0, 300)}`);
    for (const [name, headerRef] of Object.entries(response.headers ?? {})) {
      const header = resolvePointer(doc, (headerRef as { $ref: string }).$ref) as any;
      const value = reply.headers.get(name);
      if (header.required) assert.ok(value !== null, `${route} ${reply.status} has the header ${name}`);
      if (value !== null) assert.deepEqual(schemaErrors(value, header.schema, doc), [], `${route} header ${name}`);
    }
    if (reply.status === 200) {
      succeeded.add(route);
      if (body !== undefined && typeof body !== 'string') {
        assert.deepEqual(schemaErrors(body, op.requestBody.content['application/json'].schema, doc), [], `${route}: the request fits`);
      }
    }
    return reply;
  }

  test('is served without a token, with or without a trailing slash; other methods are a 405', async () => {
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    await documented('GET', '/v1/openapi.json', '/v1/openapi.json/', undefined, null);
    const post = await s.call('POST', '/v1/openapi.json', {}, null);
    assert.equal(post.status, 405);
    assert.equal(post.json.code, 'METHOD_NOT_ALLOWED');
    assert.match(post.headers.get('allow') ?? '', /GET/);
    // The open route changes nothing else: unknown paths are a 404 and /v1 still needs a token.
    assert.equal((await s.call('GET', '/v1/openapi', undefined, null)).json.code, 'NOT_FOUND');
    assert.equal((await documented('GET', '/v1/functions', '/v1/functions', undefined, null)).json.code, 'UNAUTHENTICATED');
  });

  test('every answer of a session fits what the document says of its route and status, and every route is seen succeeding', async () => {
    await documented('GET', '/healthz', '/healthz', undefined, null);
    await documented('GET', '/readyz', '/readyz', undefined, null);

    // Functions.
    const hello = 'def main(args, context):\n    return {"greeting": "hello " + args.get("name", "world"), "key": context["key"]}\n';
    await documented('PUT', '/v1/functions', '/v1/functions/', { name: 'hello', code: hello, context: 'key = "XYZ"', timeout: '30', memory: 128 });
    await documented('PUT', '/v1/functions', '/v1/functions', { name: 'boom', code: 'def main(args, context):\n    raise ValueError("no")\n' });
    assert.equal((await documented('PUT', '/v1/functions', '/v1/functions', { name: 'hello', code: hello })).json.code, 'FUNCTION_EXISTS');
    const bad = await documented('PUT', '/v1/functions', '/v1/functions', { name: 'bad', code: 'def main(args, context)\n' });
    assert.equal(bad.json.code, 'INVALID_CODE');
    assert.equal((await documented('PUT', '/v1/functions', '/v1/functions', { name: 'x', code: hello, context: 'nonsense' })).json.code, 'INVALID_CONTEXT');
    const html = await documented('PUT', '/v1/functions', '/v1/functions', '{}', undefined, { 'content-type': 'text/html' });
    assert.equal(html.json.code, 'UNSUPPORTED_MEDIA_TYPE');
    await documented('GET', '/v1/functions', '/v1/functions');
    await documented('GET', '/v1/functions/{name}', '/v1/functions/hello');
    assert.equal((await documented('GET', '/v1/functions/{name}', '/v1/functions/nobody')).json.code, 'FUNCTION_NOT_FOUND');
    assert.equal((await documented('GET', '/v1/functions/{name}', '/v1/functions/.x')).json.code, 'INVALID_NAME');
    await documented('PATCH', '/v1/functions/{name}', '/v1/functions/hello', { timeout: 20 });
    assert.equal((await documented('PATCH', '/v1/functions/{name}', '/v1/functions/hello', {})).json.code, 'INVALID_REQUEST');

    // Runs.
    const sync = await documented('GET', '/v1/sync/functions/{name}/rpc', '/v1/sync/functions/hello/rpc/?name=user1');
    assert.deepEqual(sync.json, { greeting: 'hello user1', key: 'XYZ' });
    await documented('POST', '/v1/sync/functions/{name}/rpc', '/v1/sync/functions/hello/rpc', { name: 'user2' });
    const failed = await documented('POST', '/v1/sync/functions/{name}/rpc', '/v1/sync/functions/boom/rpc', {});
    assert.equal(failed.json.code, 'FUNCTION_FAILED');
    assert.equal(failed.json.execution.error.type, 'ValueError');
    assert.equal((await documented('GET', '/v1/sync/functions/{name}/rpc', '/v1/sync/functions/nobody/rpc')).status, 404);
    const queued = (await documented('GET', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc?name=q')).json as string;
    await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', { name: 'p' });
    const bulk = (await documented('POST', '/v1/functions/{name}/bulk_rpc', '/v1/functions/hello/bulk_rpc', [{ name: 'a' }, { name: 'b' }])).json as string[];
    assert.equal((await documented('POST', '/v1/functions/{name}/bulk_rpc', '/v1/functions/hello/bulk_rpc', [])).json.code, 'INVALID_REQUEST');
    // Callbacks: this server allows 127.0.0.1 only.
    const hooked = (await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', {}, undefined, { 'x-callback-url': 'http://127.0.0.1:9/hook' })).json as string;
    assert.equal((await documented('GET', '/v1/executions/{id}', `/v1/executions/${hooked}?wait=20`)).json.callback.url, 'http://127.0.0.1:9/hook');
    const loopbackHook = { 'x-callback-url': 'http://127.0.0.2:9/hook' };
    assert.equal((await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', {}, undefined, loopbackHook)).json.code, 'CALLBACK_URL_FORBIDDEN');
    assert.equal((await documented('GET', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', undefined, undefined, loopbackHook)).json.code, 'CALLBACK_URL_FORBIDDEN');
    const notUrl = { 'x-callback-url': 'nowhere' };
    assert.equal((await documented('POST', '/v1/functions/{name}/bulk_rpc', '/v1/functions/hello/bulk_rpc', [{}], undefined, notUrl)).json.code, 'CALLBACK_URL_INVALID');
    assert.equal((await documented('GET', '/v1/sync/functions/{name}/rpc', '/v1/sync/functions/hello/rpc', undefined, undefined, loopbackHook)).json.code, 'CALLBACK_URL_INVALID');
    const key = { 'idempotency-key': 'openapi-session' };
    const keyed = await documented('POST', '/v1/functions/{name}/bulk_rpc', '/v1/functions/hello/bulk_rpc', [{ name: 'k' }], undefined, key);
    const replayed = await documented('POST', '/v1/functions/{name}/bulk_rpc', '/v1/functions/hello/bulk_rpc', [{ name: 'k' }], undefined, key);
    assert.deepEqual([replayed.json, replayed.headers.get('idempotent-replayed')], [keyed.json, 'true']);
    const single = { 'idempotency-key': 'openapi-single' };
    const once = await documented('GET', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc?name=k', undefined, undefined, single);
    assert.equal((await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', { name: 'k' }, undefined, single)).json, once.json);
    assert.equal((await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', { name: 'x' }, undefined, key)).json.code, 'IDEMPOTENCY_KEY_REUSED');
    const empty = { 'idempotency-key': '' };
    assert.equal((await documented('GET', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', undefined, undefined, empty)).json.code, 'INVALID_IDEMPOTENCY_KEY');
    assert.equal((await documented('GET', '/v1/sync/functions/{name}/rpc', '/v1/sync/functions/hello/rpc', undefined, undefined, key)).json.code, 'INVALID_IDEMPOTENCY_KEY');
    const both = { 'idempotency-key': 'openapi-both', 'x-callback-url': 'http://127.0.0.1:9/hook' };
    const withBoth = await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', {}, undefined, both);
    const bothAgain = await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', {}, undefined, both);
    assert.deepEqual([bothAgain.json, bothAgain.headers.get('idempotent-replayed')], [withBoth.json, 'true']);
    const elsewhere = { ...both, 'x-callback-url': 'http://127.0.0.1:9/elsewhere' };
    assert.equal((await documented('POST', '/v1/functions/{name}/rpc', '/v1/functions/hello/rpc', {}, undefined, elsewhere)).json.code, 'IDEMPOTENCY_KEY_REUSED');

    // Executions.
    const last = bulk[1] ?? '';
    assert.equal((await documented('GET', '/v1/executions/{id}', `/v1/executions/${last}?wait=20`)).json.status, 'completed');
    await documented('GET', '/v1/executions/{id}', `/v1/executions/${queued}?wait=20`);
    const page = await documented('GET', '/v1/executions', '/v1/executions?include_completed=true&limit=1');
    assert.ok(page.headers.get('x-next-cursor'), 'a full page carries X-Next-Cursor');
    await documented('GET', '/v1/executions', `/v1/executions?status=completed,failed&function=hello&cursor=${page.headers.get('x-next-cursor')}`);
    assert.equal((await documented('GET', '/v1/executions', '/v1/executions?limit=0')).json.code, 'INVALID_REQUEST');
    const records = (await documented('POST', '/v1/executions/bulk', '/v1/executions/bulk', [queued, 'unknown'])).json;
    assert.equal(records[1], null);
    assert.equal((await documented('GET', '/v1/executions/{id}', '/v1/executions/bulk')).json.code, 'METHOD_NOT_ALLOWED');
    assert.equal((await documented('GET', '/v1/executions/{id}', '/v1/executions/unknown')).json.code, 'EXECUTION_NOT_FOUND');
    const ended = await documented('DELETE', '/v1/executions/{id}', `/v1/executions/${queued}`);
    assert.equal(ended.json.code, 'EXECUTION_ENDED');
    await s.create('sleepy', 'import time\n\ndef main(args, context):\n    time.sleep(5)\n');
    const sleeping = (await s.call('GET', '/v1/functions/sleepy/rpc')).json as string;
    assert.equal((await documented('DELETE', '/v1/executions/{id}', `/v1/executions/${sleeping}`)).json.status, 'cancelled');

    // Tokens.
    const created = await documented('POST', '/v1/tokens', '/v1/tokens', { namespace: 'team-a' });
    assert.equal((await documented('GET', '/v1/tokens', '/v1/tokens', undefined, created.json.token)).json.code, 'FORBIDDEN');
    assert.equal((await documented('GET', '/v1/admin/callback-secret', '/v1/admin/callback-secret', undefined, created.json.token)).json.code, 'FORBIDDEN');
    assert.equal((await documented('GET', '/v1/admin/callback-secret', '/v1/admin/callback-secret')).json.source, 'file');
    assert.equal((await documented('GET', '/v1/admin/callback-secret', '/v1/admin/callback-secret?namespace=team-a')).json.namespace, 'team-a');
    assert.equal((await documented('GET', '/v1/admin/callback-secret', '/v1/admin/callback-secret?namespace=bad%20name')).json.code, 'INVALID_REQUEST');
    assert.equal((await documented('GET', '/v1/callback-secret', '/v1/callback-secret', undefined, created.json.token)).json.namespace, 'team-a');
    const tokens = (await documented('GET', '/v1/tokens', '/v1/tokens')).json as { id: string; admin: boolean }[];
    await documented('DELETE', '/v1/tokens/{id}', `/v1/tokens/${created.json.id}`);
    assert.equal((await documented('DELETE', '/v1/tokens/{id}', '/v1/tokens/unknown')).json.code, 'TOKEN_NOT_FOUND');
    const admin = tokens.find((t) => t.admin)?.id ?? '';
    assert.equal((await documented('DELETE', '/v1/tokens/{id}', `/v1/tokens/${admin}`)).json.code, 'LAST_ADMIN_TOKEN');

    await documented('DELETE', '/v1/functions/{name}', '/v1/functions/hello');

    const all = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(all.filter((route) => !succeeded.has(route)), [], 'every documented route answered 200 in the session');
  });
});
