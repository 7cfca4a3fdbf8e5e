import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { escapeInvisible } from '../functions/show-text.js';
import type { CallbackAllowlist } from './callback-allowlist.js';
import { CallbackTargetError, parseCallbackUrl, refusedConnection } from './callback-target.js';
import { parseIpAddress } from './ip-address.js';

/** Settings of a {@link CallbackSender}. */
export interface CallbackSenderConfig {
  /** Where callbacks may go; checked against the address each connection is actually made to. */
  allowlist: CallbackAllowlist;
  /** How long one attempt may take, from the look-up to the end of the answer, ms. @example 10_000 */
  timeoutMs: number;
  /** Bytes of an answer read at most; a longer one is cut off there. Default 64 KiB. */
  maxResponseBytes?: number;
}

/**
 * What one attempt came to: delivered (a 2xx answer), or not, and whether another attempt may do
 * better. A failure says why twice: `error` in full, for the execution's record (the receiver's
 * status and the start of its answer, the connection error, the refused address, with host names),
 * and `cause`, its class alone, for the server log: `HTTP 503`, an error code such as
 * `ECONNREFUSED`, `timeout`, `refused address`, `invalid URL` or `stopped`. The receiver's answer
 * may quote the callback's body (a receiver answering `400 "bad request: " + body`), and the record
 * belongs to the namespace that sent it, while the log is the operator's: `cause` carries no text of
 * the answer and no host name.
 */
export type AttemptResult =
  | { delivered: true; status: number }
  | { delivered: false; retry: boolean; error: string; cause: string };

/** The longest excerpt of a failed answer's body kept in its error. */
const ERROR_EXCERPT = 200;

/** Raised by the guarded look-up: the host resolves to no address a callback may go to. */
export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/**
 * POSTs callback bodies, one attempt at a time. Each attempt checks the URL again (the allowlist may
 * have changed since the run was accepted), and a host name is resolved by a look-up that keeps only
 * allowed addresses, so that the address connected to is the address checked, whatever the DNS
 * answers next. Redirects are not followed, the time of an attempt and the size of the answer read
 * are bounded, and no connection is reused.
 */
export class CallbackSender {
  readonly #config: Readonly<Required<CallbackSenderConfig>>;
  readonly #lookup: LookupFunction;

  constructor(config: CallbackSenderConfig) {
    this.#config = Object.freeze({ maxResponseBytes: 64 * 1024, ...config });
    this.#lookup = guardedLookup(config.allowlist);
  }

