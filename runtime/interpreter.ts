import { loadPyodide } from 'pyodide';
import createPyodideModule from 'pyodide/pyodide.asm.mjs';
import type { PyProxy } from 'pyodide/ffi';
import type { FunctionSource, PythonError } from '../src/engine/protocol.js';
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

/** Host file system drivers Emscripten could mount; an interpreter sees only its own memory. */
const HOST_FILESYSTEMS = ['NODEFS', 'NODERAWFS', 'PROXYFS', 'WORKERFS', 'IDBFS', 'NATIVEFS_ASYNC'];

interface Instantiation {
  instantiateWasm: (
    imports: { env: Record<string, unknown> },
    success: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ) => unknown;
}

/** Creates Pyodide's Emscripten module with the dangerous imports stubbed; reports the wasm memory. */
function hardenedModuleFactory(onMemory: (memory: WebAssembly.Memory) => void) {
  return (settings: Record<string, unknown>) => {
    const original = (settings as unknown as Instantiation).instantiateWasm;
    const instantiation: Instantiation = {
      instantiateWasm(imports, success) {
        for (const [name, stub] of Object.entries(STUBBED_IMPORTS)) {
          if (name in imports.env) imports.env[name] = stub;
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

type OutcomeTuple = [string, string | null, string | null, string | null, string | null, string, boolean, number | null];
type ValidationTuple = [string, string, number | null, number | null];

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

  /** Boots a fresh, sealed interpreter (about 2 s cold) that shares `interruptBuffer` with its worker. */
  static async boot(interruptBuffer: Int32Array): Promise<Interpreter> {
    let memory: WebAssembly.Memory | undefined;
    const pyodide = await loadPyodide({
      jsglobals: {},
      env: { ...FUNCTION_ENVIRONMENT },
      // C-level writes to fd 1/2 must not reach the server's console; Python-level output is captured.
      stdout: () => {},
      stderr: () => {},
      createPyodideModule: hardenedModuleFactory((m) => {
        memory = m;
      }) as never,
    });
    if (!memory) throw new Error('Pyodide did not expose its WebAssembly memory');
    const module = (pyodide as unknown as { _module: { FS: { filesystems: Record<string, unknown> } } & Record<string, unknown> })._module;
    for (const name of HOST_FILESYSTEMS) {
      delete module.FS.filesystems[name];
      delete module[name];
    }
    pyodide.unregisterJsModule('js');
    pyodide.unregisterJsModule('pyodide_js');

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
    const environment = pyodide.toPy(FUNCTION_ENVIRONMENT) as PyProxy;
    seal(environment);
    environment.destroy();
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
    const tuple = proxy.toJs() as OutcomeTuple;
    proxy.destroy();
    const [status, output, type, message, traceback, logs, logsTruncated, durationMs] = tuple;
    return {
      status: status === 'completed' ? 'completed' : 'failed',
      output,
      error: type == null ? null : { type, message: message ?? '', traceback },
      logs,
      logsTruncated,
      durationMs,
    };
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
