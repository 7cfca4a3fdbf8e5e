import type { Cleanup } from './cleanup.js';
import type { HttpClient } from './http-client.js';

/** The run's settings, after `--quick` and the explicit options are applied. */
export interface BenchOptions {
  quick: boolean;
  /** Worker threads of every server the benchmark starts. */
  workers: number;
  /** Measured requests per latency series. */
  requests: number;
  /** Seconds per throughput series. */
  seconds: number;
  /** Samples of a new function's first run (and of the python3 baseline). */
  samples: number;
  /** Items in the bulk_rpc. */
  bulk: number;
  /** New warm interpreters in the memory scenario. */
  interpreters: number;
  /** Distinct functions in the warm-set scenario. */
  functions: number;
  /** Fresh `node` processes that each time one plain loadPyodide(). */
  probes: number;
}

/**
 * What every scenario gets: the options, the one HTTP client, the run's clean-up, and figures or
 * servers that several scenarios share, made once on first use.
 */
export class BenchContext {
  readonly options: BenchOptions;
  readonly client: HttpClient;
  /** Run at the very end; a scenario's own servers go in a {@link Cleanup.scoped} child instead. */
  readonly cleanup: Cleanup;
  /** Admin token of every server the benchmark starts (FAASPOT_ADMIN_TOKEN needs 16 characters). */
  readonly adminToken = 'bench-admin-token-0123456789';
  readonly #shared = new Map<string, Promise<unknown>>();

  constructor(options: BenchOptions, client: HttpClient, cleanup: Cleanup) {
    this.options = Object.freeze({ ...options });
    this.client = client;
    this.cleanup = cleanup;
  }

  /**
   * The value of `make`, made on the first call with `key` and shared by later ones (a failure too).
   * Each key belongs to one module, which also fixes its type.
   */
  shared<T>(key: string, make: () => Promise<T>): Promise<T> {
    let value = this.#shared.get(key);
    if (!value) {
      value = make();
      this.#shared.set(key, value);
    }
    return value as Promise<T>;
  }

  /** A progress line on stderr, so that stdout holds only the table or the JSON. */
  log(message: string): void {
    console.error(`bench: ${message}`);
  }
}
