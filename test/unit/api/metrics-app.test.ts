import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createMetricsApp } from '../../../src/api/metrics-app.js';

describe('the metrics listener', () => {
  test('HEAD /metrics answers 200 with the content type and does not build the exposition; GET does', async () => {
    let built = 0;
    const app = createMetricsApp({
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      text: () => {
        built++;
        return Promise.resolve('faaspot_workers 1\n');
      },
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const head = await fetch(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(built, 0);
      const get = await fetch(url);
      assert.equal(await get.text(), 'faaspot_workers 1\n');
      assert.equal(built, 1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
