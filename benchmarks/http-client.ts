import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** A whole HTTP answer, its body read as text. */
export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The one HTTP client of the benchmark: Node's `http` with keep-alive. FaaSpot and every baseline
 * server are driven through the same instance, so the client's own cost is the same on both sides
 * of a ratio.
 */
export class HttpClient {
  // 64 sockets: more than the 32 requests a throughput scenario keeps in flight.
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });

  request(method: string, url: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const headers = { ...options.headers };
      if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
      const req = request(url, { method, agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
