import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallbackAllowlist } from '../../src/callbacks/callback-allowlist.js';
import { callbackSettled, CallbackReceiver } from './callback-receiver.js';
import { removeDataDir, startTestServer, type Reply, type TestServer } from './harness.js';

/** Counts its own runs: with one worker, every run of it shares one interpreter, so its outputs number them. */
const COUNTER = 'RUNS = 0\n\ndef main(args, context):\n    global RUNS\n    RUNS += 1\n    return RUNS\n';

const replayed = (reply: Reply): string | null => reply.headers.get('idempotent-replayed');

function headers(key: string, callbackUrl?: string): Record<string, string> {
  return { 'idempotency-key': key, ...(callbackUrl !== undefined && { 'x-callback-url': callbackUrl }) };
}

async function recordCount(s: TestServer, name: string): Promise<number> {
  const reply = await s.call('GET', `/v1/executions/?include_completed=true&function=${name}&limit=1000`);
  assert.equal(reply.status, 200, reply.text);
  return (reply.json as unknown[]).length;
}

/**
 * Lets any callback that should not exist arrive: a run and its callback after the ones awaited,
 * through the same one worker and dispatcher, have settled.
 */
async function drain(s: TestServer, receiver: CallbackReceiver): Promise<void> {
  const id = (await s.call('POST', '/v1/functions/plain/rpc', {}, undefined, { 'x-callback-url': receiver.url('/drain') })).json as string;
  await callbackSettled(s, id);
}

