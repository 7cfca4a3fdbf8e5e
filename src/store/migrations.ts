import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * The schema's history, oldest first. Written against Kysely's portable schema builder so that
 * another dialect can run them; never edit an entry that has shipped, add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('functions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('context', 'text', (c) => c.notNull())
        .addColumn('timeout_seconds', 'real', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('updated', 'text', (c) => c.notNull())
        .addUniqueConstraint('functions_namespace_name', ['namespace', 'name'])
        .execute();

      await db.schema
        .createTable('executions')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('function_id', 'text', (c) => c.notNull())
        .addColumn('function_name', 'text', (c) => c.notNull())
        .addColumn('function_version', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('blocking', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('logs', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('logs_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'text', (c) => c.notNull())
        .addColumn('started', 'text')
        .addColumn('finished', 'text')
        .addColumn('duration_ms', 'real')
        .execute();
      await db.schema.createIndex('executions_status_seq').on('executions').columns(['status', 'seq']).execute();
      await db.schema
        .createIndex('executions_namespace_seq')
        .on('executions')
        .columns(['namespace', 'seq'])
        .execute();
      await db.schema
        .createIndex('executions_function_status')
        .on('executions')
        .columns(['function_id', 'status'])
        .execute();
    },
  },
  '0002_function_memory': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('functions')
        .addColumn('memory_mib', 'integer', (c) => c.notNull().defaultTo(256))
        .execute();
    },
  },
  '0003_executions_finished': {
    async up(db: Kysely<unknown>) {
      // For retention: ended records by age. Partial, so that a pending record costs no entry.
      await db.schema
        .createIndex('executions_finished')
        .on('executions')
        .column('finished')
        .where(sql.ref('finished'), 'is not', null)
        .execute();
    },
  },
  '0004_idempotency_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('function_name', 'text', (c) => c.notNull())
        .addColumn('execution_ids', 'text', (c) => c.notNull())
        .addColumn('created', 'text', (c) => c.notNull())
        // The key's scope: one row per key and namespace, so that of two requests racing with one
        // key, the second to commit fails and answers the first one's executions.
        .addUniqueConstraint('idempotency_keys_namespace_key', ['namespace', 'key'])
        .execute();
      // For the expiry sweep: keys by age.
      await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created').execute();
    },
  },
  '0005_execution_callbacks': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('executions').addColumn('callback_url', 'text').execute();
      await db.schema.alterTable('executions').addColumn('callback_state', 'text').execute();
      await db.schema
        .alterTable('executions')
        .addColumn('callback_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('executions').addColumn('callback_last_error', 'text').execute();
      await db.schema.alterTable('executions').addColumn('callback_next_attempt', 'text').execute();
      // For the start-up scan of callbacks still owed. Partial, so that executions without a
      // callback, or whose callback is settled, cost no entry.
      await db.schema
        .createIndex('executions_callback_pending')
        .on('executions')
        .column('seq')
        .where(sql.ref('callback_state'), '=', 'pending')
        .execute();
    },
  },
};

/** Hands Kysely's Migrator the migrations above, in name order. */
export class StaticMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrations);
  }
}
