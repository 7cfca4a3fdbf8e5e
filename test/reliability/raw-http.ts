import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** What came back for one request: a response, or the connection closing without one. */
export type Outcome =
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { kind: 'closed'; reason: string };

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation of `..` or of percent-escapes, unlike fetch. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Send the body chunked, without a Content-Length. */
  chunked?: boolean;
}

/**
 * Sends one request on a connection of its own with node:http, which leaves the path as it is, and
 * reads the whole answer. A connection the server drops, or an answer that never ends, is `closed`.
 * `giveUpMs` only keeps a hung server from stalling the run: the caller fails on `closed`.
 */
export function send(baseUrl: string, req: RawRequest, giveUpMs = 30_000): Promise<Outcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const headers: Record<string, string> = { ...req.headers };
    // Framed either way: node:http sends the body of a GET, DELETE or OPTIONS unframed unless told.
    if (req.body && !req.chunked) headers['content-length'] = String(req.body.length);
    if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
    const client = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          settle({ kind: 'response', status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => settle({ kind: 'closed', reason: error.message }));
      },
    );
    const timer = setTimeout(() => {
      client.destroy();
      settle({ kind: 'closed', reason: `no complete answer after ${giveUpMs} ms` });
    }, giveUpMs);
    client.on('error', (error) => settle({ kind: 'closed', reason: error.message }));
    if (req.body) {
      // Chunked: several writes, so the server sees a body that grows while it reads.
      if (req.chunked) {
        for (let at = 0; at < req.body.length; at += 64 * 1024) client.write(req.body.subarray(at, at + 64 * 1024));
      } else {
        client.write(req.body);
      }
    }
    client.end();
  });
}

/**
 * Writes `bytes` on one fresh TCP connection and returns everything the server sends back until it
 * closes the connection: for requests node:http will not send, and for pipelined requests.
 */
export function exchange(baseUrl: string, bytes: Buffer, giveUpMs = 30_000): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', done);
    // A reset after the server answered and closed is expected when it did not read all we sent.
    socket.on('error', () => undefined);
    // No half-close: Node's server aborts a request whose client has ended its side.
    socket.write(bytes);
  });
}

/** The status codes of the HTTP responses in a raw transcript, in order. */
export function statusCodes(transcript: string): number[] {
  // A response follows the previous body directly, not on a line of its own.
  return [...transcript.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((match) => Number(match[1]));
}
