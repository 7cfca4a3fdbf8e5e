import type { ExecutionCallback, StoredExecution, StoredFunction, StoredToken } from '../store/store.js';

/** A function as the API shows it; the list omits `code`, and context values are never shown. */
export function wireFunction(fn: StoredFunction, withCode = true): Record<string, unknown> {
  return {
    name: fn.name,
    version: fn.version,
    ...(withCode && { code: fn.code }),
    context_keys: Object.keys(JSON.parse(fn.context) as Record<string, unknown>),
    timeout: fn.timeoutSeconds,
    memory: fn.memoryMib,
    created: fn.created,
    updated: fn.updated,
  };
}

/** The execution record of the wire protocol. */
export function wireExecution(e: StoredExecution): Record<string, unknown> {
  return {
    uuid: e.id,
    name: e.functionName,
    function_version: e.functionVersion,
    status: e.status,
    args: JSON.parse(e.args) as unknown,
    output: e.status === 'completed' && e.output !== null ? (JSON.parse(e.output) as unknown) : null,
    error: e.error,
    logs: e.logs,
    logs_truncated: e.logsTruncated,
    created: e.created,
    started: e.started,
    finished: e.finished,
    duration_ms: e.durationMs,
    callback: e.callback && wireCallback(e.callback),
  };
}

/** The `callback` of an execution record: where its end is POSTed, and how the delivery stands. */
export function wireCallback(c: ExecutionCallback): Record<string, unknown> {
  return { url: c.url, state: c.state, attempts: c.attempts, last_error: c.lastError, next_attempt: c.nextAttempt };
}

export function wireToken(t: StoredToken): Record<string, unknown> {
  return { id: t.id, namespace: t.namespace, admin: t.admin, created: t.created };
}
