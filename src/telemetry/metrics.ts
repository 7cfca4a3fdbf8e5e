import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isEngineErrorType } from '../engine/error-types.js';
import type { EndFacts, ExecutorStatus } from '../engine/executor.js';
import type { StoredExecution } from '../store/store.js';

/** What the HTTP layer counts: one call per answered request. */
export interface HttpMetrics {
  /** `route` is the matched route's template (`/v1/functions/:name`), never the raw path. */
  requestEnded(method: string, route: string, status: number): void;
}

/** Where the gauges read the engine's counts from, at each scrape. */
export interface StatusSource {
  status(): ExecutorStatus;
}

/**
 * A function chooses its exception class names, so each name would be a series: the first this
 * many of a function keep their name, later ones are counted as `other`.
 */
export const MAX_ERROR_TYPES_PER_FUNCTION = 10;
const MAX_ERROR_TYPE_LENGTH = 100;

/** From half a millisecond (a warm trivial run) to the longest timeout. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 900];
/** Creation and start times are kept to the millisecond, so the first bucket is 1 ms. */
const QUEUE_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 3600];

/**
 * The process's own metrics (CPU, memory, event-loop delay, garbage collection), once per process:
 * prom-client's collectors stay installed for good, and every server of the process shares them.
 */
let processRegistry: Registry | undefined;

/**
 * The server's Prometheus metrics, in a registry of its own (several servers may share a process).
 * Requests and executions are counted as they end; the gauges and the engine's own counters (cold
 * starts, worker restarts) are read from the {@link StatusSource} when scraped, at no cost between.
 */
export class Metrics implements HttpMetrics {
  readonly #registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #executions: Counter<'namespace' | 'function' | 'status' | 'error_type'>;
  readonly #duration: Histogram<'namespace' | 'function'>;
  readonly #queueWait: Histogram<'namespace' | 'blocking'>;
  readonly #source: StatusSource;
  /** Read from the source at each scrape. */
  readonly #status: Record<'queued' | 'running' | 'workers' | 'pristine' | 'warm' | 'draining', Gauge> & Record<'coldStarts' | 'workerRestarts', Counter>;
  /** The engine's own counts at the last scrape, which its counters have reached. */
  #counted = { coldStarts: 0, workerRestarts: 0 };
  /** Error types seen per function (`namespace\0function`), bounded by MAX_ERROR_TYPES_PER_FUNCTION. */
  readonly #errorTypes = new Map<string, Set<string>>();

  constructor(source: StatusSource) {
    processRegistry ??= defaultMetricsRegistry();
    const registers = [this.#registry];
    this.#requests = new Counter({
      name: 'faaspot_http_requests_total',
      help: 'HTTP requests answered, by method, route template (unmatched: no route took the request) and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.#executions = new Counter({
      name: 'faaspot_executions_total',
      help: 'Executions ended, by namespace, function, final status and error type (empty when completed)',
      labelNames: ['namespace', 'function', 'status', 'error_type'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'faaspot_execution_duration_seconds',
      help: "Time main ran, of executions that ran, by namespace and function (the record's duration_ms)",
      labelNames: ['namespace', 'function'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#queueWait = new Histogram({
      name: 'faaspot_execution_queue_wait_seconds',
      help: 'Time from creation to start, of executions that started, by namespace and whether a caller was waiting (blocking)',
      labelNames: ['namespace', 'blocking'],
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });

    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.#status = {
      queued: gauge('faaspot_queue_depth', 'Runs waiting for a worker, blocking and non-blocking'),
      running: gauge('faaspot_executions_running', 'Executions running, including those whose end is being recorded'),
      workers: gauge('faaspot_workers', 'Worker threads that run functions'),
      pristine: gauge('faaspot_interpreters_pristine', "Workers holding a pristine interpreter, ready for a function's first run"),
      warm: gauge('faaspot_interpreters_warm', 'Warm interpreters: function versions loaded, across all workers'),
      draining: gauge('faaspot_draining', '1 while the server is stopping and refuses runs, else 0'),
      coldStarts: counter('faaspot_cold_starts_total', 'Runs that had to load their function into a pristine interpreter first'),
      workerRestarts: counter('faaspot_worker_restarts_total', 'Worker threads ended (a run ignored its timeout or cancel) or died, and replaced'),
    };
    this.#source = source;
  }

  /** The `Content-Type` of {@link text}. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Every metric in the Prometheus text format: the server's, then the process's. */
  async text(): Promise<string> {
    this.#readStatus();
    const own = await this.#registry.metrics();
    return processRegistry ? own + (await processRegistry.metrics()) : own;
  }

  #readStatus(): void {
    const now = this.#source.status();
    const gauges = this.#status;
    gauges.queued.set(now.queued);
    gauges.running.set(now.running);
    gauges.workers.set(now.workers);
    gauges.pristine.set(now.pristine);
    gauges.warm.set(now.warmFunctions);
    gauges.draining.set(now.draining ? 1 : 0);
    for (const key of ['coldStarts', 'workerRestarts'] as const) {
      if (now[key] > this.#counted[key]) gauges[key].inc(now[key] - this.#counted[key]);
      this.#counted[key] = Math.max(this.#counted[key], now[key]);
    }
  }

  requestEnded(method: string, route: string, status: number): void {
    this.#requests.inc({ method, route, status });
  }

  /** An end listener of the engine (bound, so it can be passed as it is). */
  readonly executionEnded = (record: StoredExecution, _facts: EndFacts): void => {
    const namespace = record.namespace;
    const fn = record.functionName;
    this.#executions.inc({ namespace, function: fn, status: record.status, error_type: this.#errorType(namespace, fn, record.error?.type) });
    if (record.durationMs !== null) this.#duration.observe({ namespace, function: fn }, record.durationMs / 1000);
    // A run queued before a restart waited from its creation, the time the server was stopped included.
    if (record.started !== null) {
      const waited = Date.parse(record.started) - Date.parse(record.created);
      if (waited >= 0) this.#queueWait.observe({ namespace, blocking: record.blocking ? 'true' : 'false' }, waited / 1000);
    }
  };

  #errorType(namespace: string, fn: string, type: string | undefined): string {
    if (type === undefined) return '';
    // The engine's own types always keep their name; a function's are bounded per function.
    if (isEngineErrorType(type)) return type;
    const key = `${namespace}\0${fn}`;
    let seen = this.#errorTypes.get(key);
    if (!seen) this.#errorTypes.set(key, (seen = new Set()));
    if (seen.has(type)) return type;
    if (seen.size >= MAX_ERROR_TYPES_PER_FUNCTION || type.length > MAX_ERROR_TYPE_LENGTH) return 'other';
    seen.add(type);
    return type;
  }
}

function defaultMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
