import type { HttpClient } from './http-client.js';
import { summarize, type SampleStats } from './sample-stats.js';

/** A URL to load, with the headers every request carries. */
export interface LoadTarget {
  url: string;
  headers?: Record<string, string>;
}

/**
 * Latency of `count` GET requests sent one at a time, after `warmUp` unmeasured ones (connections
 * open, code paths compiled). Any answer other than 200 fails the measurement.
 */
export async function measureLatency(client: HttpClient, target: LoadTarget, count: number, warmUp = Math.min(200, count)): Promise<SampleStats> {
  const get = async () => {
    const reply = await client.request('GET', target.url, target.headers === undefined ? {} : { headers: target.headers });
    if (reply.status !== 200) throw new Error(`GET ${target.url} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
  };
  for (let i = 0; i < warmUp; i++) await get();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await get();
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

/** Completed GET requests per second with `concurrency` in flight for `seconds`; any failure fails it. */
export async function measureThroughput(client: HttpClient, target: LoadTarget, concurrency: number, seconds: number): Promise<number> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let done = 0;
  let failure: string | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && failure === undefined) {
        const reply = await client.request('GET', target.url, target.headers === undefined ? {} : { headers: target.headers });
        if (reply.status === 200) done++;
        else failure = `GET ${target.url} answered ${reply.status}: ${reply.body.slice(0, 200)}`;
      }
    }),
  );
  if (failure !== undefined) throw new Error(failure);
  return done / ((performance.now() - started) / 1000);
}
