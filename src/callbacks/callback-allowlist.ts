import { addressRange } from './address-range.js';
import { formatIpAddress, inNetwork, parseIpNetwork, unmapIpv4, type IpAddress, type IpNetwork } from './ip-address.js';

/** The word of an allowlist that admits every public address. */
export const PUBLIC_ENTRY = 'public';

/** An entry of `FAASPOT_CALLBACK_ALLOWLIST` that cannot be used; the message names it. */
export class AllowlistError extends Error {
  override name = 'AllowlistError';
}

/**
 * Where completion callbacks may go, from `FAASPOT_CALLBACK_ALLOWLIST`: comma-separated host names
 * (`hooks.example.com`, or `*.example.com` for its subdomains), addresses and CIDR networks
 * (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`), and the word `public`.
 *
 * Unset, callbacks may go to public addresses only. Set, only to what it lists; `public` keeps every
 * public address allowed besides. A listed name is trusted whatever it resolves to; any other host
 * must resolve to an address that is listed, or public when public addresses are allowed.
 *
 * @example CallbackAllowlist.parse('public, 10.20.0.0/16, hooks.internal')
 */
export class CallbackAllowlist {
  /** Public addresses only: the policy when the variable is unset. */
  static readonly PUBLIC_ONLY = new CallbackAllowlist([], [], [], true, []);

  readonly #names: ReadonlySet<string>;
  /** `.example.com` for an entry `*.example.com`. */
  readonly #suffixes: readonly string[];
  readonly #networks: readonly IpNetwork[];
  /** Whether public addresses are allowed besides what is listed. */
  readonly admitsPublic: boolean;
  /** The entries as understood, normalised (`public`, `hooks.example.com`, `10.0.0.0/8`). */
  readonly entries: readonly string[];

  private constructor(names: string[], suffixes: string[], networks: IpNetwork[], admitsPublic: boolean, entries: string[]) {
    this.#names = new Set(names);
    this.#suffixes = Object.freeze(suffixes);
    this.#networks = Object.freeze(networks);
    this.admitsPublic = admitsPublic;
    this.entries = Object.freeze(entries);
    Object.freeze(this);
  }

  /**
   * The allowlist written in `text`; {@link PUBLIC_ONLY} when it lists nothing. Throws an
   * {@link AllowlistError} naming the first entry that is neither a host name, an address or
   * network, nor `public`.
   */
  static parse(text: string | undefined): CallbackAllowlist {
    if (text === undefined || text.trim() === '') return CallbackAllowlist.PUBLIC_ONLY;
    const names: string[] = [];
    const suffixes: string[] = [];
    const networks: IpNetwork[] = [];
    const entries: string[] = [];
    let admitsPublic = false;
    for (const raw of text.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      if (entry.toLowerCase() === PUBLIC_ENTRY) {
        admitsPublic = true;
        entries.push(PUBLIC_ENTRY);
        continue;
      }
      const net = parseIpNetwork(entry);
      if (typeof net === 'string') throw new AllowlistError(net);
      if (net) {
        const plain = unmapNetwork(net);
        networks.push(plain);
        entries.push(`${formatIpAddress({ family: plain.family, value: plain.base })}/${plain.prefix}`);
        continue;
      }
      const wildcard = entry.startsWith('*.');
      const name = normalizeHostName(wildcard ? entry.slice(2) : entry);
      if (name === undefined) {
        throw new AllowlistError(
          `${JSON.stringify(entry)} is not a host name (hooks.example.com or *.example.com), an address or network (10.0.0.0/8), or the word public`,
        );
      }
      if (wildcard) suffixes.push(`.${name}`);
      else names.push(name);
      entries.push(wildcard ? `*.${name}` : name);
    }
    if (entries.length === 0) return CallbackAllowlist.PUBLIC_ONLY;
    return new CallbackAllowlist(names, suffixes, networks, admitsPublic, entries);
  }

  /** Whether `hostname` (as `URL.hostname` gives it) is listed by name. */
  listsHost(hostname: string): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    return this.#names.has(name) || this.#suffixes.some((suffix) => name.endsWith(suffix));
  }

  /** Whether the address is listed in a network, or is public and public addresses are allowed. */
  allowsAddress(address: IpAddress): boolean {
    const plain = unmapIpv4(address);
    if (this.#networks.some((net) => inNetwork(plain, net))) return true;
    return this.admitsPublic && addressRange(plain).public;
  }

  /** Whether a host that is not listed by name could still resolve to an allowed address. */
  mayAllowUnlistedNames(): boolean {
    return this.admitsPublic || this.#networks.length > 0;
  }
}

/** `::ffff:10.0.0.0/104` is the network 10.0.0.0/8, as IPv4-mapped addresses are judged as IPv4. */
function unmapNetwork(net: IpNetwork): IpNetwork {
  if (net.family !== 6 || net.prefix < 96) return net;
  const base = unmapIpv4({ family: 6, value: net.base });
  return base.family === 4 ? { family: 4, base: base.value, prefix: net.prefix - 96 } : net;
}

/** The host name as URLs normalise it (lower case, punycode, no trailing dot); undefined if it is not one. */
export function normalizeHostName(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || /[/?#@:\\\s[\]%*]/.test(trimmed)) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${trimmed}/`).hostname;
  } catch {
    return undefined;
  }
  // An address written in another form (`0x7f.1`, `2130706433`) is an address, not a name.
  if (/^[\d.]+$/.test(hostname)) return undefined;
  return hostname.replace(/\.$/, '');
}
