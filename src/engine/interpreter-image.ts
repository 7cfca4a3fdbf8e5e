import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRuntimePython } from '../../runtime/runtime-files.js';
import { snapshotImageOffset } from '../../runtime/snapshot-header.js';
import { ENGINE_ERROR_TYPES } from './error-types.js';

/** What workers restore interpreters from; see `WorkerData.image`. */
export interface InterpreterImage {
  snapshot: SharedArrayBuffer;
  module: WebAssembly.Module;
}

/** How an image was obtained, for the health report. */
export type ImageSource = 'cached' | 'made' | 'none';

const PREFIX = 'interpreter-';
const SUFFIX = '.snapshot';
// Bump when what the boot puts into a snapshot changes in a way the runtime's files do not show.
const LAYOUT = 1;

function pyodideFile(name: string): string {
  return fileURLToPath(import.meta.resolve(`pyodide/${name}`));
}

/** Pyodide's WebAssembly module, compiled once for every worker of the process. */
export async function compilePyodide(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(pyodideFile('pyodide.asm.wasm')));
}

/**
 * A snapshot is valid for one Pyodide build, its loader as installed (scripts/patch-pyodide-loader.mjs
 * changes the order in which function-table slots are handed out), and one version of the runtime's
 * Python files (they run before the snapshot is taken). The key names them all, so an upgrade never
 * restores a stale image.
 */
export async function snapshotKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`layout ${LAYOUT}\n`);
  hash.update(await readFile(pyodideFile('package.json')));
  hash.update(await readFile(pyodideFile('pyodide.asm.mjs')));
  for (const name of ['faaspot_runtime.py', 'faaspot_sandbox.py']) hash.update(readRuntimePython(name));
  // Loaded into the runtime before the snapshot is taken.
  hash.update(`reserved error types ${ENGINE_ERROR_TYPES.join(' ')}\n`);
  return hash.digest('hex').slice(0, 24);
}

/** A file's bytes, read straight into memory that workers share; undefined if it cannot be read. */
async function readShared(file: string): Promise<SharedArrayBuffer | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const shared = new SharedArrayBuffer(size);
    const bytes = new Uint8Array(shared);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) return undefined;
      offset += bytesRead;
    }
    return shared;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Pyodide checks the rest (magic number, build id) when restoring; this catches a cut file early. */
function plausible(snapshot: Uint8Array): boolean {
  if (snapshot.byteLength < 64) return false;
  const imageOffset = snapshotImageOffset(snapshot);
  return imageOffset >= 32 && imageOffset < snapshot.byteLength;
}

function toShared(bytes: Uint8Array): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(shared).set(bytes);
  return shared;
}

/**
 * The image for this Pyodide and runtime: read from `dir` when cached there, else made by `make`
 * (which boots an interpreter from nothing, about 2 s) and cached for the next start. Writing goes
 * through a temporary file and a rename, so a crash or a concurrent start never leaves half a file;
 * snapshots under other keys are removed. A cache that cannot be written costs only the next start.
 */
export async function loadOrMakeImage(
  dir: string,
  compiling: Promise<WebAssembly.Module>,
  make: (module: WebAssembly.Module) => Promise<Uint8Array>,
): Promise<{ image: InterpreterImage; source: Exclude<ImageSource, 'none'> }> {
  const file = join(dir, `${PREFIX}${await snapshotKey()}${SUFFIX}`);
  // Read while the module compiles.
  const [cached, module] = await Promise.all([readShared(file), compiling]);
  if (cached && plausible(new Uint8Array(cached))) return { image: { snapshot: cached, module }, source: 'cached' };
  const snapshot = await make(module);
  try {
    await mkdir(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, snapshot, { mode: 0o600 });
    await rename(temporary, file);
    for (const name of await readdir(dir)) {
      if (name.startsWith(PREFIX) && join(dir, name) !== file && !name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
    }
  } catch {
    // Read-only or full: this start still uses the snapshot it made.
  }
  return { image: { snapshot: toShared(snapshot), module }, source: 'made' };
}
