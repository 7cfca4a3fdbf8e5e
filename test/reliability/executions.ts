import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_TOKEN, type Reply, type TestServer } from '../integration/harness.js';

/** Sleeps `s` seconds (0 unless given), then answers its arguments: something to hold a worker with. */
export const NAP = 'import time\n\ndef main(args, context):\n    time.sleep(float(args.get("s", 0)))\n    return args\n';

/** A namespace's token, made with the admin token. */
export async function namespaceToken(s: TestServer, namespace: string): Promise<string> {
  const reply = await s.call('POST', '/v1/tokens/', { namespace });
  assert.equal(reply.status, 200, reply.text);
  return reply.json.token as string;
}

/** The fields of an execution record these tests read. */
export interface Execution {
  uuid: string;
  status: string;
  args: Record<string, unknown>;
  output: unknown;
  error: { type: string; message: string } | null;
  started: string | null;
}

/** The execution record, which must exist. */
export async function record(s: TestServer, id: string, token = ADMIN_TOKEN): Promise<Execution> {
  const reply = await s.call('GET', `/v1/executions/${id}`, undefined, token);
  assert.equal(reply.status, 200, reply.text);
  return reply.json as Execution;
}

/**
 * Reads the record until `accept` takes it. This waits for a state, never asserts on time: the
 * bound only keeps a broken server from hanging the run.
 */
export async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 2400; attempt++) {
    const value = await read();
    if (accept(value)) return value;
    await sleep(25);
  }
  assert.fail(`gave up waiting for ${what}`);
}

/** Starts a non-blocking run of `nap` (created beforehand) that sleeps `seconds`, and waits until it is running. */
export async function startNap(s: TestServer, seconds: number, token = ADMIN_TOKEN): Promise<string> {
  const reply = await s.call('POST', '/v1/functions/nap/rpc', { s: seconds }, token);
  assert.equal(reply.status, 200, reply.text);
  const id = reply.json as string;
  await until(() => record(s, id, token), (r) => r.status === 'running', `${id} to run`);
  return id;
}

/** Cancels an execution (a nap holding a worker) and checks that it ended cancelled. */
export async function cancel(s: TestServer, id: string, token = ADMIN_TOKEN): Promise<void> {
  const reply = await s.call('DELETE', `/v1/executions/${id}`, undefined, token);
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json.status, 'cancelled');
}

/** Waits for each execution to end and returns the records in the order given. */
export async function ended(s: TestServer, ids: readonly string[], token = ADMIN_TOKEN): Promise<Execution[]> {
  for (const id of ids) await s.call('GET', `/v1/executions/${id}?wait=60`, undefined, token);
  const reply = await s.call('POST', '/v1/executions/bulk', ids, token);
  assert.equal(reply.status, 200, reply.text);
  return reply.json as Execution[];
}

/** Asserts a refusal: its status and code, a `Retry-After` of whole seconds, and a message matching `says`. */
export function assertRefused(reply: Reply, status: 429 | 503, code: 'QUEUE_FULL' | 'SHUTTING_DOWN', says: RegExp): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.json.code, code);
  assert.match(reply.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After is a number of seconds');
  assert.match(reply.json.message, says);
}
