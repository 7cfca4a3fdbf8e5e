/**
 * `npm run soak`: a server process under mixed load for a while (blocking and non-blocking runs,
 * bulk_rpc, functions that raise and functions that time out), then the throughput, every outcome,
 * every HTTP answer, and whether the server's memory stayed within its bound. See benchmarks/README.md.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { Cleanup } from './cleanup.js';
import { FaaspotApi, idle } from './faaspot-api.js';
import { HttpClient, type HttpReply } from './http-client.js';
import { ServerProcess } from './server-process.js';
import { parseCommandLine, positiveInteger } from './usage-error.js';

const MIB = 2 ** 20;
const TOKEN = 'soak-admin-token-0123456789';

/** The end RSS may be at most start × GROWTH_FACTOR + GROWTH_ALLOWANCE_MIB. */
const GROWTH_FACTOR = 1.5;
const GROWTH_ALLOWANCE_MIB = 100;

/** Lets the server's allocations of the last moment land before its RSS is read. */
const SETTLE_MS = 500;
const RSS_SAMPLE_MS = 500;
/** Executions per bulk_rpc of the load. */
const BULK_ITEMS = 20;
/** The timeout client pauses this long between its runs, so timeouts hold one worker about a third of the time. */
const TIMEOUT_PAUSE_MS = 3000;

const FUNCTIONS: Record<string, { code: string; timeout?: number }> = {
  'soak-echo': { code: 'import time\n\ndef main(args, context):\n    time.sleep(args.get("sleep", 0))\n    return args\n' },
  'soak-raise': { code: 'def main(args, context):\n    raise ValueError("soak: raised on purpose")\n' },
  // time.sleep ignores the timeout's interrupt: the run is stopped by ending its worker thread.
  'soak-timeout': { code: 'import time\n\ndef main(args, context):\n    time.sleep(2)\n    return "woke"\n', timeout: 1 },
};

/** Answers and outcomes a healthy server gives this load; anything else is counted as unexpected. */
const EXPECTED_ANSWERS = new Set(['200', '502 FUNCTION_FAILED', '504 FUNCTION_TIMEOUT']);
const EXPECTED_OUTCOMES = new Set(['completed', 'failed ValueError', 'failed Timeout']);

/** One iteration of a load client; each client goes through them in turn, from its own offset. */
type Kind = 'blocking' | 'blocking-sleep' | 'blocking-raise' | 'async' | 'async-sleep' | 'async-raise' | 'bulk';
const MIX: readonly Kind[] = ['blocking', 'async', 'blocking-sleep', 'bulk', 'blocking', 'async-sleep', 'blocking-raise', 'blocking', 'async-raise', 'async'];

const USAGE = `Usage: npm run soak -- [options]   (or node dist/benchmarks/soak.js [options])

  --seconds S    how long the load runs (default 60); warm-up and draining come on top
  --clients N    concurrent load clients, besides the one that runs timeouts (default 8)
  --workers N    worker threads of the server (default: FAASPOT_WORKERS, else the CPU count)
  --json         print the report as JSON
  --help         this text

Exit status: 0 if the server's RSS stayed within its bound and every answer and outcome was one this
load expects; 1 otherwise; 2 for a usage error.
`;

interface SoakOptions {
  seconds: number;
  clients: number;
  workers: number;
}

function parseOptions(args: string[]): { options: SoakOptions; json: boolean; help: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string' },
      clients: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, raw: string | undefined, fallback: number): number =>
    raw === undefined ? fallback : positiveInteger(name, raw);
  return {
    options: {
      seconds: positive('seconds', values.seconds, 60),
      clients: positive('clients', values.clients, 8),
      workers: positive('workers', values.workers, loadConfig(process.env).workers),
    },
    json: values.json,
    help: values.help,
  };
}

/** Counts by key, kept in first-seen order. */
class Counter {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
  toObject(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}

/** Drives the load and keeps what the answers said: every execution id, and each answer's status and code. */
class Load {
  readonly answers = new Counter();
  readonly ids: string[] = [];
  connectionErrors = 0;
  readonly #client: HttpClient;
  readonly #api: FaaspotApi;
  #sequence = 0;

  constructor(client: HttpClient, api: FaaspotApi) {
    this.#client = client;
    this.#api = api;
  }

  /** Sends one request and counts its answer; undefined when the connection failed. */
  async #send(method: string, path: string, body?: unknown): Promise<HttpReply | undefined> {
    let reply: HttpReply;
    try {
      const options = { headers: this.#api.headers, ...(body !== undefined && { body: JSON.stringify(body) }) };
      reply = await this.#client.request(method, this.#api.url + path, options);
    } catch {
      this.connectionErrors++;
      return undefined;
    }
    let code = '';
    if (reply.status !== 200) {
      try {
        code = ` ${String((JSON.parse(reply.body) as { code?: unknown }).code)}`;
      } catch {
        code = ' (no JSON body)';
      }
    }
    this.answers.add(`${reply.status}${code}`);
    return reply;
  }

