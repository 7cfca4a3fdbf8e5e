import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely-store.js';
import { cachingStatements } from './statement-cache.js';

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
  const store = new KyselyStore({
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) }),
    isUniqueViolation: (error) =>
      error instanceof Error && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE',
  });
  await store.migrate();
  return store;
}
