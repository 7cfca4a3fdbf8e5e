import { randomUUID } from 'node:crypto';
import type {
  ExecutionEnd,
  ExecutionError,
  NewExecution,
  Store,
  StoredExecution,
  StoredFunction,
} from '../store/store.js';
import type { CancelOutcome, Executor, ExecutorStatus } from './executor.js';
import { Fifo } from './fifo.js';
import { compilePyodide, loadOrMakeImage, type ImageSource, type InterpreterImage } from './interpreter-image.js';
import { Lane, TaskAbortedError } from './lane.js';
import type { FunctionSource, RunResult, RunTask, SnapshotResult, ValidateResult } from './protocol.js';

/** Settings of the {@link Engine}; see `Config` for their meaning and defaults. */
export interface EngineConfig {
  workers: number;
  memoryBudgetBytes: number;
  killGraceMs: number;
  logCapBytes: number;
  maxOutputBytes: number;
  /** Where the interpreter snapshot is cached between starts. */
  snapshotDir: string;
}

interface QueueItem {
  id: string;
  namespace: string;
  functionId: string;
  args: string;
  created: string;
  functionName: string;
  /** Set for a blocking run: its caller waits for the final record. */
  done?: (record: StoredExecution) => void;
  cancelled: boolean;
  /** Whether the record was written yet (a blocking run is written late; see RECORD_AFTER_MS). */
  recorded: boolean;
  /** A blocking run waiting for a worker: writes its pending record if the wait goes on. */
  recordTimer?: NodeJS.Timeout;
}

interface Running {
  item: QueueItem;
  lane: Lane;
  controller: AbortController;
  stopReason: 'timeout' | 'cancelled' | undefined;
  timers: NodeJS.Timeout[];
  timeoutSeconds: number;
}

/** File name shown in tracebacks: `hello.py` for a function named `hello` or `hello.py`. */
export function functionFilename(name: string): string {
  return name.endsWith('.py') ? name : `${name}.py`;
}

const now = () => new Date().toISOString();

/**
 * A worker boots its next pristine interpreter once it has been idle this long. A boot holds the
 * thread for about a tenth of a second; a run that arrives meanwhile would wait behind it.
 */
const REPLACEMENT_IDLE_MS = 20;

/**
 * A blocking run is recorded when it ends, whole, in one write, unless it waits for a worker or runs
 * longer than this: then it is recorded as pending or running at that point, so listings show it.
 * Its caller learns its id only from the answer, which is sent after the record is committed.
 */
const RECORD_AFTER_MS = 50;

/**
 * Runs executions in pooled Pyodide interpreters. Blocking runs go before queued non-blocking ones
 * (a caller is waiting on them); each kind runs in creation order. One execution per worker thread.
 */
export class Engine implements Executor {
  readonly #config: EngineConfig;
  readonly #store: Store;
  readonly #lanes: Lane[] = [];
  /** Created once the interpreter image is ready, like the lanes. */
  readonly #validator: Promise<Lane>;
  #validatorCreated: (lane: Lane) => void = () => {};
  /** The worker making a snapshot, while it does. */
  #maker: Lane | undefined;
  #image: ImageSource | 'pending' = 'pending';
  readonly #blockingQueue = new Fifo<QueueItem>();
  readonly #queue = new Fifo<QueueItem>();
  /** Items waiting in either queue, by id, for cancellation. */
  readonly #pending = new Map<string, QueueItem>();
  readonly #running = new Map<string, Running>();
  readonly #waiters = new Map<string, Set<() => void>>();
  /** Latest version seen of each function, so a dispatch can prefer a lane where it is warm. */
  readonly #versions = new Map<string, number>();
  #warm = false;
  #coldStarts = 0;
  #recordingEnds = 0;
  #warming: Promise<void> = Promise.resolve();
  #closing = false;

