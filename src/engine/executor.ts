import type { NewIdempotencyKey, StoredExecution, StoredFunction } from '../store/store.js';
import type { ImageSource } from './interpreter-image.js';
import type { ValidateResult } from './protocol.js';

/**
 * Error types of runs that the engine withdrew before they started; the status is `cancelled`, which
 * no function's own exception can give a record.
 */
export const NOT_STARTED = {
  /** A blocking run found no worker within `blockingWaitSeconds`. */
  queueTimeout: 'QueueTimeout',
  /** A blocking run was still waiting when the server began shutting down. */
  shutdown: 'ServerShutdown',
} as const;

/** What cancelling an execution came to. */
export type CancelOutcome = 'cancelled' | 'ended' | 'not-found';

/** Counts the health endpoint reports. */
export interface ExecutorStatus {
  /** Every worker has a pristine interpreter ready (or has had one since start). */
  warm: boolean;
  workers: number;
  running: number;
  queued: number;
  /** Shutting down: runs are refused, queued ones wait for the next start. */
  draining: boolean;
  /** Worker threads holding a pristine interpreter ready for a function's first run. */
  pristine: number;
  /** Function versions loaded in an interpreter across all workers. */
  warmFunctions: number;
  /** Runs since start that had to load their function into a pristine interpreter. */
  coldStarts: number;
  /** Worker threads replaced since start, after a hard stop or a fatal interpreter error. */
  workerRestarts: number;
  /** Where interpreters come from: a snapshot read from the cache, one made at this start, none (each boots from nothing), or not known yet. */
  image: ImageSource | 'pending';
}

/** How {@link Executor.enqueue} records the executions it queues, and handles them beyond running them. */
export interface EnqueueOptions {
  /**
   * An `Idempotency-Key` to commit with the executions, in the same transaction, so that neither is
   * ever stored without the other. When the namespace holds the key already (a request with it
   * committed first), nothing is stored or queued and enqueue rejects with `IdempotencyKeyTakenError`.
   */
  idempotency?: NewIdempotencyKey;
  /**
   * Where to POST each execution's final record once it has ended, stored with the execution (an
   * absolute http(s) URL that the caller has already checked against the allowlist).
   */
  callbackUrl?: string;
}

/** What is known of an ended execution beyond its record. */
export interface EndFacts {
  /** Its function had to be loaded into a pristine interpreter for it. */
  coldStart: boolean;
}

/** Told of every execution that ends, once its final record is written. Must not throw. */
export type EndListener = (record: StoredExecution, facts: EndFacts) => void;

/**
 * What the HTTP API asks of the engine. The API never sees threads or interpreters; tests can
 * substitute another implementation.
 */
export interface Executor {
  status(): ExecutorStatus;
  /** Compiles code and checks its main in an interpreter, running nothing. */
  validate(code: string, filename: string): Promise<ValidateResult>;
  /**
   * Records and runs one execution, resolving with its final record once it has ended; one that finds
   * no worker within the wait bound ends `cancelled` without running (see `NOT_STARTED`).
   */
  runBlocking(fn: StoredFunction, args: string): Promise<StoredExecution>;
  /**
   * Records executions as pending (committed before this resolves) and queues them; returns their ids.
   * Refuses all of them with a `RunRefusedError` when they do not all fit in the queue.
   */
  enqueue(fn: StoredFunction, argsList: readonly string[], options?: EnqueueOptions): Promise<string[]>;
  /** Cancels a pending or running execution of the namespace. */
  cancel(namespace: string, id: string): Promise<CancelOutcome>;
  /** Resolves when the execution ends or after `ms`, whichever is first. */
  waitForEnd(id: string, ms: number): Promise<void>;
  /** A function changed (new version) or was deleted: its old interpreters must never run again. */
  retire(previous: StoredFunction, cancelledIds?: readonly string[]): void;
  /** Adds a listener of ended executions; returns what removes it. */
  onEnd(listener: EndListener): () => void;
  close(): Promise<void>;
}
