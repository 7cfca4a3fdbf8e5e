import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunQueue, type WaitingRun } from '../../../src/engine/run-queue.js';

const LIMITS = { maxQueued: 100, namespaceMaxQueued: 100, namespaceMaxRunning: 100 };

function run(id: string, namespace = 'a', blocking = false): WaitingRun {
  return { id, namespace, blocking };
}

/** Starts runs one by one, as free workers would, and says which ran in what order. */
function startAll(queue: RunQueue<WaitingRun>, limit = Infinity): string[] {
  const order: string[] = [];
  for (let next = queue.next(); next && order.length < limit; next = queue.next()) {
    queue.start(next);
    order.push(next.id);
  }
  return order;
}

describe('RunQueue', () => {
  test('one namespace: blocking runs first, then queued ones, each in arrival order', () => {
    const queue = new RunQueue<WaitingRun>(LIMITS);
    queue.add(run('q1'));
    queue.add(run('b1', 'a', true));
    queue.add(run('q2'));
    queue.add(run('b2', 'a', true));
    assert.deepEqual(startAll(queue), ['b1', 'b2', 'q1', 'q2']);
    assert.equal(queue.size, 0);
  });

  test('a free worker goes to the namespace with the fewest runs going, whatever the arrival order', () => {
    const queue = new RunQueue<WaitingRun>(LIMITS);
    for (let i = 1; i <= 4; i++) queue.add(run(`flood${i}`, 'flood'));
    queue.add(run('quiet1', 'quiet'));
    queue.add(run('quiet2', 'quiet'));
    assert.deepEqual(startAll(queue), ['flood1', 'quiet1', 'flood2', 'quiet2', 'flood3', 'flood4']);
  });

  test('a namespace at its running cap is passed over, and its own order is kept once it has room', () => {
    const queue = new RunQueue<WaitingRun>({ ...LIMITS, namespaceMaxRunning: 1 });
    queue.add(run('a1', 'a'));
    queue.add(run('a2', 'a'));
    queue.add(run('a3', 'a'));
    queue.add(run('b1', 'b'));
    queue.add(run('b2', 'b'));
    assert.deepEqual(startAll(queue), ['a1', 'b1']);
    queue.ended('b');
    assert.deepEqual(startAll(queue), ['b2']);
    queue.ended('a');
    assert.deepEqual(startAll(queue), ['a2']);
    queue.ended('a');
    assert.deepEqual(startAll(queue), ['a3']);
  });

  test('removed runs are skipped and free their room', () => {
    const queue = new RunQueue<WaitingRun>({ ...LIMITS, maxQueued: 2 });
    queue.add(run('x1'));
    queue.add(run('x2'));
    assert.equal(queue.reserve('a', 1).ok, false);
    assert.equal(queue.remove('x1')?.id, 'x1');
    assert.equal(queue.remove('x1'), undefined);
    assert.deepEqual(queue.reserve('a', 1), { ok: true });
    queue.release('a', 1);
    assert.deepEqual(startAll(queue), ['x2']);
  });

  test('reservations are all or none and say which limit refused them', () => {
    const queue = new RunQueue<WaitingRun>({ ...LIMITS, maxQueued: 5, namespaceMaxQueued: 3 });
    assert.deepEqual(queue.reserve('a', 4), { ok: false, limit: 'namespace', room: 3 });
    assert.deepEqual(queue.reserve('a', 3), { ok: true });
    assert.deepEqual(queue.reserve('a', 1), { ok: false, limit: 'namespace', room: 0 });
    assert.deepEqual(queue.reserve('b', 3), { ok: false, limit: 'queue', room: 2 });
    assert.deepEqual(queue.reserve('b', 2), { ok: true });
    queue.release('a', 3);
    assert.deepEqual(queue.reserve('c', 3), { ok: true });
  });

  test('blocking runs are not counted against the queue limits', () => {
    const queue = new RunQueue<WaitingRun>({ ...LIMITS, maxQueued: 1, namespaceMaxQueued: 1 });
    queue.add(run('b1', 'a', true));
    queue.add(run('b2', 'a', true));
    assert.deepEqual(queue.reserve('a', 1), { ok: true });
    assert.equal(queue.size, 2);
  });
});
