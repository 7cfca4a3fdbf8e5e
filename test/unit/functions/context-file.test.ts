import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseContext } from '../../../src/functions/context-file.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

describe('parseContext', () => {
  test('the product documentation example gives two strings', () => {
    assert.deepEqual(parseContext('access_key_is = "XYZ"\nsecret_access_key = "123"\n'), {
      access_key_is: 'XYZ',
      secret_access_key: '123',
    });
  });

  test('Python literals become their values and anything else its trimmed text', () => {
    const context = parseContext(
      [
        'n = 5',
        'neg=-12',
        'hex = 0xff',
        'big = 1_000_000',
        'f = 1.5',
        'e = -2e3',
        'half = .5',
        'yes = True',
        'no = False',
        'nothing = None',
        "single = 'it''s'",
        'escaped = "a\\tb\\n\\u00e9"',
        'raw = r"C:\\new"',
        'text =  hello world  ',
        'url = http://x?a=b',
        'empty =',
        'huge = 123456789012345678901234567890',
      ].join('\n'),
    );
    assert.deepEqual(context, {
      n: 5,
      neg: -12,
      hex: 255,
      big: 1_000_000,
      f: 1.5,
      e: -2000,
      half: 0.5,
      yes: true,
      no: false,
      nothing: null,
      single: "'it''s'",
      escaped: 'a\tb\né',
      raw: 'C:\\new',
      text: 'hello world',
      url: 'http://x?a=b',
      empty: '',
      huge: '123456789012345678901234567890',
    });
  });

  test('a value may contain "=": the line splits on the first one', () => {
    assert.deepEqual(parseContext('v = a=b\nw=c==d'), { v: 'a=b', w: 'c==d' });
  });

  test('comments, blank lines and CRLF line endings are ignored; the last duplicate wins', () => {
    assert.deepEqual(parseContext('# secrets\r\n\r\n  # indented comment\r\nk = 1\r\nk = 2\r\n'), { k: 2 });
  });

  test('empty text is an empty context', () => {
    assert.deepEqual(parseContext(''), {});
    assert.deepEqual(parseContext('  \n\n'), {});
  });

  test('a line without "=" is an INVALID_CONTEXT error naming its line number', () => {
    assert.throws(
      () => parseContext('a = 1\n# fine\nnot a pair\n'),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.code === 'INVALID_CONTEXT' &&
        /line 3/.test(error.message) &&
        error.details?.line === 3,
    );
    assert.throws(() => parseContext('bad key = 1'), /line 1/);
  });

  test('a JSON object of scalars is accepted; nested values and non-objects are refused', () => {
    assert.deepEqual(parseContext('{"a": 1, "b": "x", "c": null, "d": true}'), { a: 1, b: 'x', c: null, d: true });
    assert.throws(() => parseContext('{"a": {"b": 1}}'), ValidationError);
    assert.throws(() => parseContext('{"a": '), /does not parse/);
  });

  test('keys that would reach the JavaScript prototype are refused', () => {
    assert.throws(() => parseContext('__proto__ = 1'), ValidationError);
    assert.throws(() => parseContext('{"__proto__": 1}'), ValidationError);
    assert.equal(Object.getPrototypeOf(parseContext('a = 1')), Object.prototype);
  });
});
