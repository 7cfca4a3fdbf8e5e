import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './harness.js';

/** A loopback port nothing listens on (a receiver that refuses connections). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The record once its callback is settled (delivered or given up). Waits for events, never for a set time. */
export async function callbackSettled(s: TestServer, id: string): Promise<any> {
  for (let i = 0; i < 1500; i++) {
    const record = (await s.call('GET', `/v1/executions/${id}?wait=30`)).json;
    if (record.callback && record.callback.state !== 'pending') return record;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the callback of ${id} never settled`);
}

/** One request the receiver got. */
export interface ReceivedCallback {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer a request: a status (and body), or `hold` to keep it waiting until {@link CallbackReceiver.release}. */
export type ReceiverAnswer = { status: number; body?: string; headers?: Record<string, string> } | 'hold';

/**
 * An HTTP server on loopback that records every request and answers as told per path (200 unless
 * told otherwise), for tests of completion callbacks. Tests wait for requests to arrive, never for time.
 */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  readonly #server: Server;
  readonly #answers = new Map<string, (request: ReceivedCallback, nth: number) => ReceiverAnswer>();
  readonly #held = new Map<string, ServerResponse[]>();
  readonly #waiters = new Set<() => void>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<CallbackReceiver> {
    const server = createServer();
    const receiver = new CallbackReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedCallback = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const nth = receiver.received.filter((r) => r.path === request.path).length + 1;
        receiver.received.push(request);
        const answer = receiver.#answers.get(request.path)?.(request, nth) ?? { status: 200 };
        if (answer === 'hold') {
          const held = receiver.#held.get(request.path) ?? [];
          held.push(res);
          receiver.#held.set(request.path, held);
        } else {
          res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
          res.end(answer.body ?? '');
        }
        for (const wake of [...receiver.#waiters]) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The URL of `path` on this receiver, as `127.0.0.1` or as another host name that resolves to it. */
  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** Answers requests to `path` with what `answer` gives for the nth of them (from 1). */
  answer(path: string, answer: (request: ReceivedCallback, nth: number) => ReceiverAnswer): void {
    this.#answers.set(path, answer);
  }

  /** The requests to `path` so far. */
  at(path: string): ReceivedCallback[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves with the requests to `path` once there are at least `count` of them. */
  async waitFor(path: string, count = 1): Promise<ReceivedCallback[]> {
    while (this.at(path).length < count) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
      });
    }
    return this.at(path);
  }

  /** Answers the requests to `path` held so far with `status`. */
  release(path: string, status = 200): void {
    for (const res of this.#held.get(path) ?? []) {
      res.writeHead(status);
      res.end();
    }
    this.#held.delete(path);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}
