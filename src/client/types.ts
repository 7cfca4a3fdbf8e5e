/**
 * The records of the FaaSpot HTTP API as the client sees them (see the README's API reference).
 * These are plain data: what the server answers, parsed from JSON.
 */

/** Where an execution is: `pending` and `running` are live; the other three are final. */
export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The statuses an execution never leaves. */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled'];

/** Whether `status` is final: `completed`, `failed` or `cancelled`. */
export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A function as the API shows it. `code` is present on `get`, `create` and `update`, not on `list`. */
export interface FunctionInfo {
  name: string;
  /** Grows by one on each update. */
  version: number;
  /** The Python source; absent from list entries. */
  code?: string;
  /** The keys of the function's context; its values are never shown. */
  context_keys: string[];
  /** Seconds. */
  timeout: number;
  /** MiB. */
  memory: number;
  /** ISO 8601 timestamps. */
  created: string;
  updated: string;
}

/** What `functions.delete` answers: the deleted function and how many pending executions it cancelled. */
export interface DeletedFunction extends FunctionInfo {
  deleted: true;
  cancelled_executions: number;
}

/** `error` of an execution record: the Python exception's class name, or a FaaSpot outcome such as `Timeout`. */
export interface ExecutionErrorInfo {
  type: string;
  message: string;
  traceback: string | null;
}

/** An execution record: one run of a function, its arguments, outcome, captured logs and timings. */
export interface ExecutionRecord {
  uuid: string;
  /** The function's name. */
  name: string;
  /** The function version that ran, `null` until it starts. */
  function_version: number | null;
  status: ExecutionStatus;
  args: Record<string, unknown>;
  /** main's return value; `null` unless `completed`. */
  output: unknown;
  error: ExecutionErrorInfo | null;
  logs: string;
  logs_truncated: boolean;
  created: string;
  started: string | null;
  finished: string | null;
  /** How long `main` itself took, `null` until it ends. */
  duration_ms: number | null;
  /** The completion callback of a run with a `callbackUrl`; `null` without one. */
  callback: ExecutionCallbackInfo | null;
}

/** Where an execution's final record is POSTed, and how the delivery stands. */
export interface ExecutionCallbackInfo {
  url: string;
  /** `pending` until a receiver answered 2xx (`delivered`) or no more attempts will be made (`failed`). */
  state: 'pending' | 'delivered' | 'failed';
  /** Delivery attempts begun. */
  attempts: number;
  /** How the last attempt failed, such as `HTTP 500: …`; `null` before any and once delivered. */
  last_error: string | null;
  /** When the next retry is due; `null` when none is scheduled. */
  next_attempt: string | null;
}

/** An API token as listed (never its secret). */
export interface TokenInfo {
  id: string;
  namespace: string;
  admin: boolean;
  created: string;
}

/**
 * The key that signs a namespace's completion callbacks: a receiver checks `X-Faaspot-Signature`,
 * `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with `secret`'s UTF-8 bytes.
 */
export interface CallbackKeyInfo {
  /** The namespace whose callbacks it signs: the token's. */
  namespace: string;
  /** The key, 64 hex digits. */
  secret: string;
}

/** A token just created: the only time its secret, `token`, is shown. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

/** The context of a function: the context file's text (`KEY = VALUE` lines), or an object of scalars. */
export type FunctionContext = string | Record<string, string | number | boolean | null>;

/** Arguments of a run: a JSON object, given to `main` as `args`. */
export type RunArgs = Record<string, unknown>;

/** Options of a run that does not wait (`functions.run` without `wait`) and of `functions.runBulk`. */
export interface StartOptions {
  /**
   * Makes the request safe to send again: 1 to 255 printable ASCII characters chosen for this request
   * (a random UUID) and sent unchanged with every retry of it. Within the server's
   * `FAASPOT_IDEMPOTENCY_TTL` (24 hours by default), the same request with the key returns the ids of
   * the first one and runs nothing again; the key with another request is an IDEMPOTENCY_KEY_REUSED
   * FaaspotError.
   *
   * @example
   * const idempotencyKey = randomUUID();
   * const ids = await faaspot.functions.runBulk('hello', items, { idempotencyKey }); // retry with the same key
   */
  idempotencyKey?: string;
  /**
   * Where the server POSTs each execution's final record once it ends, signed with
   * `X-Faaspot-Signature` (an absolute http(s) URL the server allows; sent as `X-Callback-Url`). It is
   * part of the request an `idempotencyKey` stands for: a retry must send the same URL.
   *
   * @example { callbackUrl: 'https://hooks.example.com/faaspot' }
   */
  callbackUrl?: string;
}

export interface CreateFunctionOptions {
  /** The Python source, defining `main(args, context)`. */
  code: string;
  context?: FunctionContext;
  /** Seconds (the server's default when absent). */
  timeout?: number;
  /** MiB (the server's default when absent). */
  memory?: number;
}

export interface UpdateFunctionOptions {
  code?: string;
  context?: FunctionContext;
  /** Renames the function. */
  newName?: string;
  timeout?: number;
  memory?: number;
}

export interface ListExecutionsOptions {
  /** Include ended executions (by default only pending and running ones are listed). */
  includeCompleted?: boolean;
  /** Only the executions of this function. */
  function?: string;
  /** Only executions in these statuses (overrides `includeCompleted`). */
  status?: ExecutionStatus | readonly ExecutionStatus[];
  /** Page size, 1 to 1000 (server default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of executions, newest first; `nextCursor` is set when the page is full. */
export interface ExecutionPage {
  executions: ExecutionRecord[];
  nextCursor: string | null;
}
