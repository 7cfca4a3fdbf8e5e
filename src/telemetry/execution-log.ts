import type { EndFacts, EndListener } from '../engine/executor.js';
import type { StoredExecution } from '../store/store.js';
import type { Logger } from './logger.js';

/** Error types that are the server's fault rather than the function's: logged as warnings. */
export const SERVER_FAULTS: ReadonlySet<string> = new Set(['WorkerCrashed', 'InterpreterCrashed', 'InternalError']);

/**
 * An end listener of the engine that logs one `execution ended` line per ended execution:
 * `execution_id`, `namespace`, `function`, `function_version`, `status`, `error_type`, `duration_ms`
 * (main's run time, absent when it did not run), `blocking` and `cold_start`. Never its arguments,
 * output, logs or error message: those are the function's data, kept in its record.
 */
export function logExecutionEnds(logger: Logger): EndListener {
  return (record: StoredExecution, facts: EndFacts) => {
    const type = record.error?.type;
    const level = type !== undefined && SERVER_FAULTS.has(type) ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        execution_id: record.id,
        namespace: record.namespace,
        function: record.functionName,
        function_version: record.functionVersion ?? undefined,
        status: record.status,
        error_type: type,
        duration_ms: record.durationMs === null ? undefined : Math.round(record.durationMs * 1000) / 1000,
        blocking: record.blocking,
        cold_start: facts.coldStart,
      },
      'execution ended',
    );
  };
}
