import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { CallbackKeys, deriveCallbackKey } from '../../../src/auth/callback-keys.js';
import { CallbackAllowlist } from '../../../src/callbacks/callback-allowlist.js';
import { CallbackDispatcher, callbackBackoffMs, MAX_BACKOFF_MS, type CallbackDispatcherConfig, type CallbackFailure } from '../../../src/callbacks/callback-dispatcher.js';
import { CallbackSender } from '../../../src/callbacks/callback-sender.js';
import { verifyCallbackSignature } from '../../../src/callbacks/callback-signature.js';
import type { KyselyStore } from '../../../src/store/kysely-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { ExecutionEnd, StoredExecution } from '../../../src/store/store.js';
import { CallbackReceiver } from '../../integration/callback-receiver.js';

const SECRET = 'dispatcher-test-secret';
const END: ExecutionEnd = { status: 'completed', output: '{"ok": true}', error: null, logs: 'hi\n', logsTruncated: false, finished: '2025-01-01T00:00:01.000Z', durationMs: 2 };

describe('callbackBackoffMs', () => {
  test('doubles from the base with each attempt, less up to half at random, and never passes an hour', () => {
    assert.deepEqual([1, 2, 3, 4].map((attempt) => callbackBackoffMs(attempt, 1000, 0)), [500, 1000, 2000, 4000]);
    assert.deepEqual([1, 2, 3, 4].map((attempt) => callbackBackoffMs(attempt, 1000, 0.5)), [750, 1500, 3000, 6000]);
    const capped = callbackBackoffMs(60, 1000, 0.999_999);
    assert.ok(capped <= MAX_BACKOFF_MS && capped > MAX_BACKOFF_MS - 10, String(capped));
    assert.equal(callbackBackoffMs(3, 0, 0.7), 0);
  });
});

