import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { requestFingerprint } from '../../../src/api/idempotency-key.js';

const ARGS = ['{"b": [1, 2], "a": 1}', '{}'];

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
  assert.equal(requestFingerprint('rpc', 'hello', ['{"a": 1.0, "b": [1, 2]}'], 'https://hooks.example.com/a'), hooked);
});
