import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { CallbackKeys, deriveCallbackKey } from '../../../src/auth/callback-keys.js';

describe('callback keys', () => {
  test("a namespace's key is the hex HMAC-SHA256 of \"faaspot callback key v1\\n\" and its name under the root secret, as the README derives it", () => {
    const root = 'a-root-secret-of-some-length';
    const expected = createHmac('sha256', Buffer.from(root, 'utf8')).update(Buffer.from('faaspot callback key v1\nteam-a', 'utf8')).digest('hex');
    assert.equal(deriveCallbackKey(root, 'team-a'), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    // A fixed value, so that a change of the derivation cannot pass unnoticed: receivers compute it too.
    assert.equal(deriveCallbackKey('root', 'default'), createHmac('sha256', 'root').update('faaspot callback key v1\ndefault').digest('hex'));
  });

  test('each namespace has a key of its own, none of them the root secret; the same root gives the same keys', () => {
    const keys = new CallbackKeys({ secret: 'root-secret-0123456789', source: 'environment' });
    const [a, b, d] = [keys.keyFor('team-a'), keys.keyFor('team-b'), keys.keyFor('default')];
    assert.equal(new Set([a, b, d, 'root-secret-0123456789']).size, 4);
    assert.equal(new CallbackKeys({ secret: 'root-secret-0123456789', source: 'file' }).keyFor('team-a'), a);
    assert.notEqual(new CallbackKeys({ secret: 'another-root-secret-01', source: 'file' }).keyFor('team-a'), a);
    assert.equal(keys.source, 'environment');
    assert.ok(!JSON.stringify(keys).includes('root-secret'), 'the root secret is not an enumerable property');
  });
});
