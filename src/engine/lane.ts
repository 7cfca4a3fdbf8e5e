import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import Tinypool from 'tinypool';
import type { InterpreterImage } from './interpreter-image.js';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { LaneAnswer, LaneRequest, ServeTask, WorkerData, WorkerResult, WorkerTask } from './protocol.js';

const WORKER_FILE = fileURLToPath(new URL('../../runtime/worker.js', import.meta.url));

// Any JavaScript object that Python code might still reach leads to `Function` through
// `.constructor.constructor`; without code generation from strings that road ends. Worker execArgv
// refuses this flag, but isolates created after it is set here inherit it. Pyodide runs without eval.
setFlagsFromString('--disallow-code-generation-from-strings');

/** How a task that was stopped from outside ended. */
export class TaskAbortedError extends Error {
  override name = 'TaskAbortedError';
}

/** A request on a lane's channel, answered by the message of the same id. */
interface Pending {
  resolve(result: WorkerResult): void;
  reject(error: unknown): void;
}

/**
 * The channel to the lane's current thread. The thread serves it inside one long Tinypool task
 * (`serve`), so every request is one message each way; Tinypool still owns the thread: the serving
 * task's signal ends it, and its failure tells that the thread died.
 */
interface Session {
  port: MessagePort;
  pending: Map<number, Pending>;
  /** Ends the thread (a hard stop). */
  stop: AbortController;
}

/**
 * One worker thread, wrapped in a Tinypool of exactly one thread so that the engine chooses which
 * thread runs a task (a function version is warm in some threads only). Tinypool brings the worker
 * lifecycle: a hard stop through an AbortSignal ends the thread and starts a fresh one. Tasks go over
 * a MessagePort of the lane's own rather than one Tinypool task each: a round trip through Tinypool
 * costs several times a bare message's (it also samples the worker's memory use per task).
 */
export class Lane {
  readonly id: number;
  readonly #pool: Tinypool;
  readonly #interrupt: Int32Array;
  #session: Session | undefined;
  /** What the lane's threads restore interpreters from; see {@link provide}. */
  #image: InterpreterImage | null | undefined;
  #nextRequest = 0;
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
   * Starts the lane's thread at once; it runs nothing before {@link provide} gives it an image.
   * `snapshotMaker`: the worker only makes a snapshot and boots nothing else.
   */
  constructor(id: number, memoryBudgetBytes: number, snapshotMaker = false) {
    this.id = id;
    const interruptBuffer = new SharedArrayBuffer(4);
    this.#interrupt = new Int32Array(interruptBuffer);
    const workerData: WorkerData = { interruptBuffer, memoryBudgetBytes, snapshotMaker };
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
   * Sends a task and waits for its result. Rejects with {@link TaskAbortedError} if {@link hardStop}
   * ends the thread meanwhile, or with the thread's error if it dies; the lane then starts cold.
   */
  async exec<R extends WorkerResult>(task: WorkerTask): Promise<R> {
    const session = this.#session ?? this.#open();
    const id = this.#nextRequest++;
    try {
      const answered = new Promise<WorkerResult>((resolve, reject) => {
        session.pending.set(id, { resolve, reject });
      });
      if (session.pending.size === 1) session.port.ref();
      session.port.postMessage({ id, task } satisfies LaneRequest);
      const result = (await answered) as R;
      this.#absorb(result);
      return result;
    } finally {
      session.pending.delete(id);
      if (session.pending.size === 0) session.port.unref();
      this.lastUsed = performance.now();
    }
  }

  /**
   * Ends the thread under the task it is running (code that ignores interrupts: a C loop,
   * `time.sleep`); Tinypool starts a fresh thread, and the lane starts cold. Does nothing while the
   * lane runs no task.
   */
  hardStop(): void {
    const session = this.#session;
    if (!session || session.pending.size === 0) return;
    this.#ended(session, new TaskAbortedError('the worker was stopped'));
    session.stop.abort();
  }

  /**
   * What the lane's threads restore interpreters from (null: they boot them from nothing). Needed
   * before the first task; a thread begins booting its pristine interpreter as soon as it has it.
   */
  provide(image: InterpreterImage | null): void {
    this.#image = image;
  }

  /** Asks the Python code running in this lane to stop (KeyboardInterrupt at the next bytecode). */
  interrupt(): void {
    Atomics.store(this.#interrupt, 0, 2);
  }

  async destroy(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    session?.port.close();
    await this.#pool.destroy();
  }

  /** Starts the thread serving a new channel (Tinypool starts the thread if it has none). */
  #open(): Session {
    if (this.#image === undefined) throw new Error(`lane ${this.id} was given a task before its image`);
    const { port1, port2 } = new MessageChannel();
    const session: Session = { port: port1, pending: new Map(), stop: new AbortController() };
    this.#session = session;
    port1.on('message', (answer: LaneAnswer) => {
      const pending = session.pending.get(answer.id);
      if (!pending) return;
      if ('result' in answer) pending.resolve(answer.result);
      else pending.reject(Object.assign(new Error(answer.error.message), { name: answer.error.name }));
    });
    port1.unref();
    const serve: ServeTask = { kind: 'serve', port: port2, image: this.#image };
    this.#pool.run(serve, { transferList: [port2], signal: session.stop.signal }).then(
      () => this.#ended(session, new Error('the worker stopped serving')),
      (error: unknown) => this.#ended(session, error),
    );
    return session;
  }

  /** The session's thread ended (a hard stop) or died: its requests fail and the next one starts afresh. */
  #ended(session: Session, error: unknown): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    session.port.close();
    Atomics.store(this.#interrupt, 0, 0);
    this.warm.clear();
    this.retired.clear();
    this.pristineReady = false;
    this.restarts++;
    for (const pending of session.pending.values()) pending.reject(error);
  }

  #absorb(result: WorkerResult): void {
    if (result.kind !== 'warm' && result.kind !== 'run') return;
    this.warm.clear();
    for (const key of result.warm) this.warm.add(key);
    this.pristineReady = result.pristineReady;
  }
}
