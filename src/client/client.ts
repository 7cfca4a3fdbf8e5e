import { errorFromResponse, FaaspotError } from './errors.js';
import { resolveConnection, type ConnectionOptions } from './profile.js';
import {
  isTerminal,
  type CallbackKeyInfo,
  type CreatedToken,
  type CreateFunctionOptions,
  type DeletedFunction,
  type ExecutionPage,
  type ExecutionRecord,
  type FunctionInfo,
  type ListExecutionsOptions,
  type RunArgs,
  type StartOptions,
  type TokenInfo,
  type UpdateFunctionOptions,
} from './types.js';

/** The longest hold the server grants a long-poll (`GET /v1/executions/<id>?wait=S`), seconds. */
const MAX_LONG_POLL_SECONDS = 60;
/** How many unfinished executions `waitAll` reads per bulk request. */
const BULK_WINDOW = 500;

export interface FaaspotOptions {
  /** The server's base URL, such as `http://127.0.0.1:8080` (a path prefix is kept). */
  url: string;
  /** An API token; sent as `Authorization: Token <token>`. */
  token: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

/** @internal */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
}

/** @internal */
export interface Answer<T> {
  value: T;
  headers: Headers;
}

/** One API call: JSON in, JSON out, errors as FaaspotError. */
export type Requester = <T>(method: string, path: string, options?: RequestOptions) => Promise<Answer<T>>;

/**
 * A client of the FaaSpot HTTP API.
 *
 * @example
 * import { Faaspot } from 'faaspot';
 * const faaspot = new Faaspot({ url: 'http://127.0.0.1:8080', token: process.env.MY_TOKEN! });
 * await faaspot.functions.create('hello', { code: 'def main(args, context):\n    return "hello " + args["name"]\n' });
 * console.log(await faaspot.functions.run('hello', { name: 'user1' }, { wait: true })); // hello user1
 */
export class Faaspot {
  /** The server's base URL, without a trailing slash. */
  readonly url: string;
  readonly functions: FunctionsApi;
  readonly executions: ExecutionsApi;
  /** Token administration; needs an admin token. */
  readonly tokens: TokensApi;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(options: FaaspotOptions) {
    if (typeof options.url !== 'string' || options.url.trim() === '') throw new FaaspotError('CONFIG_ERROR', 'Faaspot needs the server `url`');
    if (typeof options.token !== 'string' || options.token.trim() === '') throw new FaaspotError('CONFIG_ERROR', 'Faaspot needs a `token`');
    this.url = options.url.trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/i.test(this.url) || !URL.canParse(this.url)) {
      throw new FaaspotError('CONFIG_ERROR', `Faaspot needs an http:// or https:// \`url\`; got ${JSON.stringify(options.url)}`);
    }
    this.#token = options.token.trim();
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    const request: Requester = (method, path, options) => this.#request(method, path, options);
    this.functions = new FunctionsApi(request);
    this.executions = new ExecutionsApi(request);
    this.tokens = new TokensApi(request);
  }

  /**
   * A client for the current profile of `~/.faaspot/fasconf.yaml` (see `fas profiles`), or the one
   * named in `options.profile`; `FAASPOT_URL` and `FAASPOT_TOKEN` override the profile's address and token.
   * Throws a CONFIG_ERROR FaaspotError when no token is found.
   *
   * @example
   * const faaspot = Faaspot.fromProfile();            // the current profile, or FAASPOT_URL/FAASPOT_TOKEN
   * const staging = Faaspot.fromProfile({ profile: 'staging' });
   */
  static fromProfile(options: ConnectionOptions & { fetch?: typeof fetch } = {}): Faaspot {
    const { url, token } = resolveConnection(options);
    return new Faaspot({ url, token, ...(options.fetch && { fetch: options.fetch }) });
  }

  /**
   * The key that signs the completion callbacks of this token's namespace, for a receiver to check
   * `X-Faaspot-Signature` (`GET /v1/callback-secret`). Each namespace has its own.
   *
   * @example
   * const { secret } = await faaspot.callbackSecret();
   * // at the receiver: `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
   */
  async callbackSecret(): Promise<CallbackKeyInfo> {
    return (await this.#request<CallbackKeyInfo>('GET', '/v1/callback-secret')).value;
  }

  async #request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    let target = this.url + path;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(key, String(value));
    const search = query.toString();
    if (search !== '') target += `?${search}`;
    const headers: Record<string, string> = { ...options.headers, authorization: `Token ${this.#token}`, accept: 'application/json' };
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.signal) init.signal = options.signal;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(target, init);
      text = await response.text();
    } catch (error) {
      throw connectionError(error, `${method} ${this.url}${path}`, this.url);
    }
    if (!response.ok) throw errorFromResponse(response.status, text, `${method} ${path}`);
    try {
      return { value: JSON.parse(text) as T, headers: response.headers };
    } catch {
      throw new FaaspotError('UNEXPECTED_RESPONSE', `${method} ${path} answered HTTP ${response.status} with a body that is not JSON`, {
        status: response.status,
      });
    }
  }
}

