import { loadPyodide } from 'pyodide';
import createPyodideModule from 'pyodide/pyodide.asm.mjs';
import type { PyProxy } from 'pyodide/ffi';
import type { FunctionSource, PythonError } from '../src/engine/protocol.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../src/functions/json-depth.js';
import { capMemory, takeRefusal } from './memory-cap.js';
import { readRuntimePython } from './runtime-files.js';

const RUNTIME_SOURCE = readRuntimePython('faaspot_runtime.py');
const SANDBOX_SOURCE = readRuntimePython('faaspot_sandbox.py');
const RUNTIME_FILENAME = '<faaspot-runtime>';
const SANDBOX_FILENAME = '<faaspot-sandbox>';

/** The environment a function sees in os.environ: nothing of the host's. */
const FUNCTION_ENVIRONMENT = { HOME: '/home/pyodide', LANG: 'C.UTF-8', PATH: '/', PWD: '/' };

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

class SealedRealmError extends Error {
  override name = 'SealedRealmError';
}

/** Host file system drivers Emscripten could mount; an interpreter sees only its own memory. */
const HOST_FILESYSTEMS = ['NODEFS', 'NODERAWFS', 'PROXYFS', 'WORKERFS', 'IDBFS', 'NATIVEFS_ASYNC'];

interface Instantiation {
  instantiateWasm: (
    imports: { env: Record<string, unknown> },
    success: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ) => unknown;
}

/** Creates Pyodide's Emscripten module with the dangerous imports stubbed; reports the wasm memory. */
function hardenedModuleFactory(
  stub: boolean,
  onMemory: (memory: WebAssembly.Memory) => void,
  isSealed: () => boolean,
) {
  return (settings: Record<string, unknown>) => {
    const original = (settings as unknown as Instantiation).instantiateWasm;
    const instantiation: Instantiation = {
      instantiateWasm(imports, success) {
        for (const [name, replacement] of Object.entries(STUBBED_IMPORTS)) {
          if (stub && name in imports.env) imports.env[name] = replacement;
        }
        for (const name of stub ? GATED_IMPORTS : []) {
          const original = imports.env[name];
          if (typeof original !== 'function') continue;
          imports.env[name] = (...args: unknown[]): unknown => {
            if (isSealed()) throw new SealedRealmError(`${name} is closed in a sealed interpreter`);
            return (original as (...a: unknown[]) => unknown)(...args);
          };
        }
        return original(imports, (instance, module) => {
          onMemory(instance.exports.memory as WebAssembly.Memory);
          success(instance, module);
        });
      },
    };
    Object.assign(settings, instantiation);
    return createPyodideModule(settings);
  };
}

/** What one call of main produced, before the worker adds its own bookkeeping. */
export interface Outcome {
  status: 'completed' | 'failed';
  output: string | null;
  error: PythonError | null;
  logs: string;
  logsTruncated: boolean;
  durationMs: number | null;
}

type ValidationTuple = [string, string, number | null, number | null];

const TEXT_CAP = 64 * 1024;

/** Cuts `text` to at most `bytes` bytes of UTF-8, on a character boundary. */
function cutUtf8(text: string, bytes: number): string {
  if (text.length <= bytes / 3) return text;
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  // A partial character at the cut decodes to U+FFFD; drop it.
  return buffer.subarray(0, bytes).toString('utf8').replace(/\uFFFD$/, '');
}

const optionalText = (value: unknown): string | null => (typeof value === 'string' ? cutUtf8(value, TEXT_CAP) : null);

function tampered(what: string): Outcome {
  return {
    status: 'failed',
    output: null,
    error: { type: 'RuntimeTampered', message: `the function interfered with the FaaSpot runtime (${what})`, traceback: null },
    logs: '',
    logsTruncated: false,
    durationMs: null,
  };
}

/** The runtime's result tuple, validated, with the log and output caps applied. */
function checkedOutcome(raw: unknown, caps: { logBytes: number; outputBytes: number }): Outcome {
  if (!Array.isArray(raw) || raw.length !== 8) return tampered('its result is not the runtime\'s tuple');
  const [status, output, type, message, traceback, logs, logsTruncated, durationMs] = raw as unknown[];
  if ((status !== 'completed' && status !== 'failed') || typeof logs !== 'string') return tampered('malformed result');
  const cutLogs = cutUtf8(logs, caps.logBytes);
  const base = {
    logs: cutLogs,
    logsTruncated: logsTruncated === true || cutLogs.length !== logs.length,
    durationMs: typeof durationMs === 'number' && Number.isFinite(durationMs) ? durationMs : null,
  };
  if (status === 'failed') {
    return {
      ...base,
      status,
      output: null,
      error: { type: optionalText(type) ?? 'Error', message: optionalText(message) ?? '', traceback: optionalText(traceback) },
    };
  }
  if (typeof output !== 'string') return tampered('no output');
  if (Buffer.byteLength(output, 'utf8') > caps.outputBytes) {
    return {
      ...base,
      status: 'failed',
      output: null,
      error: { type: 'OutputTooLarge', message: `main returned more than the ${caps.outputBytes} bytes of JSON allowed`, traceback: null },
    };
  }
  if (jsonDepth(output) > MAX_JSON_DEPTH) {
    return {
      ...base,
      status: 'failed',
      output: null,
      error: {
        type: 'ResultNotSerializable',
        message: `main returned a value nested more than ${MAX_JSON_DEPTH} levels deep`,
        traceback: null,
      },
    };
  }
  try {
    JSON.parse(output);
  } catch {
    return tampered('its output is not JSON');
  }
  return { ...base, status, output, error: null };
}

