import { wireExecution } from '../api/wire.js';
import { packageVersion } from '../package-version.js';
import type { CallbackSettlement, Store, StoredExecution } from '../store/store.js';
import type { AttemptResult } from './callback-sender.js';
import { signCallbackBody } from './callback-signature.js';
import { callbackHost, FairDeliveryQueue, type ReadyDelivery } from './fair-delivery-queue.js';

/** What the dispatcher needs of the store. */
export type CallbackStore = Pick<Store, 'beginCallbackAttempt' | 'settleCallback' | 'listOwedCallbacks'>;

/** What sends one attempt (the {@link CallbackSender}, in the server). Must not throw. */
export interface CallbackTransport {
  send(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<AttemptResult>;
}

/**
 * An attempt that did not deliver, as the dispatcher reports it: which execution, which attempt, the
 * class of the failure, and what comes next. Never the body sent, the secret, the receiver's answer
 * or a host name: the execution's record has the full reason.
 */
export interface CallbackFailure {
  /** The execution whose callback it was. */
  executionId: string;
  /** The attempt's number, from 1. */
  attempt: number;
  /**
   * Why, as a class only (the `cause` of the {@link AttemptResult}): `HTTP 503`, `ECONNREFUSED`,
   * `timeout`, `refused address`, `stopped`…
   */
  reason: string;
  /** `pending`: another attempt follows (at `nextAttempt`, or at the next start when null); `failed`: given up. */
  state: 'pending' | 'failed';
  /** When the next attempt is due; null when given up, or when the server is stopping and the next start resumes it. */
  nextAttempt: string | null;
}

/** Settings of a {@link CallbackDispatcher}. */
export interface CallbackDispatcherConfig {
  store: CallbackStore;
  transport: CallbackTransport;
  /** The key of each namespace, whose UTF-8 bytes key the HMAC of `X-Faaspot-Signature` of its callbacks. */
  keys: { keyFor(namespace: string): string };
  /** Retries after a failed first attempt: at most `retries + 1` attempts in all. @example 10 */
  retries: number;
  /** The wait before the first retry, ms; it doubles for each later one. @example 1000 */
  backoffMs: number;
  /**
   * Attempts in flight at once, all receivers together; when one ends, the next is taken in turn
   * across namespaces, then across the hosts of a namespace (see {@link FairDeliveryQueue}). @example 16
   */
  concurrency: number;
  /** Hears a store write that failed; the callback stays owed and is resumed at the next start. */
  onError?: (error: unknown) => void;
  /** Hears each attempt that did not deliver, and each callback given up at start (its last attempt cut short by a stop). */
  onFailure?: (failure: CallbackFailure) => void;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Numbers in [0, 1) for the jitter of the waits. Default `Math.random`. */
  random?: () => number;
}

/** No wait between two attempts is longer than this, however many came before. */
export const MAX_BACKOFF_MS = 3_600_000;

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/**
 * The wait after failed attempt `attempt` (from 1): `baseMs` × 2^(attempt − 1), at most
 * {@link MAX_BACKOFF_MS}, less up to half of it by `random` (in [0, 1)), so that the retries of
 * callbacks that failed together spread out.
 *
 * @example callbackBackoffMs(3, 1000, 0.5) // 3000: between 2000 and 4000
 */
export function callbackBackoffMs(attempt: number, baseMs: number, random: number): number {
  const full = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 32));
  return Math.round(full / 2 + (full / 2) * random);
}

/**
 * Delivers completion callbacks: told of every ended execution (an engine end listener), it POSTs the
 * final record of those that asked for a callback, signed, and retries with exponential backoff a
 * bounded number of times. It never runs on an execution's path: {@link notify} only queues, and at
 * most `concurrency` attempts are in flight, so a slow or dead receiver delays other callbacks at
 * worst, never executions. The next attempt is taken in turn across namespaces and their receivers,
 * so that one namespace's dead receiver delays another namespace's callbacks by at most one attempt
 * per slot, however many of its own are waiting.
 *
 * The store is the truth: an attempt is counted there before it is sent and its outcome recorded
 * after, so {@link start} resumes after a restart (or a crash) every callback still owed, at the
 * time its next attempt was due. Delivery is at least once: a receiver may see an attempt again if
 * the server stopped before recording its answer.
 */
