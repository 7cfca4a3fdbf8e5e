import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeInvisible, showText } from '../../../src/functions/show-text.js';

describe('showText', () => {
  test('short text is shown JSON-quoted', () => {
    assert.equal(showText('hello world'), '"hello world"');
    assert.equal(showText('say "hi"'), '"say \\"hi\\""');
  });

  test('control, C1, bidi-override and line-separator characters are escaped, never shown raw', () => {
    assert.equal(showText('a\u0007b\nc'), '"a\\u0007b\\nc"');
    assert.equal(showText('\u007f\u0085\u202e\u2028\u200b'), '"\\u007f\\u0085\\u202e\\u2028\\u200b"');
    assert.equal(showText('tag\u{e0041}'), '"tag\\u{e0041}"');
  });

  test('long text is cut to the limit with an ellipsis after the closing quote', () => {
    assert.equal(showText('x'.repeat(100)), `"${'x'.repeat(80)}"…`);
    assert.equal(showText('abcdef', 3), '"abc"…');
    assert.equal(showText('abc', 3), '"abc"');
  });

  test('the cut never splits an astral character into half a surrogate pair', () => {
    assert.equal(showText('😀😀😀', 2), '"😀😀"…');
  });

  test('visible non-ASCII text is left readable', () => {
    assert.equal(showText('héllo'), '"héllo"');
    assert.equal(escapeInvisible('plain é'), 'plain é');
  });
});
