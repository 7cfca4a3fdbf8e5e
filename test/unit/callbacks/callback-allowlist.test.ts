import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AllowlistError, CallbackAllowlist } from '../../../src/callbacks/callback-allowlist.js';
import { CallbackTargetError, checkCallbackUrl, refusedConnection } from '../../../src/callbacks/callback-target.js';
import { parseIpAddress, type IpAddress } from '../../../src/callbacks/ip-address.js';

function ip(text: string): IpAddress {
  const address = parseIpAddress(text);
  assert.ok(address, text);
  return address;
}

function refusal(url: string, allowlist: CallbackAllowlist): { reason: string; message: string } | undefined {
  try {
    checkCallbackUrl(url, allowlist);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CallbackTargetError, String(error));
    return { reason: error.reason, message: error.message };
  }
}

describe('FAASPOT_CALLBACK_ALLOWLIST', () => {
  test('unset or blank, public addresses only are allowed', () => {
    for (const text of [undefined, '', '  ', ' , ']) {
      const allowlist = CallbackAllowlist.parse(text);
      assert.equal(allowlist, CallbackAllowlist.PUBLIC_ONLY);
      assert.equal(allowlist.admitsPublic, true);
    }
    const allowlist = CallbackAllowlist.PUBLIC_ONLY;
    assert.equal(allowlist.allowsAddress(ip('8.8.8.8')), true);
    assert.equal(allowlist.allowsAddress(ip('2606:4700:4700::1111')), true);
    for (const text of ['127.0.0.1', '10.1.2.3', '::1', '::ffff:127.0.0.1', 'fd00::1', 'fe80::1', '0.0.0.0', '::', '224.0.0.1']) {
      assert.equal(allowlist.allowsAddress(ip(text)), false, text);
    }
  });

  test('entries are host names, wildcard names, addresses, CIDR networks and the word public, normalised', () => {
    const allowlist = CallbackAllowlist.parse(' Hooks.Example.COM., *.internal.example, 127.0.0.1, 10.20.0.0/16 ,fd00::/8, ::ffff:192.168.0.0/112, PUBLIC ');
    assert.deepEqual(allowlist.entries, ['hooks.example.com', '*.internal.example', '127.0.0.1/32', '10.20.0.0/16', 'fd00::/8', '192.168.0.0/16', 'public']);
    assert.equal(allowlist.admitsPublic, true);
    assert.equal(allowlist.listsHost('hooks.example.com'), true);
    assert.equal(allowlist.listsHost('HOOKS.example.com.'), true);
    assert.equal(allowlist.listsHost('a.hooks.example.com'), false, 'a plain name does not list its subdomains');
    assert.equal(allowlist.listsHost('svc.internal.example'), true);
    assert.equal(allowlist.listsHost('a.b.internal.example'), true);
    assert.equal(allowlist.listsHost('internal.example'), false, 'a wildcard lists subdomains only');
    assert.equal(allowlist.listsHost('evilinternal.example'), false);
    assert.equal(allowlist.allowsAddress(ip('127.0.0.1')), true);
    assert.equal(allowlist.allowsAddress(ip('127.0.0.2')), false);
    assert.equal(allowlist.allowsAddress(ip('::ffff:127.0.0.1')), true, 'an IPv4-mapped address is its IPv4 address');
    assert.equal(allowlist.allowsAddress(ip('10.20.255.1')), true);
    assert.equal(allowlist.allowsAddress(ip('10.21.0.1')), false);
    assert.equal(allowlist.allowsAddress(ip('fd00::1')), true);
    assert.equal(allowlist.allowsAddress(ip('192.168.3.4')), true, 'a network written IPv4-mapped is that IPv4 network');
    assert.equal(allowlist.allowsAddress(ip('8.8.8.8')), true);
  });

  test('set without public, only what it lists is allowed', () => {
    const allowlist = CallbackAllowlist.parse('127.0.0.1');
    assert.equal(allowlist.admitsPublic, false);
    assert.equal(allowlist.allowsAddress(ip('127.0.0.1')), true);
    assert.equal(allowlist.allowsAddress(ip('8.8.8.8')), false);
    assert.equal(allowlist.mayAllowUnlistedNames(), true, 'a name might resolve to 127.0.0.1');
    assert.equal(CallbackAllowlist.parse('hooks.internal').mayAllowUnlistedNames(), false);
  });

  test('an entry that cannot be used is named in the error', () => {
    for (const [text, pattern] of [
      ['10.0.0.1/8', /10\.0\.0\.1\/8 has bits set after its \/8 prefix; write 10\.0\.0\.0\/8/],
      ['public, http://hooks.example.com/', /"http:\/\/hooks\.example\.com\/" is not a host name/],
      ['hooks.example.com:8080', /"hooks\.example\.com:8080"/],
      ['10.0.0.0/33', /"10\.0\.0\.0\/33"/],
      ['*', /"\*"/],
      ['a.*.example', /"a\.\*\.example"/],
      ['127.1', /"127\.1"/],
    ] as const) {
      assert.throws(() => CallbackAllowlist.parse(text), (e: unknown) => e instanceof AllowlistError && pattern.test(e.message), text);
    }
  });
});