  async #blocking(name: string, args: Record<string, unknown>): Promise<void> {
    const reply = await this.#send('POST', `/v1/sync/functions/${name}/rpc/`, args);
    const id = reply?.headers['x-execution-id'];
    if (typeof id === 'string') this.ids.push(id);
  }

  /** Submits executions, then waits for the last to end: each client keeps a bounded amount of work queued. */
  async #nonBlocking(name: string, items: readonly Record<string, unknown>[]): Promise<void> {
    const reply =
      items.length === 1
        ? await this.#send('POST', `/v1/functions/${name}/rpc/`, items[0])
        : await this.#send('POST', `/v1/functions/${name}/bulk_rpc/`, items);
    if (reply?.status !== 200) return;
    const answer = JSON.parse(reply.body) as string | string[];
    const ids = Array.isArray(answer) ? answer : [answer];
    this.ids.push(...ids);
    const last = ids[ids.length - 1];
    if (last !== undefined) await this.#send('GET', `/v1/executions/${last}?wait=60`);
  }

  run(kind: Kind): Promise<void> {
    const i = this.#sequence++;
    switch (kind) {
      case 'blocking':
        return this.#blocking('soak-echo', { i });
      case 'blocking-sleep':
        return this.#blocking('soak-echo', { i, sleep: 0.02 });
      case 'blocking-raise':
        return this.#blocking('soak-raise', { i });
      case 'async':
        return this.#nonBlocking('soak-echo', [{ i }]);
      case 'async-sleep':
        return this.#nonBlocking('soak-echo', [{ i, sleep: 0.02 }]);
      case 'async-raise':
        return this.#nonBlocking('soak-raise', [{ i }]);
      case 'bulk':
        return this.#nonBlocking('soak-echo', Array.from({ length: BULK_ITEMS }, (_, j) => (j % 5 === 0 ? { i, j, sleep: 0.01 } : { i, j })));
    }
  }

  /** Alternately a blocking and a non-blocking run past its timeout. */
  runTimeout(blocking: boolean): Promise<void> {
    return blocking ? this.#blocking('soak-timeout', {}) : this.#nonBlocking('soak-timeout', [{}]);
  }
}