function connectionError(error: unknown, what: string, url: string): FaaspotError {
  if (error instanceof Error && error.name === 'AbortError') {
    return new FaaspotError('CONNECTION_ERROR', `${what} was aborted`, { cause: error });
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : String(error);
  return new FaaspotError('CONNECTION_ERROR', `Cannot reach the FaaSpot server at ${url} (${reason}); is it running, and is the URL right?`, {
    cause: error,
  });
}

/**
 * The request headers of a run's options: `Idempotency-Key` and `X-Callback-Url`, each if given. A key
 * the server would refuse is refused here with the server's code, before anything is sent: `fetch`
 * itself cannot send some of them.
 */
function startHeaders(options: StartOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const key = options.idempotencyKey;
  if (key !== undefined) {
    if (typeof key !== 'string' || !/^[\x20-\x7e]{1,255}$/.test(key) || key.trim() !== key) {
      throw new FaaspotError(
        'INVALID_IDEMPOTENCY_KEY',
        `An idempotency key must be 1 to 255 printable ASCII characters, without spaces at either end (a random UUID makes a good key); got ${JSON.stringify(key)}`,
      );
    }
    headers['idempotency-key'] = key;
  }
  if (options.callbackUrl !== undefined) headers['x-callback-url'] = options.callbackUrl;
  return headers;
}

function fnPath(name: string): string {
  return `/v1/functions/${encodeURIComponent(name)}`;
}

/** Functions: create, update, get, list, delete, and run them. Reach it as `client.functions`. */
export class FunctionsApi {
  constructor(private readonly request: Requester) {}

  /**
   * Creates a function. The code is checked without running it: a syntax error is INVALID_CODE (with
   * `details.line`), no `main(args, context)` INVALID_MAIN, a taken name FUNCTION_EXISTS.
   *
   * @example
   * await faaspot.functions.create('hello', {
   *   code: readFileSync('hello.py', 'utf8'),
   *   context: 'access_key_is = "XYZ"\nsecret_access_key = "123"\n', // or { access_key_is: 'XYZ' }
   *   timeout: 30,
   * });
   */
  async create(name: string, options: CreateFunctionOptions): Promise<FunctionInfo> {
    const body: Record<string, unknown> = { name, code: options.code };
    if (options.context !== undefined) body.context = options.context;
    if (options.timeout !== undefined) body.timeout = options.timeout;
    if (options.memory !== undefined) body.memory = options.memory;
    return (await this.request<FunctionInfo>('PUT', '/v1/functions/', { body })).value;
  }

  /**
   * Updates any of a function's code, context, name, timeout and memory; its version grows by one.
   *
   * @example await faaspot.functions.update('hello', { code: newCode, newName: 'greet' });
   */
  async update(name: string, options: UpdateFunctionOptions): Promise<FunctionInfo> {
    const body: Record<string, unknown> = {};
    if (options.code !== undefined) body.code = options.code;
    if (options.context !== undefined) body.context = options.context;
    if (options.newName !== undefined) body.name = options.newName;
    if (options.timeout !== undefined) body.timeout = options.timeout;
    if (options.memory !== undefined) body.memory = options.memory;
    return (await this.request<FunctionInfo>('PATCH', fnPath(name), { body })).value;
  }

  /**
   * One function with its code (its context's keys only).
   *
   * @example const { version, code } = await faaspot.functions.get('hello');
   */
  async get(name: string): Promise<FunctionInfo> {
    return (await this.request<FunctionInfo>('GET', fnPath(name))).value;
  }

  /**
   * The functions of the token's namespace, without their code.
   *
   * @example for (const fn of await faaspot.functions.list()) console.log(fn.name, fn.version);
   */
  async list(): Promise<FunctionInfo[]> {
    return (await this.request<FunctionInfo[]>('GET', '/v1/functions/')).value;
  }

  /**
   * Deletes a function; its pending executions become `cancelled`.
   *
   * @example const { cancelled_executions } = await faaspot.functions.delete('hello');
   */
  async delete(name: string): Promise<DeletedFunction> {
    return (await this.request<DeletedFunction>('DELETE', fnPath(name))).value;
  }

  /**
   * Runs a function. Without `wait`, the execution is queued and its id returned at once (follow it with
   * `executions.get` or `executions.wait`); with `idempotencyKey`, sending the same run again with the
   * key returns the same id and runs nothing (see {@link StartOptions}), and with `callbackUrl` the
   * server POSTs the final record there when the run ends, signed (see the README's "Completion
   * callbacks"); a URL it does not take is CALLBACK_URL_INVALID or CALLBACK_URL_FORBIDDEN, and nothing
   * runs. With `wait: true`, the run is blocking: main's return value is returned, and a failure throws
   * a {@link FunctionRunError} (`FUNCTION_FAILED` or `FUNCTION_TIMEOUT`) whose `execution` holds the
   * record; blocking runs take neither `idempotencyKey` nor `callbackUrl`. Node's `fetch` stops waiting
   * for an answer after 300 s, so for a function whose timeout is longer, run without `wait` and use
   * `executions.wait`.
   *
   * @example
   * const id = await faaspot.functions.run('hello', { name: 'user1' });
   * const same = await faaspot.functions.run('hello', { name: 'user1' }, { idempotencyKey: 'order-42' });
   * const output = await faaspot.functions.run('hello', { name: 'user1' }, { wait: true }); // "hello user1"
   * await faaspot.functions.run('hello', { name: 'user1' }, { callbackUrl: 'https://hooks.example.com/faaspot' });
   */
  run(name: string, args?: RunArgs, options?: { wait?: false } & StartOptions): Promise<string>;
  run(name: string, args: RunArgs | undefined, options: { wait: true }): Promise<unknown>;
  run(name: string, args?: RunArgs, options?: { wait?: boolean } & StartOptions): Promise<unknown>;
  async run(name: string, args: RunArgs = {}, options: { wait?: boolean } & StartOptions = {}): Promise<unknown> {
    const encoded = encodeURIComponent(name);
    const headers = startHeaders(options);
    if (options.wait) return (await this.request<unknown>('POST', `/v1/sync/functions/${encoded}/rpc/`, { body: args, headers })).value;
    return (await this.request<string>('POST', `/v1/functions/${encoded}/rpc/`, { body: args, headers })).value;
  }

  /**
   * Runs a function once per item of `argsList`, without waiting; all are accepted or none. Returns the
   * execution ids in order (wait for them with `executions.wait` or read them with `executions.getBulk`).
   * With `idempotencyKey`, sending the same bulk again with the key returns the same ids and runs
   * nothing (see {@link StartOptions}); with `callbackUrl`, each execution's final record is POSTed
   * there when it ends.
   *
   * @example
   * const ids = await faaspot.functions.runBulk('hello', [{ k1: 'v1', k2: 'v2' }, { k3: 'v3', k4: 'v4' }]);
   * const safe = await faaspot.functions.runBulk('hello', [{ name: 'a' }], { idempotencyKey: randomUUID() });
   */
  async runBulk(name: string, argsList: readonly RunArgs[], options: StartOptions = {}): Promise<string[]> {
    const path = `/v1/functions/${encodeURIComponent(name)}/bulk_rpc/`;
    return (await this.request<string[]>('POST', path, { body: argsList, headers: startHeaders(options) })).value;
  }
}

/** Execution records: read, wait for, list and cancel them. Reach it as `client.executions`. */
export class ExecutionsApi {
  constructor(private readonly request: Requester) {}

  /**
   * The execution record now.
   *
   * @example const { status, output } = await faaspot.executions.get(id);
   */
  async get(id: string): Promise<ExecutionRecord> {
    return (await this.request<ExecutionRecord>('GET', `/v1/executions/${encodeURIComponent(id)}`)).value;
  }

  /**
   * Waits until the execution ends (`completed`, `failed` or `cancelled`) and returns its record. It
   * holds the server's long-poll (`?wait=60`) again and again, so it never sleeps on the client side.
   * With `timeoutMs`, gives up with a WAIT_TIMEOUT FaaspotError (its `execution` the last record);
   * `signal` aborts it (CONNECTION_ERROR).
   *
   * @example
   * const record = await faaspot.executions.wait(await faaspot.functions.run('hello', { name: 'user1' }));
   * if (record.status === 'completed') console.log(record.output);
   */
  async wait(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ExecutionRecord> {
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const path = `/v1/executions/${encodeURIComponent(id)}`;
    for (;;) {
      let seconds = MAX_LONG_POLL_SECONDS;
      if (deadline !== undefined) seconds = Math.min(seconds, Math.max(0, (deadline - Date.now()) / 1000));
      const query = seconds > 0 ? { wait: Math.round(seconds * 1000) / 1000 } : {};
      const record = (await this.request<ExecutionRecord>('GET', path, { query, signal: options.signal })).value;
      if (isTerminal(record.status)) return record;
      if (deadline !== undefined && Date.now() >= deadline) {
        throw new FaaspotError('WAIT_TIMEOUT', `The execution ${id} is still ${record.status} after ${options.timeoutMs} ms`, { execution: record });
      }
    }
  }

  /**
   * Waits until every execution of `ids` ends; returns their records in the order of `ids`. `onEnd` is
   * called once per execution as it is seen ending (in any order). Like `wait`, it never sleeps on the
   * client side: it holds the server's long-poll on the oldest unfinished execution and reads the others
   * in bulk (`POST /v1/executions/bulk`) between polls. An unknown id is an EXECUTION_NOT_FOUND FaaspotError.
   *
   * @example
   * const ids = await faaspot.functions.runBulk('hello', [{ name: 'a' }, { name: 'b' }]);
   * const records = await faaspot.executions.waitAll(ids, { onEnd: (r, i) => console.log(i, r.status) });
   */
  async waitAll(
    ids: readonly string[],
    options: { onEnd?: (record: ExecutionRecord, index: number) => void; signal?: AbortSignal } = {},
  ): Promise<ExecutionRecord[]> {
    const records: (ExecutionRecord | undefined)[] = ids.map(() => undefined);
    let pending = ids.map((_, index) => index);
    const ended = (record: ExecutionRecord, index: number) => {
      records[index] = record;
      options.onEnd?.(record, index);
    };
    // Halved while the server finds the records of a batch too large to answer at once.
    let window = BULK_WINDOW;
    while (pending.length > 0) {
      const batch = pending.slice(0, window);
      let found: (ExecutionRecord | null)[];
      try {
        found = (
          await this.request<(ExecutionRecord | null)[]>('POST', '/v1/executions/bulk', {
            body: batch.map((index) => ids[index]),
            signal: options.signal,
          })
        ).value;
      } catch (error) {
        if (!(error instanceof FaaspotError) || error.code !== 'RESPONSE_TOO_LARGE' || batch.length === 1) throw error;
        window = Math.ceil(batch.length / 2);
        continue;
      }
      batch.forEach((index, i) => {
        const record = found[i];
        if (!record) {
          throw new FaaspotError('EXECUTION_NOT_FOUND', `No execution with id ${JSON.stringify(ids[index])} in this namespace`, { status: 404 });
        }
        if (isTerminal(record.status)) ended(record, index);
      });
      pending = pending.filter((index) => records[index] === undefined);
      const head = pending[0];
      if (head === undefined) break;
      // Executions run in creation order, so the oldest unfinished one is the next to end. Hold its
      // long-poll briefly while others are outstanding, so that progress elsewhere is seen too.
      const seconds = pending.length > 1 ? 2 : MAX_LONG_POLL_SECONDS;
      const path = `/v1/executions/${encodeURIComponent(ids[head] ?? '')}`;
      const record = (await this.request<ExecutionRecord>('GET', path, { query: { wait: seconds }, signal: options.signal })).value;
      if (isTerminal(record.status)) {
        ended(record, head);
        pending.shift();
      }
    }
    return records as ExecutionRecord[];
  }

  /**
   * The records of several executions in one request, in order; `null` for an unknown id. Records
   * holding more than the server's `FAASPOT_MAX_RESPONSE` together are a RESPONSE_TOO_LARGE
   * FaaspotError: ask for fewer (`waitAll` does so by itself).
   *
   * @example const [first, second] = await faaspot.executions.getBulk(ids);
   */
  async getBulk(ids: readonly string[]): Promise<(ExecutionRecord | null)[]> {
    return (await this.request<(ExecutionRecord | null)[]>('POST', '/v1/executions/bulk', { body: ids })).value;
  }

  /**
   * One page of execution records, newest first: the pending and running ones, or with
   * `includeCompleted` all of them, or those of `status`. Pass `nextCursor` as `cursor` for the next page.
   *
   * @example
   * let page = await faaspot.executions.list({ includeCompleted: true, function: 'hello', limit: 50 });
   * while (page.nextCursor) page = await faaspot.executions.list({ includeCompleted: true, cursor: page.nextCursor });
   */
  async list(options: ListExecutionsOptions = {}): Promise<ExecutionPage> {
    const status = typeof options.status === 'string' ? options.status : options.status?.join(',');
    const { value, headers } = await this.request<ExecutionRecord[]>('GET', '/v1/executions/', {
      query: {
        include_completed: options.includeCompleted,
        function: options.function,
        status: status === '' ? undefined : status,
        limit: options.limit,
        cursor: options.cursor,
      },
    });
    return { executions: value, nextCursor: headers.get('x-next-cursor') || null };
  }

  /**
   * Every record `list` would give, page after page.
   *
   * @example for await (const record of faaspot.executions.listAll({ status: 'failed' })) console.log(record.uuid);
   */
  async *listAll(options: Omit<ListExecutionsOptions, 'cursor'> = {}): AsyncGenerator<ExecutionRecord, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, ...(cursor !== undefined && { cursor }) });
      yield* page.executions;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Cancels an execution: a pending one at once, a running one is stopped. Returns its record; an
   * execution that already ended is an EXECUTION_ENDED FaaspotError (with `execution`).
   *
   * @example await faaspot.executions.cancel(id);
   */
  async cancel(id: string): Promise<ExecutionRecord> {
    return (await this.request<ExecutionRecord>('DELETE', `/v1/executions/${encodeURIComponent(id)}`)).value;
  }
}

/** API tokens, for admin tokens only. Reach it as `client.tokens`. */
export class TokensApi {
  constructor(private readonly request: Requester) {}

  /**
   * Creates a token for `namespace`; its secret is in the answer only.
   *
   * @example const { token } = await admin.tokens.create('team-a');
   */
  async create(namespace: string, options: { admin?: boolean } = {}): Promise<CreatedToken> {
    const body = { namespace, ...(options.admin !== undefined && { admin: options.admin }) };
    return (await this.request<CreatedToken>('POST', '/v1/tokens/', { body })).value;
  }

  /** Every token, without secrets. */
  async list(): Promise<TokenInfo[]> {
    return (await this.request<TokenInfo[]>('GET', '/v1/tokens/')).value;
  }

  /** Revokes a token by id; it fails on its next request. */
  async revoke(id: string): Promise<TokenInfo & { revoked: true }> {
    return (await this.request<TokenInfo & { revoked: true }>('DELETE', `/v1/tokens/${encodeURIComponent(id)}`)).value;
  }
}
