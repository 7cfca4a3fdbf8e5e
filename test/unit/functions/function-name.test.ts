import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertFunctionName } from '../../../src/functions/function-name.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

function refusal(name: unknown): ValidationError {
  try {
    assertFunctionName(name);
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(name));
    assert.equal(error.code, 'INVALID_NAME', String(name));
    return error;
  }
  assert.fail(`${JSON.stringify(name)} was accepted`);
}

describe('assertFunctionName', () => {
  test('plain names, names ending in .py and names of exactly 64 characters are returned as they are', () => {
    for (const name of ['hello', 'hello.py', 'a', '7', 'A-1_b.c', 'v1.2.3', 'x'.repeat(64)]) {
      assert.equal(assertFunctionName(name), name);
    }
  });

  test('every refusal is INVALID_NAME and quotes the rule', () => {
    for (const name of ['', 'x'.repeat(65), '..', 'a..b', '.x', '-x', '_x', 'a b', 'a/b', '../x', 'a\\b', 'tab\there', 'nul\u0000', 'é', 'a?b', 5, null]) {
      assert.match(refusal(name).message, /1 to 64 letters, digits, "_", "\." or "-", starting with a letter or digit and without "\.\."/);
    }
  });

  test('a name that is not a string says what it is instead', () => {
    assert.match(refusal(5).message, /must be a string, but it is a number/);
    assert.match(refusal(null).message, /but it is null/);
    assert.match(refusal(undefined).message, /but it is missing/);
    assert.match(refusal(['a']).message, /but it is an array/);
  });

  test('an empty name and a too-long name say so', () => {
    assert.match(refusal('').message, /^The function name is empty\./);
    assert.match(refusal('x'.repeat(65)).message, /is 65 characters long/);
  });

  test('slashes, whitespace, control characters and ".." are each named as the problem', () => {
    assert.match(refusal('a/b').message, /contains a slash/);
    assert.match(refusal('../etc').message, /contains a slash/);
    assert.match(refusal('a b').message, /contains whitespace/);
    assert.match(refusal('a\u0007b').message, /contains a control character/);
    assert.match(refusal('a..b').message, /contains "\.\."/);
    assert.match(refusal('.hidden').message, /starts with "\."/);
    assert.match(refusal('café').message, /contains "é", which is not allowed/);
  });

  test('the message shows the bad name JSON-escaped, never its control characters raw', () => {
    const message = refusal('a\u0007b\nc').message;
    assert.ok(message.includes('"a\\u0007b\\nc"'), message);
    assert.ok(![...message].some((char) => char.charCodeAt(0) < 0x20), message);
  });

  test('a very long bad name is shown truncated', () => {
    const message = refusal('x'.repeat(5000)).message;
    assert.ok(message.length < 300, message);
  });
});
