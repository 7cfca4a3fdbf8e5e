import type { Generated } from 'kysely';

/** Tables as Kysely sees them. Timestamps are ISO 8601 UTC text with milliseconds. */
export interface Database {
  tokens: TokensTable;
  functions: FunctionsTable;
  executions: ExecutionsTable;
  idempotency_keys: IdempotencyKeysTable;
}

export interface TokensTable {
  id: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  token_hash: string;
  namespace: string;
  admin: number;
  created: string;
}

export interface FunctionsTable {
  id: string;
  namespace: string;
  name: string;
  version: number;
  code: string;
  /** The parsed context as a JSON object text. */
  context: string;
  timeout_seconds: number;
  memory_mib: number;
  created: string;
  updated: string;
}

export interface ExecutionsTable {
  /** Creation order: the queue order and the listing cursor. */
  seq: Generated<number>;
  id: string;
  namespace: string;
  function_id: string;
  function_name: string;
  function_version: number | null;
  status: ExecutionStatus;
  /** 1 when a caller waits on the HTTP request (never re-run after a restart). */
  blocking: number;
  args: string;
  output: string | null;
  error: string | null;
  logs: string;
  logs_truncated: number;
  created: string;
  started: string | null;
  finished: string | null;
  duration_ms: number | null;
  /** Where the final record is POSTed when the execution ends; null for no callback. */
  callback_url: string | null;
  /** Null without a callback; `pending` until delivered or given up. */
  callback_state: CallbackState | null;
  /** Delivery attempts begun, counted before each is sent. */
  callback_attempts: Generated<number>;
  /** How the last attempt failed; null before any, and once delivered. */
  callback_last_error: string | null;
  /** When the next attempt is due (ISO 8601); null when it is due as soon as the execution has ended. */
  callback_next_attempt: string | null;
}

/** `pending`: not delivered yet; `delivered`: a 2xx answer came; `failed`: no more attempts will be made. */
export type CallbackState = 'pending' | 'delivered' | 'failed';

/** An `Idempotency-Key` of a non-blocking run or a bulk, with the executions it produced. */
export interface IdempotencyKeysTable {
  /** Identifies a row to the expiry sweep's batches. */
  seq: Generated<number>;
  /** The key is the namespace's: the same key in two namespaces is two keys. */
  namespace: string;
  key: string;
  /** SHA-256 (hex) of what the request asked for: the kind of run, the function name, the callback URL and the arguments. */
  fingerprint: string;
  /** `rpc` or `bulk_rpc`, and the function's name as the request gave it: for the message of a reuse. */
  route: string;
  function_name: string;
  /** The ids of the executions, in order, as a JSON array. */
  execution_ids: string;
  /** When the key was first sent; it expires `FAASPOT_IDEMPOTENCY_TTL` later. */
  created: string;
}

export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
