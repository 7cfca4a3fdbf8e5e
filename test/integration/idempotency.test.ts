import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { exchange, statusCodes } from '../reliability/raw-http.js';
import { ADMIN_TOKEN, removeDataDir, startTestServer, type Reply, type TestServer } from './harness.js';

/** Counts its own runs: with one worker, every run of it shares one interpreter, so its outputs number them. */
const COUNTER = 'RUNS = 0\n\ndef main(args, context):\n    global RUNS\n    RUNS += 1\n    return RUNS\n';
const HOUR = 3_600_000;

const withKey = (key: string): Record<string, string> => ({ 'idempotency-key': key });
const replayed = (reply: Reply): string | null => reply.headers.get('idempotent-replayed');

/** The number of execution records of `name` in the token's namespace: one per execution ever created. */
async function recordCount(s: TestServer, name: string, token = ADMIN_TOKEN): Promise<number> {
  const reply = await s.call('GET', `/v1/executions/?include_completed=true&function=${name}&limit=1000`, undefined, token);
  assert.equal(reply.status, 200, reply.text);
  return (reply.json as unknown[]).length;
}

/** The HTTP/1.1 responses of a raw transcript, in order, each framed by its Content-Length. */
function responsesIn(transcript: string): { status: number; headers: Map<string, string>; body: string }[] {
  const responses: { status: number; headers: Map<string, string>; body: string }[] = [];
  let at = 0;
  while (at < transcript.length) {
    const headEnd = transcript.indexOf('\r\n\r\n', at);
    assert.ok(headEnd >= 0, `a complete response head at ${at}: ${transcript.slice(at, at + 200)}`);
    const [statusLine = '', ...lines] = transcript.slice(at, headEnd).split('\r\n');
    const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers.get('content-length'));
    const bodyStart = headEnd + 4;
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: transcript.slice(bodyStart, bodyStart + length) });
    at = bodyStart + length;
  }
  return responses;
}

async function outputsOf(s: TestServer, ids: readonly string[]): Promise<unknown[]> {
  const outputs: unknown[] = [];
  for (const id of ids) {
    const record = (await s.call('GET', `/v1/executions/${id}?wait=30`)).json as { status: string; output: unknown };
    assert.equal(record.status, 'completed');
    outputs.push(record.output);
  }
  return outputs;
}

