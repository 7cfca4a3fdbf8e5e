import { Fifo } from '../engine/fifo.js';

/** A callback whose next attempt is due, as the {@link FairDeliveryQueue} orders it. */
export interface ReadyDelivery {
  /** The execution whose callback it is. */
  id: string;
  /** The namespace that sent the run. */
  namespace: string;
  /** The callback URL's host and port, in lower case: the receiver. */
  host: string;
  /** Whether an attempt was made before: a retry waits behind first attempts to the same host. */
  retry: boolean;
}

/** Something that takes turns and knows whether it has work left. */
interface Busy {
  readonly size: number;
}

/**
 * Keys taking turns: {@link next} names the key whose turn it is, a key new to the line first (it
 * has had no turn yet), then the one whose last turn is oldest. A key keeps its place at the back
 * after its turn even when it has no work left for now, so that work it is given again meanwhile
 * waits behind the other keys rather than jumping ahead as new; an idle key is dropped when its
 * turn comes. O(1) amortised.
 */
class Turns<K, V extends Busy> {
  /** Keys that have not had a turn yet. */
  readonly #fresh = new Map<K, V>();
  /** Keys that have had a turn, oldest turn first (a Map keeps insertion order). */
  readonly #served = new Map<K, V>();

  get(key: K): V | undefined {
    return this.#fresh.get(key) ?? this.#served.get(key);
  }

  add(key: K, value: V): void {
    this.#fresh.set(key, value);
  }

  /** The key whose turn it is and its value; undefined when no key has work. */
  next(): [K, V] | undefined {
    const fresh = this.#fresh.entries().next();
    if (!fresh.done) return fresh.value;
    for (const entry of this.#served) {
      if (entry[1].size > 0) return entry;
      this.#served.delete(entry[0]);
    }
    return undefined;
  }

  /** Ends the turn of `key`: to the back of the line. */
  endTurn(key: K, value: V): void {
    this.#fresh.delete(key);
    this.#served.delete(key);
    this.#served.set(key, value);
  }
}

/** The deliveries of one namespace to one host: first attempts, then retries. */
class HostLane implements Busy {
  readonly first = new Fifo<string>();
  readonly retries = new Fifo<string>();

  get size(): number {
    return this.first.size + this.retries.size;
  }
}

/** The deliveries of one namespace, by host. */
class NamespaceLanes implements Busy {
  readonly hosts = new Turns<string, HostLane>();
  size = 0;
}

/**
 * The callbacks due, handed out fairly rather than in arrival order: in turn across namespaces, and
 * within a namespace in turn across the hosts it calls back, first attempts before retries to the
 * same host. A namespace that queued ten thousand callbacks to a receiver that never answers takes
 * one turn per round like any other, so another namespace's callback waits for one of its attempts
 * at most, and a dead host of its own does not hold up its other receivers either.
 */
export class FairDeliveryQueue {
  readonly #namespaces = new Turns<string, NamespaceLanes>();
  #size = 0;

  /** Deliveries due. */
  get size(): number {
    return this.#size;
  }

  push(delivery: ReadyDelivery): void {
    let lanes = this.#namespaces.get(delivery.namespace);
    if (!lanes) {
      lanes = new NamespaceLanes();
      this.#namespaces.add(delivery.namespace, lanes);
    }
    let lane = lanes.hosts.get(delivery.host);
    if (!lane) {
      lane = new HostLane();
      lanes.hosts.add(delivery.host, lane);
    }
    (delivery.retry ? lane.retries : lane.first).push(delivery.id);
    lanes.size++;
    this.#size++;
  }

  /** The next delivery in turn (its execution id), or undefined when none is due. */
  shift(): string | undefined {
    const turn = this.#namespaces.next();
    if (!turn) return undefined;
    const [namespace, lanes] = turn;
    const hostTurn = lanes.hosts.next();
    if (!hostTurn) return undefined;
    const [host, lane] = hostTurn;
    const id = lane.first.shift() ?? lane.retries.shift();
    lanes.size--;
    this.#size--;
    lanes.hosts.endTurn(host, lane);
    this.#namespaces.endTurn(namespace, lanes);
    return id;
  }
}

/** The receiver of a callback URL as the queue groups deliveries: its host and port, in lower case. */
export function callbackHost(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return '';
  }
}
