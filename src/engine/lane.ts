import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import Tinypool from 'tinypool';
import type { InterpreterImage } from './interpreter-image.js';
import type { WorkerData, WorkerResult, WorkerTask } from './protocol.js';

const WORKER_FILE = fileURLToPath(new URL('../../runtime/worker.js', import.meta.url));

// Any JavaScript object that Python code might still reach leads to `Function` through
// `.constructor.constructor`; without code generation from strings that road ends. Worker execArgv
// refuses this flag, but isolates created after it is set here inherit it. Pyodide runs without eval.
setFlagsFromString('--disallow-code-generation-from-strings');

/** How a task that was stopped from outside ended. */
export class TaskAbortedError extends Error {
  override name = 'TaskAbortedError';
}

/**
 * One worker thread, wrapped in a Tinypool of exactly one thread so that the engine chooses which
 * thread runs a task (a function version is warm in some threads only). Tinypool brings the worker
 * lifecycle: a hard stop through an AbortSignal ends the thread and starts a fresh one.
 */
export class Lane {
  readonly id: number;
  readonly #pool: Tinypool;
  readonly #interrupt: Int32Array;
  /** The engine's view of the function versions this lane holds warm. */
  readonly warm = new Set<string>();
  /** Versions retired since the lane last ran a task: dropped before its next one. */
  readonly retired = new Set<string>();
  pristineReady = false;
  busy = false;
  /** Set while the lane waits for an idle moment to boot its next pristine interpreter. */
  replacementTimer: NodeJS.Timeout | undefined;
  /** Whether the lane is busy booting that interpreter (a tenth of a second or so). */
  replacing = false;
  /** When the lane last finished a task, for least-recently-used choices. */
  lastUsed = 0;
  /** Times its thread was ended (a hard stop) or died, and replaced. */
  restarts = 0;

  /**
   * `image`: what the worker restores interpreters from (null: it boots them from nothing).
   * `snapshotMaker`: the worker only makes a snapshot and boots nothing else.
   */
  constructor(id: number, memoryBudgetBytes: number, image: InterpreterImage | null, snapshotMaker = false) {
    this.id = id;
    const interruptBuffer = new SharedArrayBuffer(4);
    this.#interrupt = new Int32Array(interruptBuffer);
    const workerData: WorkerData = { interruptBuffer, memoryBudgetBytes, image, snapshotMaker };
    this.#pool = new Tinypool({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      isolateWorkers: false,
      // Idle workers must keep their event loop turning so a replacement interpreter boots in the
      // background; Tinypool's atomics wait would block it.
      useAtomics: false,
      // A deeply nested value can overflow the JavaScript stack while crossing into Python; a
      // larger stack makes that an ordinary error of the run rather than a fatal one.
      resourceLimits: { stackSizeMb: 64 },
      workerData,
    });
  }

  /**
   * Sends a task and waits for its result. `signal` ends the thread if it fires while the task runs;
   * the promise then rejects with {@link TaskAbortedError} and the lane starts cold.
   */
  async exec<R extends WorkerResult>(task: WorkerTask, signal?: AbortSignal): Promise<R> {
    try {
      const result = (await this.#pool.run(task, signal ? { signal } : {})) as R;
      this.#absorb(result);
      return result;
    } catch (error) {
      if (signal?.aborted) {
        this.#reset();
        throw new TaskAbortedError('the worker was stopped');
      }
      // The thread died under the task (a fatal interpreter error): Tinypool replaces it.
      this.#reset();
      throw error;
    } finally {
      this.lastUsed = performance.now();
    }
  }

  /** Asks the Python code running in this lane to stop (KeyboardInterrupt at the next bytecode). */
  interrupt(): void {
    Atomics.store(this.#interrupt, 0, 2);
  }

  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }

  #absorb(result: WorkerResult): void {
    if (result.kind !== 'warm' && result.kind !== 'run') return;
    this.warm.clear();
    for (const key of result.warm) this.warm.add(key);
    this.pristineReady = result.pristineReady;
  }

  #reset(): void {
    this.restarts++;
    Atomics.store(this.#interrupt, 0, 0);
    this.warm.clear();
    this.retired.clear();
    this.pristineReady = false;
  }
}
