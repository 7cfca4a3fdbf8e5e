import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CallbackAllowlist } from '../../src/callbacks/callback-allowlist.js';
import { verifyCallbackSignature } from '../../src/callbacks/callback-signature.js';
import { Faaspot, FaaspotError, FunctionRunError, type ExecutionRecord } from '../../src/client/index.js';
import { CallbackReceiver, closedPort } from '../integration/callback-receiver.js';
import { ADMIN_TOKEN, removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';

const HELLO = 'def main(args, context):\n    return "hello " + args["name"]\n';
const SLEEPY = 'import time\n\ndef main(args, context):\n    time.sleep(float(args.get("s", "0.5")))\n    return "slept"\n';

/** A client of `url` that records the headers of every request it sends into `sent`. */
function headerRecordingClient(url: string, sent: Headers[]): Faaspot {
  return new Faaspot({
    url,
    token: ADMIN_TOKEN,
    fetch: (input, init) => {
      sent.push(new Headers(init?.headers));
      return fetch(input, init);
    },
  });
}

describe('TypeScript client', () => {
  let s: TestServer;
  let client: Faaspot;
  /** Every URL the client fetched, to check what went over the wire. */
  const requests: string[] = [];

  before(async () => {
    s = await startTestServer({ callbackAllowlist: CallbackAllowlist.parse('127.0.0.1') });
    client = new Faaspot({
      url: `${s.url}/`,
      token: ADMIN_TOKEN,
      fetch: (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${typeof input === 'string' ? input : input instanceof URL ? input.href : input.url}`);
        return fetch(input, init);
      },
    });
    await client.functions.create('sleepy', { code: SLEEPY });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('functions: create, get, list, update (rename, context as text or object), delete', async () => {
    const created = await client.functions.create('hello', { code: HELLO, context: 'access_key_is = "XYZ"\nretries = 3\n', timeout: 30, memory: 128 });
    assert.equal(created.name, 'hello');
    assert.equal(created.version, 1);
    assert.equal(created.timeout, 30);
    assert.equal(created.memory, 128);
    assert.deepEqual(created.context_keys, ['access_key_is', 'retries']);
    assert.equal(created.code, HELLO);

    const got = await client.functions.get('hello');
    assert.equal(got.code, HELLO);
    const listed = await client.functions.list();
    const entry = listed.find((fn) => fn.name === 'hello');
    assert.ok(entry);
    assert.equal(entry.code, undefined, 'the list has no code');

    const updated = await client.functions.update('hello', { context: { key: 'v' }, newName: 'hello2', timeout: 10 });
    assert.equal(updated.name, 'hello2');
    assert.equal(updated.version, 2);
    assert.deepEqual(updated.context_keys, ['key']);
    assert.equal(await client.functions.run('hello2', { name: 'x' }, { wait: true }), 'hello x');

    const deleted = await client.functions.delete('hello2');
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.cancelled_executions, 0);
    await assert.rejects(client.functions.get('hello2'), (e) => FaaspotError.is(e, 'FUNCTION_NOT_FOUND'));
  });

  test('run without wait answers the id; executions.wait holds the long-poll until the end', async () => {
    const id = await client.functions.run('sleepy', { s: '1' });
    assert.match(id, /^[0-9a-f-]{36}$/);
    requests.length = 0;
    const started = Date.now();
    const record: ExecutionRecord = await client.executions.wait(id);
    assert.equal(record.status, 'completed');
    assert.equal(record.output, 'slept');
    assert.deepEqual(record.args, { s: '1' });
    assert.ok(Date.now() - started >= 500, 'it waited for the run');
    // One held request, not a client-side polling loop.
    assert.equal(requests.length, 1, requests.join('\n'));
    assert.match(requests[0] ?? '', new RegExp(`^GET ${s.url}/v1/executions/${id}\\?wait=60$`));
  });

  test('wait gives up after timeoutMs with WAIT_TIMEOUT and the last record', async () => {
    const id = await client.functions.run('sleepy', { s: '2' });
    await assert.rejects(client.executions.wait(id, { timeoutMs: 300 }), (error) => {
      assert.ok(FaaspotError.is(error, 'WAIT_TIMEOUT'));
      assert.equal(error.execution?.uuid, id);
      assert.ok(error.execution.status === 'pending' || error.execution.status === 'running');
      return true;
    });
    assert.equal((await client.executions.wait(id)).status, 'completed');
  });

  test('run with wait answers the output; a failing function is a FunctionRunError with its record', async () => {
    await client.functions.create('values', { code: 'def main(args, context):\n    return {"n": args["n"], "list": [1, None]}\n' });
    assert.deepEqual(await client.functions.run('values', { n: 3 }, { wait: true }), { n: 3, list: [1, null] });
    await client.functions.create('divide', { code: 'def main(args, context):\n    print("about to fail")\n    return 1 / 0\n' });
    await assert.rejects(client.functions.run('divide', {}, { wait: true }), (error) => {
      assert.ok(error instanceof FunctionRunError);
      assert.equal(error.code, 'FUNCTION_FAILED');
      assert.equal(error.status, 502);
      assert.equal(error.execution.status, 'failed');
      assert.equal(error.execution.error?.type, 'ZeroDivisionError');
      assert.match(error.execution.error.traceback ?? '', /ZeroDivisionError/);
      assert.equal(error.execution.logs, 'about to fail\n');
      return true;
    });
  });

  test('runBulk answers ids in order; getBulk and waitAll read them in that order', async () => {
    await client.functions.create('echo', { code: 'def main(args, context):\n    return args\n' });
    const argsList = [{ k1: 'v1', k2: 'v2' }, { k3: 'v3', k4: 'v4' }, { i: 3 }];
    const ids = await client.functions.runBulk('echo', argsList);
    assert.equal(ids.length, 3);
    const seen: number[] = [];
    const records = await client.executions.waitAll(ids, { onEnd: (_record, index) => seen.push(index) });
    assert.deepEqual(
      records.map((r) => r.output),
      argsList,
    );
    assert.deepEqual([...seen].sort(), [0, 1, 2]);
    const bulk = await client.executions.getBulk([ids[1] ?? '', '00000000-0000-0000-0000-000000000000', ids[0] ?? '']);
    assert.equal(bulk[0]?.uuid, ids[1]);
    assert.equal(bulk[1], null);
    assert.equal(bulk[2]?.uuid, ids[0]);
    await assert.rejects(client.executions.waitAll(['00000000-0000-0000-0000-000000000000']), (e) => FaaspotError.is(e, 'EXECUTION_NOT_FOUND'));
  });

  test('run and runBulk take a callbackUrl: each execution calls back, signed; a URL the server refuses is a typed error', async () => {
    const receiver = await CallbackReceiver.start();
    try {
      await client.functions.create('greet', { code: HELLO });
      const secret = await client.callbackSecret();
      assert.equal(secret.namespace, 'default');
      const admin = (await (await fetch(`${s.url}/v1/admin/callback-secret`, { headers: { authorization: `Token ${ADMIN_TOKEN}` } })).json()) as { secret: string };
      assert.equal(secret.secret, admin.secret, "the admin's own namespace's key, as the admin route shows it");
      const id = await client.functions.run('greet', { name: 'cb' }, { callbackUrl: receiver.url('/one') });
      const ids = await client.functions.runBulk('greet', [{ name: 'a' }, { name: 'b' }], { callbackUrl: receiver.url('/bulk') });
      const [one] = await receiver.waitFor('/one');
      const bulk = await receiver.waitFor('/bulk', 2);
      for (const request of [one, ...bulk]) {
        assert.ok(request);
        assert.equal(verifyCallbackSignature(secret.secret, request.body, request.headers['x-faaspot-signature'] as string), true);
      }
      assert.equal(one?.headers['x-faaspot-execution'], id);
      assert.deepEqual(bulk.map((r) => r.headers['x-faaspot-execution']).sort(), [...ids].sort());
      const record: ExecutionRecord = await client.executions.wait(id);
      assert.equal(record.callback?.url, receiver.url('/one'));
      assert.equal((await client.executions.wait(ids[0] ?? '')).callback?.url, receiver.url('/bulk'));
      assert.equal((await client.functions.run('greet')).length, 36);
      assert.equal((await client.executions.wait(await client.functions.run('greet'))).callback, null, 'no callbackUrl, no callback');

      await assert.rejects(client.functions.run('greet', {}, { callbackUrl: 'http://10.0.0.1/hook' }), (e) => FaaspotError.is(e, 'CALLBACK_URL_FORBIDDEN') && e.status === 403);
      await assert.rejects(client.functions.runBulk('greet', [{}], { callbackUrl: 'ftp://127.0.0.1/' }), (e) => FaaspotError.is(e, 'CALLBACK_URL_INVALID'));
      await assert.rejects(client.functions.run('greet', {}, { wait: true, callbackUrl: receiver.url('/sync') }), (e) => FaaspotError.is(e, 'CALLBACK_URL_INVALID'));
    } finally {
      await receiver.close();
    }
  });

  test('run and runBulk with idempotencyKey: a retry returns the same ids and runs nothing; the key with another request is IDEMPOTENCY_KEY_REUSED', async () => {
    const sent: Headers[] = [];
    const watched = headerRecordingClient(s.url, sent);
    await client.functions.create('tally', { code: 'RUNS = 0\n\ndef main(args, context):\n    global RUNS\n    RUNS += 1\n    return RUNS\n' });
    const argsList = [{ item: 'a' }, { item: 'b' }];
    const ids = await watched.functions.runBulk('tally', argsList, { idempotencyKey: 'client-bulk-1' });
    assert.equal(sent[0]?.get('idempotency-key'), 'client-bulk-1');
    await client.executions.waitAll(ids);
    assert.deepEqual(await watched.functions.runBulk('tally', argsList, { idempotencyKey: 'client-bulk-1' }), ids);
    const records = await client.executions.list({ includeCompleted: true, function: 'tally' });
    assert.equal(records.executions.length, 2, 'the retry created no execution');

    const id = await watched.functions.run('tally', { item: 'c' }, { idempotencyKey: 'client-run-1' });
    assert.equal(await watched.functions.run('tally', { item: 'c' }, { idempotencyKey: 'client-run-1' }), id);
    await assert.rejects(watched.functions.runBulk('tally', [{ item: 'other' }], { idempotencyKey: 'client-bulk-1' }), (error) => {
      assert.ok(FaaspotError.is(error, 'IDEMPOTENCY_KEY_REUSED'));
      assert.equal(error.status, 422);
      assert.match(error.message, /client-bulk-1/);
      return true;
    });
    // Without a key, nothing is sent for one.
    sent.length = 0;
    await watched.functions.run('tally', { item: 'd' });
    assert.equal(sent[0]?.get('idempotency-key'), null);

    const count = sent.length;
    for (const idempotencyKey of ['', ' padded', 'k'.repeat(256), 'caf\u00e9', 'snow\u2603']) {
      await assert.rejects(watched.functions.runBulk('tally', argsList, { idempotencyKey }), (error) => {
        assert.ok(FaaspotError.is(error, 'INVALID_IDEMPOTENCY_KEY'), JSON.stringify(idempotencyKey));
        assert.equal(error.status, null, 'refused before anything is sent');
        return true;
      });
    }
    assert.equal(sent.length, count);
    await assert.rejects(watched.functions.run('tally', {}, { wait: true, idempotencyKey: 'client-sync' }), (error) => {
      assert.ok(FaaspotError.is(error, 'INVALID_IDEMPOTENCY_KEY'));
      assert.equal(error.status, 400, 'the server refuses a key on a blocking run');
      return true;
    });
  });

  test('run and runBulk with both idempotencyKey and callbackUrl send both headers; a retry neither runs nor calls back again', async () => {
    const receiver = await CallbackReceiver.start();
    try {
      const sent: Headers[] = [];
      const watched = headerRecordingClient(s.url, sent);
      await client.functions.create('both', { code: HELLO });
      const options = { idempotencyKey: 'client-both-1', callbackUrl: receiver.url('/both') };
      const id = await watched.functions.run('both', { name: 'x' }, options);
      assert.equal(sent[0]?.get('idempotency-key'), 'client-both-1');
      assert.equal(sent[0]?.get('x-callback-url'), receiver.url('/both'));
      await receiver.waitFor('/both');
      assert.equal(await watched.functions.run('both', { name: 'x' }, options), id);
      const bulkOptions = { idempotencyKey: 'client-both-2', callbackUrl: receiver.url('/both-bulk') };
      const ids = await watched.functions.runBulk('both', [{ name: 'a' }, { name: 'b' }], bulkOptions);
      assert.equal(sent[2]?.get('idempotency-key'), 'client-both-2');
      assert.equal(sent[2]?.get('x-callback-url'), receiver.url('/both-bulk'));
      await receiver.waitFor('/both-bulk', 2);
      assert.deepEqual(await watched.functions.runBulk('both', [{ name: 'a' }, { name: 'b' }], bulkOptions), ids);
      await assert.rejects(
        watched.functions.run('both', { name: 'x' }, { ...options, callbackUrl: receiver.url('/elsewhere') }),
        (error) => FaaspotError.is(error, 'IDEMPOTENCY_KEY_REUSED') && error.status === 422,
      );
      await client.executions.waitAll([id, ...ids]);
      // Give a stray second delivery the time to arrive before counting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(receiver.at('/both').length, 1, 'one callback for the run, however often it was sent');
      assert.equal(receiver.at('/both-bulk').length, 2);
      assert.equal(receiver.at('/elsewhere').length, 0);
      assert.equal((await client.executions.get(id)).callback?.url, receiver.url('/both'));
    } finally {
      await receiver.close();
    }
  });

  test('list filters by function and status and pages with nextCursor; listAll follows the pages', async () => {
    await client.functions.create('quick', { code: 'def main(args, context):\n    return args["i"]\n' });
    const ids = await client.functions.runBulk(
      'quick',
      Array.from({ length: 5 }, (_, i) => ({ i })),
    );
    await client.executions.waitAll(ids);
    const first = await client.executions.list({ includeCompleted: true, function: 'quick', limit: 2 });
    assert.equal(first.executions.length, 2);
    assert.ok(first.nextCursor);
    assert.deepEqual(
      first.executions.map((e) => e.uuid),
      [ids[4], ids[3]],
      'newest first',
    );
    const second = await client.executions.list({ includeCompleted: true, function: 'quick', limit: 2, cursor: first.nextCursor });
    assert.deepEqual(
      second.executions.map((e) => e.uuid),
      [ids[2], ids[1]],
    );
    const all: string[] = [];
    for await (const record of client.executions.listAll({ status: ['completed'], function: 'quick', limit: 2 })) all.push(record.uuid);
    assert.deepEqual(all, [...ids].reverse());
    const live = await client.executions.list({ function: 'quick' });
    assert.deepEqual(live, { executions: [], nextCursor: null }, 'ended executions are not listed by default');
  });

  test('cancel stops a pending execution; cancelling it again is EXECUTION_ENDED with the record', async () => {
    const blockers = [client.functions.run('sleepy', { s: '0.7' }, { wait: true }), client.functions.run('sleepy', { s: '0.7' }, { wait: true })];
    await new Promise((r) => setTimeout(r, 150));
    const id = await client.functions.run('sleepy', { s: '0' });
    const cancelled = await client.executions.cancel(id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.error?.type, 'Cancelled');
    await assert.rejects(client.executions.cancel(id), (error) => {
      assert.ok(FaaspotError.is(error, 'EXECUTION_ENDED'));
      assert.equal(error.status, 409);
      assert.equal(error.execution?.uuid, id);
      assert.equal(error.execution.status, 'cancelled');
      return true;
    });
    await Promise.all(blockers);
  });

  test('server errors come back typed: FUNCTION_NOT_FOUND, INVALID_CODE with its line, FUNCTION_EXISTS, EXECUTION_NOT_FOUND', async () => {
    await assert.rejects(client.functions.run('nope', {}, { wait: true }), (error) => {
      assert.ok(error instanceof FaaspotError);
      assert.equal(error.code, 'FUNCTION_NOT_FOUND');
      assert.equal(error.status, 404);
      assert.match(error.message, /nope/);
      assert.equal(error.execution, undefined);
      return true;
    });
    await assert.rejects(client.functions.create('broken', { code: 'def main(args, context)\n    return 1\n' }), (error) => {
      assert.ok(FaaspotError.is(error, 'INVALID_CODE'));
      assert.equal(error.status, 400);
      assert.equal(error.details.line, 1);
      return true;
    });
    await assert.rejects(client.functions.create('sleepy', { code: HELLO }), (e) => FaaspotError.is(e, 'FUNCTION_EXISTS'));
    await assert.rejects(client.executions.get('00000000-0000-0000-0000-000000000000'), (e) => FaaspotError.is(e, 'EXECUTION_NOT_FOUND'));
    const stranger = new Faaspot({ url: s.url, token: 'not-a-real-token-at-all' });
    await assert.rejects(stranger.functions.list(), (e) => FaaspotError.is(e, 'UNAUTHENTICATED'));
  });

  test('tokens: an admin creates a namespace token, which sees only its own namespace', async () => {
    const created = await client.tokens.create('team-a');
    assert.equal(created.namespace, 'team-a');
    assert.equal(created.admin, false);
    const team = new Faaspot({ url: s.url, token: created.token });
    assert.deepEqual(await team.functions.list(), []);
    await assert.rejects(team.tokens.list(), (e) => FaaspotError.is(e, 'FORBIDDEN'));
    const teamKey = await team.callbackSecret();
    assert.equal(teamKey.namespace, 'team-a', "callbackSecret answers the token's own namespace's key");
    assert.match(teamKey.secret, /^[0-9a-f]{64}$/);
    assert.notEqual(teamKey.secret, (await client.callbackSecret()).secret);
    assert.ok((await client.tokens.list()).some((t) => t.id === created.id));
    assert.equal((await client.tokens.revoke(created.id)).revoked, true);
    await assert.rejects(team.functions.list(), (e) => FaaspotError.is(e, 'UNAUTHENTICATED'));
  });

  test('a client without a usable url or token is CONFIG_ERROR', () => {
    for (const options of [
      { url: 'ftp://host', token: 't' },
      { url: 'localhost:8080', token: 't' },
      { url: '', token: 't' },
      { url: 'http://127.0.0.1:8080', token: ' ' },
    ]) {
      assert.throws(() => new Faaspot(options), (e) => FaaspotError.is(e, 'CONFIG_ERROR'), JSON.stringify(options));
    }
  });

  test('an unreachable server is CONNECTION_ERROR', async () => {
    const port = await closedPort();
    const offline = new Faaspot({ url: `http://127.0.0.1:${port}`, token: 'whatever-token' });
    await assert.rejects(offline.functions.list(), (error) => {
      assert.ok(FaaspotError.is(error, 'CONNECTION_ERROR'));
      assert.equal(error.status, null);
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
  });

  test('fromProfile reads the profile file, and FAASPOT_URL / FAASPOT_TOKEN override it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faaspot-client-profile-'));
    try {
      const port = Number(new URL(s.url).port);
      writeFileSync(
        join(dir, 'fasconf.yaml'),
        `faaspot:\n  profile: local\n  profiles:\n    local: {host: 127.0.0.1, port: ${port}, protocol: http, token: ${ADMIN_TOKEN}}\n    broken: {host: 127.0.0.1, port: 1, protocol: http, token: nope}\n`,
      );
      const fromFile = Faaspot.fromProfile({ env: { FAASPOT_DIR: dir } });
      assert.equal(fromFile.url, s.url);
      assert.ok((await fromFile.functions.list()).some((fn) => fn.name === 'sleepy'));
      const overridden = Faaspot.fromProfile({ profile: 'broken', env: { FAASPOT_DIR: dir, FAASPOT_URL: s.url, FAASPOT_TOKEN: ADMIN_TOKEN } });
      assert.ok((await overridden.functions.list()).some((fn) => fn.name === 'sleepy'));
      assert.throws(() => Faaspot.fromProfile({ env: { FAASPOT_DIR: join(dir, 'none') } }), (e) => FaaspotError.is(e, 'CONFIG_ERROR'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
