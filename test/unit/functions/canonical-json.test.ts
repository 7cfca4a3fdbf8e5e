import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../../../src/functions/canonical-json.js';

test('canonicalJson sorts object keys at every depth, keeps array order, and reads back as the same value', () => {
  const texts = ['{"b": 1, "a": [true, {"d": null, "c": "x"}]}', '{"a":[true,{"c":"x","d":null}],"b":1}', '{ "a" : [ true , { "c":"x", "d":null } ], "b": 1.0 }'];
  const canonical = texts.map((text) => canonicalJson(JSON.parse(text)));
  assert.deepEqual(canonical, Array(3).fill('{"a":[true,{"c":"x","d":null}],"b":1}'));
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  assert.notEqual(canonicalJson({ a: '1' }), canonicalJson({ a: 1 }));
  const odd = JSON.parse('{"__proto__": {"x": 1}, "é": "\\u0000\\n", "": [], "constructor": {}}') as unknown;
  assert.deepEqual(JSON.parse(canonicalJson(odd)), odd);
  assert.equal(canonicalJson(odd), '{"":[],"__proto__":{"x":1},"constructor":{},"é":"\\u0000\\n"}');
});
