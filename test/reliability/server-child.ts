import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SNAPSHOT_DIR } from '../integration/harness.js';

/** What `npm start` runs, as compiled by `npm run build`. */
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
/** serve.ts logs this once it listens (a JSON line, or text); with FAASPOT_PORT=0 it carries the chosen port. */
const LISTENING = /listening on (http:\/\/[^"\s]+)/;
const LISTEN_TIMEOUT_MS = 60_000;

/** Children still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A FaaSpot server in a process of its own, as an operator runs it: `node dist/src/main.js`. */
export interface ServerChild {
  url: string;
  pid: number;
  /** What the server printed so far (its start is kept), for failure messages. */
  output(): string;
  /** Sends `signal` and resolves with how the process ended. */
  signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the server on `dataDir` with port 0, the given admin token, the test suite's shared snapshot
 * cache and `env` on top; resolves once it listens.
 */
export async function startServerChild(dataDir: string, adminToken: string, env: Record<string, string> = {}): Promise<ServerChild> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      FAASPOT_DATA_DIR: dataDir,
      FAASPOT_PORT: '0',
      FAASPOT_HOST: '127.0.0.1',
      FAASPOT_ADMIN_TOKEN: adminToken,
      FAASPOT_SNAPSHOT_DIR: SNAPSHOT_DIR,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen within ${LISTEN_TIMEOUT_MS} ms:\n${output}`)), LISTEN_TIMEOUT_MS);
    const read = (chunk: Buffer) => {
      // Reading goes on past the cap, so that a full pipe never blocks the server.
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('error', reject);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${signal ?? code}) before listening:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid ?? 0,
    output: () => output,
    signal(signal) {
      if (live.has(child)) child.kill(signal);
      return exited;
    },
  };
}