describe('Idempotency-Key on non-blocking runs and bulks', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1 });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('a retried idempotent bulk returns identical ids and runs once', async () => {
    await s.create('counter', COUNTER);
    const items = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const first = await s.call('POST', '/v1/functions/counter/bulk_rpc', items, undefined, withKey('bulk-1'));
    assert.equal(first.status, 200, first.text);
    assert.equal(replayed(first), null, 'the first answer is not a replay');
    const ids = first.json as string[];
    assert.equal(ids.length, 3);

    // Retried while the executions may still be queued, and again once they have ended.
    const early = await s.call('POST', '/v1/functions/counter/bulk_rpc/', items, undefined, withKey('bulk-1'));
    assert.deepEqual(await outputsOf(s, ids), [1, 2, 3]);
    const late = await s.call('POST', '/v1/functions/counter/bulk_rpc', JSON.stringify(items, null, 2), undefined, withKey('bulk-1'));
    for (const retry of [early, late]) {
      assert.equal(retry.status, 200, retry.text);
      assert.deepEqual(retry.json, ids, 'the same ids, in the same order');
      assert.equal(replayed(retry), 'true');
    }

    assert.equal(await recordCount(s, 'counter'), 3, 'no execution was created by the retries');
    const next = await s.call('GET', '/v1/sync/functions/counter/rpc');
    assert.equal(next.json, 4, 'the function had run three times, once per item');
  });

  test('a single run is the same request by GET and by POST: the retry answers its id as a JSON string', async () => {
    await s.create('echo', 'def main(args, context):\n    return args\n');
    const first = await s.call('GET', '/v1/functions/echo/rpc?name=user1&n=2', undefined, undefined, withKey('single-1'));
    assert.equal(first.status, 200, first.text);
    assert.match(first.text, /^"[0-9a-f-]{36}"$/);
    const byPost = await s.call('POST', '/v1/functions/echo/rpc', { n: '2', name: 'user1' }, undefined, withKey('single-1'));
    assert.equal(byPost.text, first.text);
    assert.equal(replayed(byPost), 'true');
    const byGet = await s.call('GET', '/v1/functions/echo/rpc/?n=2&name=user1', undefined, undefined, withKey('single-1'));
    assert.equal(byGet.text, first.text);
    assert.equal(await recordCount(s, 'echo'), 1);
  });

  test('requests sent at once with one key end with one set of executions; the others answer its ids as replays', async () => {
    await s.create('racer', COUNTER);
    const items = Array.from({ length: 5 }, (_, i) => ({ i }));
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => s.call('POST', '/v1/functions/racer/bulk_rpc', items, undefined, withKey('race'))),
    );
    for (const reply of replies) assert.equal(reply.status, 200, reply.text);
    const ids = replies[0]?.json as string[];
    for (const reply of replies) assert.deepEqual(reply.json, ids);
    assert.equal(replies.filter((reply) => replayed(reply) === null).length, 1, 'exactly one answer is not a replay');
    assert.equal(await recordCount(s, 'racer'), 5);
    assert.deepEqual(await outputsOf(s, ids), [1, 2, 3, 4, 5]);
  });

  test('of two requests with one key pipelined on one connection, the second sent before the first is answered, one runs and the other replays it', async () => {
    await s.create('piped', COUNTER);
    const body = JSON.stringify([{ p: 1 }, { p: 2 }]);
    const request = (last: boolean) =>
      `POST /v1/functions/piped/bulk_rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Token ${ADMIN_TOKEN}\r\nIdempotency-Key: piped\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`;
    const answers = responsesIn(await exchange(s.url, Buffer.from(request(false) + request(true))));
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
    const [first, second] = answers.map((a) => JSON.parse(a.body) as string[]);
    assert.deepEqual(second, first);
    assert.deepEqual(answers.map((a) => a.headers.get('idempotent-replayed')).sort(), ['true', undefined]);
    assert.equal(await recordCount(s, 'piped'), 2);
    assert.deepEqual(await outputsOf(s, first ?? []), [1, 2]);
  });

  test('the key with a different request is a 422 IDEMPOTENCY_KEY_REUSED and runs nothing; key order in the arguments does not matter', async () => {
    await s.create('picky', 'def main(args, context):\n    return args\n');
    await s.create('other', 'def main(args, context):\n    return args\n');
    const first = await s.call('POST', '/v1/functions/picky/bulk_rpc', [{ a: 1, b: [1, 2] }], undefined, withKey('order-7'));
    assert.equal(first.status, 200, first.text);

    const sameValue = await s.call('POST', '/v1/functions/picky/bulk_rpc', '[{"b": [1, 2], "a": 1.0}]', undefined, withKey('order-7'));
    assert.deepEqual([sameValue.status, sameValue.json, replayed(sameValue)], [200, first.json, 'true']);

    const different: [string, string, unknown, RegExp][] = [
      ['POST', '/v1/functions/picky/bulk_rpc', [{ a: 2, b: [1, 2] }], /a bulk_rpc of "picky" with other arguments/],
      ['POST', '/v1/functions/picky/bulk_rpc', [{ a: 1, b: [2, 1] }], /with other arguments/],
      ['POST', '/v1/functions/picky/bulk_rpc', [{ a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }], /with other arguments/],
      ['POST', '/v1/functions/other/bulk_rpc', [{ a: 1, b: [1, 2] }], /a bulk_rpc of "picky", and stands/],
      ['POST', '/v1/functions/picky/rpc', { a: 1, b: [1, 2] }, /a bulk_rpc of "picky", and stands/],
    ];
    for (const [method, path, body, message] of different) {
      const reply = await s.call(method, path, body, undefined, withKey('order-7'));
      assert.equal(reply.status, 422, `${path} ${JSON.stringify(body)}: ${reply.text}`);
      assert.equal(reply.json.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.match(reply.json.message, /The Idempotency-Key "order-7" was first sent at \S+ with /);
      assert.match(reply.json.message, message);
      assert.match(reply.json.message, /send a new request with a new key/);
      assert.equal(replayed(reply), null);
    }
    assert.equal(await recordCount(s, 'picky'), 1);
    assert.equal(await recordCount(s, 'other'), 0);
  });

  test('the same key in another namespace is another key', async () => {
    const team = (await s.call('POST', '/v1/tokens', { namespace: 'team-b' })).json.token as string;
    await s.create('shared', 'def main(args, context):\n    return args\n');
    await s.create('shared', 'def main(args, context):\n    return args\n', {}, team);
    const mine = await s.call('POST', '/v1/functions/shared/bulk_rpc', [{ x: 1 }], undefined, withKey('common'));
    const theirs = await s.call('POST', '/v1/functions/shared/bulk_rpc', [{ x: 1 }], team, withKey('common'));
    assert.equal(theirs.status, 200, theirs.text);
    assert.equal(replayed(theirs), null);
    assert.notDeepEqual(theirs.json, mine.json);
    // And a different request with the key there is no reuse of this namespace's key.
    const theirsAgain = await s.call('POST', '/v1/functions/shared/bulk_rpc', [{ x: 1 }], team, withKey('common'));
    assert.deepEqual([theirsAgain.json, replayed(theirsAgain)], [theirs.json, 'true']);
    const mineAgain = await s.call('POST', '/v1/functions/shared/bulk_rpc', [{ x: 1 }], undefined, withKey('common'));
    assert.deepEqual([mineAgain.json, replayed(mineAgain)], [mine.json, 'true']);
    assert.equal(await recordCount(s, 'shared'), 1);
    assert.equal(await recordCount(s, 'shared', team), 1);
  });

  test('a malformed key is a 400 INVALID_IDEMPOTENCY_KEY and stores nothing; the longest key is 255 characters', async () => {
    await s.create('strict', 'def main(args, context):\n    return args\n');
    const bad: [string, RegExp][] = [
      ['', /is empty/],
      ['k'.repeat(256), /is 256 characters long/],
      ['caf\u00e9', /other than printable ASCII/],
      ['a\tb', /other than printable ASCII/],
    ];
    for (const [key, message] of bad) {
      const reply = await s.call('POST', '/v1/functions/strict/bulk_rpc', [{}], undefined, withKey(key));
      assert.equal(reply.status, 400, `${JSON.stringify(key)}: ${reply.text}`);
      assert.equal(reply.json.code, 'INVALID_IDEMPOTENCY_KEY');
      assert.match(reply.json.message, message);
      assert.match(reply.json.message, /1 to 255 printable ASCII characters/);
    }
    const twice = await exchange(
      s.url,
      Buffer.from(
        `POST /v1/functions/strict/rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Token ${ADMIN_TOKEN}\r\nIdempotency-Key: a\r\n` +
          'Idempotency-Key: b\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      ),
    );
    assert.deepEqual(statusCodes(twice), [400]);
    assert.match(twice, /INVALID_IDEMPOTENCY_KEY/);
    assert.match(twice, /was sent 2 times/);
    assert.equal(await recordCount(s, 'strict'), 0);

    const longest = ` ${'~'.repeat(253)}!`;
    const ok = await s.call('POST', '/v1/functions/strict/rpc', {}, undefined, withKey(longest));
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await s.call('GET', '/v1/functions/strict/rpc', undefined, undefined, withKey(longest))).text, ok.text);
  });

  test('a blocking run with a key for a function that does not exist is the same 400, not a 404', async () => {
    for (const method of ['GET', 'POST']) {
      const reply = await s.call(method, '/v1/sync/functions/no-such-function/rpc', method === 'POST' ? {} : undefined, undefined, { 'Idempotency-Key': 'key-for-nothing' });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.json.code, 'INVALID_IDEMPOTENCY_KEY');
    }
  });

  test('a blocking run with a key is refused with a 400 that says to run without waiting, and does not run', async () => {
    await s.create('blocking', COUNTER);
    for (const [method, body] of [['GET', undefined], ['POST', {}]] as const) {
      const reply = await s.call(method, '/v1/sync/functions/blocking/rpc', body, undefined, withKey('sync-1'));
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.json.code, 'INVALID_IDEMPOTENCY_KEY');
      assert.match(reply.json.message, /Blocking runs \(\/v1\/sync\/\.\.\.\) do not take an Idempotency-Key/);
      assert.match(reply.json.message, /non-blocking run/);
    }
    assert.equal(await recordCount(s, 'blocking'), 0);
    // The key was not taken either.
    const keyed = await s.call('GET', '/v1/functions/blocking/rpc', undefined, undefined, withKey('sync-1'));
    assert.deepEqual(await outputsOf(s, [keyed.json as string]), [1]);
  });

  test('a request refused for a full queue leaves its key free, and a replay is answered even with the queue full', async () => {
    const small = await startTestServer({ workers: 1, maxQueue: 1, namespaceMaxQueued: 1 });
    try {
      await small.create('busy', 'import time\n\ndef main(args, context):\n    for _ in range(1200):\n        time.sleep(0.05)\n');
      const running = (await small.call('POST', '/v1/functions/busy/bulk_rpc', [{}], undefined, withKey('first'))).json as string[];
      for (let i = 0; i < 400 && (await small.call('GET', `/v1/executions/${running[0]}`)).json.status !== 'running'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const queued = (await small.call('GET', '/v1/functions/busy/rpc')).json as string;

      const refused = await small.call('POST', '/v1/functions/busy/bulk_rpc', [{}], undefined, withKey('second'));
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.json.code, 'QUEUE_FULL');
      const replay = await small.call('POST', '/v1/functions/busy/bulk_rpc', [{}], undefined, withKey('first'));
      assert.deepEqual([replay.status, replay.json, replayed(replay)], [200, running, 'true']);

      for (const id of [queued, ...running]) await small.call('DELETE', `/v1/executions/${id}`);
      const accepted = await small.call('POST', '/v1/functions/busy/bulk_rpc', [{}], undefined, withKey('second'));
      assert.equal(accepted.status, 200, accepted.text);
      assert.equal(replayed(accepted), null, 'the refused request had stored nothing, its key included');
      await small.call('DELETE', `/v1/executions/${(accepted.json as string[])[0]}`);
    } finally {
      await small.stop();
      removeDataDir(small.dataDir);
    }
  });

  test('a replay answers the ids of the first request even after its function was deleted', async () => {
    await s.create('doomed', 'def main(args, context):\n    return 1\n');
    const first = await s.call('POST', '/v1/functions/doomed/bulk_rpc', [{}, {}], undefined, withKey('gone'));
    await outputsOf(s, first.json as string[]);
    assert.equal((await s.call('DELETE', '/v1/functions/doomed')).status, 200);
    const replay = await s.call('POST', '/v1/functions/doomed/bulk_rpc', [{}, {}], undefined, withKey('gone'));
    assert.deepEqual([replay.status, replay.json, replayed(replay)], [200, first.json, 'true']);
    // A new request to the deleted function is a 404, and its key stays free.
    const fresh = await s.call('POST', '/v1/functions/doomed/bulk_rpc', [{}, {}], undefined, withKey('gone-2'));
    assert.equal(fresh.json.code, 'FUNCTION_NOT_FOUND');
  });
});

