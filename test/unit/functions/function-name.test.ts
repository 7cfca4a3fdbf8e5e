import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertFunctionName } from '../../../src/functions/function-name.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

describe('assertFunctionName', () => {
  test('plain names and names ending in .py are valid', () => {
    for (const name of ['hello', 'hello.py', 'a', 'A-1_b.c', 'x'.repeat(64)]) assert.equal(assertFunctionName(name), name);
  });

  test('empty, long, dotted-path, spaced, slashed and control-character names are refused with INVALID_NAME', () => {
    for (const name of ['', 'x'.repeat(65), '..', 'a..b', '.x', 'a b', 'a/b', 'tab\there', 'nul\u0000', 'é', 5, null]) {
      assert.throws(
        () => assertFunctionName(name),
        (error: unknown) => error instanceof ValidationError && error.code === 'INVALID_NAME',
        String(name),
      );
    }
  });

  test('the message shows control characters escaped', () => {
    assert.throws(() => assertFunctionName('a\u0007b'), (error: unknown) => (error as Error).message.includes('\\u0007'));
  });
});
