/**
 * A server process killed with SIGKILL while thousands of non-blocking executions are queued and
 * running, then started again on the same data directory: nothing acknowledged is lost, nothing runs
 * twice, and the database file is intact.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startServerChild, type ServerChild } from './server-child.js';

const TOKEN = 'crash-test-admin-token-0123456789';
const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * Its output names the interpreter that ran it and how many runs that interpreter had made, so the
 * records show whether any run happened without being recorded, or twice.
 */
const WITNESS = `import time
import uuid

INSTANCE = uuid.uuid4().hex
RUNS = 0


def main(args, context):
    global RUNS
    RUNS += 1
    run = RUNS
    time.sleep(args.get("sleep", 0))
    return {"args": args, "instance": INSTANCE, "run": run}
`;

/** Bulk batches and single runs submitted before the kill; every fourth item sleeps 10 ms. */
const ROUNDS = 12;
const BULK_ITEMS = 200;
const SINGLES_PER_ROUND = 32;
const SINGLE_CONCURRENCY = 8;
/** Single runs still being submitted when the process is killed: their ids may never be answered. */
const TRICKLE = 4;

interface Row {
  id: string;
  status: string;
  args: string;
  output: string | null;
  error: string | null;
  started: string | null;
  finished: string | null;
}

interface Witness {
  args: Record<string, unknown>;
  instance: string;
  run: number;
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function ok(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const reply = await call(url, method, path, body);
  assert.equal(reply.status, 200, `${method} ${path}: ${JSON.stringify(reply.json)}`);
  return reply.json;
}

/** Polls until `check` answers true; fails after `timeoutMs` with `what` and the last state seen. */
async function waitUntil(what: string, check: () => Promise<[boolean, unknown]>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [done, state] = await check();
    if (done) return;
    if (Date.now() > deadline) assert.fail(`waited ${timeoutMs} ms for ${what}; last seen ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function health(url: string): Promise<{ running: number; queued: number; warm: boolean }> {
  return (await fetch(`${url}/healthz`)).json() as Promise<{ running: number; queued: number; warm: boolean }>;
}

/** Every execution row of a database file, opened read-write so that its WAL is recovered. */
function readRows(file: string): { rows: Map<string, Row>; integrity: unknown; distinctIds: number } {
  const db = new Database(file);
  try {
    const rows = db.prepare('SELECT id, status, args, output, error, started, finished FROM executions ORDER BY seq').all() as Row[];
    const integrity = db.pragma('integrity_check', { simple: true });
    const { n } = db.prepare('SELECT COUNT(DISTINCT id) AS n FROM executions').get() as { n: number };
    return { rows: new Map(rows.map((row) => [row.id, row])), integrity, distinctIds: n };
  } finally {
    db.close();
  }
}

/** The state the killed process left on disk, read from a copy so that the restart sees the original untouched. */
function readKilledState(dataDir: string, copyDir: string): ReturnType<typeof readRows> {
  mkdirSync(copyDir, { recursive: true });
  copyFileSync(join(dataDir, 'faaspot.db'), join(copyDir, 'faaspot.db'));
  // The shared-memory index is rebuilt from the WAL on open, as after a reboot.
  if (existsSync(join(dataDir, 'faaspot.db-wal'))) copyFileSync(join(dataDir, 'faaspot.db-wal'), join(copyDir, 'faaspot.db-wal'));
  return readRows(join(copyDir, 'faaspot.db'));
}

/** For each interpreter, the run numbers of the completed records must be exactly 1..n: no run unrecorded, none twice. */
function assertRunsContiguous(outputs: Iterable<Witness>, label: string): Set<string> {
  const byInstance = new Map<string, number[]>();
  for (const output of outputs) {
    const runs = byInstance.get(output.instance) ?? [];
    runs.push(output.run);
    byInstance.set(output.instance, runs);
  }
  for (const [instance, runs] of byInstance) {
    runs.sort((a, b) => a - b);
    runs.forEach((run, i) => assert.equal(run, i + 1, `${label}: interpreter ${instance} made runs ${runs.join(',')}`));
  }
  return new Set(byInstance.keys());
}

describe('crash recovery', () => {
  test('after SIGKILL with thousands of executions queued and running, a restart loses none, fails the running ones and runs the pending ones once', { timeout: 180_000 }, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'faaspot-crash-'));
    const dataDir = join(root, 'data');
    let server: ServerChild | undefined;
    try {
      server = await startServerChild(dataDir, TOKEN, { FAASPOT_WORKERS: '2' });
      const url = server.url;
      await ok(url, 'PUT', '/v1/functions/', { name: 'witness', code: WITNESS, timeout: 900 });

      /** Every id the server answered, with the arguments it was submitted with. */
      const sent = new Map<string, Record<string, unknown>>();
      let index = 0;
      const nextArgs = () => {
        const i = index++;
        return i % 4 === 0 ? { i, sleep: 0.01 } : { i };
      };

      // Holds one worker until the kill, so that one execution is certainly running then.
      const holdArgs = { hold: true, sleep: 600 };
      const held = (await ok(url, 'POST', '/v1/functions/witness/rpc', holdArgs)) as string;
      sent.set(held, holdArgs);
      await waitUntil('the held execution to run', async () => {
        const record = await ok(url, 'GET', `/v1/executions/${held}`);
        return [record.status === 'running', record];
      });

      const submitSingles = async (count: number) => {
        const queue = Array.from({ length: count }, nextArgs);
        await Promise.all(
          Array.from({ length: SINGLE_CONCURRENCY }, async () => {
            for (let args = queue.shift(); args; args = queue.shift()) {
              sent.set((await ok(url, 'POST', '/v1/functions/witness/rpc', args)) as string, args);
            }
          }),
        );
      };
      const submitBulk = async (count: number) => {
        const items = Array.from({ length: count }, nextArgs);
        const ids = (await ok(url, 'POST', '/v1/functions/witness/bulk_rpc', items)) as string[];
        assert.equal(ids.length, items.length);
        ids.forEach((id, i) => sent.set(id, items[i]!));
      };
      for (let round = 0; round < ROUNDS; round++) await Promise.all([submitBulk(BULK_ITEMS), submitSingles(SINGLES_PER_ROUND)]);

      // Submissions go on up to the kill; the ones in flight then may be committed but never answered.
      let killed = false;
      const trickle = Array.from({ length: TRICKLE }, async () => {
        while (!killed) {
          const args = nextArgs();
          try {
            const reply = await call(url, 'POST', '/v1/functions/witness/rpc', args);
            if (reply.status === 200) sent.set(reply.json as string, args);
          } catch {
            return;
          }
        }
      });

      await waitUntil('some executions completed and many queued', async () => {
        const state = await health(url);
        const completed = (await ok(url, 'GET', '/v1/executions?status=completed&limit=100')) as unknown[];
        return [completed.length >= 100 && state.queued >= 1000 && state.running >= 1, { ...state, completed: completed.length }];
      });
      const atKill = await server.signal('SIGKILL');
      killed = true;
      await Promise.all(trickle);
      server = undefined;
      assert.equal(atKill.signal, 'SIGKILL');

      const before = readKilledState(dataDir, join(root, 'killed'));
      assert.equal(before.integrity, 'ok', 'the database as the kill left it');
      for (const id of sent.keys()) assert.ok(before.rows.has(id), `execution ${id} was answered but is not in the database`);
      const extra = before.rows.size - sent.size;
      assert.ok(extra >= 0 && extra <= TRICKLE, `${extra} executions in the database were never answered (at most ${TRICKLE} were in flight)`);
      const statusesBefore = [...before.rows.values()].map((row) => row.status);
      const count = (status: string) => statusesBefore.filter((s) => s === status).length;
      assert.equal(before.rows.get(held)?.status, 'running');
      assert.ok(count('pending') >= 1000, `pending at the kill: ${count('pending')}`);
      assert.ok(count('completed') >= 100, `completed at the kill: ${count('completed')}`);
      assert.equal(count('pending') + count('running') + count('completed'), before.rows.size, `statuses at the kill: ${JSON.stringify(statusesBefore.slice(0, 20))}`);
      t.diagnostic(`at the kill: ${count('completed')} completed, ${count('running')} running, ${count('pending')} pending; ${extra} committed but never answered`);
      const instancesBefore = assertRunsContiguous(
        [...before.rows.values()].filter((row) => row.status === 'completed').map((row) => JSON.parse(row.output ?? 'null') as Witness),
        'before the kill',
      );

      server = await startServerChild(dataDir, TOKEN, { FAASPOT_WORKERS: '2' });
      const restarted = server;
      await waitUntil('the restarted server to drain its queue', async () => {
        const state = await health(restarted.url);
        return [state.queued === 0 && state.running === 0, state];
      }, 90_000);

      // Through the API: every answered id is there, in a terminal status.
      const ids = [...sent.keys()];
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const records = (await ok(restarted.url, 'POST', '/v1/executions/bulk', chunk)) as ({ uuid: string; status: string } | null)[];
        records.forEach((record, j) => {
          assert.ok(record, `execution ${chunk[j]} is missing after the restart`);
          assert.ok(TERMINAL.includes(record.status), `execution ${record.uuid} is ${record.status} after the restart`);
        });
      }

      const stopped = await server.signal('SIGTERM');
      server = undefined;
      assert.equal(stopped.code, 0, 'the restarted server stops cleanly');

      const after = readRows(join(dataDir, 'faaspot.db'));
      assert.equal(after.integrity, 'ok');
      assert.equal(after.rows.size, before.rows.size, 'the restart neither added nor lost an execution');
      assert.equal(after.distinctIds, after.rows.size);
      const ranAfter: Witness[] = [];
      for (const [id, was] of before.rows) {
        const now = after.rows.get(id);
        assert.ok(now, `execution ${id} is gone`);
        const args = JSON.parse(now.args) as Record<string, unknown>;
        const submitted = sent.get(id);
        if (submitted) assert.deepEqual(args, submitted, `the arguments of ${id}`);
        if (was.status === 'running') {
          assert.equal(now.status, 'failed', `${id} was running at the kill`);
          assert.equal((JSON.parse(now.error ?? 'null') as { type: string } | null)?.type, 'ServerRestarted', `${id} was running at the kill`);
          assert.equal(now.started, was.started, `${id} was not started again`);
        } else if (was.status === 'pending') {
          assert.equal(now.status, 'completed', `${id} was pending at the kill: ${now.error}`);
          const output = JSON.parse(now.output ?? 'null') as Witness;
          assert.deepEqual(output.args, args, `${id} ran with its own arguments`);
          assert.ok(!instancesBefore.has(output.instance), `${id} was pending at the kill but its output comes from the killed process`);
          ranAfter.push(output);
        } else {
          assert.deepEqual(now, was, `${id} had completed before the kill and must be unchanged`);
          assert.deepEqual((JSON.parse(now.output ?? 'null') as Witness).args, args);
        }
      }
      assert.equal(ranAfter.length, count('pending'));
      assertRunsContiguous(ranAfter, 'after the restart');
    } finally {
      if (server) await server.signal('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
