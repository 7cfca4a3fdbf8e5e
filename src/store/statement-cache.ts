import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Statements kept per connection; SQL with a variable number of values (bulk inserts) varies. */
const CAPACITY = 256;

/**
 * A Kysely `SqliteDatabase` that prepares each distinct SQL text once. Kysely prepares every query
 * anew, and on SQLite preparing costs about as much as running a small statement; the statements on
 * a run's path are the same few texts each time. Least recently used statements are dropped.
 */
export function cachingStatements(database: SqliteDatabase): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= CAPACITY) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
