import type { CallbackKeys } from '../auth/callback-keys.js';
import type { Config } from '../config.js';
import type { Executor } from '../engine/executor.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/logger.js';
import type { HttpMetrics } from '../telemetry/metrics.js';
import type { Caller } from './middleware/authenticate.js';

/** What the routes are built from: interfaces only, so a test can swap any of them. */
export interface ApiDeps {
  config: Config;
  store: Store;
  executor: Executor;
  /** The server's log: a line per request. */
  logger: Logger;
  /** Counts requests by route and status. */
  metrics: HttpMetrics;
  /** The keys that sign completion callbacks, one per namespace; each token may read its own namespace's. */
  callbackKeys: Pick<CallbackKeys, 'keyFor' | 'source'>;
}

export interface ApiState {
  /** Set by authentication, on /v1 routes. */
  caller: Caller;
  /** The request's id, also in the `X-Request-Id` answer header. */
  requestId: string;
  /** The execution a non-blocking run started, for its request's log line (a blocking run's is in `X-Execution-Id`). */
  executionId?: string;
}
