import { Migrator, sql, type Kysely, type Selectable } from 'kysely';
import { ContextKeyError, type ContextCipher } from './context-cipher.js';
import type { Database, ExecutionStatus, ExecutionsTable, FunctionsTable, IdempotencyKeysTable, TokensTable } from './schema.js';
import { GroupCommit } from './group-commit.js';
import { StaticMigrationProvider } from './migrations.js';
import {
  IdempotencyKeyTakenError,
  NameTakenError,
  type CallbackSettlement,
  type ExecutionEnd,
  type ExecutionQuery,
  type ExecutionSize,
  type FunctionPatch,
  type IdempotentRoute,
  type NewExecution,
  type NewIdempotencyKey,
  type OwedCallback,
  type QueuedExecution,
  type Store,
  type StoredExecution,
  type StoredFunction,
  type StoredIdempotencyKey,
  type StoredToken,
} from './store.js';

/** What {@link KyselyStore} needs from the dialect it runs on. */
export interface KyselyStoreConfig {
  /** A Kysely instance on any dialect; the store owns it and destroys it on close. */
  db: Kysely<Database>;
  /** Tells a unique-constraint violation of this dialect's driver from other errors. */
  isUniqueViolation: (error: unknown) => boolean;
  /** Seals function contexts before they are written and opens them when they are read. */
  contextCipher: ContextCipher;
  /**
   * Rewrites the database without free space, so that text deleted or replaced is gone from its
   * files; run after contexts were sealed anew. Without it, such text may linger until overwritten.
   */
  compact?: () => Promise<void>;
  /** Runs before the database is closed (the dialect's own helpers stop there). */
  onClose?: () => Promise<void>;
}

const ENDED: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled'];

/** Rows per INSERT statement: keeps bound parameters well under every dialect's limit. */
const INSERT_CHUNK = 500;

