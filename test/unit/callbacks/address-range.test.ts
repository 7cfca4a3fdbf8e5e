import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressRange } from '../../../src/callbacks/address-range.js';
import { formatIpAddress, parseIpAddress, parseIpNetwork, unmapIpv4 } from '../../../src/callbacks/ip-address.js';

function range(text: string): string {
  const address = parseIpAddress(text);
  assert.ok(address, `${text} parses`);
  return addressRange(address).name;
}

describe('IP addresses', () => {
  test('IPv4 and IPv6 parse to their numbers, with brackets and zones dropped; anything else does not', () => {
    assert.deepEqual(parseIpAddress('127.0.0.1'), { family: 4, value: 0x7f000001n });
    assert.deepEqual(parseIpAddress('::1'), { family: 6, value: 1n });
    assert.deepEqual(parseIpAddress('[::1]'), { family: 6, value: 1n });
    assert.deepEqual(parseIpAddress('fe80::1%eth0'), parseIpAddress('fe80::1'));
    assert.deepEqual(parseIpAddress('::ffff:127.0.0.1'), parseIpAddress('::ffff:7f00:1'));
    assert.deepEqual(parseIpAddress('1:2:3:4:5:6:7:8'), { family: 6, value: 0x00010002000300040005000600070008n });
    assert.deepEqual(parseIpAddress('1::'), { family: 6, value: 1n << 112n });
    for (const text of ['localhost', '127.1', '0x7f.0.0.1', '256.0.0.1', '1:2:3:4:5:6:7:8:9', '', '::ffff:1.2.3', 'example.com']) {
      assert.equal(parseIpAddress(text), undefined, text);
    }
  });

  test('addresses print back in their shortest form', () => {
    for (const text of ['127.0.0.1', '::1', '::', 'fe80::1', '2001:db8::8:800:200c:417a', '1:0:0:1::1', '1:2:3:4:5:6:7:8', '::ffff:7f00:1']) {
      const address = parseIpAddress(text);
      assert.ok(address);
      assert.equal(formatIpAddress(address), text);
    }
  });

  test('an IPv4-mapped IPv6 address unmaps to its IPv4 address; others stay as they are', () => {
    const mapped = parseIpAddress('::ffff:10.1.2.3');
    assert.ok(mapped);
    assert.deepEqual(unmapIpv4(mapped), parseIpAddress('10.1.2.3'));
    const plain = parseIpAddress('2001:db8::1');
    assert.ok(plain);
    assert.equal(unmapIpv4(plain), plain);
  });

  test('networks parse with a prefix or as one address; bits after the prefix are refused with the network to write', () => {
    assert.deepEqual(parseIpNetwork('10.0.0.0/8'), { family: 4, base: 0x0a000000n, prefix: 8 });
    assert.deepEqual(parseIpNetwork('127.0.0.1'), { family: 4, base: 0x7f000001n, prefix: 32 });
    assert.deepEqual(parseIpNetwork('fd00::/8'), { family: 6, base: 0xfdn << 120n, prefix: 8 });
    assert.equal(parseIpNetwork('10.0.0.1/8'), '10.0.0.1/8 has bits set after its /8 prefix; write 10.0.0.0/8');
    for (const text of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', 'host/8']) assert.equal(parseIpNetwork(text), undefined, text);
  });
});

describe('address ranges', () => {
  test('IPv4: loopback, private, link-local, unspecified, multicast and the other special ranges are not public', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['100.64.0.1', 'shared (carrier-grade NAT)'],
      ['192.0.2.1', 'documentation'],
      ['198.18.0.1', 'benchmarking'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
    ];
    for (const [text, name] of cases) assert.equal(range(text), name, text);
  });

  test('IPv4: the neighbours of the special ranges are public', () => {
    for (const text of ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '192.169.0.1', '11.0.0.1', '223.255.255.255']) {
      assert.equal(range(text), 'public', text);
    }
  });

  test('IPv6: loopback, unspecified, unique-local, link-local, multicast, documentation and what is outside 2000::/3 are not public', () => {
    const cases: [string, string][] = [
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'unique-local'],
      ['fd12:3456::1', 'unique-local'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['fec0::1', 'site-local'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'documentation'],
      ['2001::1', 'reserved (IETF protocol assignments)'],
      ['100::1', 'discard-only'],
      ['::7f00:1', 'reserved'],
      ['4000::1', 'reserved'],
    ];
    for (const [text, name] of cases) assert.equal(range(text), name, text);
    for (const text of ['2606:4700:4700::1111', '2a00:1450::1', '2001:4860:4860::8888']) assert.equal(range(text), 'public', text);
  });

  test('IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address they reach', () => {
    assert.equal(range('::ffff:127.0.0.1'), 'loopback');
    assert.equal(range('::ffff:7f00:1'), 'loopback');
    assert.equal(range('::ffff:10.0.0.1'), 'private');
    assert.equal(range('::ffff:169.254.169.254'), 'link-local');
    assert.equal(range('::ffff:8.8.8.8'), 'public');
    assert.equal(range('64:ff9b::10.0.0.1'), 'private (NAT64)');
    assert.equal(range('64:ff9b::8.8.8.8'), 'public');
    assert.equal(range('64:ff9b:1::1'), 'NAT64 local-use');
    assert.equal(range('2002:7f00:1::1'), 'loopback (6to4)');
    assert.equal(range('2002:c0a8:101::1'), 'private (6to4)');
    assert.equal(range('2002:808:808::1'), 'public');
  });
});
