import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KyselyStore } from '../../../src/store/kysely-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { ExecutionEnd, NewExecution } from '../../../src/store/store.js';

const CUTOFF = '2024-01-01T00:00:00.000Z';

function execution(id: string, created: string, state: 'pending' | 'running' | ExecutionEnd['status'], finished?: string): NewExecution {
  const base: NewExecution = { id, namespace: 'default', functionId: 'f1', functionName: 'f', blocking: false, args: '{}', created };
  if (state === 'pending') return base;
  const running = { functionVersion: 1, started: created };
  if (state === 'running') return { ...base, running };
  const end: ExecutionEnd = {
    status: state,
    output: state === 'completed' ? '1' : null,
    error: state === 'completed' ? null : { type: 'Error', message: 'no', traceback: null },
    logs: '',
    logsTruncated: false,
    finished: finished ?? created,
    durationMs: 1,
  };
  return { ...base, running, end };
}

/** An in-memory store holding the function `f1` that {@link execution} records belong to. */
async function storeWithFunction(): Promise<KyselyStore> {
  const store = await openSqliteStore(':memory:');
  await store.insertFunction({
    id: 'f1', namespace: 'default', name: 'f', version: 1, code: '', context: '{}', timeoutSeconds: 60, memoryMib: 256,
    created: '2019-01-01T00:00:00.000Z', updated: '2019-01-01T00:00:00.000Z',
  });
  return store;
}

describe('KyselyStore.deleteEndedBefore', () => {
  let store: KyselyStore;
  before(async () => {
    store = await storeWithFunction();
  });
  after(() => store.close());

  test('deletes ended executions that finished before the cutoff, oldest first and at most a batch at a time, and keeps the rest', async () => {
    await store.insertExecutions([
      execution('old-failed', '2020-01-02T00:00:00.000Z', 'failed'),
      execution('old-completed', '2020-01-01T00:00:00.000Z', 'completed'),
      execution('old-cancelled', '2020-01-03T00:00:00.000Z', 'cancelled'),
      execution('old-completed-2', '2021-01-01T00:00:00.000Z', 'completed'),
      // Created long ago but finished only after the cutoff: its age is its end's.
      execution('created-old-finished-late', '2020-01-01T00:00:00.000Z', 'completed', '2024-01-01T00:00:00.001Z'),
      execution('old-completed-3', '2022-01-01T00:00:00.000Z', 'completed'),
      execution('at-cutoff', CUTOFF, 'completed'),
      execution('recent', '2025-01-01T00:00:00.000Z', 'completed'),
      execution('old-pending', '2020-01-01T00:00:00.000Z', 'pending'),
      execution('old-running', '2020-01-01T00:00:00.000Z', 'running'),
    ]);
    const present = async (ids: string[]) => (await store.getExecutions('default', ids)).map((e) => e !== undefined);

    assert.equal(await store.deleteEndedBefore(CUTOFF, 2), 2);
    assert.deepEqual(await present(['old-completed', 'old-failed', 'old-cancelled']), [false, false, true], 'the two oldest went first');
    assert.equal(await store.deleteEndedBefore(CUTOFF, 2), 2);
    assert.equal(await store.deleteEndedBefore(CUTOFF, 2), 1);
    assert.equal(await store.deleteEndedBefore(CUTOFF, 2), 0);

    const kept = ['created-old-finished-late', 'at-cutoff', 'recent', 'old-pending', 'old-running'];
    assert.deepEqual(await present(kept), kept.map(() => true));
    assert.deepEqual(await present(['old-cancelled', 'old-completed-2', 'old-completed-3']), [false, false, false]);
    const statuses = (await store.getExecutions('default', ['old-pending', 'old-running'])).map((e) => e?.status);
    assert.deepEqual(statuses, ['pending', 'running']);
  });

  test('a pending or running execution is never deleted, however old its creation', async () => {
    assert.equal(await store.deleteEndedBefore('9999-01-01T00:00:00.000Z', 1000), 3);
    const left = await store.listExecutions('default', { statuses: undefined, functionName: undefined, limit: 100, beforeSeq: undefined });
    assert.deepEqual(left.map((e) => e.status).sort(), ['pending', 'running']);
  });
});

