import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBooleanParam } from '../../../src/functions/query-boolean.js';
import { ValidationError } from '../../../src/functions/validation-error.js';

describe('parseBooleanParam', () => {
  test('true and false are accepted in any case', () => {
    assert.equal(parseBooleanParam('x', 'true', false), true);
    assert.equal(parseBooleanParam('x', 'True', false), true);
    assert.equal(parseBooleanParam('x', 'FALSE', true), false);
    assert.equal(parseBooleanParam('x', 'fAlSe', true), false);
  });

  test('1 and 0 are accepted', () => {
    assert.equal(parseBooleanParam('x', '1', false), true);
    assert.equal(parseBooleanParam('x', '0', true), false);
  });

  test('an absent or empty parameter is the fallback', () => {
    assert.equal(parseBooleanParam('x', undefined, true), true);
    assert.equal(parseBooleanParam('x', undefined, false), false);
    assert.equal(parseBooleanParam('x', '', true), true);
  });

  test('any other value is an INVALID_REQUEST error naming the parameter and the accepted values', () => {
    for (const value of ['yes', 'on', '2', ' true', 'truee']) {
      assert.throws(
        () => parseBooleanParam('include_completed', value, false),
        (error: unknown) =>
          error instanceof ValidationError &&
          error.code === 'INVALID_REQUEST' &&
          error.message.includes('include_completed') &&
          error.message.includes('true, false, 1 or 0') &&
          error.details?.parameter === 'include_completed',
        value,
      );
    }
  });
});
