import { Fifo } from './fifo.js';

/** What the queue needs to know of an execution waiting for a worker. */
export interface WaitingRun {
  readonly id: string;
  readonly namespace: string;
  /** A caller waits on the HTTP request: served before the namespace's queued runs, and not counted against the queue's limits. */
  readonly blocking: boolean;
}

/** Limits of the {@link RunQueue}; see `Config` for their meaning and defaults. */
export interface RunQueueLimits {
  /** Most non-blocking runs waiting, all namespaces together. */
  maxQueued: number;
  /** Most non-blocking runs of one namespace waiting. */
  namespaceMaxQueued: number;
  /** Most runs of one namespace running at once; its waiting runs are passed over meanwhile. */
  namespaceMaxRunning: number;
}

/** What {@link RunQueue.reserve} came to: room was set aside, or which limit left too little of it. */
export type Reservation = { ok: true } | { ok: false; limit: 'queue' | 'namespace'; room: number };

interface Entry<T> {
  item: T;
  /** Arrival order across namespaces, for ties between them. */
  order: number;
}

interface Namespace<T> {
  blocking: Fifo<Entry<T>>;
  queued: Fifo<Entry<T>>;
  /** Non-blocking runs waiting, plus room reserved for runs being recorded. */
  queuedCount: number;
  running: number;
}

/**
 * The runs waiting for a worker, one pair of first-in first-out queues per namespace (blocking runs
 * first). The next run is the head of the namespace with the fewest runs going, among those under
 * their running cap: a namespace that floods the queue, or sits at its cap, never holds back another
 * namespace's runs, and each namespace's own runs keep their order.
 */
export class RunQueue<T extends WaitingRun> {
  readonly #limits: RunQueueLimits;
  readonly #waiting = new Map<string, Entry<T>>();
  readonly #namespaces = new Map<string, Namespace<T>>();
  /** Non-blocking runs waiting in all namespaces, plus reserved room. */
  #queuedCount = 0;
  #order = 0;

  constructor(limits: RunQueueLimits) {
    this.#limits = Object.freeze({ ...limits });
  }

  /** Runs waiting, blocking or not. */
  get size(): number {
    return this.#waiting.size;
  }

  get(id: string): T | undefined {
    return this.#waiting.get(id)?.item;
  }

  has(id: string): boolean {
    return this.#waiting.has(id);
  }

  /** Every waiting run, in no particular order. */
  *items(): IterableIterator<T> {
    for (const entry of this.#waiting.values()) yield entry.item;
  }

  /**
   * Sets aside room for `count` non-blocking runs of `namespace`, all or none, for runs that are being
   * recorded before they are {@link add}ed. Give it back with {@link release}.
   */
  reserve(namespace: string, count: number): Reservation {
    const state = this.#namespace(namespace);
    const queueRoom = this.#limits.maxQueued - this.#queuedCount;
    const namespaceRoom = this.#limits.namespaceMaxQueued - state.queuedCount;
    if (count > queueRoom || count > namespaceRoom) {
      this.#forgetIfIdle(namespace, state);
      return queueRoom <= namespaceRoom
        ? { ok: false, limit: 'queue', room: Math.max(0, queueRoom) }
        : { ok: false, limit: 'namespace', room: Math.max(0, namespaceRoom) };
    }
    state.queuedCount += count;
    this.#queuedCount += count;
    return { ok: true };
  }

  release(namespace: string, count: number): void {
    const state = this.#namespace(namespace);
    state.queuedCount -= count;
    this.#queuedCount -= count;
    this.#forgetIfIdle(namespace, state);
  }

  /** Queues a run without checking the limits (a reservation, or a restart, has done so). */
  add(item: T): void {
    const state = this.#namespace(item.namespace);
    const entry = { item, order: this.#order++ };
    this.#waiting.set(item.id, entry);
    if (item.blocking) {
      state.blocking.push(entry);
    } else {
      state.queued.push(entry);
      state.queuedCount++;
      this.#queuedCount++;
    }
  }

  /** Takes a run out of the queue (cancelled, withdrawn); undefined if it was not waiting. */
  remove(id: string): T | undefined {
    const entry = this.#waiting.get(id);
    if (!entry) return undefined;
    this.#unlist(entry);
    // Its place in the namespace's queue is skipped when it reaches the head.
    return entry.item;
  }

  /** The run that should start next, left in the queue; undefined when none may start. */
  next(): T | undefined {
    let best: { entry: Entry<T>; running: number } | undefined;
    for (const [name, state] of this.#namespaces) {
      if (state.running >= this.#limits.namespaceMaxRunning) continue;
      const entry = this.#head(state.blocking) ?? this.#head(state.queued);
      if (!entry) {
        this.#forgetIfIdle(name, state);
        continue;
      }
      if (
        !best ||
        state.running < best.running ||
        (state.running === best.running &&
          (entry.item.blocking !== best.entry.item.blocking ? entry.item.blocking : entry.order < best.entry.order))
      ) {
        best = { entry, running: state.running };
      }
    }
    return best?.entry.item;
  }

  /** Takes `item`, which {@link next} returned, out of the queue and counts it as running. */
  start(item: T): void {
    const entry = this.#waiting.get(item.id);
    if (entry) this.#unlist(entry);
    this.#namespace(item.namespace).running++;
  }

  /** A run that {@link start} counted has ended. */
  ended(namespace: string): void {
    const state = this.#namespace(namespace);
    state.running--;
    this.#forgetIfIdle(namespace, state);
  }

  #unlist(entry: Entry<T>): void {
    this.#waiting.delete(entry.item.id);
    if (entry.item.blocking) return;
    const state = this.#namespace(entry.item.namespace);
    state.queuedCount--;
    this.#queuedCount--;
  }

  /** The first entry of `fifo` still waiting, with those taken out before it dropped. */
  #head(fifo: Fifo<Entry<T>>): Entry<T> | undefined {
    for (;;) {
      const entry = fifo.peek();
      if (!entry || this.#waiting.get(entry.item.id) === entry) return entry;
      fifo.shift();
    }
  }

  #namespace(name: string): Namespace<T> {
    let state = this.#namespaces.get(name);
    if (!state) {
      state = { blocking: new Fifo(), queued: new Fifo(), queuedCount: 0, running: 0 };
      this.#namespaces.set(name, state);
    }
    return state;
  }

  /** Drops the state of a namespace with nothing waiting, reserved or running, so {@link next} does not visit it. */
  #forgetIfIdle(name: string, state: Namespace<T>): void {
    if (state.running > 0 || state.queuedCount > 0) return;
    if (this.#head(state.blocking) || this.#head(state.queued)) return;
    this.#namespaces.delete(name);
  }
}
