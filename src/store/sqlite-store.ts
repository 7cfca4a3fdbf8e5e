import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely-store.js';
import { cachingStatements } from './statement-cache.js';

const CHECKPOINT_INTERVAL_MS = 500;
const FALLBACK_CHECKPOINT_PAGES = 20_000;

/**
 * Opens (creating if needed) the SQLite file, sets WAL mode, runs the migrations and returns the store.
 * WAL with synchronous=NORMAL keeps every commit durable against a process crash, which is the
 * failure this embedded server must survive; a power cut may lose the last commits.
 */
export async function openSqliteStore(file: string): Promise<KyselyStore> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  let checkpointer: Worker | undefined;
  if (file !== ':memory:') {
    // Checkpoints happen in a thread of their own; the serving connection checkpoints only if that
    // thread falls far behind (about 80 MiB of WAL).
    sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    checkpointer = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    checkpointer.unref();
  }
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
  });
  await store.migrate();
  return store;
}
