import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDepth } from '../../../src/functions/json-depth.js';

test('jsonDepth counts nesting of arrays and objects, ignoring brackets inside strings', () => {
  assert.equal(jsonDepth('1'), 0);
  assert.equal(jsonDepth('{"a": [1, {"b": []}]}'), 4);
  assert.equal(jsonDepth('["[[[[", "\\"[[", {}]'), 2);
  assert.equal(jsonDepth('['.repeat(100_000) + ']'.repeat(100_000)), 100_000);
});
