/**
 * Every error the HTTP API can answer with, declared once: a stable code, its HTTP status and a plain
 * message, and for a refusal that a later retry may get past, the `Retry-After` it answers with
 * (seconds). Codes are part of the wire contract: extend the list, never rename an entry.
 */
export const errorCodes = {
  UNAUTHENTICATED: { status: 401, message: 'Send a valid token in the Authorization header: "Token <token>" or "Bearer <token>".' },
  FORBIDDEN: { status: 403, message: 'This token may not do that; use an admin token.' },
  NOT_FOUND: { status: 404, message: 'No such route; see the API reference in the README.' },
  FUNCTION_NOT_FOUND: { status: 404, message: 'No function by that name in this namespace.' },
  EXECUTION_NOT_FOUND: { status: 404, message: 'No execution with that id in this namespace.' },
  TOKEN_NOT_FOUND: { status: 404, message: 'No token with that id.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This route does not answer that method.' },
  FUNCTION_EXISTS: { status: 409, message: 'A function by that name already exists; update it with PATCH or choose another name.' },
  EXECUTION_ENDED: { status: 409, message: 'The execution has already ended and cannot be cancelled.' },
  LAST_ADMIN_TOKEN: { status: 409, message: 'The last admin token cannot be revoked; create another admin token first.' },
  INVALID_REQUEST: { status: 400, message: 'The request is malformed.' },
  INVALID_NAME: { status: 400, message: 'The function name is not valid.' },
  INVALID_CODE: { status: 400, message: 'The function code is not valid Python.' },
  INVALID_MAIN: { status: 400, message: 'The code must define a top-level `def main(args, context)`.' },
  INVALID_CONTEXT: { status: 400, message: 'The context is not valid.' },
  INVALID_IDEMPOTENCY_KEY: {
    status: 400,
    message: 'Send the Idempotency-Key header once, as 1 to 255 printable ASCII characters, on a non-blocking run or a bulk only.',
  },
  CALLBACK_URL_INVALID: { status: 400, message: 'X-Callback-Url must be one absolute http:// or https:// URL without credentials, on a non-blocking run.' },
  CALLBACK_URL_FORBIDDEN: { status: 403, message: 'The server does not send callbacks to that host; it must be public or listed in FAASPOT_CALLBACK_ALLOWLIST.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as JSON (Content-Type: application/json).' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than the server accepts.' },
  RESPONSE_TOO_LARGE: {
    status: 422,
    message: 'The execution records asked for are larger together than the server answers at once (FAASPOT_MAX_RESPONSE); ask for fewer ids per request.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'The Idempotency-Key was first sent with a different request; send a new request with a new key.',
  },
  // The queue drains continuously: an early retry costs the server little (nothing is stored).
  QUEUE_FULL: { status: 429, message: 'Too many executions are waiting; retry after the time in the Retry-After header.', retryAfterSeconds: 1 },
  // A restart takes the grace period plus a second or two of boot; a load balancer may retry elsewhere at once.
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; retry after the time in the Retry-After header.', retryAfterSeconds: 5 },
  // Readiness comes back within a second or two of a start; a stopping server does not come back.
  NOT_READY: { status: 503, message: 'The server is not ready to run functions: it is warming up or stopping.', retryAfterSeconds: 1 },
  FUNCTION_FAILED: { status: 502, message: 'The function raised an exception or returned a value that is not JSON.' },
  FUNCTION_TIMEOUT: { status: 504, message: 'The function did not finish within its timeout.' },
  INTERNAL: { status: 500, message: 'Internal server error.' },
} as const satisfies Record<string, { status: number; message: string; retryAfterSeconds?: number }>;

export type ErrorCode = keyof typeof errorCodes;

/**
 * An error to answer a request with. `details` become extra top-level fields of the JSON body
 * (for example `execution` or `line`). 5xx other than function outcomes never expose internals.
 */
export class ApiError extends Error {
  readonly status: number;
  /** Headers of the answer: those given, plus `Retry-After` for a code that declares one. */
  readonly headers: Record<string, string> | undefined;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(message ?? errorCodes[code].message);
    this.name = 'ApiError';
    const entry: { status: number; retryAfterSeconds?: number } = errorCodes[code];
    this.status = entry.status;
    this.headers = entry.retryAfterSeconds === undefined ? headers : { 'Retry-After': String(entry.retryAfterSeconds), ...headers };
  }
}
