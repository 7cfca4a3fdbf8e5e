import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCodes } from '../../src/errors.js';

test('every error code is unique, has a 4xx or 5xx status, and is documented in the README', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const codes = Object.keys(errorCodes);
  assert.equal(new Set(codes).size, codes.length);
  for (const [code, { status, message }] of Object.entries(errorCodes)) {
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(message.length > 0, code);
    assert.match(readme, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} is in the README's error table with status ${status}`);
  }
});
