import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';

describe('authentication and namespaces', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1 });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('every /v1 route needs a token; Token and Bearer both work', async () => {
    assert.equal((await s.call('GET', '/v1/functions/', undefined, null)).status, 401);
    assert.equal((await s.call('GET', '/v1/functions/', undefined, 'wrong-token')).json.code, 'UNAUTHENTICATED');
    const bearer = await fetch(`${s.url}/v1/functions`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    assert.equal(bearer.status, 200);
    assert.equal((await s.call('GET', '/v1/nothing-here')).json.code, 'NOT_FOUND');
  });

  test('healthz needs no token and says whether interpreters are warm', async () => {
    const reply = await fetch(`${s.url}/healthz`);
    assert.equal(reply.status, 200);
    const body = (await reply.json()) as { warm: boolean };
    assert.equal(body.warm, true);
  });

  test('admin tokens create, list and revoke namespace tokens; secrets are shown once', async () => {
    const created = await s.call('POST', '/v1/tokens/', { namespace: 'team-a' });
    assert.equal(created.status, 200);
    assert.equal(created.json.namespace, 'team-a');
    assert.equal(created.json.admin, false);
    assert.equal(typeof created.json.token, 'string');
    const list = await s.call('GET', '/v1/tokens');
    assert.ok(list.json.some((t: { id: string }) => t.id === created.json.id));
    assert.ok(!list.text.includes(created.json.token));
    const admin = list.json.find((t: { admin: boolean }) => t.admin);
    assert.equal(admin.namespace, 'default');

    assert.equal((await s.call('GET', '/v1/tokens', undefined, created.json.token)).json.code, 'FORBIDDEN');
    assert.equal((await s.call('GET', '/v1/functions', undefined, created.json.token)).status, 200);
    assert.equal((await s.call('DELETE', `/v1/tokens/${created.json.id}`)).status, 200);
    assert.equal((await s.call('GET', '/v1/functions', undefined, created.json.token)).status, 401);
    assert.equal((await s.call('DELETE', '/v1/tokens/unknown')).json.code, 'TOKEN_NOT_FOUND');
  });

  test("another namespace's functions and executions are a 404, never a 403", async () => {
    const a = (await s.call('POST', '/v1/tokens', { namespace: 'ns-a' })).json.token as string;
    const b = (await s.call('POST', '/v1/tokens', { namespace: 'ns-b' })).json.token as string;
    await s.create('secret', 'def main(args, context):\n    return context["key"]\n', { context: 'key = "only-for-a"' }, a);
    const run = await s.call('GET', '/v1/sync/functions/secret/rpc', undefined, a);
    assert.equal(run.json, 'only-for-a');
    const id = run.headers.get('x-execution-id');

    assert.equal((await s.call('GET', '/v1/functions/secret', undefined, b)).json.code, 'FUNCTION_NOT_FOUND');
    assert.equal((await s.call('GET', '/v1/sync/functions/secret/rpc', undefined, b)).status, 404);
    assert.equal((await s.call('PATCH', '/v1/functions/secret', { timeout: 1 }, b)).status, 404);
    assert.equal((await s.call('DELETE', '/v1/functions/secret', undefined, b)).status, 404);
    assert.equal((await s.call('GET', `/v1/executions/${id}`, undefined, b)).json.code, 'EXECUTION_NOT_FOUND');
    assert.deepEqual((await s.call('POST', '/v1/executions/bulk', [id], b)).json, [null]);
    assert.deepEqual((await s.call('GET', '/v1/functions', undefined, b)).json, []);
    // The same name is free in another namespace.
    await s.create('secret', 'def main(args, context):\n    return "b"\n', {}, b);
    assert.equal((await s.call('GET', '/v1/sync/functions/secret/rpc', undefined, a)).json, 'only-for-a');
  });
});
