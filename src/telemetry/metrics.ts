import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isEngineErrorType } from '../engine/error-types.js';
import type { EndFacts, ExecutorStatus } from '../engine/executor.js';
import type { StoredExecution } from '../store/store.js';

/** What the HTTP layer tells the metrics: the requests it answered and the functions it removed. */
export interface HttpMetrics {
  /** `route` is the matched route's template (`/v1/functions/:name`), never the raw path. */
  requestEnded(method: string, route: string, status: number): void;
  /**
   * A function was deleted, or renamed away from `name`: the series under its name go, so that
   * functions made and deleted do not add series for the life of the process.
   */
  functionRemoved(namespace: string, name: string): void;
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

/**
 * Each function of a namespace is a `function` label value; past this many at once in a namespace
 * (deleted and renamed ones no longer count), more are counted together as {@link OTHER_FUNCTION}.
 */
export const MAX_FUNCTIONS_PER_NAMESPACE = 1000;
/** The `function` label of functions past the cap: no function can be named so (a name starts with a letter or digit). */
export const OTHER_FUNCTION = '_other';

/** What a `function` label value of a namespace has in the registry, so that it can be removed. */
interface FunctionSeries {
  /** The function's own exception class names, bounded by MAX_ERROR_TYPES_PER_FUNCTION. */
  errorTypes: Set<string>;
  /** `status\0error_type` of each faaspot_executions_total series. */
  executions: Set<string>;
  /** Whether it has faaspot_execution_duration_seconds series. */
  duration: boolean;
}

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
  /** Per namespace, the series of each `function` label value (at most MAX_FUNCTIONS_PER_NAMESPACE names, and OTHER_FUNCTION). */
  readonly #functions = new Map<string, Map<string, FunctionSeries>>();

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

  functionRemoved(namespace: string, name: string): void {
    const functions = this.#functions.get(namespace);
    const series = functions?.get(name);
    if (!functions || !series) return;
    for (const key of series.executions) {
      const [status = '', errorType = ''] = key.split('\0');
      this.#executions.remove({ namespace, function: name, status, error_type: errorType });
    }
    if (series.duration) this.#duration.remove({ namespace, function: name });
    functions.delete(name);
    if (functions.size === 0) this.#functions.delete(namespace);
  }

  /** An end listener of the engine (bound, so it can be passed as it is). */
  readonly executionEnded = (record: StoredExecution, _facts: EndFacts): void => {
    const namespace = record.namespace;
    const { label, series } = this.#seriesOf(namespace, record.functionName);
    const errorType = this.#errorType(series, record.error?.type);
    series.executions.add(`${record.status}\0${errorType}`);
    this.#executions.inc({ namespace, function: label, status: record.status, error_type: errorType });
    if (record.durationMs !== null) {
      series.duration = true;
      this.#duration.observe({ namespace, function: label }, record.durationMs / 1000);
    }
    // A run queued before a restart waited from its creation, the time the server was stopped included.
    if (record.started !== null) {
      const waited = Date.parse(record.started) - Date.parse(record.created);
      if (waited >= 0) this.#queueWait.observe({ namespace, blocking: record.blocking ? 'true' : 'false' }, waited / 1000);
    }
  };

  /** The `function` label of `fn` in `namespace`, its own name unless the namespace has reached the cap. */
  #seriesOf(namespace: string, fn: string): { label: string; series: FunctionSeries } {
    let functions = this.#functions.get(namespace);
    if (!functions) this.#functions.set(namespace, (functions = new Map<string, FunctionSeries>()));
    const own = functions.get(fn);
    if (own) return { label: fn, series: own };
    const named = functions.size - (functions.has(OTHER_FUNCTION) ? 1 : 0);
    const label = named < MAX_FUNCTIONS_PER_NAMESPACE ? fn : OTHER_FUNCTION;
    let series = functions.get(label);
    if (!series) functions.set(label, (series = { errorTypes: new Set(), executions: new Set(), duration: false }));
    return { label, series };
  }

  #errorType(series: FunctionSeries, type: string | undefined): string {
    if (type === undefined) return '';
    // The engine's own types always keep their name; a function's are bounded per function.
    if (isEngineErrorType(type)) return type;
    const seen = series.errorTypes;
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
