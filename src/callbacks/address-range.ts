import { inNetwork, parseIpNetwork, unmapIpv4, type IpAddress, type IpNetwork } from './ip-address.js';

/** What kind of address one is: `public` (globally reachable unicast), or the special range it lies in. */
export interface AddressRange {
  public: boolean;
  /** `public`, or the range's name as messages show it: `loopback`, `private`, `link-local`, ... */
  name: string;
}

const PUBLIC: AddressRange = { public: true, name: 'public' };

function network(text: string): IpNetwork {
  const parsed = parseIpNetwork(text);
  if (parsed === undefined || typeof parsed === 'string') throw new Error(`bad network in the range table: ${text}`);
  return parsed;
}

/**
 * The special-purpose ranges of the IANA registries (RFC 6890 and later), first match wins. What is
 * in none of them is public, except that IPv6 outside 2000::/3 is not global unicast at all.
 */
const SPECIAL: readonly (readonly [IpNetwork, string])[] = (
  [
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved (IETF protocol assignments)'],
    ['192.0.2.0/24', 'documentation'],
    ['192.88.99.0/24', 'reserved (6to4 relay anycast)'],
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'benchmarking'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.0/24', 'documentation'],
    ['224.0.0.0/4', 'multicast'],
    ['255.255.255.255/32', 'broadcast'],
    ['240.0.0.0/4', 'reserved'],
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['64:ff9b:1::/48', 'NAT64 local-use'],
    ['100::/64', 'discard-only'],
    ['2001::/23', 'reserved (IETF protocol assignments)'],
    ['2001:db8::/32', 'documentation'],
    ['3fff::/20', 'documentation'],
    ['fc00::/7', 'unique-local'],
    ['fe80::/10', 'link-local'],
    ['fec0::/10', 'site-local'],
    ['ff00::/8', 'multicast'],
  ] as const
).map(([text, name]) => [network(text), name] as const);

const GLOBAL_UNICAST_V6 = network('2000::/3');
/** NAT64 (RFC 6052) and 6to4 (RFC 3056) addresses carry an IPv4 address, which is what they reach. */
const NAT64 = network('64:ff9b::/96');
const SIX_TO_FOUR = network('2002::/16');

/**
 * The range of an address. IPv4-mapped IPv6 addresses are judged as the IPv4 address they stand
 * for, and NAT64 and 6to4 addresses as the IPv4 address they carry.
 *
 * @example addressRange(parseIpAddress('::ffff:10.1.2.3')!) // { public: false, name: 'private' }
 */
export function addressRange(address: IpAddress): AddressRange {
  const plain = unmapIpv4(address);
  if (inNetwork(plain, NAT64)) return carried(plain.value & 0xffff_ffffn, 'NAT64');
  if (inNetwork(plain, SIX_TO_FOUR)) return carried((plain.value >> 80n) & 0xffff_ffffn, '6to4');
  for (const [net, name] of SPECIAL) if (inNetwork(plain, net)) return { public: false, name };
  if (plain.family === 6 && !inNetwork(plain, GLOBAL_UNICAST_V6)) return { public: false, name: 'reserved' };
  return PUBLIC;
}

function carried(ipv4: bigint, how: string): AddressRange {
  const inner = addressRange({ family: 4, value: ipv4 });
  return inner.public ? PUBLIC : { public: false, name: `${inner.name} (${how})` };
}
