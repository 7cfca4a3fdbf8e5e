import type { CallbackState, ExecutionStatus } from './schema.js';

export type { CallbackState, ExecutionStatus } from './schema.js';

/** A token as stored: never the token itself, only its hash. */
export interface StoredToken {
  id: string;
  tokenHash: string;
  namespace: string;
  admin: boolean;
  created: string;
}

/** A function as stored. `context` is a JSON object text; `version` grows by one on each update. */
export interface StoredFunction {
  id: string;
  namespace: string;
  name: string;
  version: number;
  code: string;
  context: string;
  timeoutSeconds: number;
  /** Cap on the function's interpreter memory, MiB. */
  memoryMib: number;
  created: string;
  updated: string;
}

/** `error` of an execution record: the Python exception's class name, or a FaaSpot outcome such as `Timeout`. */
export interface ExecutionError {
  type: string;
  message: string;
  traceback: string | null;
}

/** The completion callback of an execution, and how its delivery stands. */
export interface ExecutionCallback {
  /** Where the final record is POSTed. */
  url: string;
  /** `pending` until a 2xx answer came (`delivered`) or no more attempts will be made (`failed`). */
  state: CallbackState;
  /** Delivery attempts begun. */
  attempts: number;
  /** How the last attempt failed: `HTTP 500`, a connection error, a refused address; null before any and once delivered. */
  lastError: string | null;
  /** When the next attempt is due; null when none is scheduled. */
  nextAttempt: string | null;
}

/** The callback of an execution that has just been accepted: pending, nothing tried yet. */
export function requestedCallback(url: string): ExecutionCallback {
  return { url, state: 'pending', attempts: 0, lastError: null, nextAttempt: null };
}

/** An execution as stored. `args` and `output` are JSON texts, kept as the function produced them. */
export interface StoredExecution {
  seq: number;
  id: string;
  namespace: string;
  functionId: string;
  functionName: string;
  functionVersion: number | null;
  status: ExecutionStatus;
  blocking: boolean;
  args: string;
  output: string | null;
  error: ExecutionError | null;
  logs: string;
  logsTruncated: boolean;
  created: string;
  started: string | null;
  finished: string | null;
  durationMs: number | null;
  /** Its completion callback; null when none was asked for. */
  callback: ExecutionCallback | null;
}

export interface NewExecution {
  id: string;
  namespace: string;
  functionId: string;
  functionName: string;
  blocking: boolean;
  args: string;
  created: string;
  /** Set when the execution has started by the time it is recorded. */
  running?: { functionVersion: number; started: string };
  /** Set when it has also ended: the record is written whole, in one statement. */
  end?: ExecutionEnd;
  /** Where to POST the final record once it has ended (non-blocking runs only). */
  callbackUrl?: string | undefined;
}

/** How an execution ended; written once, by the engine. */
export interface ExecutionEnd {
  status: 'completed' | 'failed' | 'cancelled';
  output: string | null;
  error: ExecutionError | null;
  logs: string;
  logsTruncated: boolean;
  finished: string;
  durationMs: number | null;
}

/** A pending execution as the scheduler needs it to run it. */
export interface QueuedExecution {
  id: string;
  namespace: string;
  functionId: string;
  /** The function's name when the execution was accepted. */
  functionName: string;
  args: string;
  blocking: boolean;
  created: string;
  /** Its callback URL, if it has one. */
  callbackUrl?: string | undefined;
}

/** A callback still owed: its execution has ended, and the callback was neither delivered nor given up. */
export interface OwedCallback {
  id: string;
  namespace: string;
  /** Where it goes. */
  url: string;
  /** Attempts begun so far. */
  attempts: number;
  /** When the next attempt is due; null: at once. */
  nextAttempt: string | null;
}

/** What a delivery attempt came to, as the record keeps it. */
export interface CallbackSettlement {
  state: CallbackState;
  lastError: string | null;
  nextAttempt: string | null;
}

export interface ExecutionQuery {
  statuses: readonly ExecutionStatus[] | undefined;
  functionName: string | undefined;
  limit: number;
  /** Only executions older than this `seq` (the previous page's last). */
  beforeSeq: number | undefined;
  /** Only executions of this `seq` or newer. */
  fromSeq?: number | undefined;
}

/** How large a record's texts are (arguments, output, logs, error, callback URL), in characters. */
export interface ExecutionSize {
  id: string;
  seq: number;
  chars: number;
}

export interface FunctionPatch {
  name?: string;
  code?: string;
  context?: string;
  timeoutSeconds?: number;
  memoryMib?: number;
}

/** The kinds of request an `Idempotency-Key` may stand for: a non-blocking run, or a bulk. */
export type IdempotentRoute = 'rpc' | 'bulk_rpc';

/** An `Idempotency-Key` to record with the executions of the request that sent it first. */
export interface NewIdempotencyKey {
  namespace: string;
  key: string;
  /** What the request asked for, hashed: a later request with the key must ask for the same. */
  fingerprint: string;
  route: IdempotentRoute;
  /** The function's name as the request gave it. */
  functionName: string;
  created: string;
  /**
   * Where the key's lifetime ends, looking back: a row of the same key created before this (ISO 8601)
   * has expired and is replaced; one created since holds the key.
   */
  expiredBefore: string;
}

