/**
 * The error types that the engine, the worker and the runtime give to the outcomes they make: a
 * timeout, a cancel, a crash, a refused memory grow… Only they may use these names. A function's own
 * exception whose class has one of them (or no name at all) is reported qualified by its module,
 * `hello.Timeout` or `__main__.WorkerCrashed`, so that raising `class Timeout(Exception)` cannot pass
 * for a timeout (a 504 FUNCTION_TIMEOUT) or `WorkerCrashed` for a fault of the server.
 *
 * The runtime's Python half receives this list when it is loaded (`_RESERVED_ERROR_TYPES`), and the
 * snapshot key hashes it, so a change makes a new snapshot.
 */
export const ENGINE_ERROR_TYPES = [
  /** main ran past its function's timeout and was stopped. */
  'Timeout',
  /** Cancelled while pending or running, or its function was deleted before it started. */
  'Cancelled',
  /** A blocking run found no worker within `FAASPOT_BLOCKING_WAIT`; status `cancelled`. */
  'QueueTimeout',
  /** A blocking run still waiting for a worker when the server began to stop; status `cancelled`. */
  'ServerShutdown',
  /** The server stopped while it ran (or its caller waited); failed by the next start. */
  'ServerRestarted',
  /** main returned a value JSON cannot represent (or nested too deep). */
  'ResultNotSerializable',
  /** The JSON of main's return value is over `FAASPOT_MAX_OUTPUT`. */
  'OutputTooLarge',
  /** The function used all of its `memory`. */
  'MemoryLimitExceeded',
  /** The function got hold of a JavaScript object and tried to use it. */
  'SandboxViolation',
  /** The function interfered with the runtime's result. */
  'RuntimeTampered',
  /** A fatal interpreter error; the interpreter was replaced. */
  'InterpreterCrashed',
  /** The worker thread died and was replaced. */
  'WorkerCrashed',
  /** The runtime ended a run without saying why: a fault of the server. */
  'InternalError',
  /** The module defines no callable `main` (found when it is loaded to run). */
  'InvalidMain',
] as const;

export type EngineErrorType = (typeof ENGINE_ERROR_TYPES)[number];

const RESERVED: ReadonlySet<string> = new Set(ENGINE_ERROR_TYPES);

/** Whether `type` is one of {@link ENGINE_ERROR_TYPES}, which no function's own exception is reported as. */
export function isEngineErrorType(type: string): type is EngineErrorType {
  return RESERVED.has(type);
}

/** The engine-made types that the runtime's Python half reports itself, for a function's own failing. */
export const RUNTIME_REPORTED_ERROR_TYPES: ReadonlySet<EngineErrorType> = new Set(['ResultNotSerializable', 'OutputTooLarge', 'InvalidMain']);
