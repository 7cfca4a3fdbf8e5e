/**
 * `npm run bench`: blocking runs of a trivial function against a bare Koa route measured in the same
 * run, at concurrency 1 (latency) and 32 (throughput). `--json` prints the figures for machines.
 * Options: --requests N (per latency scenario, default 2000), --seconds S (per throughput
 * scenario, default 5), --workers N (default: the CPU count).
 */
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Koa from 'koa';
import { Interpreter } from '../runtime/interpreter.js';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';

const { values: options } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    requests: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string' },
  },
});

const TOKEN = 'bench-admin-token-0123456789';
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function latency(url: string, headers: Record<string, string>, count: number) {
  for (let i = 0; i < Math.min(200, count); i++) await get(url, headers);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const status = await get(url, headers);
    samples.push(performance.now() - start);
    if (status !== 200) throw new Error(`${url} answered ${status}`);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function throughput(url: string, headers: Record<string, string>, concurrency: number, seconds: number) {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if ((await get(url, headers)) === 200) done++;
        else failed++;
      }
    }),
  );
  if (failed > 0) throw new Error(`${failed} requests to ${url} failed`);
  return done / ((performance.now() - started) / 1000);
}

/** Boot time and per-call time of main in one interpreter, in this thread. */
async function interpreterCost(sandbox: boolean, calls: number) {
  const started = performance.now();
  const interpreter = await Interpreter.boot(new Int32Array(new SharedArrayBuffer(4)), { sandbox });
  const bootMs = performance.now() - started;
  const caps = { logBytes: 65_536, outputBytes: 1_000_000 };
  interpreter.run('{}', caps, { code: 'def main(args, context):\n    return {"hello": "world"}\n', context: '{}', filename: 'trivial.py' });
  for (let i = 0; i < 1000; i++) interpreter.run('{}', caps, undefined);
  const t = performance.now();
  for (let i = 0; i < calls; i++) interpreter.run('{"n": 1}', caps, undefined);
  return { bootMs, runUs: ((performance.now() - t) * 1000) / calls };
}

async function main(): Promise<void> {
  const count = Number(options.requests);
  const seconds = Number(options.seconds);

  const bare = new Koa();
  bare.use((ctx) => {
    ctx.body = { hello: 'world' };
  });
  const bareServer = bare.listen(0, '127.0.0.1');
  await new Promise((r) => bareServer.once('listening', r));
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/`;

  const dataDir = mkdtempSync(join(tmpdir(), 'faaspot-bench-'));
  const config = loadConfig(process.env, {
    port: 0,
    dataDir,
    adminToken: TOKEN,
    ...(options.workers !== undefined && { workers: Number(options.workers) }),
  });
  const server = await startServer(config);
  await server.engine.whenWarm();
  const auth = { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/v1/functions/`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ name: 'trivial', code: 'def main(args, context):\n    return {"hello": "world"}\n' }),
  });
  if (created.status !== 200) throw new Error(`create failed: ${await created.text()}`);
  const runUrl = `${server.url}/v1/sync/functions/trivial/rpc/`;

  const bareLatency = await latency(bareUrl, {}, count);
  const runLatency = await latency(runUrl, auth, count);
  const bareRps = await throughput(bareUrl, {}, 32, seconds);
  const runRps = await throughput(runUrl, auth, 32, seconds);
  const open = await interpreterCost(false, count * 10);
  const sealed = await interpreterCost(true, count * 10);

  const rows = [
    { scenario: 'blocking run, concurrency 1, p50 (ms)', ours: runLatency.p50, baseline: bareLatency.p50, target: '≤ 0.5' },
    { scenario: 'blocking run, concurrency 1, p99 (ms)', ours: runLatency.p99, baseline: bareLatency.p99, target: '≤ 2' },
    { scenario: 'blocking runs, concurrency 32 (req/s)', ours: runRps, baseline: bareRps, target: '≥ 50% of baseline' },
    { scenario: 'sandbox: main called in an interpreter (µs)', ours: sealed.runUs, baseline: open.runUs, target: 'report' },
    { scenario: 'sandbox: interpreter boot (ms)', ours: sealed.bootMs, baseline: open.bootMs, target: 'report' },
  ].map((row) => ({ ...row, ratio: row.ours / row.baseline }));

  if (options.json) {
    console.log(JSON.stringify({ workers: config.workers, requests: count, seconds, baseline: 'bare Koa route returning JSON', rows }, null, 2));
  } else {
    console.log(`FaaSpot benchmark: ${config.workers} workers; baselines: a bare Koa route returning JSON (same process, same client), and an interpreter without the sandbox`);
    console.log('');
    const header = ['scenario', 'ours', 'baseline', 'ratio', 'target'];
    const table = rows.map((r) => [r.scenario, r.ours.toFixed(3), r.baseline.toFixed(3), `${r.ratio.toFixed(2)}x`, r.target]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
    for (const line of [header, widths.map((w) => '-'.repeat(w)), ...table]) {
      console.log(line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
    }
  }

  agent.destroy();
  bareServer.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
