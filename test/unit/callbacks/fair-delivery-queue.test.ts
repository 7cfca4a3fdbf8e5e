import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callbackHost, FairDeliveryQueue } from '../../../src/callbacks/fair-delivery-queue.js';

describe('FairDeliveryQueue', () => {
  test('takes deliveries in turn across namespaces, whatever the order and number they came in', () => {
    const queue = new FairDeliveryQueue();
    for (let i = 1; i <= 5; i++) queue.push({ id: `a${i}`, namespace: 'a', host: 'dead.example', retry: false });
    queue.push({ id: 'b1', namespace: 'b', host: 'hooks.example', retry: false });
    queue.push({ id: 'c1', namespace: 'c', host: 'hooks.example', retry: false });
    queue.push({ id: 'b2', namespace: 'b', host: 'hooks.example', retry: false });
    assert.equal(queue.size, 8);
    const order = [];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) order.push(id);
    assert.deepEqual(order, ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4', 'a5']);
    assert.equal(queue.size, 0);
  });

  test("within a namespace, in turn across its hosts, first attempts before retries to the same host", () => {
    const queue = new FairDeliveryQueue();
    queue.push({ id: 'dead-retry', namespace: 'a', host: 'dead.example', retry: true });
    queue.push({ id: 'dead-1', namespace: 'a', host: 'dead.example', retry: false });
    queue.push({ id: 'dead-2', namespace: 'a', host: 'dead.example', retry: false });
    queue.push({ id: 'good-1', namespace: 'a', host: 'good.example', retry: false });
    queue.push({ id: 'good-2', namespace: 'a', host: 'good.example', retry: false });
    const order = [];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) order.push(id);
    assert.deepEqual(order, ['dead-1', 'good-1', 'dead-2', 'good-2', 'dead-retry']);
  });

  test('a namespace new to the line goes before one that has just had its turn, even one that had no more then', () => {
    const queue = new FairDeliveryQueue();
    queue.push({ id: 'a1', namespace: 'a', host: 'dead.example', retry: false });
    assert.equal(queue.shift(), 'a1');
    // a had its turn and nothing was left: what it queues now waits behind b all the same.
    for (let i = 2; i <= 3; i++) queue.push({ id: `a${i}`, namespace: 'a', host: 'dead.example', retry: false });
    queue.push({ id: 'b1', namespace: 'b', host: 'hooks.example', retry: false });
    assert.equal(queue.shift(), 'b1');
    assert.equal(queue.shift(), 'a2');
    queue.push({ id: 'b2', namespace: 'b', host: 'hooks.example', retry: false });
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ['b2', 'a3', undefined]);
  });

  test('a delivery pushed after the queue emptied is taken at once', () => {
    const queue = new FairDeliveryQueue();
    assert.equal(queue.shift(), undefined);
    queue.push({ id: 'x', namespace: 'a', host: 'h', retry: false });
    assert.equal(queue.shift(), 'x');
    assert.equal(queue.shift(), undefined);
  });

  test('deliveries are grouped by host and port, in any case', () => {
    assert.equal(callbackHost('https://Hooks.Example.com/a?b'), 'hooks.example.com');
    assert.equal(callbackHost('http://hooks.example.com:8080/a'), 'hooks.example.com:8080');
    assert.equal(callbackHost('not a url'), '');
  });
});
