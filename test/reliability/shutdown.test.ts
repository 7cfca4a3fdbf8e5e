import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ADMIN_TOKEN, removeDataDir, SNAPSHOT_DIR, startTestServer } from '../integration/harness.js';
import { assertRefused, ended, NAP, record, startNap, until } from './executions.js';

const ECHO = 'def main(args, context):\n    return args\n';
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

describe('graceful shutdown', () => {
  test('while draining, new runs get 503 SHUTTING_DOWN with Retry-After, reads are answered, and queued runs stay pending until the next start', async () => {
    const first = await startTestServer({ workers: 1, killGraceMs: 50 });
    const dataDir = first.dataDir;
    try {
      await first.create('nap', NAP, { timeout: 900 });
      await first.create('echo', ECHO);
      // Runs on past the grace period, which the second shutdown call below cuts short.
      const running = await startNap(first, 600);
      const queued = (await first.call('POST', '/v1/functions/echo/bulk_rpc', [{ n: 1 }, { n: 2 }])).json as string[];
      const blocking = first.call('GET', '/v1/sync/functions/echo/rpc?n=3');
      await until(
        async () => (await first.call('GET', '/v1/executions?status=pending&function=echo')).json as unknown[],
        (pending) => pending.length === 3,
        'the blocking run to wait for the worker',
      );

      const stopped = first.server.shutdown();
      const withdrawn = await blocking;
      assertRefused(withdrawn, 503, 'SHUTTING_DOWN', /echo did not run: the server began shutting down before the run started/);
      assert.equal(withdrawn.json.execution.status, 'cancelled');
      assert.equal(withdrawn.json.execution.error.type, 'ServerShutdown');
      const withdrawnId = withdrawn.headers.get('x-execution-id') ?? '';

      for (const [method, path, body] of [
        ['GET', '/v1/functions/echo/rpc?n=4', undefined],
        ['POST', '/v1/functions/echo/rpc', { n: 4 }],
        ['POST', '/v1/functions/echo/bulk_rpc', [{ n: 4 }]],
        ['GET', '/v1/sync/functions/echo/rpc?n=4', undefined],
        ['POST', '/v1/sync/functions/echo/rpc', { n: 4 }],
      ] as const) {
        assertRefused(await first.call(method, path, body), 503, 'SHUTTING_DOWN', /shutting down/);
      }
      assert.equal((await record(first, queued[0] as string)).status, 'pending');
      assert.equal((await record(first, running)).status, 'running');
      assert.equal((await first.call('GET', '/v1/functions/echo')).status, 200);
      const health = await first.call('GET', '/healthz', undefined, null);
      assert.equal(health.json.draining, true);

      assert.equal(await first.server.shutdown(0), 1, 'one run was still going when the grace period was cut short');
      assert.equal(await stopped, 1);

      const second = await startTestServer({ workers: 1 }, dataDir);
      try {
        const records = await ended(second, queued);
        assert.deepEqual(records.map((r) => [r.status, r.args.n]), [['completed', 1], ['completed', 2]]);
        const cut = await record(second, running);
        assert.equal(cut.status, 'failed', 'a run still going after the grace period ends as on a hard stop');
        assert.equal(cut.error?.type, 'ServerRestarted');
        const notRun = await record(second, withdrawnId);
        assert.equal(notRun.status, 'cancelled');
        assert.equal(notRun.error?.type, 'ServerShutdown');
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });

  test('a run going when the shutdown begins finishes within the grace period and is recorded completed', async () => {
    const first = await startTestServer({ workers: 1 });
    const dataDir = first.dataDir;
    try {
      await first.create('nap', NAP);
      const running = await startNap(first, 2);
      assert.equal(first.server.engine.status().running, 1);
      assert.equal(await first.server.shutdown(), 0, 'nothing was left running');
      const second = await startTestServer({ workers: 1 }, dataDir);
      try {
        const done = await record(second, running);
        assert.equal(done.status, 'completed');
        assert.deepEqual(done.output, { s: 2 });
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });
});

interface ServerProcess {
  url: string;
  /** Resolves with the exit status and signal once the process has ended, with all it printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  /** Resolves once the process has printed something matching `pattern`. */
  printed(pattern: RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** `node dist/src/main.js` on a free port with `dataDir`, as `npm start` runs it; resolves once it listens. */
function startProcess(dataDir: string): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('FAASPOT_')) env[key] = value;
  Object.assign(env, {
    FAASPOT_DATA_DIR: dataDir,
    FAASPOT_PORT: '0',
    FAASPOT_HOST: '127.0.0.1',
    FAASPOT_ADMIN_TOKEN: ADMIN_TOKEN,
    FAASPOT_SNAPSHOT_DIR: SNAPSHOT_DIR,
    FAASPOT_WORKERS: '1',
  });
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const watchers = new Set<() => void>();
  const printed = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!pattern.test(output)) return;
        watchers.delete(check);
        resolve();
      };
      watchers.add(check);
      check();
    });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
  return new Promise((resolve, reject) => {
    const collect = (chunk: string) => {
      output += chunk;
      for (const check of [...watchers]) check();
      const listening = /listening on (http:\/\/[^"\s]+)/.exec(output);
      if (listening?.[1]) resolve({ url: listening[1], exited, printed, kill: (signal) => child.kill(signal) });
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    child.on('error', reject);
    void exited.then(({ code }) => reject(new Error(`the server exited with status ${code} before listening:\n${output}`)));
  });
}

describe('the server process', () => {
  test('SIGTERM during a run lets it finish, closes the database and exits with status 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faaspot-test-'));
    try {
      const server = await startProcess(dataDir);
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(server.url + path, {
          method,
          headers: { authorization: `Token ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: response.status, json: (await response.json()) as any };
      };
      const created = await call('PUT', '/v1/functions/', { name: 'nap', code: NAP });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      const id = (await call('POST', '/v1/functions/nap/rpc', { s: 2 })).json as string;
      await until(async () => (await call('GET', `/v1/executions/${id}`)).json.status as string, (status) => status === 'running', 'the run to start');

      server.kill('SIGTERM');
      const { code, signal, output } = await server.exited;
      assert.equal(signal, null, output);
      assert.equal(code, 0, output);
      assert.match(output, /SIGTERM received, stopping: new runs are refused, 1 running may take up to 30 s to finish/);
      assert.match(output, /"msg":"stopped"/);

      const db = new Database(join(dataDir, 'faaspot.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT status, output FROM executions WHERE id = ?').get(id) as { status: string; output: string };
        assert.equal(row.status, 'completed');
        assert.deepEqual(JSON.parse(row.output), { s: 2 });
      } finally {
        db.close();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });

  test('SIGINT stops an idle server with status 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'faaspot-test-'));
    try {
      const server = await startProcess(dataDir);
      await server.printed(/interpreters warm/);
      server.kill('SIGINT');
      const { code, output } = await server.exited;
      assert.equal(code, 0, output);
      assert.match(output, /SIGINT received, stopping[\s\S]*"msg":"stopped"/);
    } finally {
      removeDataDir(dataDir);
    }
  });
});
