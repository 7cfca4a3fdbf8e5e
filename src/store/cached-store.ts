import type {
  CallbackSettlement,
  ExecutionEnd,
  ExecutionQuery,
  ExecutionSize,
  FunctionPatch,
  NewExecution,
  NewIdempotencyKey,
  OwedCallback,
  QueuedExecution,
  Store,
  StoredExecution,
  StoredFunction,
  StoredIdempotencyKey,
  StoredToken,
} from './store.js';

/**
 * A {@link Store} that serves token and function look-ups from memory. Exact, not eventually
 * consistent: every write goes through this object, which updates or drops what it changes. Only one
 * process may write the database (the embedded deployment this server is built for).
 */
export class CachedStore implements Store {
  readonly #inner: Store;
  readonly #tokens = new Map<string, StoredToken>();
  readonly #functions = new Map<string, StoredFunction>();
  readonly #functionIds = new Map<string, string>();

  constructor(inner: Store) {
    this.#inner = inner;
  }

  #remember(fn: StoredFunction): StoredFunction {
    this.#functions.set(fn.id, fn);
    this.#functionIds.set(nameKey(fn.namespace, fn.name), fn.id);
    return fn;
  }

  #forget(fn: StoredFunction): void {
    this.#functions.delete(fn.id);
    this.#functionIds.delete(nameKey(fn.namespace, fn.name));
  }

  countTokens(): Promise<number> {
    return this.#inner.countTokens();
  }

  insertToken(token: StoredToken): Promise<void> {
    return this.#inner.insertToken(token);
  }

  async findTokenByHash(tokenHash: string): Promise<StoredToken | undefined> {
    const cached = this.#tokens.get(tokenHash);
    if (cached) return cached;
    const token = await this.#inner.findTokenByHash(tokenHash);
    // Unknown hashes are not remembered: a flood of wrong tokens must not grow memory.
    if (token) this.#tokens.set(tokenHash, token);
    return token;
  }

  listTokens(): Promise<StoredToken[]> {
    return this.#inner.listTokens();
  }

  async deleteToken(id: string): Promise<boolean> {
    const deleted = await this.#inner.deleteToken(id);
    for (const [hash, token] of this.#tokens) if (token.id === id) this.#tokens.delete(hash);
    return deleted;
  }

  async insertFunction(fn: StoredFunction): Promise<void> {
    await this.#inner.insertFunction(fn);
    this.#remember(fn);
  }

  async getFunction(namespace: string, name: string): Promise<StoredFunction | undefined> {
    const id = this.#functionIds.get(nameKey(namespace, name));
    const cached = id === undefined ? undefined : this.#functions.get(id);
    if (cached) return cached;
    const fn = await this.#inner.getFunction(namespace, name);
    return fn && this.#remember(fn);
  }

  async getFunctionById(id: string): Promise<StoredFunction | undefined> {
    const cached = this.#functions.get(id);
    if (cached) return cached;
    const fn = await this.#inner.getFunctionById(id);
    return fn && this.#remember(fn);
  }

  listFunctions(namespace: string): Promise<StoredFunction[]> {
    return this.#inner.listFunctions(namespace);
  }

  async updateFunction(
    namespace: string,
    name: string,
    patch: FunctionPatch,
    updated: string,
  ): Promise<StoredFunction | undefined> {
    const id = this.#functionIds.get(nameKey(namespace, name));
    const before = id === undefined ? undefined : this.#functions.get(id);
    const fn = await this.#inner.updateFunction(namespace, name, patch, updated);
    if (before) this.#forget(before);
    return fn && this.#remember(fn);
  }

  async deleteFunction(
    namespace: string,
    name: string,
    cancelled: ExecutionEnd,
  ): Promise<{ fn: StoredFunction; cancelledIds: string[] } | undefined> {
    const result = await this.#inner.deleteFunction(namespace, name, cancelled);
    if (result) this.#forget(result.fn);
    return result;
  }

  insertExecutions(executions: readonly NewExecution[], idempotency?: NewIdempotencyKey): Promise<void> {
    return this.#inner.insertExecutions(executions, idempotency);
  }

  markRunning(id: string, functionVersion: number, started: string): Promise<void> {
    return this.#inner.markRunning(id, functionVersion, started);
  }

  finishExecution(id: string, end: ExecutionEnd): Promise<boolean> {
    return this.#inner.finishExecution(id, end);
  }

  getExecution(namespace: string, id: string): Promise<StoredExecution | undefined> {
    return this.#inner.getExecution(namespace, id);
  }

  getExecutions(namespace: string, ids: readonly string[]): Promise<(StoredExecution | undefined)[]> {
    return this.#inner.getExecutions(namespace, ids);
  }

  listExecutions(namespace: string, query: ExecutionQuery): Promise<StoredExecution[]> {
    return this.#inner.listExecutions(namespace, query);
  }

  executionSizes(namespace: string, selection: { query: ExecutionQuery } | { ids: readonly string[] }): Promise<ExecutionSize[]> {
    return this.#inner.executionSizes(namespace, selection);
  }

  listQueued(): Promise<QueuedExecution[]> {
    return this.#inner.listQueued();
  }

  failInterrupted(end: ExecutionEnd): Promise<StoredExecution[]> {
    return this.#inner.failInterrupted(end);
  }

  deleteEndedBefore(before: string, limit: number): Promise<number> {
    return this.#inner.deleteEndedBefore(before, limit);
  }

  findIdempotencyKey(namespace: string, key: string, expiredBefore: string): Promise<StoredIdempotencyKey | undefined> {
    return this.#inner.findIdempotencyKey(namespace, key, expiredBefore);
  }

  deleteIdempotencyKeysBefore(before: string, limit: number): Promise<number> {
    return this.#inner.deleteIdempotencyKeysBefore(before, limit);
  }

  beginCallbackAttempt(id: string): Promise<StoredExecution | undefined> {
    return this.#inner.beginCallbackAttempt(id);
  }

  settleCallback(id: string, settlement: CallbackSettlement): Promise<void> {
    return this.#inner.settleCallback(id, settlement);
  }

  listOwedCallbacks(): Promise<OwedCallback[]> {
    return this.#inner.listOwedCallbacks();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}
