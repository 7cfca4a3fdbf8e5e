import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KyselyStore } from '../../../src/store/kysely-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { IdempotencyKeyTakenError, type NewExecution, type NewIdempotencyKey } from '../../../src/store/store.js';

const CREATED = '2026-01-02T00:00:00.000Z';
/** Keys created before this have expired. */
const EXPIRED_BEFORE = '2026-01-01T00:00:00.000Z';

function executions(namespace: string, ...ids: string[]): NewExecution[] {
  return ids.map((id) => ({ id, namespace, functionId: 'f1', functionName: 'f', blocking: false, args: '{}', created: CREATED }));
}

function claim(namespace: string, key: string, extra: Partial<NewIdempotencyKey> = {}): NewIdempotencyKey {
  return {
    namespace,
    key,
    fingerprint: 'a'.repeat(64),
    route: 'bulk_rpc',
    functionName: 'f',
    created: CREATED,
    expiredBefore: EXPIRED_BEFORE,
    ...extra,
  };
}

describe('KyselyStore idempotency keys', () => {
  let store: KyselyStore;
  before(async () => {
    store = await openSqliteStore(':memory:');
  });
  after(() => store.close());

  const stored = async (namespace: string, ids: string[]) => (await store.getExecutions(namespace, ids)).map((e) => e !== undefined);

  test('a key is committed with its executions and gives back their ids in order, in its namespace only', async () => {
    await store.insertExecutions(executions('default', 'k1-b', 'k1-a', 'k1-c'), claim('default', 'k1'));
    const found = await store.findIdempotencyKey('default', 'k1', EXPIRED_BEFORE);
    assert.deepEqual(found, {
      namespace: 'default',
      key: 'k1',
      fingerprint: 'a'.repeat(64),
      route: 'bulk_rpc',
      functionName: 'f',
      executionIds: ['k1-b', 'k1-a', 'k1-c'],
      created: CREATED,
    });
    assert.equal(await store.findIdempotencyKey('team-b', 'k1', EXPIRED_BEFORE), undefined);
    assert.equal(await store.findIdempotencyKey('default', 'K1', EXPIRED_BEFORE), undefined, 'keys are case-sensitive');
  });

  test('of two inserts with one key in one commit, the second stores nothing and is told the key is taken; others in the commit are stored', async () => {
    const first = store.insertExecutions(executions('default', 'race-1a', 'race-1b'), claim('default', 'race'));
    const second = store.insertExecutions(executions('default', 'race-2a', 'race-2b'), claim('default', 'race'));
    const unrelated = store.insertExecutions(executions('default', 'plain'));
    const [a, b, c] = await Promise.allSettled([first, second, unrelated]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.ok(b.status === 'rejected' && b.reason instanceof IdempotencyKeyTakenError, 'the second is told the key is taken');
    assert.equal(c.status, 'fulfilled');
    assert.deepEqual(await stored('default', ['race-1a', 'race-1b', 'race-2a', 'race-2b', 'plain']), [true, true, false, false, true]);
    assert.deepEqual((await store.findIdempotencyKey('default', 'race', EXPIRED_BEFORE))?.executionIds, ['race-1a', 'race-1b']);
  });

  test('the same key in another namespace is another key', async () => {
    await store.insertExecutions(executions('default', 'ns-default'), claim('default', 'shared'));
    await store.insertExecutions(executions('team-b', 'ns-team-b'), claim('team-b', 'shared'));
    assert.deepEqual((await store.findIdempotencyKey('default', 'shared', EXPIRED_BEFORE))?.executionIds, ['ns-default']);
    assert.deepEqual((await store.findIdempotencyKey('team-b', 'shared', EXPIRED_BEFORE))?.executionIds, ['ns-team-b']);
  });

  test('a key whose executions cannot be stored is not stored either', async () => {
    await store.insertExecutions(executions('default', 'taken-id'));
    // An execution id that exists already fails the insert after the key's own statement.
    await assert.rejects(store.insertExecutions(executions('default', 'fresh', 'taken-id'), claim('default', 'doomed')));
    assert.equal(await store.findIdempotencyKey('default', 'doomed', EXPIRED_BEFORE), undefined);
    assert.deepEqual(await stored('default', ['fresh']), [false]);
  });

  test('an expired key is not found, and a new request with it takes it over', async () => {
    await store.insertExecutions(executions('default', 'old-run'), claim('default', 'aging', { created: '2025-12-31T23:59:59.999Z' }));
    assert.equal(await store.findIdempotencyKey('default', 'aging', EXPIRED_BEFORE), undefined);
    assert.ok(await store.findIdempotencyKey('default', 'aging', '2025-12-31T00:00:00.000Z'), 'found under a longer lifetime');
    await store.insertExecutions(executions('default', 'new-run'), claim('default', 'aging', { fingerprint: 'b'.repeat(64) }));
    const found = await store.findIdempotencyKey('default', 'aging', EXPIRED_BEFORE);
    assert.deepEqual([found?.executionIds, found?.fingerprint], [['new-run'], 'b'.repeat(64)]);
    // A key that has not expired is not taken over.
    await assert.rejects(store.insertExecutions(executions('default', 'newer-run'), claim('default', 'aging')), IdempotencyKeyTakenError);
  });

  test('deleteIdempotencyKeysBefore deletes keys created before the cutoff, oldest first and at most a batch at a time', async () => {
    const cutoff = '2020-06-01T00:00:00.000Z';
    const ages = { 'gc-3': '2020-03-01T00:00:00.000Z', 'gc-1': '2020-01-01T00:00:00.000Z', 'gc-2': '2020-02-01T00:00:00.000Z', 'gc-late': cutoff };
    for (const [key, created] of Object.entries(ages)) {
      await store.insertExecutions(executions('gc', `${key}-run`), claim('gc', key, { created, expiredBefore: '2000-01-01T00:00:00.000Z' }));
    }
    const present = async () => {
      const keys = Object.keys(ages).sort();
      const found = await Promise.all(keys.map((key) => store.findIdempotencyKey('gc', key, '2000-01-01T00:00:00.000Z')));
      return Object.fromEntries(keys.map((key, i) => [key, found[i] !== undefined]));
    };
    assert.equal(await store.deleteIdempotencyKeysBefore(cutoff, 2), 2);
    assert.deepEqual(await present(), { 'gc-1': false, 'gc-2': false, 'gc-3': true, 'gc-late': true });
    assert.equal(await store.deleteIdempotencyKeysBefore(cutoff, 2), 1);
    assert.equal(await store.deleteIdempotencyKeysBefore(cutoff, 2), 0);
    assert.deepEqual(await present(), { 'gc-1': false, 'gc-2': false, 'gc-3': false, 'gc-late': true });
    assert.deepEqual(await stored('gc', ['gc-1-run', 'gc-2-run', 'gc-3-run']), [true, true, true], 'the executions stay');
  });
});
