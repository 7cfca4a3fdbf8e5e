import { loadPyodide, type PyodideAPI } from 'pyodide';
import type { PyProxy } from 'pyodide/ffi';
import type { FunctionSource, PythonError } from '../src/engine/protocol.js';
import { readRuntimePython } from './runtime-files.js';

const RUNTIME_SOURCE = readRuntimePython('faaspot_runtime.py');
const RUNTIME_FILENAME = '<faaspot-runtime>';

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

/** Pyodide's Emscripten module as far as we read it. */
interface EmscriptenHeap {
  HEAP8: Int8Array;
}

/**
 * One Pyodide interpreter with the FaaSpot runtime loaded. Pristine until {@link run} is first called
 * with a source; from then on it serves that function version only.
 */
export class Interpreter {
  readonly #pyodide: PyodideAPI;
  readonly #run: PythonCallable<PyProxy>;
  readonly #validate: PythonCallable<PyProxy | undefined>;
  #loaded = false;

  private constructor(pyodide: PyodideAPI, namespace: PyProxy & { get(key: string): unknown }) {
    this.#pyodide = pyodide;
    this.#run = namespace.get('run') as PythonCallable<PyProxy>;
    this.#validate = namespace.get('validate') as PythonCallable<PyProxy | undefined>;
  }

  /** Boots a fresh interpreter (about 2 s cold) that shares `interruptBuffer` with its worker. */
  static async boot(interruptBuffer: Int32Array): Promise<Interpreter> {
    const pyodide = await loadPyodide({
      jsglobals: {},
      env: { HOME: '/home/pyodide' },
      // C-level writes to fd 1/2 must not reach the server's console; Python-level output is captured.
      stdout: () => {},
      stderr: () => {},
    });
    const globals = pyodide.globals as PyProxy & { get(key: string): unknown };
    const newDict = globals.get('dict') as PythonCallable<PyProxy & { get(key: string): unknown }>;
    const namespace = newDict();
    newDict.destroy();
    pyodide.runPython(`exec(compile(__source, ${JSON.stringify(RUNTIME_FILENAME)}, "exec"), __ns)`, {
      globals: pyodide.toPy({ __source: RUNTIME_SOURCE, __ns: namespace }) as PyProxy,
    });
    // Set last: an interrupt meant for a run in this worker must not break a boot in progress.
    pyodide.setInterruptBuffer(interruptBuffer);
    return new Interpreter(pyodide, namespace);
  }

  /** Bytes of WebAssembly memory this interpreter holds (it never shrinks). */
  memoryBytes(): number {
    return (this.#pyodide as unknown as { _module: EmscriptenHeap })._module.HEAP8.byteLength;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Runs main once; loads `source` first when given (only valid on a pristine interpreter). */
  async run(argsJson: string, logCapBytes: number, source: FunctionSource | undefined): Promise<Outcome> {
    if (source && this.#loaded) throw new Error('an interpreter serves one function version only');
    this.#loaded ||= source !== undefined;
    let proxy = source
      ? this.#run(argsJson, logCapBytes, source.code, source.context, source.filename)
      : this.#run(argsJson, logCapBytes);
    if (proxy.type === 'coroutine') {
      const awaited = (await (proxy as unknown as Promise<PyProxy>));
      proxy.destroy();
      proxy = awaited;
    }
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
