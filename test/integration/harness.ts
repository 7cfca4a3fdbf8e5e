import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestServer {
  url: string;
  dataDir: string;
  server: RunningServer;
  /**
   * The server's log so far, each line parsed as JSON (a line that does not parse fails the test).
   * Test servers log here, never to the test's own output.
   */
  logs(): Record<string, unknown>[];
  /** Sends a request with the admin token (or `token`), JSON-encoding a non-string body. */
  call(method: string, path: string, body?: unknown, token?: string | null, headers?: Record<string, string>): Promise<Reply>;
  /** Creates a function and fails the test if the server refuses. */
  create(name: string, code: string, extra?: Record<string, unknown>, token?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Test servers share one snapshot cache, so only the first start of a run makes the snapshot. */
export const SNAPSHOT_DIR = join(tmpdir(), 'faaspot-test-snapshots');

/** A real server on port 0 with a fresh data directory (or `dataDir`), warm before it returns. */
export async function startTestServer(overrides: Partial<Config> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'faaspot-test-'));
  const config = loadConfig({}, { port: 0, dataDir: dir, snapshotDir: SNAPSHOT_DIR, adminToken: ADMIN_TOKEN, workers: 2, ...overrides });
  const lines: string[] = [];
  const server = await startServer(config, { logDestination: { write: (line: string) => void lines.push(line) } });
  await server.engine.whenWarm();
  const call: TestServer['call'] = async (method, path, body, token = ADMIN_TOKEN, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token !== null) (init.headers as Record<string, string>).authorization = `Token ${token}`;
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(server.url + path, init);
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return {
    url: server.url,
    dataDir: dir,
    server,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    call,
    async create(name, code, extra = {}, token = ADMIN_TOKEN) {
      const reply = await call('PUT', '/v1/functions/', { name, code, ...extra }, token);
      if (reply.status !== 200) throw new Error(`creating ${name} failed: ${reply.status} ${reply.text}`);
    },
    async stop() {
      await server.close();
    },
  };
}

/** Removes a data directory made by {@link startTestServer}. */
export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