/** The {@link Store} written against Kysely alone; the dialect comes from outside. */
export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  readonly #isUniqueViolation: (error: unknown) => boolean;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #cipher: ContextCipher;
  readonly #compact: (() => Promise<void>) | undefined;
  /** Execution-record writes, the ones on every run's path, share commits. */
  readonly #executionWrites: GroupCommit;

  constructor(config: KyselyStoreConfig) {
    this.#db = config.db;
    this.#isUniqueViolation = config.isUniqueViolation;
    this.#onClose = config.onClose;
    this.#cipher = config.contextCipher;
    this.#compact = config.compact;
    this.#executionWrites = new GroupCommit(config.db);
  }

  /** Brings the schema up to date; run once at start-up. */
  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.#db, provider: new StaticMigrationProvider() });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  }

  /**
   * Brings every stored context under this store's key, all in one transaction: contexts stored in
   * plain text (by a version that did not encrypt them) are sealed, and those sealed under
   * `previous`'s key are opened with it and sealed again. Throws {@link ContextKeyError}, changing
   * nothing, when any context is sealed under a key that is neither. Returns how many were
   * rewritten; when any was, the database is then compacted, so that the old texts do not linger
   * in its free space. Run at start-up, before anything else uses the store.
   */
  async sealContexts(previous?: ContextCipher): Promise<number> {
    const cipher = this.#cipher;
    const rewritten = await this.#db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('functions').select(['id', 'namespace', 'name', 'context']).execute();
      const updates: { id: string; context: string }[] = [];
      const foreign = new Map<string, number>();
      for (const row of rows) {
        const keyId = cipher.keyIdOf(row.context);
        if (keyId === cipher.keyId) continue;
        if (keyId === undefined) updates.push({ id: row.id, context: cipher.seal(row.context, row.id) });
        else if (previous && keyId === previous.keyId) {
          updates.push({ id: row.id, context: cipher.seal(openContext(previous, row), row.id) });
        } else foreign.set(keyId, (foreign.get(keyId) ?? 0) + 1);
      }
      if (foreign.size > 0) {
        const count = [...foreign.values()].reduce((a, b) => a + b, 0);
        throw new ContextKeyError([...foreign.keys()], count, cipher.keyId);
      }
      for (const update of updates) {
        await trx.updateTable('functions').set({ context: update.context }).where('id', '=', update.id).execute();
      }
      return updates.length;
    });
    if (rewritten > 0) await this.compact();
    return rewritten;
  }

  /**
   * Rewrites the database without free space, so that deleted and replaced text is gone from its
   * files; does nothing on a dialect that gave no way to.
   */
  async compact(): Promise<void> {
    await this.#compact?.();
  }

  async countTokens(): Promise<number> {
    const row = await this.#db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertToken(token: StoredToken): Promise<void> {
    await this.#db
      .insertInto('tokens')
      .values({
        id: token.id,
        token_hash: token.tokenHash,
        namespace: token.namespace,
        admin: token.admin ? 1 : 0,
        created: token.created,
      })
      .execute();
  }

  async findTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const row = await this.#db.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toToken(row);
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = await this.#db.selectFrom('tokens').selectAll().orderBy('created').orderBy('id').execute();
    return rows.map(toToken);
  }

  async deleteToken(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async insertFunction(fn: StoredFunction): Promise<void> {
    try {
      await this.#db
        .insertInto('functions')
        .values({
          id: fn.id,
          namespace: fn.namespace,
          name: fn.name,
          version: fn.version,
          code: fn.code,
          context: this.#cipher.seal(fn.context, fn.id),
          timeout_seconds: fn.timeoutSeconds,
          memory_mib: fn.memoryMib,
          created: fn.created,
          updated: fn.updated,
        })
        .execute();
    } catch (error) {
      if (this.#isUniqueViolation(error)) throw new NameTakenError(fn.name);
      throw error;
    }
  }

  async getFunction(namespace: string, name: string): Promise<StoredFunction | undefined> {
    const row = await this.#db
      .selectFrom('functions')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && this.#toFunction(row);
  }

  async getFunctionById(id: string): Promise<StoredFunction | undefined> {
    const row = await this.#db.selectFrom('functions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#toFunction(row);
  }

  async listFunctions(namespace: string): Promise<StoredFunction[]> {
    const rows = await this.#db
      .selectFrom('functions')
      .selectAll()
      .where('namespace', '=', namespace)
      .orderBy('name')
      .execute();
    return rows.map((row) => this.#toFunction(row));
  }

  async updateFunction(
    namespace: string,
    name: string,
    patch: FunctionPatch,
    updated: string,
  ): Promise<StoredFunction | undefined> {
    // The context is sealed for the function's id, which the update itself does not know: read it
    // first, and update only that function by that name, so a concurrent rename cannot misdirect it.
    let id: string | undefined;
    if (patch.context !== undefined) {
      const found = await this.#db
        .selectFrom('functions')
        .select('id')
        .where('namespace', '=', namespace)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!found) return undefined;
      id = found.id;
    }
    try {
      let update = this.#db
        .updateTable('functions')
        .set((eb) => ({
          version: eb('version', '+', 1),
          updated,
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.code !== undefined && { code: patch.code }),
          ...(patch.context !== undefined && id !== undefined && { context: this.#cipher.seal(patch.context, id) }),
          ...(patch.timeoutSeconds !== undefined && { timeout_seconds: patch.timeoutSeconds }),
          ...(patch.memoryMib !== undefined && { memory_mib: patch.memoryMib }),
        }))
        .where('namespace', '=', namespace)
        .where('name', '=', name);
      if (id !== undefined) update = update.where('id', '=', id);
      const row = await update.returningAll().executeTakeFirst();
      return row && this.#toFunction(row);
    } catch (error) {
      if (this.#isUniqueViolation(error)) throw new NameTakenError(patch.name ?? name);
      throw error;
    }
  }

  async deleteFunction(
    namespace: string,
    name: string,
    cancelled: ExecutionEnd,
  ): Promise<{ fn: StoredFunction; cancelledIds: string[] } | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .deleteFrom('functions')
        .where('namespace', '=', namespace)
        .where('name', '=', name)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const cancelledRows = await trx
        .updateTable('executions')
        .set(endColumns(cancelled))
        .where('function_id', '=', row.id)
        .where('status', '=', 'pending')
        .returning('id')
        .execute();
      return { fn: this.#toFunction(row), cancelledIds: cancelledRows.map((r) => r.id) };
    });
  }

  async insertExecutions(executions: readonly NewExecution[], idempotency?: NewIdempotencyKey): Promise<void> {
    const rows = executions.map((e) => ({
      id: e.id,
      namespace: e.namespace,
      function_id: e.functionId,
      function_name: e.functionName,
      function_version: e.running?.functionVersion ?? null,
      status: e.running ? ('running' as const) : ('pending' as const),
      blocking: e.blocking ? 1 : 0,
      args: e.args,
      logs: '',
      logs_truncated: 0,
      created: e.created,
      started: e.running?.started ?? null,
      // Always present, so that every row of a multi-row INSERT has the same columns.
      callback_url: e.callbackUrl ?? null,
      callback_state: e.callbackUrl === undefined ? null : ('pending' as const),
      ...(e.end && endColumns(e.end)),
    }));
    const keyRow = idempotency && {
      namespace: idempotency.namespace,
      key: idempotency.key,
      fingerprint: idempotency.fingerprint,
      route: idempotency.route,
      function_name: idempotency.functionName,
      execution_ids: JSON.stringify(executions.map((e) => e.id)),
      created: idempotency.created,
    };
    await this.#executionWrites.run(async (trx) => {
      if (idempotency && keyRow) {
        // The key goes first: when it is taken, the statement fails and the transaction with it, so
        // the executions are never stored without their key, nor the key without them.
        await trx
          .deleteFrom('idempotency_keys')
          .where('namespace', '=', idempotency.namespace)
          .where('key', '=', idempotency.key)
          .where('created', '<', idempotency.expiredBefore)
          .execute();
        try {
          await trx.insertInto('idempotency_keys').values(keyRow).execute();
        } catch (error) {
          if (this.#isUniqueViolation(error)) {
            throw new IdempotencyKeyTakenError(`The namespace ${idempotency.namespace} holds the idempotency key already`, { cause: error });
          }
          throw error;
        }
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx.insertInto('executions').values(rows.slice(i, i + INSERT_CHUNK)).execute();
      }
    }, rows.length <= INSERT_CHUNK && !idempotency);
  }

  async markRunning(id: string, functionVersion: number, started: string): Promise<void> {
    await this.#executionWrites.run((trx) =>
      trx
        .updateTable('executions')
        .set({ status: 'running', function_version: functionVersion, started })
        .where('id', '=', id)
        .execute(),
      true,
    );
  }

  async finishExecution(id: string, end: ExecutionEnd): Promise<boolean> {
    const result = await this.#executionWrites.run((trx) =>
      trx
        .updateTable('executions')
        .set(endColumns(end))
        .where('id', '=', id)
        .where('status', 'in', ['pending', 'running'])
        .executeTakeFirst(),
      true,
    );
    return result.numUpdatedRows > 0n;
  }

  async getExecution(namespace: string, id: string): Promise<StoredExecution | undefined> {
    const row = await this.#db
      .selectFrom('executions')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toExecution(row);
  }

  /** Reads the rows of `ids` (each once, in chunks: SQLite bounds a statement's parameters), by id. */
  async #rowsById<R extends { id: string }>(ids: readonly string[], read: (chunk: string[]) => Promise<R[]>): Promise<Map<string, R>> {
    const distinct = [...new Set(ids)];
    const byId = new Map<string, R>();
    for (let i = 0; i < distinct.length; i += INSERT_CHUNK) {
      for (const row of await read(distinct.slice(i, i + INSERT_CHUNK))) byId.set(row.id, row);
    }
    return byId;
  }

  async getExecutions(namespace: string, ids: readonly string[]): Promise<(StoredExecution | undefined)[]> {
    const rows = await this.#rowsById(ids, (chunk) =>
      this.#db.selectFrom('executions').selectAll().where('namespace', '=', namespace).where('id', 'in', chunk).execute(),
    );
    const byId = new Map([...rows.values()].map((row) => [row.id, toExecution(row)]));
    return ids.map((id) => byId.get(id));
  }

  #listed(namespace: string, query: ExecutionQuery) {
    let q = this.#db.selectFrom('executions').where('namespace', '=', namespace);
    if (query.statuses) q = q.where('status', 'in', query.statuses);
    if (query.functionName !== undefined) q = q.where('function_name', '=', query.functionName);
    if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
    if (query.fromSeq !== undefined) q = q.where('seq', '>=', query.fromSeq);
    return q.orderBy('seq', 'desc').limit(query.limit);
  }

  async listExecutions(namespace: string, query: ExecutionQuery): Promise<StoredExecution[]> {
    const rows = await this.#listed(namespace, query).selectAll().execute();
    return rows.map(toExecution);
  }

  async executionSizes(namespace: string, selection: { query: ExecutionQuery } | { ids: readonly string[] }): Promise<ExecutionSize[]> {
    const size = sql<number>`length(args) + coalesce(length(output), 0) + length(logs) + coalesce(length(error), 0) + coalesce(length(callback_url), 0)`;
    if ('query' in selection) {
      const rows = await this.#listed(namespace, selection.query).select(['id', 'seq', size.as('chars')]).execute();
      return rows.map((r) => ({ id: r.id, seq: r.seq, chars: r.chars }));
    }
    const found = await this.#rowsById(selection.ids, (chunk) =>
      this.#db.selectFrom('executions').select(['id', 'seq', size.as('chars')]).where('namespace', '=', namespace).where('id', 'in', chunk).execute(),
    );
    return [...new Set(selection.ids)].flatMap((id) => found.get(id) ?? []);
  }

  async listQueued(): Promise<QueuedExecution[]> {
    const rows = await this.#db
      .selectFrom('executions')
      .select(['id', 'namespace', 'function_id', 'function_name', 'args', 'blocking', 'created', 'callback_url'])
      .where('status', '=', 'pending')
      .where('blocking', '=', 0)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      namespace: r.namespace,
      functionId: r.function_id,
      functionName: r.function_name,
      args: r.args,
      blocking: r.blocking === 1,
      created: r.created,
      ...(r.callback_url !== null && { callbackUrl: r.callback_url }),
    }));
  }

  async failInterrupted(end: ExecutionEnd): Promise<StoredExecution[]> {
    const rows = await this.#db
      .updateTable('executions')
      .set(endColumns(end))
      .where((eb) =>
        eb.or([eb('status', '=', 'running'), eb.and([eb('status', '=', 'pending'), eb('blocking', '=', 1)])]),
      )
      .returningAll()
      .execute();
    return rows.map(toExecution);
  }

  async deleteEndedBefore(before: string, limit: number): Promise<number> {
    // A bounded batch, found through the index on `finished`: one statement never holds the
    // database for long, however many records are due. `+status` keeps SQLite from choosing the
    // status index instead, which would visit every ended record and sort them.
    const result = await this.#db
      .deleteFrom('executions')
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('executions')
          .select('seq')
          .where('finished', '<', before)
          .where(sql<ExecutionStatus>`+${sql.ref('status')}`, 'in', ENDED)
          .orderBy('finished')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async findIdempotencyKey(namespace: string, key: string, expiredBefore: string): Promise<StoredIdempotencyKey | undefined> {
    const row = await this.#db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('key', '=', key)
      .where('created', '>=', expiredBefore)
      .executeTakeFirst();
    return row && toIdempotencyKey(row);
  }

  async deleteIdempotencyKeysBefore(before: string, limit: number): Promise<number> {
    // Bounded batches through the index on `created`, as deleteEndedBefore does for executions.
    const result = await this.#db
      .deleteFrom('idempotency_keys')
      .where('seq', 'in', (eb) =>
        eb.selectFrom('idempotency_keys').select('seq').where('created', '<', before).orderBy('created').limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async beginCallbackAttempt(id: string): Promise<StoredExecution | undefined> {
    const row = await this.#executionWrites.run(
      (trx) =>
        trx
          .updateTable('executions')
          .set((eb) => ({ callback_attempts: eb('callback_attempts', '+', 1), callback_next_attempt: null }))
          .where('id', '=', id)
          .where('callback_state', '=', 'pending')
          .where('status', 'in', ENDED)
          .returningAll()
          .executeTakeFirst(),
      true,
    );
    return row && toExecution(row);
  }

  async settleCallback(id: string, settlement: CallbackSettlement): Promise<void> {
    await this.#executionWrites.run(
      (trx) =>
        trx
          .updateTable('executions')
          .set({
            callback_state: settlement.state,
            callback_last_error: settlement.lastError,
            callback_next_attempt: settlement.nextAttempt,
          })
          .where('id', '=', id)
          .where('callback_state', '=', 'pending')
          .execute(),
      true,
    );
  }

  async listOwedCallbacks(): Promise<OwedCallback[]> {
    // Through the partial index of pending callbacks: settled ones and executions without one cost nothing.
    const rows = await this.#db
      .selectFrom('executions')
      .select(['id', 'namespace', 'callback_url', 'callback_attempts', 'callback_next_attempt'])
      .where('callback_state', '=', 'pending')
      .where('status', 'in', ENDED)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      namespace: r.namespace,
      url: r.callback_url ?? '',
      attempts: r.callback_attempts,
      nextAttempt: r.callback_next_attempt,
    }));
  }

  async close(): Promise<void> {
    await this.#executionWrites.settled();
    await this.#onClose?.();
    await this.#db.destroy();
  }

  #toFunction(row: Selectable<FunctionsTable>): StoredFunction {
    return { ...toFunction(row), context: openContext(this.#cipher, row) };
  }
}

