import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBooleanParam } from '../../../src/functions/query-boolean.js';

describe('parseBooleanParam', () => {
  test('true/false in any case and 1/0 are accepted; absent is the fallback', () => {
    assert.equal(parseBooleanParam('x', 'True', false), true);
    assert.equal(parseBooleanParam('x', 'FALSE', true), false);
    assert.equal(parseBooleanParam('x', '1', false), true);
    assert.equal(parseBooleanParam('x', '0', true), false);
    assert.equal(parseBooleanParam('x', undefined, true), true);
  });

  test('anything else names the parameter', () => {
    assert.throws(() => parseBooleanParam('include_completed', 'yes', false), /include_completed/);
  });
});
