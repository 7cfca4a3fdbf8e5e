import createPyodideModule from 'pyodide/pyodide.asm.mjs';
import { snapshotImageOffset } from './snapshot-header.js';

/**
 * How a Pyodide interpreter's Emscripten module is created in a worker: the dangerous imports stubbed
 * or gated, the compiled WebAssembly module shared rather than compiled per interpreter, and a memory
 * snapshot restored without touching the pages that are zero.
 */

// Emscripten errno for EACCES: Python raises PermissionError.
const EACCES = -2;

/**
 * Emscripten implements these with Node's child_process and net, reachable from Python with no
 * JavaScript involved (os.system, socket.connect, ctypes). Replaced at instantiation, so ctypes,
 * which resolves symbols from the same imports, gets the stubs too.
 */
const STUBBED_IMPORTS: Record<string, () => number> = {
  _emscripten_system: () => -1,
  __syscall_socket: () => EACCES,
  __syscall_socketpair: () => EACCES,
  __syscall_connect: () => EACCES,
  __syscall_bind: () => EACCES,
  __syscall_listen: () => EACCES,
  __syscall_accept4: () => EACCES,
  __syscall_sendto: () => EACCES,
  __syscall_recvfrom: () => EACCES,
  _maybe_connect_async: () => EACCES,
  _maybe_sendto_async: () => EACCES,
  // Loading further wasm libraries would hand them the whole import table.
  _dlopen_js: () => 0,
};

/**
 * The imports through which Python code acts on a JavaScript object it holds: reading or writing its
 * properties, calling it, iterating it. Once an interpreter is sealed nothing of the runtime needs
 * them (calls go from JavaScript into Python, and results are converted by JavaScript), so they are
 * closed: a function that still found a way to a JavaScript object (a builtin module reloaded behind
 * the import system, say) can do nothing with it. The refusal unwinds the interpreter, which the
 * worker then discards.
 */
const GATED_IMPORTS = [
  'JsProxy_GetAttr_js',
  'JsProxy_SetAttr_js',
  'JsProxy_DelAttr_js',
  'JsProxy_subscript_js',
  'JsProxy_Dir_js',
  'JsProxy_GetIter_js',
  'JsProxy_GetAsyncIter_js',
  'JsProxy_exit_js',
  'JsProxy_aexit_js',
  'JsProxy_to_weakref_js',
  'JsObjMap_GetIter_js',
  'JsObjMap_length_js',
  'JsObjMap_subscript_js',
  'JsObjMap_ass_subscript_js',
  'JsObjMap_contains_js',
  'JsMap_GetIter_js',
  'JsMap_clear_js',
  'JsModule_GetAll_js',
  'JsvFunction_Call_OneArg',
  'JsvFunction_CallBound',
  'JsvFunction_Construct',
  'JsvObject_CallMethod',
  'JsvObject_CallMethod_NoArgs',
  'JsvObject_CallMethod_OneArg',
  'JsvObject_CallMethod_TwoArgs',
  'JsvObject_Entries',
  'JsvObject_Keys',
  'JsvObject_Values',
  'JsvObject_toString',
  'JsvArray_Set',
  'JsvArray_Delete',
  'JsvArray_slice',
  'JsvArray_slice_assign',
  'JsvArray_Extend',
  'JsvArray_Insert',
  'JsArray_repeat_js',
  'JsArray_inplace_repeat_js',
  'JsArray_index_js',
  'JsArray_count_js',
  'JsArray_reverse_js',
  'JsArray_reversed_iterator',
  'JsvBuffer_assignToPtr',
  'JsvBuffer_assignFromPtr',
  'JsBuffer_DecodeString_js',
  'JsvBuffer_writeToFile',
  'JsvBuffer_readFromFile',
  'JsvBuffer_intoFile',
  'JsvPromise_Resolve',
  'JsvPromise_Syncify_handleError',
  'create_once_callable',
  'create_promise_handles',
  'raw_call_js',
  'wrap_generator',
  'wrap_async_generator',
  'handle_next_result_js',
  '_agen_handle_result_js',
  'syncifyHandler',
];

export class SealedRealmError extends Error {
  override name = 'SealedRealmError';
}

/** Host file system drivers Emscripten could mount; an interpreter sees only its own memory. */
export const HOST_FILESYSTEMS = ['NODEFS', 'NODERAWFS', 'PROXYFS', 'WORKERFS', 'IDBFS', 'NATIVEFS_ASYNC'];

interface Instantiation {
  instantiateWasm: (
    imports: { env: Record<string, unknown> },
    success: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ) => unknown;
}

/** The parts of the Emscripten module this file reaches into. */
interface EmscriptenModule {
  HEAPU8: Uint8Array;
  _emscripten_resize_heap(bytes: number): boolean;
  API: { restoreSnapshot(snapshot: Uint8Array): unknown };
}

export interface ModuleOptions {
  /** Stub and gate the imports (false only for the benchmark's unsealed baseline). */
  sandboxed: boolean;
  /** Pyodide's WebAssembly module, compiled once by the engine and shared by every worker. */
  wasmModule?: WebAssembly.Module | undefined;
  onMemory(memory: WebAssembly.Memory): void;
  isSealed(): boolean;
}

/** Bytes per page when restoring: the operating system's page, the unit of resident memory. */
const PAGE = 4096;
/** Pages compared at once when making sure a range of the heap is zero. */
const CHUNK_PAGES = 64;
const ZERO_CHUNK = Buffer.alloc(PAGE * CHUNK_PAGES);
const ZERO_PAGE = ZERO_CHUNK.subarray(0, PAGE);

