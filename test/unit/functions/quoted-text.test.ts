import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeQuotedText } from '../../../src/functions/quoted-text.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

describe('decodeQuotedText', () => {
  test('code quoted by urllib.parse.quote decodes back to the original', () => {
    // quote('def main(args, context):\n    return "héllo/ok"\n'.encode('utf-8'))
    const quoted = 'def%20main%28args%2C%20context%29%3A%0A%20%20%20%20return%20%22h%C3%A9llo/ok%22%0A';
    assert.equal(decodeQuotedText(quoted), 'def main(args, context):\n    return "héllo/ok"\n');
  });

  test('raw text is returned unchanged, even when it holds percent signs', () => {
    const raw = 'def main(args, context):\n    return "%d%%" % 3\n';
    assert.equal(decodeQuotedText(raw), raw);
    assert.equal(decodeQuotedText('x = 1'), 'x = 1');
    assert.equal(decodeQuotedText('100%'), '100%');
  });

  test('text without any escape is returned unchanged', () => {
    assert.equal(decodeQuotedText('abc_def.py'), 'abc_def.py');
    assert.equal(decodeQuotedText(''), '');
  });

  test('escapes that do not decode are an INVALID_REQUEST error', () => {
    for (const bad of ['%E0%A4%A', 'a%ZZ%20', '%C3%28']) {
      assert.throws(
        () => decodeQuotedText(bad),
        (error: unknown) => error instanceof ValidationError && error.code === 'INVALID_REQUEST',
        bad,
      );
    }
  });
});
