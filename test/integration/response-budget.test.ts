import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Faaspot } from '../../src/client/index.js';
import { ADMIN_TOKEN, removeDataDir, startTestServer, type TestServer } from './harness.js';

/** Returns a string of `kib` KiB, so that records of known size are stored. */
const SIZED = 'def main(args, context):\n    return "x" * (int(args["kib"]) * 1024)\n';
const MIB = 2 ** 20;

describe('answers of several records stay within FAASPOT_MAX_RESPONSE', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ maxResponseBytes: MIB });
    await s.create('sized', SIZED);
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  async function runSized(kib: number): Promise<string> {
    const reply = await s.call('GET', `/v1/sync/functions/sized/rpc?kib=${kib}`);
    assert.equal(reply.status, 200);
    const id = reply.headers.get('x-execution-id');
    assert.ok(id);
    return id;
  }

  test('a bulk read over the budget is a 422 that says what to do; the records within it are answered', async () => {
    const ids = [await runSized(300), await runSized(300), await runSized(300), await runSized(300)];
    const refused = await s.call('POST', '/v1/executions/bulk', ids);
    assert.equal(refused.status, 422, refused.text);
    const body = refused.json as { code: string; message: string; bytes: number; max_bytes: number };
    assert.equal(body.code, 'RESPONSE_TOO_LARGE');
    assert.match(body.message, /ask for fewer ids/);
    assert.equal(body.max_bytes, MIB);
    assert.ok(body.bytes > MIB);

    const answered = await s.call('POST', '/v1/executions/bulk', ids.slice(0, 3));
    assert.equal(answered.status, 200, answered.text);
    const records = answered.json as { uuid: string; output: string }[];
    assert.deepEqual(records.map((r) => r.uuid), ids.slice(0, 3));
    assert.ok(records.every((r) => r.output.length === 300 * 1024));
  });

  test('an id asked for many times counts each time, so repeating a large record cannot blow up the answer', async () => {
    const id = await runSized(200);
    const refused = await s.call('POST', '/v1/executions/bulk', Array.from({ length: 3000 }, () => id));
    assert.equal(refused.status, 422);
    assert.equal((refused.json as { code: string }).code, 'RESPONSE_TOO_LARGE');
    const twice = await s.call('POST', '/v1/executions/bulk', [id, id]);
    assert.equal(twice.status, 200);
    const [first, second] = twice.json as { uuid: string }[];
    assert.deepEqual(first, second);
    assert.equal((await s.call('GET', '/healthz', undefined, null)).status, 200);
  });

  test('one record is always answered, however large', async () => {
    const id = await runSized(1500);
    const reply = await s.call('POST', '/v1/executions/bulk', [id]);
    assert.equal(reply.status, 200);
    assert.equal((reply.json as { output: string }[])[0]?.output.length, 1500 * 1024);
    const page = await s.call('GET', '/v1/executions?include_completed=true&function=sized&limit=5');
    assert.equal((page.json as { uuid: string }[])[0]?.uuid, id, 'the newest record alone, over the budget');
  });

  test('a listing page ends early at the budget and its cursor leads to every other record once', async () => {
    await s.create('sized-list', SIZED);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const reply = await s.call('GET', '/v1/sync/functions/sized-list/rpc?kib=300');
      ids.push(reply.headers.get('x-execution-id') ?? '');
    }
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await s.call('GET', `/v1/executions?include_completed=1&function=sized-list&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      const records = page.json as { uuid: string }[];
      pageSizes.push(records.length);
      seen.push(...records.map((r) => r.uuid));
      cursor = page.headers.get('x-next-cursor');
    }
    // Three records of 300 KiB fit in 1 MiB, a fourth does not.
    assert.deepEqual(pageSizes, [3, 3, 1]);
    assert.deepEqual(seen, [...ids].reverse());
  });

  test('the TypeScript client waitAll splits its bulk reads when the server finds them too large', async () => {
    const ids = (await s.call('POST', '/v1/functions/sized/bulk_rpc', Array.from({ length: 8 }, () => ({ kib: 300 })))).json as string[];
    const client = new Faaspot({ url: `${s.url}/`, token: ADMIN_TOKEN });
    const records = await client.executions.waitAll(ids);
    assert.deepEqual(records.map((r) => r.uuid), ids);
    assert.ok(records.every((r) => r.status === 'completed' && (r.output as string).length === 300 * 1024));
  });
});
