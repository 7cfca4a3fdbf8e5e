import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeParameters, parseParameters } from '../../src/cli/parameters.js';
import { UsageError } from '../../src/cli/usage.js';

describe('-p parameters', () => {
  test('split on commas, then on the first "=", keys and values trimmed', () => {
    assert.deepEqual(parseParameters('name=user1'), { name: 'user1' });
    assert.deepEqual(parseParameters('param_1=value_1, param_2=value_2'), { param_1: 'value_1', param_2: 'value_2' });
    assert.deepEqual(parseParameters('  k1 =  v1 ,k2=v2  '), { k1: 'v1', k2: 'v2' });
  });

  test('a value may hold "=" and may be empty; values stay strings', () => {
    assert.deepEqual(parseParameters('expr=a=b, q==x'), { expr: 'a=b', q: '=x' });
    assert.deepEqual(parseParameters('empty=, n=3'), { empty: '', n: '3' });
  });

  test('blank parts are skipped: "" is no arguments, trailing commas are fine', () => {
    assert.deepEqual(parseParameters(''), {});
    assert.deepEqual(parseParameters('  '), {});
    assert.deepEqual(parseParameters('a=1,, b=2,'), { a: '1', b: '2' });
  });

  test('a repeated key keeps its last value', () => {
    assert.deepEqual(parseParameters('a=1, a=2'), { a: '2' });
  });

  test('a part without "=" or with an empty key is a usage error showing the expected form', () => {
    for (const bad of ['abc', 'a=1, b', '=v', ' = v', 'a=1,  =2']) {
      assert.throws(
        () => parseParameters(bad),
        (error) => error instanceof UsageError && error.message.includes('-p "k1=v1, k2=v2"'),
        bad,
      );
    }
  });

  test('__proto__ is an ordinary argument, not the prototype', () => {
    const args = parseParameters('__proto__=x, constructor=y');
    assert.equal(Object.getPrototypeOf(args), Object.prototype);
    assert.equal(JSON.stringify(args), '{"__proto__":"x","constructor":"y"}');
    assert.equal(JSON.stringify(mergeParameters(['__proto__=x'])), '{"__proto__":"x"}');
  });

  test('several -p merge, later ones winning', () => {
    assert.deepEqual(mergeParameters(['a=1, b=2', 'b=3', 'c=4']), { a: '1', b: '3', c: '4' });
    assert.deepEqual(mergeParameters([]), {});
  });
});
