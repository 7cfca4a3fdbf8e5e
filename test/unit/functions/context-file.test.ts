import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseContext } from '../../../src/functions/context-file.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

/** The value a one-line context file gives its key `k`. */
function value(literal: string): unknown {
  return parseContext(`k = ${literal}`).k;
}

function contextError(text: string): ValidationError {
  try {
    parseContext(text);
  } catch (error) {
    assert.ok(error instanceof ValidationError, text);
    assert.equal(error.code, 'INVALID_CONTEXT', text);
    return error;
  }
  assert.fail(`${JSON.stringify(text)} was accepted`);
}

describe('parseContext', () => {
  test('the product documentation example gives two strings', () => {
    assert.deepEqual(parseContext('access_key_is = "XYZ"\nsecret_access_key = "123"\n'), {
      access_key_is: 'XYZ',
      secret_access_key: '123',
    });
  });

  test('spaces around "=" are optional and keys and values are trimmed', () => {
    assert.deepEqual(parseContext('a=1\n  b   =   2  \n\tc\t=\t"x"\t'), { a: 1, b: 2, c: 'x' });
  });

  test('keys may hold letters, digits, "_", "." and "-" after a letter or "_"', () => {
    assert.deepEqual(parseContext('_x = 1\nA.b-c_9 = 2'), { _x: 1, 'A.b-c_9': 2 });
  });

  test('a value may contain "=": the line splits on the first one', () => {
    assert.deepEqual(parseContext('v = a=b\nw=c==d\nurl = http://x?a=b'), { v: 'a=b', w: 'c==d', url: 'http://x?a=b' });
  });

  test('decimal, signed, underscored, hex, octal and binary integers become numbers', () => {
    assert.equal(value('5'), 5);
    assert.equal(value('-12'), -12);
    assert.equal(value('+7'), 7);
    assert.equal(value('0'), 0);
    assert.equal(value('1_000_000'), 1_000_000);
    assert.equal(value('0xff'), 255);
    assert.equal(value('0X_FF'), 255);
    assert.equal(value('-0x10'), -16);
    assert.equal(value('0o17'), 15);
    assert.equal(value('0b1010'), 10);
    assert.ok(Object.is(value('-0'), 0));
  });

  test('integers beyond the safe range keep their text, so that no digit is silently changed', () => {
    assert.equal(value(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.equal(value('9007199254740992'), '9007199254740992');
    assert.equal(value('-9007199254740993'), '-9007199254740993');
    assert.equal(value('123456789012345678901234567890'), '123456789012345678901234567890');
    assert.equal(value('0xFFFFFFFFFFFFFFFF'), '0xFFFFFFFFFFFFFFFF');
  });

  test('numbers Python would refuse keep their text, such as leading zeros and misplaced underscores', () => {
    for (const text of ['007', '01234', '1__0', '_1', '1_', '0x', '0b2', '0o8', '1_.5', '1e', '--5', '5 5', 'inf', 'nan', '1e400']) {
      assert.equal(value(text), text, text);
    }
  });

  test('floats become numbers', () => {
    assert.equal(value('1.5'), 1.5);
    assert.equal(value('-2e10'), -2e10);
    assert.equal(value('.5'), 0.5);
    assert.equal(value('1.'), 1);
    assert.equal(value('1_000.5'), 1000.5);
    assert.equal(value('2.5E-3'), 0.0025);
    assert.equal(value('1e5'), 100000);
    assert.equal(value('007.5'), 7.5);
  });

  test('True, False and None become true, false and null, and only with that exact spelling', () => {
    assert.deepEqual(parseContext('b = True\nc = False\nx = None\nt = true\nn = none'), {
      b: true,
      c: false,
      x: null,
      t: 'true',
      n: 'none',
    });
  });

  test('single- and double-quoted strings become their contents', () => {
    assert.equal(value('"hello world"'), 'hello world');
    assert.equal(value("'hello world'"), 'hello world');
    assert.equal(value(`"it's"`), "it's");
    assert.equal(value(`'say "hi"'`), 'say "hi"');
    assert.equal(value('""'), '');
    assert.equal(value('"  padded  "'), '  padded  ');
    assert.equal(value('"# not a comment"'), '# not a comment');
  });

  test('Python escapes in strings are decoded', () => {
    assert.equal(value(String.raw`"a\\b\'c\"d"`), 'a\\b\'c"d');
    assert.equal(value(String.raw`"\n\r\t\0\a\b\f\v"`), '\n\r\t\0\x07\b\f\v');
    assert.equal(value(String.raw`"\x41\u00e9\U0001F600"`), 'Aé😀');
    assert.equal(value(String.raw`"\101\0101\7"`), 'A\x081\x07');
    assert.equal(value(String.raw`"\d"`), '\\d');
  });

  test('an r or R prefix makes a raw string whose backslashes stay', () => {
    assert.equal(value(String.raw`r"C:\new\table"`), 'C:\\new\\table');
    assert.equal(value(String.raw`R'\x41'`), '\\x41');
    assert.equal(value(String.raw`r"a\"b"`), 'a\\"b');
  });

  test('quoted text that is not exactly one valid literal keeps its trimmed text', () => {
    for (const text of [
      '"unterminated',
      "'unterminated",
      '"mixed\'',
      '"a" "b"',
      "'it''s'",
      '"ends with backslash\\"',
      String.raw`r"ends with backslash\"`,
      String.raw`"\x4"`,
      String.raw`"\u12"`,
      String.raw`"\U00110000"`,
      String.raw`"\N{BULLET}"`,
      '"""triple"""',
      'b"bytes"',
    ]) {
      assert.equal(value(text), text, text);
    }
  });

  test('anything else becomes its trimmed text, and an empty value the empty string', () => {
    assert.deepEqual(parseContext('u = hello world\nempty =\nspaces =    \nx = 5 # not a comment'), {
      u: 'hello world',
      empty: '',
      spaces: '',
      x: '5 # not a comment',
    });
  });

  test('comment lines, indented comments and blank lines are ignored', () => {
    assert.deepEqual(parseContext('# secrets\n\n   # indented = comment\n\t\nk = 1\n#last'), { k: 1 });
  });

  test('CRLF and lone CR line endings are accepted', () => {
    assert.deepEqual(parseContext('# c\r\na = "x"\r\n\r\nb = 2\rc = 3\r\n'), { a: 'x', b: 2, c: 3 });
  });

  test('the last of duplicate keys wins', () => {
    assert.deepEqual(parseContext('k = 1\nk = 2'), { k: 2 });
  });

  test('empty or blank text is an empty context', () => {
    assert.deepEqual(parseContext(''), {});
    assert.deepEqual(parseContext('  \n\r\n\t'), {});
    assert.deepEqual(parseContext('# only a comment\n'), {});
  });

  test('a line without "=" is an INVALID_CONTEXT error naming its 1-based line number and showing it', () => {
    const error = contextError('a = 1\n# fine\n\nnot a pair\n');
    assert.equal(error.details?.line, 4);
    assert.match(error.message, /line 4 has no "=": "not a pair"/);
    assert.match(error.message, /KEY = VALUE/);
  });

  test('a bad line is shown escaped and truncated', () => {
    const error = contextError(`ok = 1\nbell\u0007${'x'.repeat(500)}`);
    assert.equal(error.details?.line, 2);
    assert.ok(error.message.includes('\\u0007'), error.message);
    assert.ok(error.message.length < 300, error.message);
  });

  test('a missing or malformed key is an INVALID_CONTEXT error that shows the key but not the value', () => {
    assert.equal(contextError('= 5').details?.line, 1);
    assert.match(contextError('= 5').message, /line 1 has no key/);
    for (const [text, key] of [
      ['a = 1\nsecret key = hunter2', 'secret key'],
      ['1abc = x', '1abc'],
      ['-a = x', '-a'],
      ['a/b = x', 'a/b'],
      ['é = x', 'é'],
    ] as const) {
      const error = contextError(text);
      assert.ok(error.message.includes(JSON.stringify(key)), error.message);
      assert.ok(!error.message.includes('hunter2'), error.message);
    }
    assert.equal(contextError('a = 1\nsecret key = hunter2').details?.line, 2);
  });

  test('the keys __proto__, constructor and prototype are refused, so the result never reaches a prototype', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const error = contextError(`ok = 1\n${key} = 1`);
      assert.equal(error.details?.line, 2);
      assert.match(error.message, /reserved/);
      contextError(`{"${key}": 1}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(parseContext('a = 1')), Object.prototype);
  });

  test('a JSON object of strings, numbers, booleans and null is accepted as it is', () => {
    assert.deepEqual(parseContext('  {"a": 1, "b": "x", "c": null, "d": true, "e": 1.5}\n'), { a: 1, b: 'x', c: null, d: true, e: 1.5 });
    assert.deepEqual(parseContext('{}'), {});
  });

  test('a JSON context with a nested value is an INVALID_CONTEXT error naming the key', () => {
    for (const text of ['{"a": {"b": 1}}', '{"a": [1]}']) {
      const error = contextError(text);
      assert.match(error.message, /"a"/);
      assert.equal(error.details?.key, 'a');
    }
  });

  test('invalid JSON is an INVALID_CONTEXT error carrying the parser message, escaped', () => {
    assert.match(contextError('{"a": ').message, /not valid JSON: Unexpected end of JSON input/);
    const message = contextError('{"a": 1,\n"b": x}').message;
    assert.match(message, /Unexpected token/);
    assert.ok(!message.includes('\n'), message);
  });
});