/** An `Idempotency-Key` as stored, with the ids of the executions its request produced, in order. */
export interface StoredIdempotencyKey {
  namespace: string;
  key: string;
  fingerprint: string;
  route: IdempotentRoute;
  functionName: string;
  executionIds: string[];
  created: string;
}

/**
 * Thrown by {@link Store.insertExecutions} when the namespace already holds the idempotency key, by a
 * request that committed first; nothing of the insert is stored.
 */
export class IdempotencyKeyTakenError extends Error {
  override name = 'IdempotencyKeyTakenError';
}

/** Thrown by {@link Store.createFunction} and {@link Store.updateFunction} when the name is taken. */
export class NameTakenError extends Error {
  override name = 'NameTakenError';
}

/**
 * Everything the API and the engine persist. The SQLite implementation is one of possibly many:
 * nothing outside `store/` knows which database is underneath.
 */
export interface Store {
  countTokens(): Promise<number>;
  insertToken(token: StoredToken): Promise<void>;
  findTokenByHash(tokenHash: string): Promise<StoredToken | undefined>;
  listTokens(): Promise<StoredToken[]>;
  deleteToken(id: string): Promise<boolean>;

  insertFunction(fn: StoredFunction): Promise<void>;
  getFunction(namespace: string, name: string): Promise<StoredFunction | undefined>;
  getFunctionById(id: string): Promise<StoredFunction | undefined>;
  listFunctions(namespace: string): Promise<StoredFunction[]>;
  /** Applies the patch and bumps the version; undefined when there is no such function. */
  updateFunction(namespace: string, name: string, patch: FunctionPatch, updated: string): Promise<StoredFunction | undefined>;
  /** Deletes the function and cancels its pending executions, atomically; returns the cancelled ids. */
  deleteFunction(
    namespace: string,
    name: string,
    cancelled: ExecutionEnd,
  ): Promise<{ fn: StoredFunction; cancelledIds: string[] } | undefined>;

  /**
   * Inserts all or none, committed when the promise resolves. With `idempotency`, the key is recorded
   * with the executions in the same transaction; when the namespace holds the key already (unexpired),
   * nothing is stored and the promise rejects with {@link IdempotencyKeyTakenError}.
   */
  insertExecutions(executions: readonly NewExecution[], idempotency?: NewIdempotencyKey): Promise<void>;
  markRunning(id: string, functionVersion: number, started: string): Promise<void>;
  /** Writes the end of a run unless it already ended; false when it had. */
  finishExecution(id: string, end: ExecutionEnd): Promise<boolean>;
  getExecution(namespace: string, id: string): Promise<StoredExecution | undefined>;
  getExecutions(namespace: string, ids: readonly string[]): Promise<(StoredExecution | undefined)[]>;
  listExecutions(namespace: string, query: ExecutionQuery): Promise<StoredExecution[]>;
  /**
   * The sizes of the records `listExecutions` or `getExecutions` would return (in their order, each
   * record once), without reading their texts: for answers bounded in size.
   */
  executionSizes(namespace: string, selection: { query: ExecutionQuery } | { ids: readonly string[] }): Promise<ExecutionSize[]>;
  /** Pending non-blocking executions in creation order: the queue to resume after a start. */
  listQueued(): Promise<QueuedExecution[]>;
  /** Fails what a previous process left running, and blocking runs whose caller is gone. Returns their final records. */
  failInterrupted(end: ExecutionEnd): Promise<StoredExecution[]>;
  /**
   * Deletes at most `limit` ended executions (completed, failed or cancelled) whose `finished` is
   * before `before` (ISO 8601), oldest first; never a pending or running one. Returns how many.
   */
  deleteEndedBefore(before: string, limit: number): Promise<number>;

  /** The namespace's idempotency key, unless it was created before `expiredBefore` (ISO 8601): it has expired then. */
  findIdempotencyKey(namespace: string, key: string, expiredBefore: string): Promise<StoredIdempotencyKey | undefined>;
  /** Deletes at most `limit` idempotency keys created before `before` (ISO 8601), oldest first. Returns how many. */
  deleteIdempotencyKeysBefore(before: string, limit: number): Promise<number>;

  /**
   * Counts one more delivery attempt of the pending callback of an ended execution, then returns its
   * record as it stands (this attempt counted); undefined when the execution has not ended, has no
   * pending callback, or is gone. Counted before it is sent, so that a crash cannot make the
   * attempts unbounded.
   */
  beginCallbackAttempt(id: string): Promise<StoredExecution | undefined>;
  /** Records what the last attempt of a pending callback came to. */
  settleCallback(id: string, settlement: CallbackSettlement): Promise<void>;
  /** Ended executions whose callback is still pending, oldest first: the deliveries to resume at a start. */
  listOwedCallbacks(): Promise<OwedCallback[]>;

  close(): Promise<void>;
}
