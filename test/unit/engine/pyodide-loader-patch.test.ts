import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/patch-pyodide-loader.mjs', import.meta.url));
const EAGER = 'updateGOT(origExports);LDSO.init();loadDylibs();';
const LAZY = '/* faaspot: main module GOT resolved lazily */LDSO.init();loadDylibs();';

describe('the Pyodide loader patch (postinstall)', () => {
  test('the installed loader resolves the main module GOT lazily', () => {
    const loader = readFileSync(fileURLToPath(import.meta.resolve('pyodide/pyodide.asm.mjs')), 'utf8');
    assert.equal(loader.includes(EAGER), false, 'the eager GOT pass is still in the installed loader: run npm install');
    assert.equal(loader.split(LAZY).length - 1, 1);
  });

  test('patches the statement once, leaves a patched loader alone, and warns about an unknown one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faaspot-loader-'));
    try {
      const file = join(dir, 'pyodide.asm.mjs');
      const original = `function receiveInstance(instance,module){${EAGER}updateMemoryViews();return wasmExports}`;
      writeFileSync(file, original);
      execFileSync(process.execPath, [SCRIPT, file]);
      const patched = readFileSync(file, 'utf8');
      assert.equal(patched, original.replace(EAGER, LAZY));
      execFileSync(process.execPath, [SCRIPT, file]);
      assert.equal(readFileSync(file, 'utf8'), patched, 'a second run changes nothing');

      const unknown = 'function receiveInstance(instance,module){linkEverything();return wasmExports}';
      writeFileSync(file, unknown);
      const run = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8' });
      assert.equal(run.status, 0, 'an unknown loader does not fail the install');
      assert.match(run.stderr, /not the Pyodide loader this patch knows/);
      assert.equal(readFileSync(file, 'utf8'), unknown);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
