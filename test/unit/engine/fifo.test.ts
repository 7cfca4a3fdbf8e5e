import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fifo } from '../../../src/engine/fifo.js';

test('a Fifo gives items back in the order they came, across its compaction', () => {
  const fifo = new Fifo<number>();
  for (let i = 0; i < 5000; i++) fifo.push(i);
  for (let i = 0; i < 3000; i++) assert.equal(fifo.shift(), i);
  for (let i = 5000; i < 6000; i++) fifo.push(i);
  assert.equal(fifo.size, 3000);
  assert.equal(fifo.peek(), 3000);
  for (let i = 3000; i < 6000; i++) assert.equal(fifo.shift(), i);
  assert.equal(fifo.shift(), undefined);
  assert.equal(fifo.size, 0);
});
