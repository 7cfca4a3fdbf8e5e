import { showText } from '../functions/show-text.js';
import { addressRange } from './address-range.js';
import type { CallbackAllowlist } from './callback-allowlist.js';
import { formatIpAddress, parseIpAddress, type IpAddress } from './ip-address.js';

/** The longest callback URL taken, in characters. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/**
 * A callback URL that is not taken: `invalid` (not an absolute http(s) URL without credentials, or
 * too long) or `forbidden` (its host is not allowed by `FAASPOT_CALLBACK_ALLOWLIST`).
 */
export class CallbackTargetError extends Error {
  constructor(
    readonly reason: 'invalid' | 'forbidden',
    message: string,
  ) {
    super(message);
    this.name = 'CallbackTargetError';
  }
}

const HOW_TO_ALLOW =
  'callbacks go to public addresses only, unless the server operator lists the host or its network in FAASPOT_CALLBACK_ALLOWLIST';

/**
 * The URL in `raw` if it can be a callback URL at all: absolute http:// or https://, without user
 * name or password, at most {@link MAX_CALLBACK_URL_LENGTH} characters. Throws an `invalid`
 * {@link CallbackTargetError} that says what to change.
 */
export function parseCallbackUrl(raw: string): URL {
  const text = raw.trim();
  const got = `got ${showText(text, 120)}`;
  if (text.length > MAX_CALLBACK_URL_LENGTH) {
    throw new CallbackTargetError('invalid', `The callback URL is ${text.length} characters long; at most ${MAX_CALLBACK_URL_LENGTH} are taken`);
  }
  // The URL parser would quietly encode them; spaces more likely mean two URLs joined, as a proxy
  // joins repeated headers with ", ".
  if (/[\s\p{Cc}]/u.test(text)) {
    throw new CallbackTargetError('invalid', `The callback URL must be one URL without spaces or control characters (write a space as %20); ${got}`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CallbackTargetError('invalid', `The callback URL must be an absolute http:// or https:// URL, such as https://hooks.example.com/faaspot; ${got}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CallbackTargetError('invalid', `The callback URL must use http:// or https://, not ${url.protocol}//; ${got}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new CallbackTargetError(
      'invalid',
      'The callback URL must not carry a user name or password; authenticate the callback by its X-Faaspot-Signature header instead',
    );
  }
  // A fragment is never sent.
  url.hash = '';
  // Bounded as it will be stored and sent: percent-encoding can make it longer than it was written.
  if (url.href.length > MAX_CALLBACK_URL_LENGTH) {
    throw new CallbackTargetError('invalid', `The callback URL is ${url.href.length} characters long once encoded; at most ${MAX_CALLBACK_URL_LENGTH} are taken`);
  }
  return url;
}

/**
 * The callback URL in `raw` if a callback may be sent there, as far as can be told without a DNS
 * look-up: {@link parseCallbackUrl}, and a host that is an allowed address, a listed name, or another
 * name that may still resolve to an allowed address (each connection checks the addresses it
 * resolves to). Throws a {@link CallbackTargetError} that says what to change.
 *
 * @example checkCallbackUrl('https://hooks.example.com/faaspot', CallbackAllowlist.PUBLIC_ONLY)
 */
export function checkCallbackUrl(raw: string, allowlist: CallbackAllowlist): URL {
  const url = parseCallbackUrl(raw);
  const host = url.hostname;
  const address = parseIpAddress(host);
  if (address) {
    if (!allowlist.allowsAddress(address)) throw new CallbackTargetError('forbidden', refusedAddress(host, address));
    return url;
  }
  if (allowlist.listsHost(host)) return url;
  if (isLocalhostName(host) && !LOOPBACK.some((loopback) => allowlist.allowsAddress(loopback))) {
    throw new CallbackTargetError('forbidden', `The callback URL's host ${host} is a loopback name; ${HOW_TO_ALLOW}`);
  }
  if (!allowlist.mayAllowUnlistedNames()) {
    throw new CallbackTargetError(
      'forbidden',
      `The callback URL's host ${host} is not allowed: callbacks go only to the hosts and networks that the server operator lists in FAASPOT_CALLBACK_ALLOWLIST`,
    );
  }
  return url;
}

/**
 * Why a connection to `address`, which `hostname` resolved to (or is), must not be made; undefined
 * when it may. A listed name is trusted whatever it resolves to.
 */
export function refusedConnection(hostname: string, address: IpAddress, allowlist: CallbackAllowlist): string | undefined {
  if (allowlist.listsHost(hostname) || allowlist.allowsAddress(address)) return undefined;
  return refusedAddress(hostname, address);
}

function refusedAddress(host: string, address: IpAddress): string {
  const shown = formatIpAddress(address);
  const range = addressRange(address);
  const resolved = parseIpAddress(host) ? '' : ` resolves to ${shown}, which`;
  const what = range.public ? 'a public address that is not listed' : `a ${range.name} address`;
  const whom = range.public
    ? 'callbacks go only to the hosts and networks that the server operator lists in FAASPOT_CALLBACK_ALLOWLIST'
    : HOW_TO_ALLOW;
  return `The callback URL's host ${host}${resolved} is ${what}; ${whom}`;
}

const LOOPBACK = [parseIpAddress('127.0.0.1'), parseIpAddress('::1')].filter((a): a is IpAddress => a !== undefined);

/** `localhost` and its subdomains always mean this machine (RFC 6761). */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