interface SoakReport {
  node: string;
  cpus: number;
  options: SoakOptions;
  elapsedSeconds: number;
  completedPerSecond: number;
  executions: { total: number; byOutcome: Record<string, number>; missing: number };
  requests: { total: number; byAnswer: Record<string, number>; connectionErrors: number };
  rss: { startMib: number; peakMib: number; endMib: number; boundMib: number; met: boolean };
  unexpected: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function soak(options: SoakOptions, cleanup: Cleanup, client: HttpClient, log: (message: string) => void): Promise<SoakReport> {
  const server = await ServerProcess.start(cleanup, {
    dataDir: cleanup.tempDir('faaspot-soak-'),
    adminToken: TOKEN,
    workers: options.workers,
  });
  const api = new FaaspotApi(client, server.url, TOKEN);
  await api.waitFor('a warm server', (health) => health.warm);
  for (const [name, { code, timeout }] of Object.entries(FUNCTIONS)) await api.createFunction(name, code, timeout === undefined ? {} : { timeout });

  // Warm-up: every kind of request once per client, and one timeout (which replaces a worker thread).
  log('warming up');
  const warmUp = new Load(client, api);
  await Promise.all([...Array.from({ length: options.clients }, () => Promise.all(MIX.map((kind) => warmUp.run(kind)))), warmUp.runTimeout(true)]);
  await api.waitFor('an idle server after the warm-up', idle);
  await pause(SETTLE_MS);
  const rssStart = server.rssBytes();
  let rssPeak = rssStart;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, server.rssBytes());
  }, RSS_SAMPLE_MS);

  log(`mixed load for ${options.seconds} s: ${options.clients} clients and one that runs timeouts`);
  const load = new Load(client, api);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const clients = Array.from({ length: options.clients }, async (_, c) => {
    for (let i = c; performance.now() < deadline; i++) await load.run(MIX[i % MIX.length]!);
  });
  const timeouts = (async () => {
    for (let i = 0; performance.now() < deadline; i++) {
      await load.runTimeout(i % 2 === 0);
      await pause(Math.min(TIMEOUT_PAUSE_MS, Math.max(0, deadline - performance.now())));
    }
  })();
  await Promise.all([...clients, timeouts]);
  log('draining');
  await api.waitFor('the server to finish what was submitted', idle, 600_000);
  const elapsedSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await pause(SETTLE_MS);
  const rssEnd = server.rssBytes();
  rssPeak = Math.max(rssPeak, rssEnd);

  log(`reading ${load.ids.length} execution records`);
  const outcomes = new Counter();
  let missing = 0;
  for (let i = 0; i < load.ids.length; i += 1000) {
    const reply = await client.request('POST', `${server.url}/v1/executions/bulk`, { headers: api.headers, body: JSON.stringify(load.ids.slice(i, i + 1000)) });
    if (reply.status !== 200) throw new Error(`reading execution records answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    for (const record of JSON.parse(reply.body) as ({ status: string; error: { type: string } | null } | null)[]) {
      if (record === null) missing++;
      else outcomes.add(record.error ? `${record.status} ${record.error.type}` : record.status);
    }
  }
  await server.stop();

  const boundBytes = rssStart * GROWTH_FACTOR + GROWTH_ALLOWANCE_MIB * MIB;
  const unexpected = [
    ...[...load.answers.counts].filter(([answer]) => !EXPECTED_ANSWERS.has(answer)).map(([answer, n]) => `${n} × HTTP ${answer}`),
    ...[...outcomes.counts].filter(([outcome]) => !EXPECTED_OUTCOMES.has(outcome)).map(([outcome, n]) => `${n} × execution ${outcome}`),
    ...(load.connectionErrors > 0 ? [`${load.connectionErrors} × connection error`] : []),
    ...(missing > 0 ? [`${missing} × execution id unknown to the server`] : []),
  ];
  return {
    node: process.version,
    cpus: availableParallelism(),
    options,
    elapsedSeconds,
    completedPerSecond: (outcomes.counts.get('completed') ?? 0) / elapsedSeconds,
    executions: { total: load.ids.length, byOutcome: outcomes.toObject(), missing },
    requests: { total: load.answers.total() + load.connectionErrors, byAnswer: load.answers.toObject(), connectionErrors: load.connectionErrors },
    rss: { startMib: rssStart / MIB, peakMib: rssPeak / MIB, endMib: rssEnd / MIB, boundMib: boundBytes / MIB, met: rssEnd <= boundBytes },
    unexpected,
  };
}

function formatReport(report: SoakReport): string {
  const { options, rss } = report;
  const rows = (counts: Record<string, number>) => Object.entries(counts).map(([key, n]) => `  ${key.padEnd(32)} ${String(n).padStart(8)}`);
  return [
    `FaaSpot soak: ${options.seconds} s of mixed load, ${options.clients} clients + 1 running timeouts, ${options.workers} workers, ${report.cpus} CPUs, Node ${report.node}`,
    '',
    `throughput: ${report.completedPerSecond.toFixed(1)} completed executions/s (${report.executions.byOutcome.completed ?? 0} completed in ${report.elapsedSeconds.toFixed(1)} s, load and draining)`,
    '',
    `executions by outcome (${report.executions.total}):`,
    ...rows(report.executions.byOutcome),
    ...(report.executions.missing > 0 ? [`  ${'unknown to the server'.padEnd(32)} ${String(report.executions.missing).padStart(8)}`] : []),
    '',
    `HTTP answers by status and code (${report.requests.total} requests):`,
    ...rows(report.requests.byAnswer),
    `  ${'connection errors'.padEnd(32)} ${String(report.requests.connectionErrors).padStart(8)}`,
    '',
    `server RSS: ${rss.startMib.toFixed(0)} MiB at start (after warm-up), peak ${rss.peakMib.toFixed(0)} MiB, ${rss.endMib.toFixed(0)} MiB at the end`,
    `bound: end ≤ start × ${GROWTH_FACTOR} + ${GROWTH_ALLOWANCE_MIB} MiB = ${rss.boundMib.toFixed(0)} MiB: ${rss.met ? 'met' : 'NOT MET'}`,
    report.unexpected.length === 0 ? 'unexpected answers or outcomes: none' : `UNEXPECTED: ${report.unexpected.join('; ')}`,
  ].join('\n');
}

function toJson(report: SoakReport): string {
  return JSON.stringify(
    {
      node: report.node,
      cpus: report.cpus,
      options: report.options,
      elapsed_s: report.elapsedSeconds,
      completed_per_s: report.completedPerSecond,
      executions: { total: report.executions.total, by_outcome: report.executions.byOutcome, unknown_to_server: report.executions.missing },
      requests: { total: report.requests.total, by_answer: report.requests.byAnswer, connection_errors: report.requests.connectionErrors },
      rss_mib: {
        start: report.rss.startMib,
        peak: report.rss.peakMib,
        end: report.rss.endMib,
        bound: report.rss.boundMib,
        bound_is: `end <= start * ${GROWTH_FACTOR} + ${GROWTH_ALLOWANCE_MIB}`,
        met: report.rss.met,
      },
      unexpected: report.unexpected,
    },
    null,
    2,
  );
}

async function main(): Promise<number> {
  const parsed = parseCommandLine('soak', parseOptions);
  if (!parsed) return 2;
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const cleanup = new Cleanup();
  const client = new HttpClient();
  const log = (message: string) => console.error(`soak: ${message}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  let report: SoakReport;
  try {
    report = await soak(parsed.options, cleanup, client, log);
  } finally {
    await cleanup.run();
    client.close();
  }
  console.log(parsed.json ? toJson(report) : formatReport(report));
  return report.rss.met && report.unexpected.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