  private constructor(config: EngineConfig, store: Store) {
    this.#config = Object.freeze({ ...config });
    this.#store = store;
    this.#validator = new Promise((resolve) => {
      this.#validatorCreated = resolve;
    });
  }

  /**
   * Recovers from the previous process (fails what it left running, re-queues pending executions),
   * then starts the workers warming. Resolves before they are warm; see {@link status}.
   */
  static async start(config: EngineConfig, store: Store): Promise<Engine> {
    await store.failInterrupted({
      status: 'failed',
      output: null,
      error: {
        type: 'ServerRestarted',
        message: 'the server stopped while this execution was running or its caller was waiting; it was not run again',
        traceback: null,
      },
      logs: '',
      logsTruncated: false,
      finished: now(),
      durationMs: null,
    });
    const engine = new Engine(config, store);
    for (const queued of await store.listQueued()) {
      const item: QueueItem = {
        id: queued.id,
        namespace: queued.namespace,
        functionId: queued.functionId,
        args: queued.args,
        created: '',
        functionName: '',
        cancelled: false,
        recorded: true,
      };
      engine.#pending.set(item.id, item);
      engine.#queue.push(item);
    }
    engine.#warmUp();
    return engine;
  }

  /** Resolves once every worker that runs functions holds a pristine interpreter. */
  whenWarm(): Promise<void> {
    return this.#warming;
  }

  /**
   * Loads or makes the interpreter image, starts the workers on it, and waits until each holds a
   * pristine interpreter. Runs in the background; queued work waits for the lanes.
   */
  #warmUp(): void {
    this.#warming = (async () => {
      const image = await this.#prepareImage();
      if (this.#closing) return;
      const perLane = Math.floor(this.#config.memoryBudgetBytes / this.#config.workers);
      for (let i = 0; i < this.#config.workers; i++) this.#lanes.push(new Lane(i, perLane, image));
      for (const lane of this.#lanes) lane.busy = true;
      await Promise.all(
        this.#lanes.map(async (lane) => {
          try {
            await lane.exec({ kind: 'warm' });
          } finally {
            lane.busy = false;
            this.#pump();
          }
        }),
      );
      this.#warm = true;
      // Started last so it does not compete for the cores with the workers that run functions.
      if (!this.#closing) this.#validatorCreated(new Lane(this.#config.workers, 0, image));
    })();
    this.#warming.catch(() => {});
  }

  /** The image workers restore from; null (each worker boots from nothing) if it cannot be had. */
  async #prepareImage(): Promise<InterpreterImage | null> {
    try {
      const { image, source } = await loadOrMakeImage(this.#config.snapshotDir, compilePyodide(), (m) => this.#makeSnapshot(m));
      this.#image = source;
      return image;
    } catch {
      this.#image = 'none';
      return null;
    }
  }

  async #makeSnapshot(module: WebAssembly.Module): Promise<Uint8Array> {
    const maker = new Lane(-1, 0, null, true);
    this.#maker = maker;
    try {
      return (await maker.exec<SnapshotResult>({ kind: 'snapshot', module })).snapshot;
    } finally {
      this.#maker = undefined;
      await maker.destroy();
    }
  }

  status(): ExecutorStatus {
    return {
      warm: this.#warm,
      workers: this.#lanes.length,
      running: this.#running.size + this.#recordingEnds,
      queued: this.#pending.size,
      pristine: this.#lanes.filter((lane) => lane.pristineReady).length,
      warmFunctions: this.#lanes.reduce((sum, lane) => sum + lane.warm.size, 0),
      coldStarts: this.#coldStarts,
      image: this.#image,
    };
  }

  async validate(code: string, filename: string): Promise<ValidateResult> {
    const validator = await this.#validator;
    return validator.exec<ValidateResult>({ kind: 'validate', code, filename });
  }

  async runBlocking(fn: StoredFunction, args: string): Promise<StoredExecution> {
    const item = this.#newItem(fn, args);
    const finished = new Promise<StoredExecution>((resolve) => {
      item.done = resolve;
    });
    this.#pending.set(item.id, item);
    this.#blockingQueue.push(item);
    this.#pump();
    if (this.#pending.has(item.id)) {
      item.recordTimer = setTimeout(() => this.#record(item), RECORD_AFTER_MS);
      item.recordTimer.unref();
    }
    return finished;
  }

  async enqueue(fn: StoredFunction, argsList: readonly string[]): Promise<string[]> {
    const items = argsList.map((args) => this.#newItem(fn, args));
    await this.#store.insertExecutions(items.map((item) => toNewExecution(item, false)));
    for (const item of items) {
      item.recorded = true;
      this.#pending.set(item.id, item);
      this.#queue.push(item);
    }
    this.#pump();
    return items.map((item) => item.id);
  }

  async cancel(namespace: string, id: string): Promise<CancelOutcome> {
    const item = this.#pending.get(id);
    if (item && item.namespace === namespace) {
      this.#pending.delete(id);
      clearTimeout(item.recordTimer);
      item.cancelled = true;
      await this.#finish(item, null, this.#cancelledEnd('the execution was cancelled before it started'));
      return 'cancelled';
    }
    const running = this.#running.get(id);
    if (running && running.item.namespace === namespace) {
      const ended = this.waitForEnd(id, this.#config.killGraceMs + 5_000);
      this.#stop(running, 'cancelled');
      await ended;
      return 'cancelled';
    }
    const stored = await this.#store.getExecution(namespace, id);
    return stored ? 'ended' : 'not-found';
  }

  waitForEnd(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(id);
      if (!waiters) this.#waiters.set(id, (waiters = new Set()));
      const set = waiters;
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  retire(previous: StoredFunction, cancelledIds: readonly string[] = []): void {
    for (const id of cancelledIds) {
      const item = this.#pending.get(id);
      if (!item) continue;
      this.#pending.delete(id);
      item.cancelled = true;
      // The store already marked it cancelled, with the function's deletion.
      void this.#finish(item, null, this.#cancelledEnd('the function was deleted'), false);
    }
    const prefix = `${previous.id}:`;
    for (const lane of this.#lanes) {
      const keys = [...lane.warm].filter((key) => key.startsWith(prefix));
      if (keys.length === 0) continue;
      for (const key of keys) lane.retired.add(key);
      if (!lane.busy) void this.#sendRetire(lane);
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const running of this.#running.values()) running.timers.forEach(clearTimeout);
    for (const lane of this.#lanes) clearTimeout(lane.replacementTimer);
    const lanes = [...this.#lanes];
    if (this.#lanes.length > 0) lanes.push(await this.#validator);
    if (this.#maker) lanes.push(this.#maker);
    await Promise.allSettled(lanes.map((lane) => lane.destroy()));
  }

  /**
   * Writes the record of an item that has none yet: pending, running when `begun` is given. Not
   * awaited: the store commits writes in order, so any later write of the item lands after it.
   */
  #record(item: QueueItem, begun?: { functionVersion: number; started: string }): void {
    if (item.recorded) return;
    item.recorded = true;
    const execution = toNewExecution(item, item.done !== undefined);
    this.#store.insertExecutions([begun ? { ...execution, running: begun } : execution]).catch(() => {});
  }

  #newItem(fn: StoredFunction, args: string): QueueItem {
    this.#versions.set(fn.id, fn.version);
    return {
      id: randomUUID(),
      namespace: fn.namespace,
      functionId: fn.id,
      functionName: fn.name,
      args,
      created: now(),
      cancelled: false,
      recorded: false,
    };
  }

  async #sendRetire(lane: Lane): Promise<void> {
    lane.busy = true;
    const keys = [...lane.retired];
    lane.retired.clear();
    try {
      await lane.exec({ kind: 'retire', keys });
    } catch {
      // A lane that failed to retire was reset; nothing of the old version survives there.
    } finally {
      lane.busy = false;
      this.#pump();
    }
  }

  /** The queue whose head runs next (blocking runs first), with cancelled items dropped from its head. */
  #nextQueue(): Fifo<QueueItem> | undefined {
    for (const queue of [this.#blockingQueue, this.#queue]) {
      while (queue.size > 0) {
        if (!queue.peek()?.cancelled) return queue;
        queue.shift();
      }
    }
    return undefined;
  }

  /** The idle lane to run `item` on: one where its version is warm, else one with a pristine interpreter ready. */
  #chooseLane(item: QueueItem): Lane | undefined {
    const version = this.#versions.get(item.functionId);
    const key = version === undefined ? undefined : `${item.functionId}:${version}`;
    let best: Lane | undefined;
    let bestScore = -1;
    let warmBehindBoot = false;
    for (const lane of this.#lanes) {
      if (lane.busy) {
        warmBehindBoot ||= lane.replacing && key !== undefined && lane.warm.has(key);
        continue;
      }
      const score = key !== undefined && lane.warm.has(key) ? 2 : lane.pristineReady ? 1 : 0;
      if (score > bestScore || (score === bestScore && best && lane.lastUsed < best.lastUsed)) {
        best = lane;
        bestScore = score;
      }
    }
    // Waiting for a boot to end costs less than loading the function into another interpreter.
    if (bestScore < 2 && warmBehindBoot) return undefined;
    return best;
  }

  #pump(): void {
    if (this.#closing) return;
    for (;;) {
      const queue = this.#nextQueue();
      const next = queue?.peek();
      const lane = next && this.#chooseLane(next);
      if (!queue || !next || !lane) {
        this.#scheduleReplacements();
        return;
      }
      const item = queue.shift() as QueueItem;
      this.#pending.delete(item.id);
      lane.busy = true;
      clearTimeout(lane.replacementTimer);
      lane.replacementTimer = undefined;
      void this.#execute(item, lane);
    }
  }

  /** Idle lanes without a pristine interpreter boot one, unless work arrives first. */
  #scheduleReplacements(): void {
    if (this.#closing) return;
    for (const lane of this.#lanes) {
      if (lane.busy || lane.pristineReady || lane.replacementTimer) continue;
      lane.replacementTimer = setTimeout(() => {
        lane.replacementTimer = undefined;
        if (lane.busy || lane.pristineReady || this.#closing) return;
        lane.busy = true;
        lane.replacing = true;
        lane
          .exec({ kind: 'warm' })
          .catch(() => {})
          .finally(() => {
            lane.busy = false;
            lane.replacing = false;
            this.#pump();
          });
      }, REPLACEMENT_IDLE_MS);
      lane.replacementTimer.unref();
    }
  }

  async #execute(item: QueueItem, lane: Lane): Promise<void> {
    const running: Running = {
      item,
      lane,
      controller: new AbortController(),
      stopReason: undefined,
      timers: [],
      timeoutSeconds: 0,
    };
    this.#running.set(item.id, running);
    clearTimeout(item.recordTimer);
    let end: ExecutionEnd;
    let version: number | null = null;
    let started: string | null = null;
    try {
      const fn = await this.#store.getFunctionById(item.functionId);
      if (!fn) {
        end = this.#cancelledEnd('the function was deleted before the execution started');
      } else {
        this.#versions.set(fn.id, fn.version);
        version = fn.version;
        item.functionName = fn.name;
        running.timeoutSeconds = fn.timeoutSeconds;
        const key = `${fn.id}:${fn.version}`;
        started = now();
        const begun = { functionVersion: fn.version, started };
        if (item.done === undefined) {
          // Committed before the run starts: after a crash, a queued execution that had started is
          // failed rather than run a second time.
          await this.#store.markRunning(item.id, fn.version, started);
        } else if (item.recorded) {
          this.#store.markRunning(item.id, fn.version, started).catch(() => {});
        } else {
          const record = setTimeout(() => this.#record(item, begun), RECORD_AFTER_MS);
          record.unref();
          running.timers.push(record);
        }
        if (!lane.warm.has(key) && !lane.pristineReady) await lane.exec({ kind: 'warm' });
        if (running.stopReason) {
          end = this.#cancelledEnd('the execution was cancelled');
        } else {
          running.timers.push(setTimeout(() => this.#stop(running, 'timeout'), fn.timeoutSeconds * 1000));
          const source: FunctionSource = { code: fn.code, context: fn.context, filename: functionFilename(fn.name) };
          const task = (withSource: boolean): RunTask => ({
            kind: 'run',
            key,
            source: withSource ? source : undefined,
            args: item.args,
            logCapBytes: this.#config.logCapBytes,
            outputCapBytes: this.#config.maxOutputBytes,
            memoryLimitBytes: fn.memoryMib * 2 ** 20,
            retire: [...lane.retired],
          });
          lane.retired.clear();
          const cold = !lane.warm.has(key);
          if (cold) this.#coldStarts++;
          let result = await lane.exec<RunResult>(task(cold), running.controller.signal);
          if (result.outcome === 'not-loaded') {
            this.#coldStarts++;
            result = await lane.exec<RunResult>(task(true), running.controller.signal);
          }
          end = this.#endFromResult(result, running);
        }
      }
    } catch (error) {
      end = this.#endFromFailure(error, running);
    } finally {
      running.timers.forEach(clearTimeout);
      this.#running.delete(item.id);
      lane.busy = false;
    }
    // Counted as running until its end is recorded, so an idle status means every record is final.
    this.#recordingEnds++;
    try {
      await this.#finish(item, { version, started }, end);
    } finally {
      this.#recordingEnds--;
    }
    this.#pump();
  }

  #stop(running: Running, reason: 'timeout' | 'cancelled'): void {
    if (running.stopReason) return;
    running.stopReason = reason;
    running.lane.interrupt();
    // Code that ignores the interrupt (a C loop, time.sleep) is stopped by ending its thread.
    running.timers.push(setTimeout(() => running.controller.abort(), this.#config.killGraceMs));
  }

  #stoppedError(running: Running, traceback: string | null): ExecutionError {
    return running.stopReason === 'timeout'
      ? {
          type: 'Timeout',
          message: `main did not finish within the function's timeout of ${running.timeoutSeconds} s and was stopped`,
          traceback,
        }
      : { type: 'Cancelled', message: 'the execution was cancelled while running', traceback };
  }

  #endFromResult(result: RunResult, running: Running): ExecutionEnd {
    const base = { logs: result.logs, logsTruncated: result.logsTruncated, finished: now(), durationMs: result.durationMs };
    if (running.stopReason && result.outcome !== 'completed') {
      return {
        ...base,
        status: running.stopReason === 'timeout' ? 'failed' : 'cancelled',
        output: null,
        error: this.#stoppedError(running, result.error?.traceback ?? null),
      };
    }
    if (result.outcome === 'completed') return { ...base, status: 'completed', output: result.output, error: null };
    return {
      ...base,
      status: 'failed',
      output: null,
      error: result.error ?? { type: 'InternalError', message: 'the function failed without an error', traceback: null },
    };
  }

  #endFromFailure(error: unknown, running: Running): ExecutionEnd {
    const base = { output: null, logs: '', logsTruncated: false, finished: now(), durationMs: null };
    if (error instanceof TaskAbortedError && running.stopReason) {
      return {
        ...base,
        status: running.stopReason === 'timeout' ? 'failed' : 'cancelled',
        error: this.#stoppedError(running, null),
      };
    }
    return {
      ...base,
      status: 'failed',
      error: {
        type: 'WorkerCrashed',
        message: 'the interpreter running this execution stopped unexpectedly; its worker was replaced',
        traceback: null,
      },
    };
  }

  #cancelledEnd(message: string): ExecutionEnd {
    return {
      status: 'cancelled',
      output: null,
      error: { type: 'Cancelled', message, traceback: null },
      logs: '',
      logsTruncated: false,
      finished: now(),
      durationMs: null,
    };
  }

  async #finish(
    item: QueueItem,
    run: { version: number | null; started: string | null } | null,
    end: ExecutionEnd,
    write = true,
  ): Promise<void> {
    if (write && !this.#closing) {
      try {
        if (item.recorded) {
          await this.#store.finishExecution(item.id, end);
        } else {
          item.recorded = true;
          const running = run?.version != null && run.started !== null ? { functionVersion: run.version, started: run.started } : undefined;
          await this.#store.insertExecutions([{ ...toNewExecution(item, item.done !== undefined), running, end }]);
        }
      } catch {
        // The store is closing under us; the next start marks this execution ServerRestarted.
      }
    }
    item.done?.({
      seq: 0,
      id: item.id,
      namespace: item.namespace,
      functionId: item.functionId,
      functionName: item.functionName,
      functionVersion: run?.version ?? null,
      status: end.status,
      blocking: item.done !== undefined,
      args: item.args,
      output: end.output,
      error: end.error,
      logs: end.logs,
      logsTruncated: end.logsTruncated,
      created: item.created,
      started: run?.started ?? null,
      finished: end.finished,
      durationMs: end.durationMs,
    });
    const waiters = this.#waiters.get(item.id);
    if (waiters) for (const wake of [...waiters]) wake();
  }
}

function toNewExecution(item: QueueItem, blocking: boolean): NewExecution {
  return {
    id: item.id,
    namespace: item.namespace,
    functionId: item.functionId,
    functionName: item.functionName,
    blocking,
    args: item.args,
    created: item.created,
  };
}