describe('Idempotency-Key with X-Callback-Url', () => {
  let s: TestServer;
  let receiver: CallbackReceiver;

  before(async () => {
    receiver = await CallbackReceiver.start();
    s = await startTestServer({ workers: 1, callbackAllowlist: CallbackAllowlist.parse('127.0.0.1'), callbackRetries: 2, callbackBackoffMs: 1 });
    await s.create('counter', COUNTER);
    await s.create('plain', 'def main(args, context):\n    return args\n');
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    await receiver.close();
  });

  test('a replay answers the same ids, registers no second callback and leaves the stored one as it was', async () => {
    const url = receiver.url('/replayed');
    const first = await s.call('POST', '/v1/functions/counter/bulk_rpc', [{ n: 1 }, { n: 2 }], undefined, headers('cb-bulk', url));
    assert.equal(first.status, 200, first.text);
    const ids = first.json as string[];
    await receiver.waitFor('/replayed', 2);
    const before = await Promise.all(ids.map((id) => callbackSettled(s, id)));
    for (const record of before) assert.deepEqual(record.callback, { url, state: 'delivered', attempts: 1, last_error: null, next_attempt: null });

    // The same request again: after delivery, and with the URL written as differently as it may be.
    const retries = [url, url.replace('http://', 'HTTP://'), `${url}#ignored`];
    for (const sameUrl of retries) {
      const retry = await s.call('POST', '/v1/functions/counter/bulk_rpc', [{ n: 1 }, { n: 2 }], undefined, headers('cb-bulk', sameUrl));
      assert.deepEqual([retry.status, retry.json, replayed(retry)], [200, ids, 'true'], sameUrl);
    }
    await drain(s, receiver);
    assert.equal(receiver.at('/replayed').length, 2, 'one callback per execution, however often the request was sent');
    assert.equal(await recordCount(s, 'counter'), 2);
    for (const [i, id] of ids.entries()) {
      assert.deepEqual((await s.call('GET', `/v1/executions/${id}`)).json.callback, before[i]?.callback, 'the stored callback is unchanged');
    }
  });

  test('the key with another X-Callback-Url, or without the one it was first sent with, is a 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const url = receiver.url('/first');
    const first = await s.call('POST', '/v1/functions/plain/rpc', { a: 1 }, undefined, headers('cb-single', url));
    assert.equal(first.status, 200, first.text);
    const id = first.json as string;
    await receiver.waitFor('/first');

    const others: [string, Record<string, string>][] = [
      ['another path', headers('cb-single', receiver.url('/second'))],
      ['another port', headers('cb-single', url.replace(`:${receiver.port}/`, ':1/'))],
      ['no callback URL', headers('cb-single')],
    ];
    for (const [what, sent] of others) {
      const reply = await s.call('POST', '/v1/functions/plain/rpc', { a: 1 }, undefined, sent);
      assert.equal(reply.status, 422, `${what}: ${reply.text}`);
      assert.equal(reply.json.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.match(reply.json.message, /with other arguments or another X-Callback-Url/);
      assert.equal(replayed(reply), null);
    }
    // The other way round: a key first sent without a callback URL.
    const bare = await s.call('POST', '/v1/functions/plain/rpc', { a: 1 }, undefined, headers('cb-bare'));
    assert.equal(bare.status, 200, bare.text);
    const hooked = await s.call('POST', '/v1/functions/plain/rpc', { a: 1 }, undefined, headers('cb-bare', url));
    assert.equal(hooked.status, 422, hooked.text);
    assert.equal(hooked.json.code, 'IDEMPOTENCY_KEY_REUSED');
    const bareAgain = await s.call('POST', '/v1/functions/plain/rpc', { a: 1 }, undefined, headers('cb-bare'));
    assert.deepEqual([bareAgain.json, replayed(bareAgain)], [bare.json, 'true']);
    assert.equal((await s.call('GET', `/v1/executions/${bare.json as string}?wait=30`)).json.callback, null);

    await drain(s, receiver);
    assert.equal(receiver.at('/first').length, 1);
    assert.equal(receiver.at('/second').length, 0, 'nothing was sent to the URL of a refused request');
    assert.equal((await callbackSettled(s, id)).callback.url, url);
  });

  test('the callback URL is checked before the key is looked up: a bad one is refused even with a known key, and takes no key', async () => {
    const url = receiver.url('/checked');
    const first = await s.call('POST', '/v1/functions/plain/bulk_rpc', [{}], undefined, headers('cb-checked', url));
    assert.equal(first.status, 200, first.text);
    const invalid = await s.call('POST', '/v1/functions/plain/bulk_rpc', [{}], undefined, headers('cb-checked', 'nowhere'));
    assert.deepEqual([invalid.status, invalid.json.code], [400, 'CALLBACK_URL_INVALID']);
    const forbidden = await s.call('POST', '/v1/functions/plain/bulk_rpc', [{}], undefined, headers('cb-checked', 'http://10.0.0.1/hook'));
    assert.deepEqual([forbidden.status, forbidden.json.code], [403, 'CALLBACK_URL_FORBIDDEN']);

    // A refused callback URL leaves a new key free.
    const refused = await s.call('POST', '/v1/functions/plain/bulk_rpc', [{ b: 1 }], undefined, headers('cb-fresh', 'http://10.0.0.1/hook'));
    assert.equal(refused.status, 403, refused.text);
    const accepted = await s.call('POST', '/v1/functions/plain/bulk_rpc', [{ b: 1 }], undefined, headers('cb-fresh', receiver.url('/fresh')));
    assert.deepEqual([accepted.status, replayed(accepted)], [200, null]);
    await receiver.waitFor('/fresh');
  });

  test('requests sent at once with one key and one callback URL call back once per execution', async () => {
    const url = receiver.url('/race');
    const items = [{ r: 1 }, { r: 2 }, { r: 3 }];
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => s.call('POST', '/v1/functions/plain/bulk_rpc', items, undefined, headers('cb-race', url))),
    );
    for (const reply of replies) assert.equal(reply.status, 200, reply.text);
    const ids = replies[0]?.json as string[];
    for (const reply of replies) assert.deepEqual(reply.json, ids);
    assert.equal(replies.filter((reply) => replayed(reply) === null).length, 1, 'exactly one answer is not a replay');
    await receiver.waitFor('/race', 3);
    await drain(s, receiver);
    const calledBack = receiver.at('/race').map((r) => r.headers['x-faaspot-execution'] as string);
    assert.deepEqual(calledBack.sort(), [...ids].sort());
  });
});
