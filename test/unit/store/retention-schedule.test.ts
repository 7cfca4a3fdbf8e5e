import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RetentionSchedule } from '../../../src/store/retention-schedule.js';
import type { Store } from '../../../src/store/store.js';

/** A store holding `due` deletable records; it logs each batch asked for and what the event loop did in between. */
function fakeStore(due: number) {
  const calls: { before: string; limit: number }[] = [];
  const events: string[] = [];
  let left = due;
  const store = {
    deleteEndedBefore(before: string, limit: number): Promise<number> {
      calls.push({ before, limit });
      events.push('batch');
      const count = Math.min(left, limit);
      left -= count;
      return Promise.resolve(count);
    },
  } as Partial<Store> as Store;
  return { store, calls, events, left: () => left };
}

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('RetentionSchedule', () => {
  test('a sweep deletes in batches until one comes back short, with the cutoff at now minus the age', async () => {
    const fake = fakeStore(1234);
    const schedule = new RetentionSchedule(fake.store, { maxAgeMs: 7 * DAY, batchSize: 500, now: () => NOW });
    assert.equal(await schedule.sweep(), 1234);
    assert.deepEqual(fake.calls.map((c) => c.limit), [500, 500, 500]);
    assert.ok(fake.calls.every((c) => c.before === '2026-03-03T12:00:00.000Z'));
    assert.equal(await schedule.sweep(), 0);
    assert.equal(fake.calls.length, 4);
  });

  test('a sweep yields to the event loop between batches', async () => {
    const fake = fakeStore(2000);
    const schedule = new RetentionSchedule(fake.store, { maxAgeMs: DAY, batchSize: 500 });
    const sweep = schedule.sweep();
    // Work queued now runs before the second batch, as a request arriving during a sweep would.
    setImmediate(() => fake.events.push('request'));
    await sweep;
    assert.deepEqual(fake.events.slice(0, 3), ['batch', 'request', 'batch']);
  });

  test('once started it sweeps after the first delay and then again each interval, until stopped', async () => {
    const fake = fakeStore(0);
    const schedule = new RetentionSchedule(fake.store, { maxAgeMs: DAY, firstDelayMs: 1, intervalMs: 5 });
    schedule.start();
    while (fake.calls.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await schedule.stop();
    const swept = fake.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(fake.calls.length, swept, 'no sweep after stop');
  });

  test('with deleteBatch, a sweep deletes those records instead of ended executions, in the same batches', async () => {
    const fake = fakeStore(0);
    const asked: { before: string; limit: number }[] = [];
    let left = 700;
    const schedule = new RetentionSchedule(fake.store, {
      maxAgeMs: DAY,
      batchSize: 500,
      now: () => NOW,
      deleteBatch(before, limit) {
        asked.push({ before, limit });
        const count = Math.min(left, limit);
        left -= count;
        return Promise.resolve(count);
      },
    });
    assert.equal(await schedule.sweep(), 700);
    assert.deepEqual(asked, [{ before: '2026-03-09T12:00:00.000Z', limit: 500 }, { before: '2026-03-09T12:00:00.000Z', limit: 500 }]);
    assert.equal(fake.calls.length, 0, 'no execution was deleted');
  });

  test('a sweep that fails is reported and the schedule goes on', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const store = {
      deleteEndedBefore(): Promise<number> {
        calls++;
        return calls === 1 ? Promise.reject(new Error('database is locked')) : Promise.resolve(0);
      },
    } as Partial<Store> as Store;
    const schedule = new RetentionSchedule(store, { maxAgeMs: DAY, firstDelayMs: 1, intervalMs: 1, onError: (e) => errors.push(e) });
    schedule.start();
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await schedule.stop();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /database is locked/);
  });
});
