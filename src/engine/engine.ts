import { randomUUID } from 'node:crypto';
import type {
  ExecutionEnd,
  ExecutionError,
  NewExecution,
  Store,
  StoredExecution,
  StoredFunction,
} from '../store/store.js';
import { requestedCallback } from '../store/store.js';
import { NOT_STARTED, type CancelOutcome, type EndFacts, type EndListener, type EnqueueOptions, type Executor, type ExecutorStatus } from './executor.js';
import type { ImageSource } from './interpreter-image.js';
import { Lane, TaskAbortedError } from './lane.js';
import type { FunctionSource, RunResult, RunTask, ValidateResult } from './protocol.js';
import { RunQueue } from './run-queue.js';
import { RunRefusedError } from './run-refused-error.js';
import { Warmup } from './warmup.js';

/** Settings of the {@link Engine}; see `Config` for their meaning and defaults. */
export interface EngineConfig {
  workers: number;
  memoryBudgetBytes: number;
  killGraceMs: number;
  logCapBytes: number;
  maxOutputBytes: number;
  /** Where the interpreter snapshot is cached between starts. */
  snapshotDir: string;
  maxQueue: number;
  namespaceMaxQueued: number;
  namespaceMaxRunning: number;
  blockingWaitSeconds: number;
}

interface QueueItem {
  id: string;
  namespace: string;
  functionId: string;
  args: string;
  created: string;
  functionName: string;
  /** A caller waits for the final record (`done`). */
  blocking: boolean;
  /** Set for a blocking run: its caller waits for the final record. */
  done?: (record: StoredExecution) => void;
  /** Withdraws a blocking run that has waited for a worker for `blockingWaitSeconds`. */
  waitTimer?: NodeJS.Timeout;
  /** Whether the record was written yet (a blocking run is written late; see RECORD_AFTER_MS). */
  recorded: boolean;
  /** A blocking run waiting for a worker: writes its pending record if the wait goes on. */
  recordTimer?: NodeJS.Timeout;
  /** Where its final record is to be POSTed (stored with it; delivered by an end listener). */
  callbackUrl?: string | undefined;
}

interface Running {
  item: QueueItem;
  lane: Lane;
  stopReason: 'timeout' | 'cancelled' | undefined;
  timers: NodeJS.Timeout[];
  timeoutSeconds: number;
  /** Its function was loaded into a pristine interpreter for it. */
  coldStart: boolean;
  /** When main was handed to the worker (performance.now()): a run stopped by ending its thread reports no time of its own. */
  mainSentAt?: number;
}

/** File name shown in tracebacks: `hello.py` for a function named `hello` or `hello.py`. */
export function functionFilename(name: string): string {
  return name.endsWith('.py') ? name : `${name}.py`;
}

let nowMs = -1;
let nowIso = '';
/** The time as an ISO 8601 text; formatted once per millisecond, as every run takes three. */
function now(): string {
  const ms = Date.now();
  if (ms !== nowMs) {
    nowMs = ms;
    nowIso = new Date(ms).toISOString();
  }
  return nowIso;
}

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
 * Runs executions in pooled Pyodide interpreters, one per worker thread. The next to start is the
 * oldest run of the namespace with the fewest runs going (see {@link RunQueue}); within a namespace,
 * blocking runs go before queued non-blocking ones (a caller is waiting on them).
 */
