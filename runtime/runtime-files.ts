import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Python half of the runtime ships as .py files beside the TypeScript; compiled JavaScript runs
 * from dist/, so look upwards from this module for the folder that holds them.
 */
function findPythonDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'runtime', 'python');
    if (existsSync(join(candidate, 'faaspot_runtime.py'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('runtime/python/faaspot_runtime.py not found above ' + import.meta.url);
    dir = parent;
  }
}

/** Source of a file in runtime/python. */
export function readRuntimePython(name: string): string {
  return readFileSync(join(findPythonDir(), name), 'utf8');
}