/** The row's context in plain text; an error naming the function when it does not open. */
function openContext(cipher: ContextCipher, row: Pick<Selectable<FunctionsTable>, 'id' | 'namespace' | 'name' | 'context'>): string {
  try {
    return cipher.open(row.context, row.id);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`The context of function ${row.namespace}/${row.name} (${row.id}) cannot be decrypted: ${reason}`, { cause: error });
  }
}

function endColumns(end: ExecutionEnd) {
  return {
    status: end.status,
    output: end.output,
    error: end.error && JSON.stringify(end.error),
    logs: end.logs,
    logs_truncated: end.logsTruncated ? 1 : 0,
    finished: end.finished,
    duration_ms: end.durationMs,
  };
}

function toToken(row: Selectable<TokensTable>): StoredToken {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    namespace: row.namespace,
    admin: row.admin === 1,
    created: row.created,
  };
}

function toFunction(row: Selectable<FunctionsTable>): StoredFunction {
  return {
    id: row.id,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    code: row.code,
    context: row.context,
    timeoutSeconds: row.timeout_seconds,
    memoryMib: row.memory_mib,
    created: row.created,
    updated: row.updated,
  };
}

function toIdempotencyKey(row: Selectable<IdempotencyKeysTable>): StoredIdempotencyKey {
  return {
    namespace: row.namespace,
    key: row.key,
    fingerprint: row.fingerprint,
    route: row.route as IdempotentRoute,
    functionName: row.function_name,
    executionIds: JSON.parse(row.execution_ids) as string[],
    created: row.created,
  };
}

function toExecution(row: Selectable<ExecutionsTable>): StoredExecution {
  return {
    seq: row.seq,
    id: row.id,
    namespace: row.namespace,
    functionId: row.function_id,
    functionName: row.function_name,
    functionVersion: row.function_version,
    status: row.status,
    blocking: row.blocking === 1,
    args: row.args,
    output: row.output,
    error: row.error === null ? null : (JSON.parse(row.error) as StoredExecution['error']),
    logs: row.logs,
    logsTruncated: row.logs_truncated === 1,
    created: row.created,
    started: row.started,
    finished: row.finished,
    durationMs: row.duration_ms,
    callback:
      row.callback_url === null
        ? null
        : {
            url: row.callback_url,
            state: row.callback_state ?? 'pending',
            attempts: row.callback_attempts,
            lastError: row.callback_last_error,
            nextAttempt: row.callback_next_attempt,
          },
  };
}
