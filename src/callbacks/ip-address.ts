import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A network: the addresses of `family` whose first `prefix` bits are those of `base`. */
export interface IpNetwork {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/**
 * The address written in `text`, dotted IPv4 or IPv6 (brackets and a `%zone` are dropped);
 * undefined for anything else. An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) stays IPv6 here:
 * {@link unmapIpv4} tells what it reaches.
 *
 * @example parseIpAddress('::ffff:7f00:1') // { family: 6, value: 0xffff7f000001n }
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  let trimmed = text.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) trimmed = trimmed.slice(1, -1);
  const zone = trimmed.indexOf('%');
  if (zone !== -1 && isIPv6(trimmed)) trimmed = trimmed.slice(0, zone);
  if (isIPv4(trimmed)) return { family: 4, value: ipv4Value(trimmed) };
  if (isIPv6(trimmed)) return { family: 6, value: ipv6Value(trimmed) };
  return undefined;
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((sum, part) => (sum << 8n) | BigInt(Number(part)), 0n);
}

/** The value of text that `isIPv6` accepts: groups around at most one `::`, the last 32 bits possibly dotted. */
function ipv6Value(text: string): bigint {
  const groupsOf = (s: string) => (s === '' ? [] : s.split(':')).flatMap((g) => (g.includes('.') ? splitDotted(g) : [g]));
  const [head = '', tail] = text.split('::');
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function splitDotted(dotted: string): string[] {
  const value = ipv4Value(dotted);
  return [(value >> 16n).toString(16), (value & 0xffffn).toString(16)];
}

/** The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) stands for; the address itself otherwise. */
export function unmapIpv4(address: IpAddress): IpAddress {
  if (address.family === 6 && address.value >> 32n === 0xffffn) return { family: 4, value: address.value & 0xffff_ffffn };
  return address;
}

/**
 * The network written as `address/prefix`, or a single address (`/32` or `/128`); undefined when it
 * is not one. An error message when the address has bits set after the prefix (`10.0.0.1/8`), which
 * is more likely a typing mistake than a meaning.
 */
export function parseIpNetwork(text: string): IpNetwork | string | undefined {
  const slash = text.indexOf('/');
  const address = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = BITS[address.family];
  let prefix: number = bits;
  if (slash !== -1) {
    const raw = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(raw) || Number(raw) > bits) return undefined;
    prefix = Number(raw);
  }
  const network = { family: address.family, base: address.value, prefix };
  if (address.value !== maskTo(network, address.value)) {
    return `${text.trim()} has bits set after its /${prefix} prefix; write ${formatIpAddress({ family: address.family, value: maskTo(network, address.value) })}/${prefix}`;
  }
  return network;
}

function maskTo(network: Omit<IpNetwork, 'base'>, value: bigint): bigint {
  const bits = BigInt(BITS[network.family]);
  const hostBits = bits - BigInt(network.prefix);
  return (value >> hostBits) << hostBits;
}

/** Whether `address` is in `network` (same family only: unmap an IPv4-mapped address first). */
export function inNetwork(address: IpAddress, network: IpNetwork): boolean {
  return address.family === network.family && maskTo(network, address.value) === network.base;
}

/** Dotted IPv4, or IPv6 in its shortest form (`::ffff:7f00:1`). */
export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((address.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes `::` (RFC 5952).
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start === -1) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