export class Engine implements Executor {
  readonly #config: EngineConfig;
  readonly #store: Store;
  readonly #lanes: Lane[] = [];
  /** Created once the interpreter image is ready, like the lanes. */
  readonly #validator: Promise<Lane>;
  #validatorCreated: (lane: Lane) => void = () => {};
  /** The validator once it exists: a stop during warm-up must not wait for one that never will. */
  #validatorLane: Lane | undefined;
  readonly #warmup: Warmup;
  #image: ImageSource | 'pending' = 'pending';
  readonly #queue: RunQueue<QueueItem>;
  readonly #running = new Map<string, Running>();
  readonly #waiters = new Map<string, Set<() => void>>();
  /** Latest version seen of each function, so a dispatch can prefer a lane where it is warm. */
  readonly #versions = new Map<string, number>();
  #warm = false;
  #coldStarts = 0;
  readonly #endListeners = new Set<EndListener>();
  #recordingEnds = 0;
  #warming: Promise<void> = Promise.resolve();
  #closing = false;
  /** Failed by the recovery at start, before anything could listen; see {@link takeRecovered}. */
  #recovered: StoredExecution[] = [];
  /** Set once {@link drain} begins: no run is taken or started any more. */
  #draining: { done: Promise<number>; idle: () => void; graceOver: () => void; timer?: NodeJS.Timeout; deadline: number } | undefined;

