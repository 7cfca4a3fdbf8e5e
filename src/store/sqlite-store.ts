import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ContextCipher } from './context-cipher.js';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely-store.js';
import { SecretBox } from './secret-box.js';
import { cachingStatements } from './statement-cache.js';

/** The database's file name in the data directory. */
export const DATABASE_FILE_NAME = 'faaspot.db';

const CHECKPOINT_INTERVAL_MS = 500;
const FALLBACK_CHECKPOINT_PAGES = 20_000;

export interface SqliteStoreOptions {
  /**
   * Seals function contexts at rest. Required for a database file; an in-memory database keeps
   * nothing at rest and defaults to a random key.
   */
  contextCipher?: ContextCipher;
  /**
   * A key that contexts may still be sealed under (the one before a rekey): such contexts are
   * sealed again under `contextCipher`'s key when the store opens.
   */
  previousContextCipher?: ContextCipher;
  /** Told how many contexts were sealed, or sealed again, as the store opened. */
  onContextsSealed?: (count: number) => void;
  /**
   * Holds the database for this connection alone, failing at once if another process has it open
   * (a running server): for maintenance such as a rekey, which must not run beside a server.
   */
  exclusive?: boolean;
}

/** Another process has the database open, and the store was asked to hold it alone. */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
}

/**
 * Opens (creating if needed) the SQLite file, sets WAL mode, runs the migrations, brings stored
 * contexts under the cipher's key ({@link KyselyStore.sealContexts}) and returns the store.
 * WAL with synchronous=NORMAL keeps every commit durable against a process crash, which is the
 * failure this embedded server must survive; a power cut may lose the last commits.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<KyselyStore> {
  const inMemory = file === ':memory:';
  if (!inMemory && !options.contextCipher) throw new Error(`openSqliteStore(${JSON.stringify(file)}) needs a contextCipher`);
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  try {
    if (options.exclusive) {
      // Set before the first read: SQLite then takes the file for itself, which it can only do
      // while no other connection has it open.
      sqlite.pragma('locking_mode = EXCLUSIVE');
      sqlite.pragma('busy_timeout = 1000');
    }
    sqlite.pragma('journal_mode = WAL');
  } catch (error) {
    sqlite.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new DatabaseInUseError(`${file} is in use by another process, such as a running server: stop it first`, { cause: error });
    }
    throw error;
  }
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  if (!options.exclusive) sqlite.pragma('busy_timeout = 5000');
  let checkpointer: Worker | undefined;
  const store = new KyselyStore({
    onClose: async () => {
      if (!checkpointer) return;
      const exited = new Promise((resolve) => checkpointer?.once('exit', resolve));
      // Unreferenced while serving; waited for now, so the process must not end before it has.
      checkpointer.ref();
      checkpointer.postMessage('stop');
      await exited;
    },
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) }),
    isUniqueViolation: (error) =>
      error instanceof Error && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE',
    contextCipher: options.contextCipher ?? SecretBox.withRandomKey(),
    compact: inMemory
      ? undefined
      : () => {
          // VACUUM rebuilds the file from live rows only, so replaced and deleted text is not carried
          // over; the TRUNCATE checkpoint then writes it all back and empties the WAL, where the old
          // pages were too.
          sqlite.exec('VACUUM');
          sqlite.pragma('wal_checkpoint(TRUNCATE)');
          return Promise.resolve();
        },
  });
  try {
    await store.migrate();
    const sealed = await store.sealContexts(options.previousContextCipher);
    options.onContextsSealed?.(sealed);
  } catch (error) {
    await store.close();
    throw error;
  }
  if (!inMemory && !options.exclusive) {
    // Checkpoints happen in a thread of their own; the serving connection checkpoints only if that
    // thread falls far behind (about 80 MiB of WAL).
    sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    checkpointer = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    checkpointer.unref();
  }
  return store;
}
