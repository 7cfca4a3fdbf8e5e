// Run after `npm install` / `npm ci` (the `postinstall` script). Changes one statement of Pyodide's
// Emscripten loader, `pyodide/pyodide.asm.mjs`, so that a new interpreter links faster.
//
// When an instance of Pyodide's main module is created, the loader fills the dynamic linker's global
// offset table (GOT) with an entry for every one of the module's ~8,500 exports: a WebAssembly.Global
// each and, for the ~7,400 functions, a new function-table slot. That is a third of the time an
// interpreter takes to restore from a snapshot. The table only serves side modules loaded later, and
// FaaSpot's interpreters load none (dlopen is refused in them). The few entries the main module
// imports itself are still resolved, by the loader's own `reportUndefinedSymbols`, right after.
//
// Function-table slots are handed out in a different order with and without the eager pass, so a
// snapshot is only valid with the loader that made it: the snapshot key includes the loader's hash.
// A main-module function that C code never takes the address of now gets its slot on its first
// dlsym rather than up front; like a libffi closure (`import ctypes`), that must not happen before
// the snapshot is taken, or the restored image would point at a slot the restored table lacks. The
// runtime's boot does neither. A side module (which FaaSpot never loads) would no longer find the
// main module's exports in the table and could bind a symbol both define to its own copy.
//
// Idempotent. A loader that has neither the original statement nor the patched one (another Pyodide
// build) is left as it is, with a warning: everything works, interpreters restore more slowly.
//
// A Pyodide that is not FaaSpot's own (hoisted to the node_modules of a project that depends on
// FaaSpot, and perhaps used there with side modules) is never changed.
//
// Usage: node scripts/patch-pyodide-loader.mjs [loader file]   (default: the installed one)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ORIGINAL = 'updateGOT(origExports);LDSO.init();loadDylibs();';
const PATCHED = '/* faaspot: main module GOT resolved lazily */LDSO.init();loadDylibs();';

const file = process.argv[2] ?? fileURLToPath(import.meta.resolve('pyodide/pyodide.asm.mjs'));
const ownModules = join(dirname(dirname(fileURLToPath(import.meta.url))), 'node_modules') + sep;
if (process.argv[2] === undefined && !file.startsWith(ownModules)) {
  console.log(`faaspot: ${file} is shared with the project that installs FaaSpot; left unchanged`);
  process.exit(0);
}
const source = readFileSync(file, 'utf8');
const count = (text) => source.split(text).length - 1;

if (count(PATCHED) === 1) {
  process.exit(0);
} else if (count(ORIGINAL) === 1) {
  writeFileSync(file, source.replace(ORIGINAL, PATCHED));
  console.log(`faaspot: patched ${file}: the main module's GOT is resolved lazily`);
} else {
  console.warn(
    `faaspot: ${file} is not the Pyodide loader this patch knows; left unchanged (interpreters restore more slowly)`,
  );
}