/** Pages of each snapshot image that hold something, as [first, end) runs; computed once per worker. */
const nonZeroRuns = new WeakMap<ArrayBufferLike, { offset: number; length: number; runs: Array<[number, number]> }>();

function isZeroPage(bytes: Buffer, page: number): boolean {
  return bytes.subarray(page * PAGE, (page + 1) * PAGE).equals(ZERO_PAGE);
}

function runsOf(image: Buffer): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const pages = Math.ceil(image.length / PAGE);
  let start = -1;
  for (let page = 0; page < pages; page++) {
    // A last partial page compares unequal to a whole zero page, so it is always copied.
    const zero = isZeroPage(image, page);
    if (!zero && start < 0) start = page;
    if (zero && start >= 0) {
      runs.push([start, page]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, pages]);
  return runs;
}

/**
 * Zeroes the pages [first, end) of `target` that are not zero already, leaving zero pages untouched
 * (reading an untouched page does not make it resident; writing would). Mostly untouched, so
 * compared a chunk at a time.
 */
function clearPages(target: Buffer, first: number, end: number): void {
  for (let chunk = first; chunk < end; chunk += CHUNK_PAGES) {
    const chunkEnd = Math.min(chunk + CHUNK_PAGES, end);
    if (target.subarray(chunk * PAGE, chunkEnd * PAGE).equals(ZERO_CHUNK.subarray(0, (chunkEnd - chunk) * PAGE))) continue;
    for (let page = chunk; page < chunkEnd; page++) if (!isZeroPage(target, page)) target.fill(0, page * PAGE, (page + 1) * PAGE);
  }
}

/**
 * Copies `image` into the start of `heap`, skipping pages that are zero in both: a fresh WebAssembly
 * memory reads as zero without being resident, so about half of a snapshot never costs resident
 * memory.
 */
function copyNonZeroPages(heap: Uint8Array, image: Uint8Array): void {
  const source = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const target = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
  // A worker restores from one snapshot all its life: scan it once.
  const known = nonZeroRuns.get(image.buffer);
  let runs = known?.offset === image.byteOffset && known.length === image.byteLength ? known.runs : undefined;
  if (!runs) {
    runs = runsOf(source);
    nonZeroRuns.set(image.buffer, { offset: image.byteOffset, length: image.byteLength, runs });
  }
  let next = 0;
  for (const [first, end] of runs) {
    // The module's data segments and the loader wrote to the heap before the restore: a page the
    // snapshot has as zero must read as zero afterwards too.
    clearPages(target, next, first);
    source.copy(target, first * PAGE, first * PAGE, Math.min(end * PAGE, source.length));
    next = end;
  }
  clearPages(target, next, Math.ceil(source.length / PAGE));
}

/**
 * Pyodide's own restore copies every byte of the snapshot into the heap; this one hands it the
 * header alone (parsed and checked there: magic number, build id) and copies the image sparsely,
 * growing the heap first when the image is larger than the module's initial memory.
 */
function sparseRestore(module: EmscriptenModule) {
  const restore = module.API.restoreSnapshot.bind(module.API);
  return (snapshot: Uint8Array): unknown => {
    const imageOffset = snapshotImageOffset(snapshot);
    if (imageOffset < 8 || imageOffset > snapshot.length) throw new Error('the interpreter snapshot is malformed');
    // A private copy: the snapshot may live in shared memory, which TextDecoder refuses.
    const config = restore(snapshot.slice(0, imageOffset));
    const image = snapshot.subarray(imageOffset);
    if (module.HEAPU8.length < image.length && !module._emscripten_resize_heap(image.length)) {
      throw new Error('the interpreter snapshot does not fit in memory');
    }
    copyNonZeroPages(module.HEAPU8, image);
    return config;
  };
}

/** Pyodide passes these two to the module; any marker object works as long as both agree. */
function errorMarkerImports(): Record<string, unknown> {
  const marker = Symbol('javascript error');
  return { Jsv_GetError_import: () => marker, JsvError_Check: (value: unknown) => value === marker };
}

/** Creates Pyodide's Emscripten module with the dangerous imports stubbed; reports the wasm memory. */
export function hardenedModuleFactory(options: ModuleOptions) {
  return async (settings: Record<string, unknown>) => {
    const original = (settings as unknown as Instantiation).instantiateWasm;
    const instantiation: Instantiation = {
      instantiateWasm(imports, success) {
        for (const [name, replacement] of Object.entries(STUBBED_IMPORTS)) {
          if (options.sandboxed && name in imports.env) imports.env[name] = replacement;
        }
        for (const name of options.sandboxed ? GATED_IMPORTS : []) {
          const open = imports.env[name];
          if (typeof open !== 'function') continue;
          imports.env[name] = (...args: unknown[]): unknown => {
            if (options.isSealed()) throw new SealedRealmError(`${name} is closed in a sealed interpreter`);
            return (open as (...a: unknown[]) => unknown)(...args);
          };
        }
        const received = (instance: WebAssembly.Instance, module: WebAssembly.Module) => {
          options.onMemory(instance.exports.memory as WebAssembly.Memory);
          success(instance, module);
        };
        const shared = options.wasmModule;
        if (!shared) return original(imports, received);
        Object.assign(imports.env, errorMarkerImports());
        WebAssembly.instantiate(shared, imports).then(
          (instance) => received(instance, shared),
          // Instantiating a module compiled elsewhere should not fail; if it does, compile our own.
          () => original(imports, received),
        );
        return {};
      },
    };
    Object.assign(settings, instantiation);
    const module = (await createPyodideModule(settings)) as EmscriptenModule;
    module.API.restoreSnapshot = sparseRestore(module);
    return module;
  };
}