describe('KyselyStore callbacks', () => {
  let store: KyselyStore;
  const end: ExecutionEnd = { status: 'completed', output: '1', error: null, logs: '', logsTruncated: false, finished: '2025-01-01T00:00:01.000Z', durationMs: 1 };
  before(async () => {
    store = await storeWithFunction();
  });
  after(() => store.close());

  test('an execution keeps its callback URL, pending with no attempt, and the queue to resume carries it; one without has none', async () => {
    const created = '2025-01-01T00:00:00.000Z';
    await store.insertExecutions([
      { ...execution('cb-1', created, 'pending'), callbackUrl: 'http://127.0.0.1:9/a' },
      { ...execution('cb-2', created, 'pending'), callbackUrl: 'http://127.0.0.1:9/a' },
    ]);
    await store.insertExecutions([execution('plain', created, 'pending')]);
    const [one, plain] = await store.getExecutions('default', ['cb-1', 'plain']);
    assert.deepEqual(one?.callback, { url: 'http://127.0.0.1:9/a', state: 'pending', attempts: 0, lastError: null, nextAttempt: null });
    assert.equal(plain?.callback, null);
    const queued = await store.listQueued();
    assert.deepEqual(queued.map((q) => [q.id, q.callbackUrl]), [['cb-1', 'http://127.0.0.1:9/a'], ['cb-2', 'http://127.0.0.1:9/a'], ['plain', undefined]]);
  });

  test('an attempt is counted only once the execution has ended, and only while its callback is pending', async () => {
    assert.equal(await store.beginCallbackAttempt('cb-1'), undefined, 'not ended yet');
    assert.deepEqual(await store.listOwedCallbacks(), []);
    assert.equal(await store.finishExecution('cb-1', end), true);
    assert.equal(await store.finishExecution('plain', end), true);
    assert.equal(await store.beginCallbackAttempt('plain'), undefined, 'no callback');
    assert.deepEqual(await store.listOwedCallbacks(), [{ id: 'cb-1', namespace: 'default', url: 'http://127.0.0.1:9/a', attempts: 0, nextAttempt: null }]);

    const first = await store.beginCallbackAttempt('cb-1');
    assert.equal(first?.status, 'completed');
    assert.equal(first?.callback?.attempts, 1);
    await store.settleCallback('cb-1', { state: 'pending', lastError: 'HTTP 500', nextAttempt: '2025-01-01T00:00:05.000Z' });
    assert.deepEqual(await store.listOwedCallbacks(), [{ id: 'cb-1', namespace: 'default', url: 'http://127.0.0.1:9/a', attempts: 1, nextAttempt: '2025-01-01T00:00:05.000Z' }]);

    const second = await store.beginCallbackAttempt('cb-1');
    assert.deepEqual(second?.callback, { url: 'http://127.0.0.1:9/a', state: 'pending', attempts: 2, lastError: 'HTTP 500', nextAttempt: null });
    await store.settleCallback('cb-1', { state: 'delivered', lastError: null, nextAttempt: null });
    assert.equal(await store.beginCallbackAttempt('cb-1'), undefined, 'delivered: no more attempts');
    await store.settleCallback('cb-1', { state: 'failed', lastError: 'late', nextAttempt: null });
    const settled = await store.getExecution('default', 'cb-1');
    assert.deepEqual(settled?.callback, { url: 'http://127.0.0.1:9/a', state: 'delivered', attempts: 2, lastError: null, nextAttempt: null }, 'a settled callback stays settled');
    assert.deepEqual(await store.listOwedCallbacks(), []);
  });
});
