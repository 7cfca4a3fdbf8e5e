import type { Generated } from 'kysely';

/** Tables as Kysely sees them. Timestamps are ISO 8601 UTC text with milliseconds. */
export interface Database {
  tokens: TokensTable;
  functions: FunctionsTable;
  executions: ExecutionsTable;
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
}

export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
