/**
 * The messages that cross the thread boundary between the engine (main thread) and a worker
 * (runtime/worker.ts). Typed once here and imported by both sides.
 */

import type { MessagePort } from 'node:worker_threads';

/** Data every worker receives at start through Tinypool's `workerData`. */
export interface WorkerData {
  /** One Int32 the engine sets to 2 (SIGINT) to interrupt the Python code running in this worker. */
  interruptBuffer: SharedArrayBuffer;
  /** Warm interpreters of this worker may use this much WebAssembly memory in total, bytes. */
  memoryBudgetBytes: number;
  /** A worker started only to make a snapshot boots no interpreter of its own. */
  snapshotMaker: boolean;
}

/** What a function version needs to be loaded into a fresh interpreter. */
export interface FunctionSource {
  code: string;
  /** The context as a JSON object text. */
  context: string;
  /** File name shown in tracebacks. */
  filename: string;
}

/**
 * The one Tinypool task a worker thread gets: it serves {@link LaneRequest}s on `port` until the
 * port closes or the thread is ended.
 */
export interface ServeTask {
  kind: 'serve';
  port: MessagePort;
  /**
   * What interpreters are restored from: a memory snapshot (shared by every worker, never written)
   * and Pyodide's compiled WebAssembly module. Null: boot each interpreter from nothing. Sent here
   * rather than at the thread's start, so threads start while the image is still being read.
   */
  image: { snapshot: SharedArrayBuffer; module: WebAssembly.Module } | null;
}

/** A task sent on a lane's port; answered by the {@link LaneAnswer} of the same id. */
export interface LaneRequest {
  id: number;
  task: WorkerTask;
}

export type LaneAnswer = { id: number; result: WorkerResult } | { id: number; error: { name: string; message: string } };

export type WorkerTask = WarmTask | RunTask | RetireTask | ValidateTask | SnapshotTask;

/** Make sure a pristine interpreter is ready; answers once it is. */
export interface WarmTask {
  kind: 'warm';
}

/** Run `main` of a function version once. */
export interface RunTask {
  kind: 'run';
  /** Identifies the function version: `<function id>:<version>`. */
  key: string;
  /** Present when the engine does not know the worker to hold `key` warm. */
  source: FunctionSource | undefined;
  /** The arguments as a JSON object text. */
  args: string;
  logCapBytes: number;
  /** A return value whose JSON is larger fails with OutputTooLarge. */
  outputCapBytes: number;
  /** Cap on the interpreter's WebAssembly memory, applied when the version is loaded. */
  memoryLimitBytes: number;
  /** Keys the worker should drop before running (retired versions). */
  retire: string[];
}

/** Drop the interpreters of these keys. */
export interface RetireTask {
  kind: 'retire';
  keys: string[];
}

/** Compile code and check its `main` without running anything. */
export interface ValidateTask {
  kind: 'validate';
  code: string;
  filename: string;
}

/** Boot an interpreter from nothing, load the runtime, answer a memory snapshot of it. */
export interface SnapshotTask {
  kind: 'snapshot';
  /** Pyodide's compiled WebAssembly module, so the maker does not compile its own. */
  module: WebAssembly.Module;
}

export interface SnapshotResult {
  kind: 'snapshot';
  snapshot: Uint8Array;
}

export interface PythonError {
  type: string;
  message: string;
  traceback: string | null;
}

export type WorkerResult = WarmResult | RunResult | ValidateResult | SnapshotResult;

export interface WarmResult {
  kind: 'warm';
  warm: string[];
  pristineReady: boolean;
}

export interface RunResult {
  kind: 'run';
  /** `not-loaded`: the worker does not hold `key` and no source came with the task. */
  outcome: 'completed' | 'failed' | 'not-loaded';
  /** main's return value as JSON text, when completed. */
  output: string | null;
  error: PythonError | null;
  logs: string;
  logsTruncated: boolean;
  /** Time spent in main itself, ms. */
  durationMs: number | null;
  /** Keys this worker holds warm after the run, least recently used first. */
  warm: string[];
  /** Whether a pristine interpreter is ready now (false while its replacement boots). */
  pristineReady: boolean;
}

export type ValidateResult =
  | { kind: 'validate'; ok: true }
  | {
      kind: 'validate';
      ok: false;
      problem: 'syntax' | 'main';
      message: string;
      line: number | null;
      column: number | null;
    };