describe('idempotency keys over time', () => {
  test('a key survives a restart: the retry after it answers the same ids and runs nothing', async () => {
    const first = await startTestServer({ workers: 1 });
    const dataDir = first.dataDir;
    try {
      await first.create('counter', COUNTER);
      const items = [{ n: 1 }, { n: 2 }];
      const ids = (await first.call('POST', '/v1/functions/counter/bulk_rpc', items, undefined, withKey('durable'))).json as string[];
      assert.deepEqual(await outputsOf(first, ids), [1, 2]);
      await first.stop();

      const second = await startTestServer({ workers: 1 }, dataDir);
      try {
        const retry = await second.call('POST', '/v1/functions/counter/bulk_rpc', items, undefined, withKey('durable'));
        assert.deepEqual([retry.status, retry.json, replayed(retry)], [200, ids, 'true']);
        assert.equal(await recordCount(second, 'counter'), 2);
        // A fresh interpreter after the restart: its first run is the first since.
        assert.equal((await second.call('GET', '/v1/sync/functions/counter/rpc')).json, 1);
      } finally {
        await second.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });

  test('a key is remembered for FAASPOT_IDEMPOTENCY_TTL: older, the request is new and runs, and the sweep deletes it', async () => {
    const s = await startTestServer({ workers: 1 });
    try {
      await s.create('counter', COUNTER);
      const send = (key: string, items: unknown[] = [{ n: 1 }]) => s.call('POST', '/v1/functions/counter/bulk_rpc', items, undefined, withKey(key));
      const first = await send('aging');
      const stale = await send('stale');
      await outputsOf(s, [...(first.json as string[]), ...(stale.json as string[])]);

      // Keys aged beside the running server (WAL lets a second connection write); a whole hour from
      // the 24-hour cutoff either way, so no clock edge matters.
      const db = new Database(join(s.dataDir, 'faaspot.db'));
      db.pragma('busy_timeout = 5000');
      const age = db.prepare('UPDATE idempotency_keys SET created = ? WHERE key = ?');
      const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
      age.run(hoursAgo(23), 'aging');
      age.run(hoursAgo(25), 'stale');

      const young = await send('aging');
      assert.deepEqual([young.json, replayed(young)], [first.json, 'true'], 'a key 23 hours old is remembered');

      const old = await send('stale', [{ n: 2 }]);
      assert.equal(old.status, 200, 'a key 25 hours old is forgotten: even another request may take it');
      assert.equal(replayed(old), null);
      assert.notDeepEqual(old.json, stale.json);
      assert.deepEqual(await outputsOf(s, old.json as string[]), [3]);
      const retried = await send('stale', [{ n: 2 }]);
      assert.deepEqual([retried.json, replayed(retried)], [old.json, 'true'], 'and it is then the key of the new request');

      age.run(hoursAgo(25), 'aging');
      assert.equal(await s.server.idempotencyKeys.sweep(), 1);
      const keys = db.prepare('SELECT key FROM idempotency_keys ORDER BY key').all() as { key: string }[];
      db.close();
      assert.deepEqual(keys.map((row) => row.key), ['stale']);
      assert.equal((await s.call('GET', `/v1/executions/${(first.json as string[])[0]}`)).status, 200, 'the executions stay');
      assert.equal(await recordCount(s, 'counter'), 3);
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });
});