  /** One attempt: POSTs `body` with `headers` to `url`. Never throws; `signal` aborts the attempt. */
  send(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<AttemptResult> {
    let target: URL;
    try {
      target = parseCallbackUrl(url);
    } catch (error) {
      if (error instanceof CallbackTargetError) return Promise.resolve({ delivered: false, retry: false, error: error.message, cause: 'invalid URL' });
      throw error;
    }
    const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const literal = parseIpAddress(hostname);
    if (literal) {
      const refusal = refusedConnection(target.hostname, literal, this.#config.allowlist);
      if (refusal) return Promise.resolve({ delivered: false, retry: false, error: refusal, cause: REFUSED_CAUSE });
    }
    const options: RequestOptions = {
      method: 'POST',
      hostname,
      port: target.port === '' ? undefined : Number(target.port),
      path: `${target.pathname}${target.search}`,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      // A fresh connection each time: a pooled one would skip the look-up and its check.
      agent: false,
      ...(!literal && { lookup: this.#lookup }),
    };
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
        req.destroy();
      };
      const req = request(options, (response) => this.#readAnswer(response, finish));
      req.on('error', (error) => finish(failure(error)));
      const seconds = this.#config.timeoutMs / 1000;
      const timer = setTimeout(
        () => finish({ delivered: false, retry: true, error: `no answer within ${seconds} s (FAASPOT_CALLBACK_TIMEOUT)`, cause: 'timeout' }),
        this.#config.timeoutMs,
      );
      const onAbort = () => finish({ delivered: false, retry: true, error: 'the server stopped during the attempt', cause: 'stopped' });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  /** Reads at most `maxResponseBytes` of the answer, then settles by its status. */
  #readAnswer(response: IncomingMessage, finish: (result: AttemptResult) => void): void {
    const status = response.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      if (status >= 200 && status < 300) {
        finish({ delivered: true, status });
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_EXCERPT).trim();
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
      finish({ delivered: false, retry: true, error: `HTTP ${status}${redirect}${text === '' ? '' : `: ${escapeInvisible(text)}`}`, cause: `HTTP ${status}` });
    };
    response.on('data', (chunk: Buffer) => {
      if (size < ERROR_EXCERPT) chunks.push(chunk);
      size += chunk.length;
      // Enough: whatever else the receiver sends is not read.
      if (size >= this.#config.maxResponseBytes) done();
    });
    response.on('end', done);
    response.on('error', (error) => finish(failure(error)));
    // An answer cut short still told its status.
    response.on('close', done);
  }
}

/** The `cause` of an attempt refused because of the address it would connect to. */
const REFUSED_CAUSE = 'refused address';

function failure(error: Error): AttemptResult {
  if (error instanceof RefusedAddressError) return { delivered: false, retry: false, error: error.message, cause: REFUSED_CAUSE };
  const code = (error as NodeJS.ErrnoException).code;
  const message = escapeInvisible(error.message);
  return {
    delivered: false,
    retry: true,
    error: code !== undefined && !message.includes(code) ? `${message} (${code})` : message,
    cause: errorClass(error, code),
  };
}

/**
 * A connection error as the log may show it: Node's code (`ECONNREFUSED`, `ENOTFOUND`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`…), else the error's class; never its message, which names the host.
 */
function errorClass(error: Error, code: unknown): string {
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(error.name) ? error.name : 'connection error';
}

/** The resolver behind {@link guardedLookup}: `dns.lookup` with `all: true`. */
export type AllAddressesLookup = (
  hostname: string,
  options: { family?: number | undefined; hints?: number | undefined },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemLookup: AllAddressesLookup = (hostname, options, callback) => dnsLookup(hostname, { ...options, all: true }, callback);

/**
 * A DNS look-up for outbound connections that keeps only the addresses a callback may go to (see
 * `refusedConnection`); when none is left, it fails with a {@link RefusedAddressError} that names
 * the address and its range. Used as the `lookup` of a request, it is what decides the address that
 * is connected to.
 *
 * Look-ups of one name at once share one system look-up. `getaddrinfo` runs on one of libuv's four
 * threadpool threads and cannot be cancelled: a name whose DNS never answers holds its thread past
 * the attempt's timeout. Shared, ten thousand callbacks to such a name hold one thread, not all four
 * (which the server's file system work needs too). The system resolver is kept rather than a DNS
 * client with its own timeout, so that `/etc/hosts` and the host's resolver configuration apply.
 */
export function guardedLookup(allowlist: CallbackAllowlist, resolve: AllAddressesLookup = systemLookup): LookupFunction {
  const inFlight = new Map<string, ((error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void)[]>();
  const shared: AllAddressesLookup = (hostname, options, callback) => {
    const key = `${options.family ?? 0}/${options.hints ?? 0}/${hostname}`;
    const waiting = inFlight.get(key);
    if (waiting) {
      waiting.push(callback);
      return;
    }
    inFlight.set(key, [callback]);
    resolve(hostname, options, (error, addresses) => {
      const callbacks = inFlight.get(key) ?? [];
      inFlight.delete(key);
      for (const each of callbacks) each(error, addresses);
    });
  };
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    shared(hostname, { family, hints: options.hints }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      let refusal: string | undefined;
      const allowed = addresses.filter(({ address }) => {
        const parsed = parseIpAddress(address);
        const reason = parsed ? refusedConnection(hostname, parsed, allowlist) : `${hostname} resolves to ${address}, which is not an IP address`;
        refusal ??= reason;
        return reason === undefined;
      });
      const first = allowed[0];
      if (!first) {
        callback(new RefusedAddressError(refusal ?? `${hostname} resolves to no address`), '', 0);
        return;
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}
