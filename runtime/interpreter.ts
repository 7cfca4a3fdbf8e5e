import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPyodide, type PyodideAPI } from 'pyodide';
import type { PyProxy } from 'pyodide/ffi';
import { ENGINE_ERROR_TYPES, isEngineErrorType, RUNTIME_REPORTED_ERROR_TYPES } from '../src/engine/error-types.js';
import type { FunctionSource, PythonError } from '../src/engine/protocol.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../src/functions/json-depth.js';
import { FileQuota, type FileSystemModule } from './file-quota.js';
import { capMemory, takeRefusal } from './memory-cap.js';
import { hardenedModuleFactory, HOST_FILESYSTEMS } from './pyodide-module.js';
import { readRuntimePython } from './runtime-files.js';

const RUNTIME_SOURCE = readRuntimePython('faaspot_runtime.py');
const SANDBOX_SOURCE = readRuntimePython('faaspot_sandbox.py');
const RUNTIME_FILENAME = '<faaspot-runtime>';
// Read once per worker rather than by every boot.
const LOCK_FILE = readFileSync(fileURLToPath(import.meta.resolve('pyodide/pyodide-lock.json')), 'utf8');
const SANDBOX_FILENAME = '<faaspot-sandbox>';

/** The environment a function sees in os.environ: nothing of the host's. */
const FUNCTION_ENVIRONMENT = { HOME: '/home/pyodide', LANG: 'C.UTF-8', PATH: '/', PWD: '/' };

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
    // The runtime qualifies a function's exception named like an engine outcome (hello.Timeout), so
    // an unqualified one, or none, means the function rewrote the result.
    if (typeof type !== 'string' || type === '' || type.length > TEXT_CAP) return tampered('malformed error type');
    if (isEngineErrorType(type) && !RUNTIME_REPORTED_ERROR_TYPES.has(type)) return tampered(`it reported the error type ${type}, which only the engine gives`);
    return {
      ...base,
      status,
      output: null,
      error: { type, message: optionalText(message) ?? '', traceback: optionalText(traceback) },
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

/** What a worker restores interpreters from. */
export interface InterpreterImage {
  /** A memory snapshot made by {@link Interpreter.makeSnapshot}, possibly in shared memory. */
  snapshot: Uint8Array;
  /** Pyodide's compiled WebAssembly module. */
  module: WebAssembly.Module;
}

export interface BootOptions {
  /** Omit only to measure what the sandbox costs. */
  sandbox?: boolean;
  image?: InterpreterImage | undefined;
}

/** The runtime's two namespaces are parked in `__main__` under these names between load and seal. */
const RUNTIME_GLOBAL = '__faaspot_runtime__';
const SANDBOX_GLOBAL = '__faaspot_sandbox__';

interface Started {
  pyodide: PyodideAPI;
  memory: WebAssembly.Memory;
  /** Closes the imports through which Python acts on JavaScript objects. */
  seal(): void;
}

async function startPyodide(options: {
  sandboxed: boolean;
  wasmModule?: WebAssembly.Module | undefined;
  image?: InterpreterImage;
  makeSnapshot?: boolean;
}): Promise<Started> {
  let memory: WebAssembly.Memory | undefined;
  let sealed = false;
  const pyodide = await loadPyodide({
    jsglobals: {},
    env: { ...FUNCTION_ENVIRONMENT },
    // C-level writes to fd 1/2 must not reach the server's console; Python-level output is captured.
    stdout: () => {},
    stderr: () => {},
    lockFileContents: LOCK_FILE,
    ...(options.makeSnapshot && { _makeSnapshot: true }),
    ...(options.image && { _loadSnapshot: options.image.snapshot }),
    createPyodideModule: hardenedModuleFactory({
      sandboxed: options.sandboxed,
      wasmModule: options.image?.module ?? options.wasmModule,
      onMemory: (m) => {
        memory = m;
      },
      isSealed: () => sealed,
    }) as never,
  });
  if (!memory) throw new Error('Pyodide did not expose its WebAssembly memory');
  return {
    pyodide,
    memory,
    seal: () => {
      sealed = true;
    },
  };
}

/** Runs the runtime's Python files into namespaces parked in `__main__`. */
function loadRuntime(pyodide: PyodideAPI): void {
  const globals = pyodide.globals as PyProxy & { get(key: string): unknown; set(key: string, value: unknown): void };
  const newDict = globals.get('dict') as PythonCallable<PyProxy>;
  for (const [source, filename, name] of [
    [RUNTIME_SOURCE, RUNTIME_FILENAME, RUNTIME_GLOBAL],
    [SANDBOX_SOURCE, SANDBOX_FILENAME, SANDBOX_GLOBAL],
  ] as const) {
    const namespace = newDict();
    // The runtime qualifies a function's exception whose class bears one of these names.
    const scope = pyodide.toPy({ __source: source, __ns: namespace, __reserved: [...ENGINE_ERROR_TYPES] }) as PyProxy;
    pyodide.runPython(
      `__ns["_RESERVED_ERROR_TYPES"] = frozenset(__reserved)\nexec(compile(__source, ${JSON.stringify(filename)}, "exec"), __ns)`,
      { globals: scope },
    );
    scope.destroy();
    globals.set(name, namespace);
    namespace.destroy();
  }
  newDict.destroy();
}

/**
 * One Pyodide interpreter with the FaaSpot runtime loaded. Pristine until {@link run} is first called
 * with a source; from then on it serves that function version only.
 */
export class Interpreter {
  readonly #memory: WebAssembly.Memory;
  readonly #run: PythonCallable<PyProxy>;
  readonly #validate: PythonCallable<PyProxy | undefined>;
  /** Bounds what the function's files hold; absent only in the benchmark's unsandboxed baseline. */
  readonly #files: FileQuota | undefined;
  #loaded = false;

  private constructor(memory: WebAssembly.Memory, namespace: PyProxy & { get(key: string): unknown }, files: FileQuota | undefined) {
    this.#memory = memory;
    this.#files = files;
    this.#run = namespace.get('run') as PythonCallable<PyProxy>;
    this.#validate = namespace.get('validate') as PythonCallable<PyProxy | undefined>;
  }

  /**
   * Boots a sealed interpreter that shares `interruptBuffer` with its worker: restored from `image`
   * when given (a tenth of a second or less), else from nothing (about 2 s). A snapshot that cannot be
   * restored falls back to the cold boot. `sandbox: false` exists only so the benchmark can measure
   * what the sandbox costs; the server never passes it.
   */
  static async boot(interruptBuffer: Int32Array, options: BootOptions = {}): Promise<Interpreter> {
    const sandboxed = options.sandbox !== false;
    let started: Started | undefined;
    if (options.image && sandboxed) {
      try {
        started = await startPyodide({ sandboxed, image: options.image });
      } catch {
        started = undefined;
      }
    }
    if (!started) {
      started = await startPyodide({ sandboxed, wasmModule: options.image?.module });
      loadRuntime(started.pyodide);
    }
    return Interpreter.#finish(started, sandboxed, interruptBuffer);
  }

  /**
   * Boots an interpreter from nothing, loads the runtime into it, and returns a memory snapshot of it
   * from which {@link boot} restores. The interpreter itself is left for the garbage collector.
   */
  static async makeSnapshot(wasmModule?: WebAssembly.Module): Promise<Uint8Array> {
    const { pyodide } = await startPyodide({ sandboxed: true, wasmModule, makeSnapshot: true });
    loadRuntime(pyodide);
    return (pyodide as unknown as { makeMemorySnapshot(): Uint8Array }).makeMemorySnapshot();
  }

  static #finish(started: Started, sandboxed: boolean, interruptBuffer: Int32Array): Interpreter {
    const { pyodide } = started;
    const module = sandboxed && (pyodide as unknown as { _module: { FS: { filesystems: Record<string, unknown> } } & Record<string, unknown> })._module;
    if (module) {
      for (const name of HOST_FILESYSTEMS) {
        delete module.FS.filesystems[name];
        delete module[name];
      }
      // Done after any snapshot: a snapshot expects the JavaScript globals where Pyodide put them.
      pyodide.unregisterJsModule('js');
      pyodide.unregisterJsModule('pyodide_js');
    }
    const globals = pyodide.globals as PyProxy & { get(key: string): unknown; delete(key: string): void };
    const namespace = globals.get(RUNTIME_GLOBAL) as PyProxy & { get(key: string): unknown };
    const sandbox = globals.get(SANDBOX_GLOBAL) as PyProxy & { get(key: string): unknown };
    // Nothing a function can name leads back to the runtime's namespaces.
    globals.delete(RUNTIME_GLOBAL);
    globals.delete(SANDBOX_GLOBAL);
    const seal = sandbox.get('seal') as PythonCallable<undefined>;
    if (sandboxed) {
      const environment = pyodide.toPy(FUNCTION_ENVIRONMENT) as PyProxy;
      seal(environment);
      environment.destroy();
      started.seal();
    }
    seal.destroy();
    sandbox.destroy();
    // Set last: an interrupt meant for a run in this worker must not break a boot in progress.
    pyodide.setInterruptBuffer(interruptBuffer);
    const files = module ? FileQuota.install(module as unknown as FileSystemModule) : undefined;
    return new Interpreter(started.memory, namespace, files);
  }

  /**
   * From now on, this interpreter's memory may not grow past `bytes`, and the files the function
   * writes (kept in JavaScript memory, outside it) may not hold more than `bytes` either.
   */
  capMemory(bytes: number): void {
    capMemory(this.#memory, bytes);
    this.#files?.limit(bytes);
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
