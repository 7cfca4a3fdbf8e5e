import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeQuotedText } from '../../../src/functions/quoted-text.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

describe('decodeQuotedText', () => {
  test('multi-line code quoted by urllib.parse.quote decodes back to the original', () => {
    // python3 -c "from urllib.parse import quote; print(quote('def main(args, context):\n    return \"h\u00e9llo/ok~\" % {}\n'.encode('utf-8')))"
    const quoted = 'def%20main%28args%2C%20context%29%3A%0A%20%20%20%20return%20%22h%C3%A9llo/ok~%22%20%25%20%7B%7D%0A';
    assert.equal(decodeQuotedText(quoted), 'def main(args, context):\n    return "héllo/ok~" % {}\n');
  });

  test('a quoted context file decodes, "=" and all', () => {
    assert.equal(decodeQuotedText('access_key_is%20%3D%20%22XYZ%22%0A'), 'access_key_is = "XYZ"\n');
  });

  test('lower-case escapes and quoted astral characters decode too', () => {
    assert.equal(decodeQuotedText('%f0%9f%98%80%20ok'), '😀 ok');
  });

  test('raw code is returned unchanged, even when it holds percent signs and escapes', () => {
    const raw = 'def main(args, context):\n    return "%d%%" % 3\n';
    assert.equal(decodeQuotedText(raw), raw);
    assert.equal(decodeQuotedText('print("%d" % 3)'), 'print("%d" % 3)');
    assert.equal(decodeQuotedText('url = "a%20b"'), 'url = "a%20b"');
    assert.equal(decodeQuotedText('héllo%20'), 'héllo%20');
  });

  test('text with no percent escape is returned unchanged', () => {
    assert.equal(decodeQuotedText('x = 1'), 'x = 1');
    assert.equal(decodeQuotedText('abc_def.py'), 'abc_def.py');
    assert.equal(decodeQuotedText('100%'), '100%');
    assert.equal(decodeQuotedText(''), '');
  });

  test('text that looks quoted but whose escapes do not decode is an INVALID_REQUEST error saying what to send', () => {
    // A cut escape, a stray "%" beside good escapes, bytes that are not UTF-8, an encoded surrogate.
    for (const bad of ['%E0%A4%A', 'a%ZZ%20', '50%25%', '%C3%28', '%FF', '%ED%A0%80']) {
      assert.throws(
        () => decodeQuotedText(bad),
        (error: unknown) =>
          error instanceof ValidationError &&
          error.code === 'INVALID_REQUEST' &&
          /percent-escapes do not decode/.test(error.message) &&
          /raw UTF-8 text/.test(error.message) &&
          /urllib\.parse\.quote/.test(error.message),
        bad,
      );
    }
  });
});
