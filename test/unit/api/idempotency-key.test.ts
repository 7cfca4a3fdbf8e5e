import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { requestFingerprint } from '../../../src/api/idempotency-key.js';
import { canonicalJson } from '../../../src/functions/canonical-json.js';

/** Arguments as the routes hand them over: parsed from the request. */
const ARGS: unknown[] = [JSON.parse('{"b": [1, 2], "a": 1}'), {}];

test('without a callback URL, the fingerprint is the one keys were stored with before callbacks existed', () => {
  const expected = createHash('sha256').update('["bulk_rpc","hello"]\n{"a":1,"b":[1,2]}\n{}').digest('hex');
  assert.equal(requestFingerprint('bulk_rpc', 'hello', ARGS), expected);
  assert.equal(requestFingerprint('bulk_rpc', 'hello', ARGS, undefined), expected);
});

test('the callback URL is part of the fingerprint: with one, with another, and without are three requests', () => {
  const without = requestFingerprint('rpc', 'hello', ARGS.slice(0, 1));
  const hooked = requestFingerprint('rpc', 'hello', ARGS.slice(0, 1), 'https://hooks.example.com/a');
  const elsewhere = requestFingerprint('rpc', 'hello', ARGS.slice(0, 1), 'https://hooks.example.com/b');
  assert.equal(new Set([without, hooked, elsewhere]).size, 3);
  assert.equal(requestFingerprint('rpc', 'hello', [JSON.parse('{"a": 1.0, "b": [1, 2]}')], 'https://hooks.example.com/a'), hooked);
});

test('a large bulk hashes to the text of its canonical items, one per line, without parsing anything again', () => {
  const items = Array.from({ length: 5000 }, (_, n) => ({ z: n, a: 'é'.repeat(n % 40), nested: { y: [n, null, true], b: '\u2028' } }));
  const reference = createHash('sha256')
    .update(['["bulk_rpc","many"]', ...items.map((item) => canonicalJson(item))].join('\n'))
    .digest('hex');
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
    parses++;
    return parse(...args) as unknown;
  }) as typeof JSON.parse;
  let fingerprint: string;
  try {
    fingerprint = requestFingerprint('bulk_rpc', 'many', items);
  } finally {
    JSON.parse = parse;
  }
  assert.equal(fingerprint, reference);
  assert.equal(parses, 0);
});
