import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ENGINE_ERROR_TYPES, isEngineErrorType, RUNTIME_REPORTED_ERROR_TYPES } from '../../../src/engine/error-types.js';
import { NOT_STARTED } from '../../../src/engine/executor.js';

/** The repository root: compiled tests run from dist/test/unit/engine. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function sources(dir: string, ext: string): { file: string; text: string }[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(ext) && !name.endsWith('.d.ts'))
    .map((name) => ({ file: join(dir, name), text: readFileSync(join(ROOT, dir, name), 'utf8') }));
}

describe('ENGINE_ERROR_TYPES', () => {
  test('every error type the engine, the API, the worker or the runtime writes into a record is on the list', () => {
    const found = new Map<string, string>();
    // TypeScript: `type: 'Timeout'` in an error object.
    for (const { file, text } of [...sources('src', '.ts'), ...sources('runtime', '.ts')]) {
      if (file.startsWith(join('src', 'client'))) continue;
      for (const [, type] of text.matchAll(/\btype: '([A-Z][A-Za-z]*)'/g)) found.set(type as string, file);
    }
    // Python: the first item of an error triple the runtime makes, `("InvalidMain", "…", None)`.
    for (const { file, text } of sources(join('runtime', 'python'), '.py')) {
      for (const [, type] of text.matchAll(/\(\s*"([A-Z][A-Za-z]*)",\s*\n?\s*f?"/g)) found.set(type as string, file);
    }
    for (const type of Object.values(NOT_STARTED)) found.set(type, 'src/engine/executor.ts');
    assert.ok(found.has('Timeout') && found.has('InvalidMain') && found.has('MemoryLimitExceeded'), 'the search finds the types');
    const missing = [...found].filter(([type]) => !isEngineErrorType(type));
    assert.deepEqual(missing, [], 'types made without being on the list');
  });

  test('the list has no duplicates and the types the runtime reports itself are on it', () => {
    assert.equal(new Set(ENGINE_ERROR_TYPES).size, ENGINE_ERROR_TYPES.length);
    for (const type of RUNTIME_REPORTED_ERROR_TYPES) assert.ok(isEngineErrorType(type), type);
  });

  test('the README names every type on the list', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const type of ENGINE_ERROR_TYPES) assert.ok(readme.includes(`\`${type}\``), type);
  });
});
