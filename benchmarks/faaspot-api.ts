import type { HttpClient, HttpReply } from './http-client.js';

/** `GET /healthz`, with the API's snake_case fields in camelCase. */
export interface Health {
  warm: boolean;
  workers: number;
  running: number;
  queued: number;
  pristine: number;
  warmFunctions: number;
  coldStarts: number;
}

/** How often the benchmark polls `/healthz` while it waits for a state; short, since waits are timed. */
const POLL_MS = 10;

function numberField(body: Record<string, unknown>, key: string): number {
  const value = body[key];
  if (typeof value !== 'number') throw new Error(`/healthz has no number \`${key}\`: ${JSON.stringify(body)}`);
  return value;
}

/** Reads the health answer, failing loudly if a field the benchmark relies on is missing. */
function parseHealth(text: string): Health {
  const body = JSON.parse(text) as unknown;
  if (body === null || typeof body !== 'object') throw new Error(`/healthz answered ${text}`);
  const record = body as Record<string, unknown>;
  return {
    warm: record.warm === true,
    workers: numberField(record, 'workers'),
    running: numberField(record, 'running'),
    queued: numberField(record, 'queued'),
    pristine: numberField(record, 'pristine'),
    warmFunctions: numberField(record, 'warm_functions'),
    coldStarts: numberField(record, 'cold_starts'),
  };
}

/** Every worker holds a pristine interpreter and nothing runs or waits: a new function would start warm. */
export const allPristine = (health: Health): boolean => health.pristine === health.workers && health.running === 0 && health.queued === 0;

/** Nothing running, nothing queued. */
export const idle = (health: Health): boolean => health.running === 0 && health.queued === 0;

/**
 * The few FaaSpot API calls the benchmark makes, over the shared {@link HttpClient}. Every call
 * that does not answer what it should throws with the answer, so a scenario never times a failure.
 */
export class FaaspotApi {
  readonly url: string;
  readonly #client: HttpClient;
  readonly #token: string;

  constructor(client: HttpClient, url: string, token: string) {
    this.#client = client;
    this.url = url;
    this.#token = token;
  }

  /** Headers of an authenticated JSON request. */
  get headers(): Record<string, string> {
    return { authorization: `Token ${this.#token}`, 'content-type': 'application/json' };
  }

  /** URL of the blocking GET run of `name`. */
  runUrl(name: string): string {
    return `${this.url}/v1/sync/functions/${encodeURIComponent(name)}/rpc/`;
  }

  async health(): Promise<Health> {
    const reply = await this.#client.request('GET', `${this.url}/healthz`);
    if (reply.status !== 200) throw new Error(`/healthz answered ${reply.status}: ${reply.body}`);
    return parseHealth(reply.body);
  }

  /** Polls `/healthz` until `predicate` holds; fails after `timeoutMs`, naming what it waited for. */
  async waitFor(what: string, predicate: (health: Health) => boolean, timeoutMs = 120_000): Promise<Health> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const health = await this.health();
      if (predicate(health)) return health;
      if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; /healthz: ${JSON.stringify(health)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Creates a function; `extra` holds more fields of the request, such as `timeout`. */
  async createFunction(name: string, code: string, extra: Record<string, unknown> = {}): Promise<void> {
    const reply = await this.#call('PUT', '/v1/functions/', JSON.stringify({ ...extra, name, code }));
    this.#expect200(reply, `creating ${name}`);
  }

  /** Runs `name` once, blocking, and answers main's return value as JSON text. */
  async runBlocking(name: string): Promise<string> {
    const reply = await this.#client.request('GET', this.runUrl(name), { headers: this.headers });
    this.#expect200(reply, `running ${name}`);
    return reply.body;
  }

  /** Submits one execution per item; answers their ids. */
  async bulkRpc(name: string, items: readonly object[]): Promise<string[]> {
    const reply = await this.#call('POST', `/v1/functions/${encodeURIComponent(name)}/bulk_rpc/`, JSON.stringify(items));
    this.#expect200(reply, `bulk_rpc of ${name}`);
    const ids = JSON.parse(reply.body) as unknown;
    if (!Array.isArray(ids) || ids.length !== items.length || !ids.every((id) => typeof id === 'string')) {
      throw new Error(`bulk_rpc of ${items.length} items answered ${reply.body.slice(0, 200)}`);
    }
    return ids;
  }

  /**
   * How many of `ids` the executions list shows as completed for function `name`, paging newest first
   * (`status=completed&function=NAME&limit=1000`, then `cursor=` from `X-Next-Cursor`) and stopping
   * once every id has been seen.
   */
  async countCompleted(name: string, ids: readonly string[]): Promise<number> {
    const wanted = new Set(ids);
    let found = 0;
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ status: 'completed', function: name, limit: '1000' });
      if (cursor !== undefined) query.set('cursor', cursor);
      const reply = await this.#call('GET', `/v1/executions/?${query.toString()}`);
      this.#expect200(reply, 'listing executions');
      const page = JSON.parse(reply.body) as unknown;
      if (!Array.isArray(page)) throw new Error(`the executions list answered ${reply.body.slice(0, 200)}`);
      for (const record of page as unknown[]) {
        const uuid = record !== null && typeof record === 'object' ? (record as Record<string, unknown>).uuid : undefined;
        if (typeof uuid === 'string' && wanted.delete(uuid)) found++;
      }
      const next = reply.headers['x-next-cursor'];
      cursor = typeof next === 'string' ? next : undefined;
    } while (cursor !== undefined && wanted.size > 0);
    return found;
  }

  #call(method: string, path: string, body?: string): Promise<HttpReply> {
    return this.#client.request(method, this.url + path, body === undefined ? { headers: this.headers } : { headers: this.headers, body });
  }

  #expect200(reply: HttpReply, what: string): void {
    if (reply.status !== 200) throw new Error(`${what} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
}