describe('CallbackDispatcher', () => {
  let receiver: CallbackReceiver;
  let store: KyselyStore;
  let dispatcher: CallbackDispatcher | undefined;
  let n = 0;

  before(async () => {
    receiver = await CallbackReceiver.start();
  });
  after(() => receiver.close());
  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await store.close();
  });

  function start(overrides: Partial<CallbackDispatcherConfig> = {}): CallbackDispatcher {
    dispatcher = new CallbackDispatcher({
      store,
      transport: new CallbackSender({ allowlist: CallbackAllowlist.parse('127.0.0.1'), timeoutMs: 10_000 }),
      keys: new CallbackKeys({ secret: SECRET, source: 'environment' }),
      retries: 2,
      backoffMs: 0,
      concurrency: 4,
      ...overrides,
    });
    return dispatcher;
  }

  /** An ended execution whose callback goes to `path` on the receiver (or none); returns its record. */
  async function ended(path: string | undefined, namespace = 'default'): Promise<StoredExecution> {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    await store.insertExecutions([
      {
        id, namespace, functionId: 'f1', functionName: 'hello', blocking: false, args: '{"name": "a"}',
        created: '2025-01-01T00:00:00.000Z', running: { functionVersion: 1, started: '2025-01-01T00:00:00.500Z' },
        ...(path !== undefined && { callbackUrl: receiver.url(path) }),
      },
    ]);
    await store.finishExecution(id, END);
    const record = await store.getExecution(namespace, id);
    assert.ok(record);
    return record;
  }

  test('an ended execution with a callback is POSTed once with its record, signed; one without is not', async () => {
    const d = start();
    const record = await ended('/one');
    d.notify(record);
    d.notify(record);
    d.notify(await ended(undefined));
    await d.idle();
    const [request, ...more] = receiver.at('/one');
    assert.ok(request);
    assert.equal(more.length, 0);
    const signature = request.headers['x-faaspot-signature'] as string;
    assert.equal(verifyCallbackSignature(deriveCallbackKey(SECRET, 'default'), request.body, signature), true, "signed with the namespace's key");
    assert.equal(verifyCallbackSignature(SECRET, request.body, signature), false, 'never with the root secret');
    assert.equal(request.headers['x-faaspot-execution'], record.id);
    assert.equal(request.headers['x-faaspot-attempt'], '1');
    assert.match(request.headers['user-agent'] ?? '', /^faaspot\//);
    assert.ok(!Number.isNaN(Date.parse(request.headers['x-faaspot-timestamp'] as string)));
    const body = JSON.parse(request.body);
    assert.equal(body.uuid, record.id);
    assert.deepEqual(body.output, { ok: true });
    assert.deepEqual(body.callback, { url: receiver.url('/one'), state: 'pending', attempts: 1, last_error: null, next_attempt: null });
    const after = await store.getExecution('default', record.id);
    assert.deepEqual(after?.callback, { url: receiver.url('/one'), state: 'delivered', attempts: 1, lastError: null, nextAttempt: null });
  });

  test('a failing receiver gets the first attempt and the bounded retries, numbered, and the callback then fails', async () => {
    receiver.answer('/down', () => ({ status: 503, body: 'down' }));
    const d = start({ retries: 3 });
    const record = await ended('/down');
    d.notify(record);
    await d.idle();
    assert.deepEqual(receiver.at('/down').map((r) => r.headers['x-faaspot-attempt']), ['1', '2', '3', '4']);
    const after = await store.getExecution('default', record.id);
    assert.deepEqual(after?.callback, { url: receiver.url('/down'), state: 'failed', attempts: 4, lastError: 'HTTP 503: down', nextAttempt: null });
  });

  test('each attempt that does not deliver is reported with its execution, number, reason and what comes next; a delivered one is not', async () => {
    receiver.answer('/flaky', (_request, nth) => (nth < 3 ? { status: 500, body: 'try later' } : { status: 200 }));
    receiver.answer('/gone', () => ({ status: 410 }));
    const failures: CallbackFailure[] = [];
    const d = start({ retries: 2, now: () => Date.parse('2025-01-01T00:00:10.000Z'), random: () => 0, onFailure: (f) => failures.push(f) });
    const flaky = await ended('/flaky');
    d.notify(flaky);
    await d.idle();
    const gone = await ended('/gone');
    d.notify(gone);
    await d.idle();
    d.notify(await ended('/fine'));
    await d.idle();
    assert.deepEqual(failures, [
      { executionId: flaky.id, attempt: 1, reason: 'HTTP 500', state: 'pending', nextAttempt: '2025-01-01T00:00:10.000Z' },
      { executionId: flaky.id, attempt: 2, reason: 'HTTP 500', state: 'pending', nextAttempt: '2025-01-01T00:00:10.000Z' },
      { executionId: gone.id, attempt: 1, reason: 'HTTP 410', state: 'pending', nextAttempt: '2025-01-01T00:00:10.000Z' },
      { executionId: gone.id, attempt: 2, reason: 'HTTP 410', state: 'pending', nextAttempt: '2025-01-01T00:00:10.000Z' },
      { executionId: gone.id, attempt: 3, reason: 'HTTP 410', state: 'failed', nextAttempt: null },
    ]);
    assert.equal((await store.getExecution('default', flaky.id))?.callback?.state, 'delivered');
    for (const failure of failures) assert.ok(!JSON.stringify(failure).includes(SECRET), 'never the secret');
  });

  test('a refused address is given up at once, without a request', async () => {
    const d = start({ transport: new CallbackSender({ allowlist: CallbackAllowlist.PUBLIC_ONLY, timeoutMs: 10_000 }) });
    const record = await ended('/refused');
    d.notify(record);
    await d.idle();
    assert.equal(receiver.at('/refused').length, 0);
    const after = await store.getExecution('default', record.id);
    assert.equal(after?.callback?.state, 'failed');
    assert.equal(after?.callback?.attempts, 1);
    assert.match(after?.callback?.lastError ?? '', /loopback address/);
  });

  test('a stop cuts the attempt in flight short and leaves it due; the next start delivers it, and gives up one that had used its last attempt', async () => {
    receiver.answer('/slow', (_request, nth) => (nth === 1 ? 'hold' : { status: 200 }));
    const cut: CallbackFailure[] = [];
    const first = start({ retries: 1, onFailure: (f) => cut.push(f) });
    const record = await ended('/slow');
    first.notify(record);
    await receiver.waitFor('/slow');
    await first.stop();
    receiver.release('/slow');
    assert.deepEqual(cut, [{ executionId: record.id, attempt: 1, reason: 'stopped', state: 'pending', nextAttempt: null }]);
    const stopped = await store.getExecution('default', record.id);
    assert.deepEqual(stopped?.callback, { url: receiver.url('/slow'), state: 'pending', attempts: 1, lastError: 'the server stopped during the attempt', nextAttempt: null });

    // Another one used both of its attempts, the last cut short by a stop.
    const spent = await ended('/spent');
    await store.beginCallbackAttempt(spent.id);
    await store.beginCallbackAttempt(spent.id);

    const failures: CallbackFailure[] = [];
    const second = start({ retries: 1, onFailure: (f) => failures.push(f) });
    await second.start();
    await second.idle();
    assert.deepEqual(failures, [
      { executionId: spent.id, attempt: 2, reason: 'stopped', state: 'failed', nextAttempt: null },
    ]);
    assert.deepEqual(receiver.at('/slow').map((r) => r.headers['x-faaspot-attempt']), ['1', '2']);
    assert.equal((await store.getExecution('default', record.id))?.callback?.state, 'delivered');
    const given = await store.getExecution('default', spent.id);
    assert.equal(given?.callback?.state, 'failed');
    assert.match(given?.callback?.lastError ?? '', /the server stopped during attempt 2, the last one allowed/);
    assert.equal(receiver.at('/spent').length, 0);
  });

  test('attempts in flight never exceed the concurrency; the others wait their turn', async () => {
    receiver.answer('/held', () => 'hold');
    const d = start({ concurrency: 2 });
    const records = [await ended('/held'), await ended('/held'), await ended('/held')];
    for (const record of records) d.notify(record);
    await receiver.waitFor('/held', 2);
    // The third is queued behind the two held ones: it is sent only once one of them is answered.
    const third = receiver.waitFor('/held', 3);
    receiver.answer('/held', () => ({ status: 200 }));
    assert.equal(receiver.at('/held').length, 2);
    receiver.release('/held');
    await third;
    await d.idle();
    const states = await Promise.all(records.map(async (r) => (await store.getExecution('default', r.id))?.callback?.state));
    assert.deepEqual(states, ['delivered', 'delivered', 'delivered']);
  });

  test("one namespace's callbacks to a receiver that never answers do not hold up another namespace's: its callback goes at the next free turn", async () => {
    receiver.answer('/black-hole', () => 'hold');
    const d = start({ concurrency: 1 });
    const flood = [];
    for (let i = 0; i < 6; i++) flood.push(await ended('/black-hole', 'team-a'));
    for (const record of flood) d.notify(record);
    await receiver.waitFor('/black-hole');
    const other = await ended('/team-b', 'team-b');
    d.notify(other);
    // The one slot is taken by team-a's first callback; once it is answered, team-b has the turn,
    // ahead of the five of team-a that were queued before it.
    receiver.release('/black-hole', 503);
    const [delivered] = await receiver.waitFor('/team-b');
    assert.equal(delivered?.headers['x-faaspot-execution'], other.id);
    assert.deepEqual(
      receiver.received.filter((r) => r.path === '/black-hole' || r.path === '/team-b').map((r) => r.path),
      ['/black-hole', '/team-b'],
      "team-b's callback was sent before any more of team-a's",
    );
    const [b] = await receiver.waitFor('/black-hole', 2);
    assert.ok(b);
    assert.equal((await store.getExecution('team-b', other.id))?.callback?.state, 'delivered');
    const pending = await Promise.all(flood.slice(1).map(async (r) => (await store.getExecution('team-a', r.id))?.callback?.state));
    assert.deepEqual(pending, ['pending', 'pending', 'pending', 'pending', 'pending'], "team-a's are still pending");
    // Let the rest through so that the dispatcher stops idle.
    receiver.answer('/black-hole', () => ({ status: 200 }));
    receiver.release('/black-hole');
    await d.idle();
  });
});
