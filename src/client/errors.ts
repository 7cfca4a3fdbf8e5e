// Types only: the client must not load server modules at run time.
import type { ErrorCode } from '../errors.js';
import type { ExecutionRecord } from './types.js';

/** The server's error codes (`src/errors.ts`), every one of them; see the README's error table. */
export type ServerErrorCode = ErrorCode;

/**
 * Errors the client raises itself, without an answer from the server:
 * - `CONNECTION_ERROR`: the server could not be reached (refused, DNS, reset, aborted);
 * - `UNEXPECTED_RESPONSE`: an answer that is not FaaSpot's (a proxy's HTML page, a code this client does not know);
 * - `WAIT_TIMEOUT`: `executions.wait` gave up after its `timeoutMs`;
 * - `CONFIG_ERROR`: no URL or token could be found, or the profile file is unreadable.
 */
export type ClientErrorCode = 'CONNECTION_ERROR' | 'UNEXPECTED_RESPONSE' | 'WAIT_TIMEOUT' | 'CONFIG_ERROR';

export type FaaspotErrorCode = ServerErrorCode | ClientErrorCode;

const SERVER_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'FUNCTION_NOT_FOUND',
  'EXECUTION_NOT_FOUND',
  'TOKEN_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'FUNCTION_EXISTS',
  'EXECUTION_ENDED',
  'LAST_ADMIN_TOKEN',
  'INVALID_REQUEST',
  'INVALID_NAME',
  'INVALID_CODE',
  'INVALID_MAIN',
  'INVALID_CONTEXT',
  'INVALID_IDEMPOTENCY_KEY',
  'CALLBACK_URL_INVALID',
  'CALLBACK_URL_FORBIDDEN',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'RESPONSE_TOO_LARGE',
  'IDEMPOTENCY_KEY_REUSED',
  'QUEUE_FULL',
  'SHUTTING_DOWN',
  'NOT_READY',
  'FUNCTION_FAILED',
  'FUNCTION_TIMEOUT',
  'INTERNAL',
] as const satisfies readonly ServerErrorCode[];

// Fails to compile when the server gains a code that the list above lacks.
type MissingServerCodes = Exclude<ServerErrorCode, (typeof SERVER_CODES)[number]>;
const allServerCodesListed: [MissingServerCodes] extends [never] ? true : MissingServerCodes = true;
void allServerCodesListed;

const SERVER_CODE_SET: ReadonlySet<string> = new Set(SERVER_CODES);

/** Whether `code` is one of the server's error codes. */
export function isServerErrorCode(code: unknown): code is ServerErrorCode {
  return typeof code === 'string' && SERVER_CODE_SET.has(code);
}

/**
 * Every failure of a client call. `code` is the server's stable error code (`FUNCTION_NOT_FOUND`,
 * `INVALID_CODE`, ...) or one of the client's own ({@link ClientErrorCode}); `status` is the HTTP
 * status, `null` when no answer came; `details` holds the extra fields of the error body (`line` and
 * `column` of a code error, `index` of a bad bulk item, ...); `execution` is the execution record
 * when the error concerns one (a failed blocking run, a cancel of an ended execution).
 *
 * @example
 * try {
 *   await client.functions.get('nope');
 * } catch (error) {
 *   if (FaaspotError.is(error, 'FUNCTION_NOT_FOUND')) console.log('no such function');
 *   else throw error;
 * }
 */
export class FaaspotError extends Error {
  readonly code: FaaspotErrorCode;
  readonly status: number | null;
  readonly details: Record<string, unknown>;
  readonly execution: ExecutionRecord | undefined;

  constructor(
    code: FaaspotErrorCode,
    message: string,
    options: { status?: number | null; details?: Record<string, unknown>; execution?: ExecutionRecord; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaaspotError';
    this.code = code;
    this.status = options.status ?? null;
    this.details = options.details ?? {};
    this.execution = options.execution;
  }

  /**
   * Whether `error` is a FaaspotError, of one of `codes` when any are given.
   *
   * @example if (FaaspotError.is(error, 'FUNCTION_FAILED', 'FUNCTION_TIMEOUT')) console.log(error.execution?.error);
   */
  static is(error: unknown, ...codes: FaaspotErrorCode[]): error is FaaspotError {
    return error instanceof FaaspotError && (codes.length === 0 || codes.includes(error.code));
  }
}

/**
 * A blocking run that did not return a value: `FUNCTION_FAILED` (main raised, returned something JSON
 * cannot represent, or was cancelled) or `FUNCTION_TIMEOUT`. `execution` always holds the record, with
 * the error's type, message and traceback, and the logs.
 *
 * @example
 * try {
 *   await client.functions.run('divide', { by: 0 }, { wait: true });
 * } catch (error) {
 *   if (error instanceof FunctionRunError) console.error(error.execution.error?.traceback);
 * }
 */
export class FunctionRunError extends FaaspotError {
  declare readonly code: 'FUNCTION_FAILED' | 'FUNCTION_TIMEOUT';
  declare readonly execution: ExecutionRecord;

  constructor(
    code: 'FUNCTION_FAILED' | 'FUNCTION_TIMEOUT',
    message: string,
    options: { status: number | null; details: Record<string, unknown>; execution: ExecutionRecord },
  ) {
    super(code, message, options);
    this.name = 'FunctionRunError';
  }
}

/** Builds the error for an HTTP answer that is not a success, from the server's `{code, message, ...}` body. */
export function errorFromResponse(status: number, bodyText: string, what: string): FaaspotError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const excerpt = bodyText.length > 200 ? `${bodyText.slice(0, 200)}…` : bodyText;
    return new FaaspotError('UNEXPECTED_RESPONSE', `${what} answered HTTP ${status} without a FaaSpot error body: ${JSON.stringify(excerpt)}`, {
      status,
    });
  }
  const { code, message, execution, ...details } = body as Record<string, unknown>;
  const text = typeof message === 'string' ? message : `HTTP ${status}`;
  const record = isExecutionRecord(execution) ? execution : undefined;
  if (!isServerErrorCode(code)) {
    return new FaaspotError('UNEXPECTED_RESPONSE', `${typeof code === 'string' ? `${code}: ` : ''}${text}`, {
      status,
      details: { ...details, ...(code === undefined ? {} : { code }) },
      ...(record && { execution: record }),
    });
  }
  if ((code === 'FUNCTION_FAILED' || code === 'FUNCTION_TIMEOUT') && record) {
    return new FunctionRunError(code, text, { status, details, execution: record });
  }
  return new FaaspotError(code, text, { status, details, ...(record && { execution: record }) });
}

function isExecutionRecord(value: unknown): value is ExecutionRecord {
  return value !== null && typeof value === 'object' && typeof (value as { uuid?: unknown }).uuid === 'string';
}
