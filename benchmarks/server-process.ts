import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { vmRssBytes } from './vm-rss.js';

/** What `npm start` runs, as built by `npm run build` (which `npm run bench` does first). */
const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
/** serve.ts logs this once the server listens (a JSON line, or text); with FAASPOT_PORT=0 it carries the chosen port. */
const LISTENING = /listening on (http:\/\/[^"\s]+)/;
/** Listening comes before the interpreters boot, so even a slow machine gets there well within this. */
const LISTEN_TIMEOUT_MS = 60_000;
/** A stopped server closes its workers and database; past this it is killed. */
const STOP_GRACE_MS = 15_000;

/** Children still running, killed outright if the benchmark exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** SIGTERM, as an operator would stop it; SIGKILL if it has not exited after a grace period. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (!live.has(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the URL the server prints once it listens; rejects if it exits or takes too long. */
function listeningUrl(child: ChildProcess): Promise<string> {
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen within ${LISTEN_TIMEOUT_MS} ms:\n${output}`)), LISTEN_TIMEOUT_MS);
    const read = (chunk: Buffer) => {
      // Only the start is kept: the address, or why the server did not come up. Reading goes on
      // regardless, so a full pipe never blocks the server.
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${signal ?? code}) before listening:\n${output}`));
    });
  });
}

/** Settings of a server child process. */
export interface ServerProcessOptions {
  dataDir: string;
  adminToken: string;
  /** `FAASPOT_WORKERS`. */
  workers: number;
  /** More `FAASPOT_*` variables, such as `FAASPOT_MEMORY_BUDGET`. */
  env?: Record<string, string>;
}

/**
 * A FaaSpot server in its own process, `node dist/src/main.js`, as an operator runs it: the
 * scenarios that time a start or read a process's memory need one to themselves. It is stopped by
 * the {@link Cleanup} it was started with, even when the scenario fails.
 */
export class ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** performance.now() just before the process was spawned. */
  readonly spawnedAt: number;
  readonly #stop: () => Promise<void>;

  private constructor(url: string, pid: number, spawnedAt: number, stop: () => Promise<void>) {
    this.url = url;
    this.pid = pid;
    this.spawnedAt = spawnedAt;
    this.#stop = stop;
  }

  /** Spawns the server and resolves once it has printed the address it listens on. */
  static async start(cleanup: Cleanup, options: ServerProcessOptions): Promise<ServerProcess> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      FAASPOT_ADMIN_TOKEN: options.adminToken,
      FAASPOT_DATA_DIR: options.dataDir,
      FAASPOT_PORT: '0',
      FAASPOT_HOST: '127.0.0.1',
      FAASPOT_WORKERS: String(options.workers),
    };
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        resolve();
      });
    });
    const stop = () => stopChild(child, exited);
    cleanup.defer(stop);
    const url = await listeningUrl(child);
    return new ServerProcess(url, child.pid ?? 0, spawnedAt, stop);
  }

  /** The process's resident memory now. */
  rssBytes(): number {
    return vmRssBytes(this.pid);
  }

  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop(): Promise<void> {
    return this.#stop();
  }
}
