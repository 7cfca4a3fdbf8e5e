import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { after, before, describe, test } from 'node:test';
import { CallbackAllowlist } from '../../../src/callbacks/callback-allowlist.js';
import { CallbackSender, guardedLookup, RefusedAddressError } from '../../../src/callbacks/callback-sender.js';
import { signCallbackBody, verifyCallbackSignature } from '../../../src/callbacks/callback-signature.js';
import { CallbackReceiver, closedPort } from '../../integration/callback-receiver.js';

const loopback = CallbackAllowlist.parse('127.0.0.0/8');

describe('callback signatures', () => {
  test('the signature is sha256= and the hex HMAC-SHA256 of the exact body bytes, keyed with the secret text', () => {
    // The example of the HMAC article: HMAC_SHA256("key", "The quick brown fox jumps over the lazy dog").
    const body = 'The quick brown fox jumps over the lazy dog';
    assert.equal(signCallbackBody('key', body), 'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    assert.equal(signCallbackBody('key', Buffer.from(body)), signCallbackBody('key', body));
    assert.equal(verifyCallbackSignature('key', body, 'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8'), true);
    assert.equal(verifyCallbackSignature('key', `${body}.`, signCallbackBody('key', body)), false, 'another body');
    assert.equal(verifyCallbackSignature('other key', body, signCallbackBody('key', body)), false, 'another key');
    assert.equal(verifyCallbackSignature('key', body, 'sha256=00'), false, 'another length');
    assert.equal(verifyCallbackSignature('key', body, undefined), false);
  });
});

describe('CallbackSender', () => {
  let receiver: CallbackReceiver;
  before(async () => {
    receiver = await CallbackReceiver.start();
  });
  after(() => receiver.close());

  const send = (url: string, allowlist = loopback, timeoutMs = 10_000, signal?: AbortSignal) =>
    new CallbackSender({ allowlist, timeoutMs }).send(url, '{"uuid":"x"}', { 'content-type': 'application/json', 'x-test': 'yes' }, signal);

  test('a 2xx answer delivers: the body and headers arrive as given, by POST', async () => {
    assert.deepEqual(await send(receiver.url('/ok?k=v#fragment')), { delivered: true, status: 200 });
    const [request] = receiver.at('/ok?k=v');
    assert.equal(request?.method, 'POST');
    assert.equal(request?.body, '{"uuid":"x"}');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['content-length'], '12');
    assert.equal(request?.headers['x-test'], 'yes');
    receiver.answer('/created', () => ({ status: 204 }));
    assert.deepEqual(await send(receiver.url('/created')), { delivered: true, status: 204 });
  });

  test('another status is a failure to retry, with the start of the answer; a redirect is not followed', async () => {
    receiver.answer('/fail', () => ({ status: 500, body: 'boom\u0007' }));
    assert.deepEqual(await send(receiver.url('/fail')), { delivered: false, retry: true, error: 'HTTP 500: boom\\u0007', cause: 'HTTP 500' });
    receiver.answer('/moved', () => ({ status: 302, headers: { location: '/ok-elsewhere' } }));
    assert.deepEqual(await send(receiver.url('/moved')), { delivered: false, retry: true, error: 'HTTP 302 (redirects are not followed)', cause: 'HTTP 302' });
    assert.equal(receiver.at('/ok-elsewhere').length, 0);
  });

  test('a large answer is read no further than the bound', async () => {
    receiver.answer('/large', () => ({ status: 200, body: 'x'.repeat(4 * 1024 * 1024) }));
    const sender = new CallbackSender({ allowlist: loopback, timeoutMs: 10_000, maxResponseBytes: 1024 });
    assert.deepEqual(await sender.send(receiver.url('/large'), '{}', {}), { delivered: true, status: 200 });
  });

  test('no answer within the time of an attempt, a refused connection and an abort are failures to retry', async () => {
    receiver.answer('/silent', () => 'hold');
    assert.deepEqual(await send(receiver.url('/silent'), loopback, 50), { delivered: false, retry: true, error: 'no answer within 0.05 s (FAASPOT_CALLBACK_TIMEOUT)', cause: 'timeout' });
    receiver.release('/silent');
    const refused = await send(`http://127.0.0.1:${await closedPort()}/`);
    assert.ok(!refused.delivered && refused.retry && /ECONNREFUSED/.test(refused.error), JSON.stringify(refused));
    assert.equal(refused.cause, 'ECONNREFUSED', 'the cause is the code alone, without the address');
    receiver.answer('/held', () => 'hold');
    const stop = new AbortController();
    const attempt = send(receiver.url('/held'), loopback, 10_000, stop.signal);
    await receiver.waitFor('/held');
    stop.abort();
    assert.deepEqual(await attempt, { delivered: false, retry: true, error: 'the server stopped during the attempt', cause: 'stopped' });
    receiver.release('/held');
  });

  test('an address that is not allowed is refused for good without a connection, literal or resolved', async () => {
    const before = receiver.received.length;
    const literal = await send(receiver.url('/never'), CallbackAllowlist.PUBLIC_ONLY);
    assert.deepEqual(literal, { delivered: false, retry: false, error: "The callback URL's host 127.0.0.1 is a loopback address; callbacks go to public addresses only, unless the server operator lists the host or its network in FAASPOT_CALLBACK_ALLOWLIST", cause: 'refused address' });
    // `localhost` passes as a name; the address it resolves to is what is refused, at connect time.
    const resolved = await send(receiver.url('/never', 'localhost'), CallbackAllowlist.parse('public'));
    assert.ok(!resolved.delivered && !resolved.retry, JSON.stringify(resolved));
    assert.match(resolved.error, /localhost resolves to 127\.0\.0\.1, which is a loopback address/);
    assert.equal(resolved.cause, 'refused address', 'the cause names no host');
    assert.equal(receiver.received.length, before, 'nothing reached the receiver');
    assert.deepEqual(await send(receiver.url('/via-name', 'localhost')), { delivered: true, status: 200 }, 'allowed once its address is listed');
  });

  test('look-ups of one name at once share one system look-up, so a name whose DNS never answers holds one resolver thread, not one per attempt', () => {
    const calls: { hostname: string; answer: (addresses: LookupAddress[]) => void }[] = [];
    const lookup = guardedLookup(loopback, (hostname, _options, callback) => {
      calls.push({ hostname, answer: (addresses) => callback(null, addresses) });
    });
    const results: string[] = [];
    const ask = (hostname: string) => lookup(hostname, { all: false }, (error, address) => results.push(`${hostname} ${error ? error.name : JSON.stringify(address)}`));
    ask('slow.example');
    ask('slow.example');
    ask('slow.example');
    ask('other.example');
    assert.deepEqual(calls.map((c) => c.hostname), ['slow.example', 'other.example'], 'one system look-up per name in flight');
    calls[0]?.answer([{ address: '127.0.0.1', family: 4 }]);
    assert.deepEqual(results, ['slow.example "127.0.0.1"', 'slow.example "127.0.0.1"', 'slow.example "127.0.0.1"'], 'each attempt hears the shared answer');
    calls[1]?.answer([{ address: '10.0.0.1', family: 4 }]);
    assert.equal(results[3], 'other.example RefusedAddressError', 'each checked against the allowlist');
    ask('slow.example');
    assert.equal(calls.length, 3, 'a look-up after the answer asks again: answers are not cached');
  });

  test('the guarded look-up keeps only allowed addresses, in the form asked for', async () => {
    const lookup = (allowlist: CallbackAllowlist, all: boolean) =>
      new Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }>((resolve) => {
        guardedLookup(allowlist)('localhost', { all }, (error, address, family) => resolve({ error, address, family }));
      });
    const single = await lookup(loopback, false);
    assert.equal(single.error, null);
    assert.deepEqual([single.address, single.family], ['127.0.0.1', 4]);
    const all = await lookup(loopback, true);
    assert.deepEqual(all.address, [{ address: '127.0.0.1', family: 4 }], 'only the allowed addresses (never ::1 here)');
    const refused = await lookup(CallbackAllowlist.parse('public, 10.0.0.0/8'), true);
    assert.ok(refused.error instanceof RefusedAddressError);
    const listedByName = await lookup(CallbackAllowlist.parse('localhost'), false);
    assert.deepEqual([listedByName.error, listedByName.address], [null, '127.0.0.1'], 'a listed name is trusted');
  });
});