describe('callback URLs', () => {
  const loopbackOnly = CallbackAllowlist.parse('127.0.0.1');

  test('an absolute http(s) URL to an allowed host is taken, without its fragment', () => {
    assert.equal(checkCallbackUrl(' https://hooks.example.com/a?b=c#frag ', CallbackAllowlist.PUBLIC_ONLY).href, 'https://hooks.example.com/a?b=c');
    assert.equal(checkCallbackUrl('http://8.8.8.8:8080/x', CallbackAllowlist.PUBLIC_ONLY).href, 'http://8.8.8.8:8080/x');
    assert.equal(checkCallbackUrl('http://127.0.0.1:9/x', loopbackOnly).href, 'http://127.0.0.1:9/x');
    assert.equal(checkCallbackUrl('http://localhost:9/x', loopbackOnly).href, 'http://localhost:9/x', 'localhost may resolve to a listed address');
  });

  test('what is not an absolute http(s) URL without credentials, or is too long, is invalid', () => {
    for (const url of ['', 'hooks.example.com/x', '/relative', 'ftp://hooks.example.com/', 'javascript:alert(1)', 'http://user:pw@hooks.example.com/', 'http://user@hooks.example.com/', `https://hooks.example.com/${'a'.repeat(2048)}`, `https://hooks.example.com/${'é'.repeat(1000)}`, 'https://a.example.com/x, https://b.example.com/y', 'https://a.example.com/\u0000']) {
      assert.equal(refusal(url, CallbackAllowlist.PUBLIC_ONLY)?.reason, 'invalid', url);
    }
  });

  test('loopback, private and other non-public hosts are forbidden without the allowlist, IPv4-mapped and shorthand forms too', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:10.0.0.1]/',
      'http://10.0.0.1/',
      'http://192.168.1.10/',
      'http://169.254.169.254/latest/meta-data/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
      'http://localhost/',
      'http://api.localhost/',
    ]) {
      assert.equal(refusal(url, CallbackAllowlist.PUBLIC_ONLY)?.reason, 'forbidden', url);
    }
    const message = refusal('http://[::ffff:10.0.0.1]:8080/', CallbackAllowlist.PUBLIC_ONLY)?.message ?? '';
    assert.match(message, /\[::ffff:a00:1\] is a private address/);
    assert.match(message, /FAASPOT_CALLBACK_ALLOWLIST/, 'the message says what to change');
  });

  test('with an allowlist, what it does not list is forbidden, and a name only if nothing listed could match it', () => {
    assert.equal(refusal('http://127.0.0.2/', loopbackOnly)?.reason, 'forbidden');
    assert.equal(refusal('http://[::1]/', loopbackOnly)?.reason, 'forbidden');
    assert.match(refusal('http://8.8.8.8/', loopbackOnly)?.message ?? '', /public address that is not listed/);
    const namesOnly = CallbackAllowlist.parse('hooks.internal');
    assert.equal(refusal('http://hooks.internal/x', namesOnly), undefined);
    assert.equal(refusal('http://other.example.com/', namesOnly)?.reason, 'forbidden');
  });

  test('at connect time, an address is refused unless allowed, or unless the host is listed by name', () => {
    const allowlist = CallbackAllowlist.parse('public, hooks.internal');
    assert.equal(refusedConnection('hooks.internal', ip('10.0.0.5'), allowlist), undefined, 'a listed name is trusted whatever it resolves to');
    assert.equal(refusedConnection('example.com', ip('93.184.216.34'), allowlist), undefined);
    assert.match(refusedConnection('evil.example', ip('127.0.0.1'), allowlist) ?? '', /evil\.example resolves to 127\.0\.0\.1, which is a loopback address/);
    assert.match(refusedConnection('evil.example', ip('::ffff:169.254.169.254'), allowlist) ?? '', /link-local/);
  });
});