type PythonCallable<R> = PyProxy & ((...args: unknown[]) => R);

/**
 * One Pyodide interpreter with the FaaSpot runtime loaded. Pristine until {@link run} is first called
 * with a source; from then on it serves that function version only.
 */
export class Interpreter {
  readonly #memory: WebAssembly.Memory;
  readonly #run: PythonCallable<PyProxy>;
  readonly #validate: PythonCallable<PyProxy | undefined>;
  #loaded = false;

  private constructor(memory: WebAssembly.Memory, namespace: PyProxy & { get(key: string): unknown }) {
    this.#memory = memory;
    this.#run = namespace.get('run') as PythonCallable<PyProxy>;
    this.#validate = namespace.get('validate') as PythonCallable<PyProxy | undefined>;
  }

  /**
   * Boots a fresh, sealed interpreter (about 2 s cold) that shares `interruptBuffer` with its worker.
   * `sandbox: false` exists only so the benchmark can measure what the sandbox costs; the server
   * never passes it.
   */
  static async boot(interruptBuffer: Int32Array, options: { sandbox?: boolean } = {}): Promise<Interpreter> {
    const sandboxed = options.sandbox !== false;
    let memory: WebAssembly.Memory | undefined;
    let sealed = false;
    const pyodide = await loadPyodide({
      jsglobals: {},
      env: { ...FUNCTION_ENVIRONMENT },
      // C-level writes to fd 1/2 must not reach the server's console; Python-level output is captured.
      stdout: () => {},
      stderr: () => {},
      createPyodideModule: hardenedModuleFactory(
        sandboxed,
        (m) => {
          memory = m;
        },
        () => sealed,
      ) as never,
    });
    if (!memory) throw new Error('Pyodide did not expose its WebAssembly memory');
    const module = sandboxed && (pyodide as unknown as { _module: { FS: { filesystems: Record<string, unknown> } } & Record<string, unknown> })._module;
    if (module) {
      for (const name of HOST_FILESYSTEMS) {
        delete module.FS.filesystems[name];
        delete module[name];
      }
      pyodide.unregisterJsModule('js');
      pyodide.unregisterJsModule('pyodide_js');
    }

    const globals = pyodide.globals as PyProxy & { get(key: string): unknown };
    const newDict = globals.get('dict') as PythonCallable<PyProxy & { get(key: string): unknown }>;
    const namespace = newDict();
    const sandbox = newDict();
    newDict.destroy();
    const load = (source: string, filename: string, into: PyProxy) => {
      const scope = pyodide.toPy({ __source: source, __ns: into }) as PyProxy;
      pyodide.runPython(`exec(compile(__source, ${JSON.stringify(filename)}, "exec"), __ns)`, { globals: scope });
      scope.destroy();
    };
    load(RUNTIME_SOURCE, RUNTIME_FILENAME, namespace);
    load(SANDBOX_SOURCE, SANDBOX_FILENAME, sandbox);
    const seal = sandbox.get('seal') as PythonCallable<undefined>;
    if (sandboxed) {
      const environment = pyodide.toPy(FUNCTION_ENVIRONMENT) as PyProxy;
      seal(environment);
      environment.destroy();
      sealed = true;
    }
    seal.destroy();
    sandbox.destroy();
    // Set last: an interrupt meant for a run in this worker must not break a boot in progress.
    pyodide.setInterruptBuffer(interruptBuffer);
    return new Interpreter(memory, namespace);
  }

  /** From now on, this interpreter's memory may not grow past `bytes`. */
  capMemory(bytes: number): void {
    capMemory(this.#memory, bytes);
  }

  /** Whether the memory cap refused a grow since the last call. */
  takeMemoryRefusal(): boolean {
    return takeRefusal(this.#memory);
  }

  /** Bytes of WebAssembly memory this interpreter holds (it never shrinks). */
  memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Runs main once; loads `source` first when given (only valid on a pristine interpreter). */
  run(argsJson: string, caps: { logBytes: number; outputBytes: number }, source: FunctionSource | undefined): Outcome {
    if (source && this.#loaded) throw new Error('an interpreter serves one function version only');
    this.#loaded ||= source !== undefined;
    const proxy = source
      ? this.#run(argsJson, caps.logBytes, caps.outputBytes, source.code, source.context, source.filename)
      : this.#run(argsJson, caps.logBytes, caps.outputBytes);
    // The function shares its interpreter with the Python half of the runtime and can tamper with
    // it, so what comes back is checked here, where Python cannot reach, and the caps enforced again.
    const nested: PyProxy[] = [];
    const raw: unknown = typeof proxy?.toJs === 'function' ? proxy.toJs({ depth: 1, pyproxies: nested }) : proxy;
    for (const p of nested) p.destroy();
    proxy?.destroy?.();
    return checkedOutcome(raw, caps);
  }

  /** Compiles code and checks main without running it. */
  validate(code: string, filename: string): { problem: 'syntax' | 'main'; message: string; line: number | null; column: number | null } | null {
    const proxy = this.#validate(code, filename);
    if (proxy === undefined) return null;
    const [problem, message, line, column] = proxy.toJs() as ValidationTuple;
    proxy.destroy();
    return { problem: problem === 'main' ? 'main' : 'syntax', message, line, column };
  }
}
