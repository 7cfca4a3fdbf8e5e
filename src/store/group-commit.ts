import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Write<T> = (trx: Kysely<Database> | Transaction<Database>) => Promise<T>;

interface Queued {
  write: Write<unknown>;
  /** One statement: alone in a batch, it needs no transaction around it. */
  single: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Commits the writes queued during one turn of the event loop in a single transaction. Each commit
 * costs far more than the statements in it (tens of microseconds on SQLite in WAL mode), so at high
 * concurrency hundreds of execution-record writes share one; a caller's promise still resolves only
 * once its write is committed. Writes commit in the order they were queued. If the shared transaction
 * fails, each write is retried in a transaction of its own, so one bad write fails alone.
 */
export class GroupCommit {
  readonly #db: Kysely<Database>;
  #queue: Queued[] = [];
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Queues `write`; resolves with its result once it is committed. `single`: the write is one
   * statement, so when nothing else is queued it runs without a transaction of its own (a
   * transaction costs two more statements, which on the quiet path is most of the cost).
   */
  run<T>(write: Write<T>, single = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) {
        setImmediate(() => {
          this.#flushing = this.#flush();
        });
      }
      this.#queue.push({ write, single, resolve, reject });
    });
  }

  /** Resolves once everything queued so far is committed (or has failed). */
  async settled(): Promise<void> {
    while (this.#queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.#flushing;
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const only = batch.length === 1 ? batch[0] : undefined;
    if (only?.single) {
      try {
        only.resolve(await only.write(this.#db));
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    try {
      const results = await this.#db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const queued of batch) out.push(await queued.write(trx));
        return out;
      });
      batch.forEach((queued, i) => queued.resolve(results[i]));
    } catch {
      for (const queued of batch) {
        try {
          queued.resolve(await this.#db.transaction().execute(queued.write));
        } catch (error) {
          queued.reject(error);
        }
      }
    }
  }
}
