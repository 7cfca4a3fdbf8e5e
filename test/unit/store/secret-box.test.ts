import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretBox, SecretBoxError } from '../../../src/store/secret-box.js';

const CONTEXT = '{"api_key": "sk_live_canary_box", "retries": 3}';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  test('a sealed text is v1, the key id, the IV and the ciphertext with its tag, and opens to the text', () => {
    const sealed = box.seal(CONTEXT, 'fn-1');
    assert.match(sealed, new RegExp(`^v1:${box.keyId}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$`));
    assert.match(box.keyId, /^[0-9a-f]{8}$/);
    assert.ok(!sealed.includes('sk_live_canary_box'));
    assert.ok(!sealed.includes(Buffer.from('sk_live_canary_box').toString('base64')));
    assert.equal(box.open(sealed, 'fn-1'), CONTEXT);
    assert.equal(box.keyIdOf(sealed), box.keyId);
  });

  test('every seal takes a fresh IV, so equal contexts are stored differently', () => {
    const texts = new Set(Array.from({ length: 50 }, () => box.seal(CONTEXT, 'fn-1')));
    assert.equal(texts.size, 50);
    const ivs = new Set([...texts].map((t) => t.split(':')[2]));
    assert.equal(ivs.size, 50);
  });

  test("a sealed text moved onto another function's id does not open", () => {
    const sealed = box.seal(CONTEXT, 'fn-1');
    assert.throws(() => box.open(sealed, 'fn-2'), SecretBoxError);
  });

  test('another key does not open it, and says under which key it was sealed', () => {
    const sealed = box.seal(CONTEXT, 'fn-1');
    const other = new SecretBox(randomBytes(32));
    assert.notEqual(other.keyId, box.keyId);
    assert.throws(() => other.open(sealed, 'fn-1'), (e: unknown) => e instanceof SecretBoxError && e.message.includes(box.keyId));
    // A forged header naming the right key does not help: the header is authenticated too.
    const forged = sealed.replace(box.keyId, other.keyId);
    assert.throws(() => other.open(forged, 'fn-1'), SecretBoxError);
  });

  test('an altered byte anywhere in the IV or the ciphertext makes it fail to open', () => {
    const sealed = box.seal(CONTEXT, 'fn-1');
    const start = `v1:${box.keyId}:`.length;
    for (let i = start; i < sealed.length; i++) {
      if (sealed[i] === ':') continue;
      const altered = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
      assert.throws(() => box.open(altered, 'fn-1'), SecretBoxError, `position ${i}`);
    }
  });

  test('plain text and malformed texts are not sealed texts', () => {
    assert.equal(box.keyIdOf('{"k": "v"}'), undefined);
    assert.throws(() => box.open('{"k": "v"}', 'fn-1'), SecretBoxError);
    assert.throws(() => box.open(`v1:${box.keyId}:short:abc`, 'fn-1'), SecretBoxError);
    assert.throws(() => box.open(`v1:${box.keyId}:AAAAAAAAAAAAAAAA:AAAA`, 'fn-1'), SecretBoxError);
  });

  test('the same key always has the same id, and the key must be 32 bytes', () => {
    const key = randomBytes(32);
    assert.equal(new SecretBox(key).keyId, new SecretBox(Buffer.from(key)).keyId);
    const sealed = new SecretBox(key).seal('{}', 'f');
    assert.equal(new SecretBox(Buffer.from(key)).open(sealed, 'f'), '{}');
    assert.throws(() => new SecretBox(randomBytes(16)), RangeError);
  });

  test('unicode contexts round-trip', () => {
    const text = '{"name": "Zoë ✓ 🔑", "nul": "a\\u0000b"}';
    assert.equal(box.open(box.seal(text, 'f'), 'f'), text);
  });
});