export class CallbackDispatcher {
  readonly #config: Readonly<Required<CallbackDispatcherConfig>>;
  /** The executions whose callback this dispatcher has in hand: due, waiting for a retry, or in flight. */
  readonly #tracked = new Map<string, { timer?: NodeJS.Timeout }>();
  readonly #ready = new FairDeliveryQueue();
  readonly #inFlight = new Set<Promise<void>>();
  /** Aborts the attempts in flight when the dispatcher stops. */
  readonly #stopping = new AbortController();
  readonly #userAgent = `faaspot/${packageVersion()}`;
  #idle: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(config: CallbackDispatcherConfig) {
    this.#config = Object.freeze({ onError: () => {}, onFailure: () => {}, now: Date.now, random: Math.random, ...config });
  }

  /** Callbacks in hand: due, waiting for a retry, or in flight. */
  get pending(): number {
    return this.#tracked.size;
  }

  /** Resolves once no callback is in hand: each one delivered, given up, or left for the next start. */
  idle(): Promise<void> {
    if (this.#tracked.size === 0) return Promise.resolve();
    if (!this.#idle) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#idle = { promise, resolve };
    }
    return this.#idle.promise;
  }

  /**
   * Resumes the callbacks that were owed when the server last stopped: those due go now, the others
   * when their retry is due. One whose last allowed attempt was cut short by the stop is given up.
   */
  async start(): Promise<void> {
    const maxAttempts = this.#config.retries + 1;
    for (const owed of await this.#config.store.listOwedCallbacks()) {
      if (this.#stopping.signal.aborted) return;
      if (this.#tracked.has(owed.id)) continue;
      if (owed.attempts >= maxAttempts) {
        const lastError = `the server stopped during attempt ${owed.attempts}, the last one allowed`;
        await this.#settle(owed.id, { state: 'failed', lastError, nextAttempt: null });
        this.#config.onFailure({ executionId: owed.id, attempt: owed.attempts, reason: 'stopped', state: 'failed', nextAttempt: null });
        continue;
      }
      const due = owed.nextAttempt === null ? 0 : Date.parse(owed.nextAttempt) - this.#config.now();
      this.#schedule({ id: owed.id, namespace: owed.namespace, host: callbackHost(owed.url), retry: owed.attempts > 0 }, due);
    }
  }

  /** An execution ended: if it asked for a callback, the first attempt is queued. Never throws. */
  notify(record: StoredExecution): void {
    if (this.#stopping.signal.aborted || record.callback?.state !== 'pending' || !ENDED.has(record.status)) return;
    if (this.#tracked.has(record.id)) return;
    const { callback } = record;
    this.#schedule({ id: record.id, namespace: record.namespace, host: callbackHost(callback.url), retry: callback.attempts > 0 }, 0);
  }

  /**
   * Stops: no attempt starts any more, the ones in flight are cut short and recorded as due at the
   * next start, and retries waiting stay recorded as they are. Resolves once every outcome is written.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    for (const delivery of this.#tracked.values()) clearTimeout(delivery.timer);
    await Promise.allSettled([...this.#inFlight]);
    this.#tracked.clear();
    this.#untrack(undefined);
  }

  /** Lets go of a callback (all of them when `id` is undefined, after a stop). */
  #untrack(id: string | undefined): void {
    if (id !== undefined) this.#tracked.delete(id);
    if (this.#tracked.size === 0 && this.#idle) {
      this.#idle.resolve();
      this.#idle = undefined;
    }
  }

  #schedule(delivery: ReadyDelivery, delayMs: number): void {
    if (delayMs <= 0) {
      this.#tracked.set(delivery.id, {});
      this.#ready.push(delivery);
      this.#pump();
      return;
    }
    const timer = setTimeout(() => {
      this.#ready.push(delivery);
      this.#pump();
    }, delayMs);
    timer.unref();
    this.#tracked.set(delivery.id, { timer });
  }

  #pump(): void {
    while (!this.#stopping.signal.aborted && this.#inFlight.size < this.#config.concurrency) {
      const id = this.#ready.shift();
      if (id === undefined) return;
      const attempt = this.#attempt(id).finally(() => {
        this.#inFlight.delete(attempt);
        this.#pump();
      });
      this.#inFlight.add(attempt);
    }
  }

  async #attempt(id: string): Promise<void> {
    let record: StoredExecution | undefined;
    try {
      record = await this.#config.store.beginCallbackAttempt(id);
    } catch (error) {
      this.#config.onError(error);
    }
    // Delivered or given up meanwhile, deleted, or not ended (the next start ends it, and owes it then).
    if (!record?.callback) {
      this.#untrack(id);
      return;
    }
    const attempt = record.callback.attempts;
    const body = JSON.stringify(wireExecution(record));
    const headers = {
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
      'x-faaspot-signature': signCallbackBody(this.#config.keys.keyFor(record.namespace), body),
      'x-faaspot-execution': record.id,
      'x-faaspot-attempt': String(attempt),
      'x-faaspot-timestamp': new Date(this.#config.now()).toISOString(),
    };
    const result = await this.#config.transport.send(record.callback.url, body, headers, this.#stopping.signal);
    const settlement = this.#settlement(result, attempt);
    const written = await this.#settle(id, settlement);
    if (!result.delivered) {
      // An outcome that could not be written leaves the callback owed: the next start resumes it.
      const givenUp = written && settlement.state === 'failed';
      this.#config.onFailure({
        executionId: id,
        attempt,
        reason: result.cause,
        state: givenUp ? 'failed' : 'pending',
        nextAttempt: written ? settlement.nextAttempt : null,
      });
    }
    if (written && settlement.state === 'pending' && settlement.nextAttempt !== null && !this.#stopping.signal.aborted) {
      const retry = { id, namespace: record.namespace, host: callbackHost(record.callback.url), retry: true };
      this.#schedule(retry, Date.parse(settlement.nextAttempt) - this.#config.now());
    } else {
      this.#untrack(id);
    }
  }

  #settlement(result: AttemptResult, attempt: number): CallbackSettlement {
    if (result.delivered) return { state: 'delivered', lastError: null, nextAttempt: null };
    // Cut short by a stop: due again at the next start.
    if (this.#stopping.signal.aborted) return { state: 'pending', lastError: result.error, nextAttempt: null };
    if (!result.retry || attempt > this.#config.retries) return { state: 'failed', lastError: result.error, nextAttempt: null };
    const wait = callbackBackoffMs(attempt, this.#config.backoffMs, this.#config.random());
    const nextAttempt = new Date(this.#config.now() + wait).toISOString();
    return { state: 'pending', lastError: result.error, nextAttempt };
  }

  /** Writes the outcome; false if the write failed (the callback then stays owed for the next start). */
  async #settle(id: string, settlement: CallbackSettlement): Promise<boolean> {
    try {
      await this.#config.store.settleCallback(id, settlement);
      return true;
    } catch (error) {
      this.#config.onError(error);
      return false;
    }
  }
}
