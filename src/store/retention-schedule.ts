import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Store } from './store.js';

/** Settings of a {@link RetentionSchedule}. */
export interface RetentionScheduleConfig {
  /** Ended executions that finished longer ago than this are deleted, ms. @example 7 * 86_400_000 */
  maxAgeMs: number;
  /**
   * What a sweep deletes, one batch at a time: at most `limit` records older than `before` (ISO 8601),
   * resolving with how many. Default: ended executions, by their `finished` time ({@link Store.deleteEndedBefore}).
   *
   * @example (before, limit) => store.deleteIdempotencyKeysBefore(before, limit)
   */
  deleteBatch?: (before: string, limit: number) => Promise<number>;
  /** Time between the end of one sweep and the start of the next, ms. Default 60 000. */
  intervalMs?: number;
  /** Time from {@link RetentionSchedule.start} to the first sweep, ms: after the workers' boot. Default 10 000. */
  firstDelayMs?: number;
  /** Records per DELETE statement. Default 500. */
  batchSize?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Hears a sweep that failed; the schedule goes on and the next sweep tries again. */
  onError?: (error: unknown) => void;
}

/**
 * Deletes ended execution records older than the retention age, on a schedule (or, with
 * `deleteBatch`, other records past their age, such as expired idempotency keys). A sweep deletes in
 * small batches and yields to the event loop between them, so that requests are served meanwhile
 * however large the backlog.
 */
export class RetentionSchedule {
  readonly #config: Required<RetentionScheduleConfig>;
  #timer: NodeJS.Timeout | undefined;
  /** The sweep under way, if any; sweeps never overlap. */
  #sweeping: Promise<number> = Promise.resolve(0);
  #stopped = false;

  constructor(store: Store, config: RetentionScheduleConfig) {
    this.#config = Object.freeze({
      intervalMs: 60_000,
      firstDelayMs: 10_000,
      batchSize: 500,
      now: Date.now,
      onError: () => {},
      deleteBatch: (before: string, limit: number) => store.deleteEndedBefore(before, limit),
      ...config,
    });
  }

  /** Schedules the first sweep; each later one follows the end of the previous by the interval. */
  start(): void {
    this.#schedule(this.#config.firstDelayMs);
  }

  /**
   * Sweeps now (after a sweep under way, if any) and resolves with how many records it deleted.
   * Records that finished before now minus the retention age are due; they go oldest first.
   */
  sweep(): Promise<number> {
    const sweep = this.#sweeping.then(
      () => this.#sweepOnce(),
      () => this.#sweepOnce(),
    );
    this.#sweeping = sweep;
    return sweep;
  }

  /** Cancels the schedule and waits for a sweep under way, which stops at its next batch. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweeping.catch(() => {});
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sweep()
        .catch((error: unknown) => this.#config.onError(error))
        .finally(() => this.#schedule(this.#config.intervalMs));
    }, delayMs);
    this.#timer.unref();
  }

  async #sweepOnce(): Promise<number> {
    const { batchSize, maxAgeMs, now, deleteBatch } = this.#config;
    const before = new Date(now() - maxAgeMs).toISOString();
    let deleted = 0;
    while (!this.#stopped) {
      const count = await deleteBatch(before, batchSize);
      deleted += count;
      if (count < batchSize) break;
      await nextTurn();
    }
    return deleted;
  }
}