  private constructor(config: EngineConfig, store: Store, warmup: Warmup) {
    this.#config = Object.freeze({ ...config });
    this.#store = store;
    this.#warmup = warmup;
    this.#queue = new RunQueue({
      maxQueued: config.maxQueue,
      namespaceMaxQueued: config.namespaceMaxQueued,
      namespaceMaxRunning: config.namespaceMaxRunning,
    });
    this.#validator = new Promise((resolve) => {
      this.#validatorCreated = resolve;
    });
  }

  /**
   * Recovers from the previous process (fails what it left running, re-queues pending executions),
   * then starts the workers warming. Resolves before they are warm; see {@link status}. `warmup`: the
   * threads and image, if begun earlier (before the store opened); stopped if the start fails.
   */
  static async start(config: EngineConfig, store: Store, warmup: Warmup = new Warmup(config)): Promise<Engine> {
    try {
      return await Engine.#recover(config, store, warmup);
    } catch (error) {
      await warmup.stop();
      throw error;
    }
  }

  static async #recover(config: EngineConfig, store: Store, warmup: Warmup): Promise<Engine> {
    const recovered = await store.failInterrupted({
      status: 'failed',
      output: null,
      error: serverRestartedError(),
      logs: '',
      logsTruncated: false,
      finished: now(),
      durationMs: null,
    });
    const engine = new Engine(config, store, warmup);
    engine.#recovered = recovered;
    for (const queued of await store.listQueued()) {
      const item: QueueItem = {
        id: queued.id,
        namespace: queued.namespace,
        functionId: queued.functionId,
        args: queued.args,
        created: queued.created,
        functionName: queued.functionName,
        blocking: false,
        recorded: true,
        callbackUrl: queued.callbackUrl,
      };
      // Restored whole, even past a limit lowered since: they were accepted.
      engine.#queue.add(item);
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
      const { image, source } = await this.#warmup.image;
      this.#image = source;
      if (this.#closing) return;
      for (const lane of this.#warmup.lanes) {
        lane.provide(image);
        lane.busy = true;
        this.#lanes.push(lane);
      }
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
      if (this.#closing) return;
      this.#validatorLane = new Lane(this.#config.workers, 0);
      this.#validatorLane.provide(image);
      this.#validatorCreated(this.#validatorLane);
    })();
    this.#warming.catch(() => {});
  }

  status(): ExecutorStatus {
    return {
      warm: this.#warm,
      workers: this.#lanes.length,
      running: this.#running.size + this.#recordingEnds,
      queued: this.#queue.size,
      draining: this.#draining !== undefined,
      pristine: this.#lanes.filter((lane) => lane.pristineReady).length,
      warmFunctions: this.#lanes.reduce((sum, lane) => sum + lane.warm.size, 0),
      coldStarts: this.#coldStarts,
      workerRestarts: [...this.#lanes, ...(this.#validatorLane ? [this.#validatorLane] : [])].reduce((sum, lane) => sum + lane.restarts, 0),
      image: this.#image,
    };
  }

  async validate(code: string, filename: string): Promise<ValidateResult> {
    const validator = await this.#validator;
    return validator.exec<ValidateResult>({ kind: 'validate', code, filename });
  }

  async runBlocking(fn: StoredFunction, args: string): Promise<StoredExecution> {
    this.#refuseWhileDraining();
    const item = this.#newItem(fn, args, true);
    const finished = new Promise<StoredExecution>((resolve) => {
      item.done = resolve;
    });
    this.#queue.add(item);
    this.#pump();
    if (this.#queue.has(item.id)) {
      // Waiting for a worker: recorded as pending if the wait goes on, withdrawn if it goes on too long.
      item.recordTimer = setTimeout(() => this.#record(item), RECORD_AFTER_MS);
      item.recordTimer.unref();
      const waitSeconds = this.#config.blockingWaitSeconds;
      item.waitTimer = setTimeout(() => {
        if (!this.#unqueue(item.id)) return;
        const message = `no worker was free to start it within ${waitSeconds} s (FAASPOT_BLOCKING_WAIT); it was withdrawn without running`;
        void this.#finish(item, null, this.#cancelledEnd(message, NOT_STARTED.queueTimeout));
      }, waitSeconds * 1000);
      item.waitTimer.unref();
    }
    return finished;
  }

  async enqueue(fn: StoredFunction, argsList: readonly string[], options: EnqueueOptions = {}): Promise<string[]> {
    this.#refuseWhileDraining();
    const count = argsList.length;
    const reservation = this.#queue.reserve(fn.namespace, count);
    if (!reservation.ok) {
      const what = count === 1 ? 'the run does not fit' : `the bulk of ${count} runs does not fit, so none was queued`;
      const limit =
        reservation.limit === 'queue'
          ? `At most ${this.#config.maxQueue} executions may wait for a worker (FAASPOT_MAX_QUEUE) and there is room for ${reservation.room} more`
          : `At most ${this.#config.namespaceMaxQueued} executions of a namespace may wait for a worker (FAASPOT_NAMESPACE_MAX_QUEUED) and this one has room for ${reservation.room} more`;
      throw new RunRefusedError('QUEUE_FULL', `The queue is full: ${what}. ${limit}; retry after the time in the Retry-After header.`);
    }
    const items = argsList.map((args) => ({ ...this.#newItem(fn, args, false), callbackUrl: options.callbackUrl }));
    try {
      await this.#store.insertExecutions(items.map((item) => toNewExecution(item)), options.idempotency);
    } finally {
      this.#queue.release(fn.namespace, count);
    }
    for (const item of items) {
      item.recorded = true;
      // Queued even if draining began meanwhile: it stays pending for the next start.
      this.#queue.add(item);
    }
    this.#pump();
    return items.map((item) => item.id);
  }

  async cancel(namespace: string, id: string): Promise<CancelOutcome> {
    const waiting = this.#queue.get(id);
    if (waiting && waiting.namespace === namespace) {
      const item = this.#unqueue(id) as QueueItem;
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
      const item = this.#unqueue(id);
      if (!item) continue;
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

  /**
   * The final records of the executions that the start failed as `ServerRestarted` (running when the
   * previous process stopped, or blocking runs whose caller is gone), once: they ended before any end
   * listener was added, so the server hands them to those that log and count ends. Their callbacks
   * are owed like any other and resumed from the store.
   */
  takeRecovered(): StoredExecution[] {
    const recovered = this.#recovered;
    this.#recovered = [];
    return recovered;
  }

  onEnd(listener: EndListener): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /**
   * Begins a graceful stop: runs are refused from now on (SHUTTING_DOWN), queued ones are not started
   * (they stay pending for the next start), blocking runs still waiting for a worker are withdrawn,
   * and running ones go on. Resolves once none is running, or after `graceMs`, with the number still
   * running then; {@link close} ends those as a hard stop does. Calling it again can only shorten the
   * grace period.
   */
  drain(graceMs: number): Promise<number> {
    if (!this.#draining) {
      let idle = () => {};
      let graceOver = () => {};
      const done = new Promise<number>((resolve) => {
        idle = () => resolve(0);
        graceOver = () => resolve(this.#running.size + this.#recordingEnds);
      });
      this.#draining = { done, idle, graceOver, deadline: Infinity };
      for (const lane of this.#lanes) clearTimeout(lane.replacementTimer);
      for (const item of [...this.#queue.items()]) {
        if (!item.blocking) continue;
        this.#unqueue(item.id);
        void this.#finish(item, null, this.#cancelledEnd('the server began shutting down before the run started; it was not run', NOT_STARTED.shutdown));
      }
      this.#checkDrained();
    }
    const draining = this.#draining;
    const deadline = performance.now() + graceMs;
    if (deadline < draining.deadline) {
      clearTimeout(draining.timer);
      draining.deadline = deadline;
      draining.timer = setTimeout(draining.graceOver, graceMs);
      draining.timer.unref();
    }
    return draining.done;
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#draining?.timer);
    this.#draining?.graceOver();
    for (const item of this.#queue.items()) clearTimeout(item.waitTimer);
    for (const running of this.#running.values()) running.timers.forEach(clearTimeout);
    for (const lane of this.#lanes) clearTimeout(lane.replacementTimer);
    await Promise.allSettled([this.#warmup.stop(), this.#validatorLane?.destroy()]);
    // Long polls answer with the record as it stands, while the server still can.
    for (const waiters of [...this.#waiters.values()]) for (const wake of [...waiters]) wake();
  }

  #refuseWhileDraining(): void {
    if (this.#draining || this.#closing) {
      throw new RunRefusedError('SHUTTING_DOWN', 'The server is shutting down and takes no new runs. Retry after the time in the Retry-After header.');
    }
  }

  /** Takes a waiting run out of the queue; undefined if it was not waiting. */
  #unqueue(id: string): QueueItem | undefined {
    const item = this.#queue.remove(id);
    if (item) {
      clearTimeout(item.waitTimer);
      clearTimeout(item.recordTimer);
    }
    return item;
  }

  /** Resolves {@link drain} once nothing runs and every end is recorded. */
  #checkDrained(): void {
    if (this.#draining && this.#running.size + this.#recordingEnds === 0) {
      clearTimeout(this.#draining.timer);
      this.#draining.idle();
    }
  }

  /**
   * Writes the record of an item that has none yet: pending, running when `begun` is given. Not
   * awaited: the store commits writes in order, so any later write of the item lands after it.
   */
  #record(item: QueueItem, begun?: { functionVersion: number; started: string }): void {
    if (item.recorded) return;
    item.recorded = true;
    const execution = toNewExecution(item);
    this.#store.insertExecutions([begun ? { ...execution, running: begun } : execution]).catch(() => {});
  }

  #newItem(fn: StoredFunction, args: string, blocking: boolean): QueueItem {
    this.#versions.set(fn.id, fn.version);
    return {
      id: randomUUID(),
      namespace: fn.namespace,
      functionId: fn.id,
      functionName: fn.name,
      args,
      created: now(),
      blocking,
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
    if (this.#closing || this.#draining) return;
    for (;;) {
      const item = this.#queue.next();
      const lane = item && this.#chooseLane(item);
      if (!item || !lane) {
        this.#scheduleReplacements();
        return;
      }
      this.#queue.start(item);
      clearTimeout(item.waitTimer);
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
        if (lane.busy || lane.pristineReady || this.#closing || this.#draining) return;
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
      stopReason: undefined,
      timers: [],
      timeoutSeconds: 0,
      coldStart: false,
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
        if (!item.blocking) {
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
        // A worker without a pristine interpreter boots one first, before the function's timeout starts.
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
          running.coldStart = cold;
          running.mainSentAt = performance.now();
          let result = await lane.exec<RunResult>(task(cold));
          if (result.outcome === 'not-loaded') {
            this.#coldStarts++;
            running.coldStart = true;
            result = await lane.exec<RunResult>(task(true));
          }
          end = this.#endFromResult(result, running);
        }
      }
    } catch (error) {
      end = this.#endFromFailure(error, running);
    } finally {
      running.timers.forEach(clearTimeout);
      this.#running.delete(item.id);
      this.#queue.ended(item.namespace);
      lane.busy = false;
    }
    // Counted as running until its end is recorded, so an idle status means every record is final.
    this.#recordingEnds++;
    try {
      await this.#finish(item, { version, started }, end, true, { coldStart: running.coldStart });
    } finally {
      this.#recordingEnds--;
    }
    this.#checkDrained();
    this.#pump();
  }

  #stop(running: Running, reason: 'timeout' | 'cancelled'): void {
    if (running.stopReason) return;
    running.stopReason = reason;
    running.lane.interrupt();
    // Code that ignores the interrupt (a C loop, time.sleep) is stopped by ending its thread.
    running.timers.push(setTimeout(() => running.lane.hardStop(), this.#config.killGraceMs));
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
    if (this.#closing) {
      // The server stopped under it (past the grace period): not recorded now, and failed with the
      // same error by the next start.
      return { ...base, status: 'failed', error: serverRestartedError() };
    }
    if (error instanceof TaskAbortedError && running.stopReason) {
      return {
        ...base,
        // Its thread was ended: the wall time from the start of the run to the stop, so that the runs
        // that ignored their timeout still count among the slowest.
        durationMs: running.mainSentAt === undefined ? null : performance.now() - running.mainSentAt,
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

  #cancelledEnd(message: string, type = 'Cancelled'): ExecutionEnd {
    return {
      status: 'cancelled',
      output: null,
      error: { type, message, traceback: null },
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
    facts: EndFacts = { coldStart: false },
  ): Promise<void> {
    if (write && !this.#closing) {
      try {
        if (item.recorded) {
          await this.#store.finishExecution(item.id, end);
        } else {
          item.recorded = true;
          const running = run?.version != null && run.started !== null ? { functionVersion: run.version, started: run.started } : undefined;
          await this.#store.insertExecutions([{ ...toNewExecution(item), running, end }]);
        }
      } catch {
        // The store is closing under us; the next start marks this execution ServerRestarted.
      }
    }
    const record: StoredExecution = {
      seq: 0,
      id: item.id,
      namespace: item.namespace,
      functionId: item.functionId,
      functionName: item.functionName,
      functionVersion: run?.version ?? null,
      status: end.status,
      blocking: item.blocking,
      args: item.args,
      output: end.output,
      error: end.error,
      logs: end.logs,
      logsTruncated: end.logsTruncated,
      created: item.created,
      started: run?.started ?? null,
      finished: end.finished,
      durationMs: end.durationMs,
      callback: item.callbackUrl === undefined ? null : requestedCallback(item.callbackUrl),
    };
    item.done?.(record);
    for (const listener of this.#endListeners) {
      try {
        listener(record, facts);
      } catch {
        // A listener's failure is its own; the run has ended either way.
      }
    }
    const waiters = this.#waiters.get(item.id);
    if (waiters) for (const wake of [...waiters]) wake();
  }
}

function serverRestartedError(): ExecutionError {
  return {
    type: 'ServerRestarted',
    message: 'the server stopped while this execution was running or its caller was waiting; it was not run again',
    traceback: null,
  };
}

function toNewExecution(item: QueueItem): NewExecution {
  return {
    id: item.id,
    namespace: item.namespace,
    functionId: item.functionId,
    functionName: item.functionName,
    blocking: item.blocking,
    args: item.args,
    created: item.created,
    callbackUrl: item.callbackUrl,
  };
}
