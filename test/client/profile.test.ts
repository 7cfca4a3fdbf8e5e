import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { FaaspotError } from '../../src/client/errors.js';
import { DEFAULT_URL, profilePath, profileUrl, readProfiles, resolveConnection, writeProfiles } from '../../src/client/profile.js';

const isConfigError = (error: unknown) => FaaspotError.is(error, 'CONFIG_ERROR');

describe('profile file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faaspot-profile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the path is $FAASPOT_DIR/$FAASPOT_CONFIG, by default ~/.faaspot/fasconf.yaml', () => {
    assert.equal(profilePath({}), join(homedir(), '.faaspot', 'fasconf.yaml'));
    assert.equal(profilePath({ FAASPOT_DIR: dir }), join(dir, 'fasconf.yaml'));
    assert.equal(profilePath({ FAASPOT_DIR: dir, FAASPOT_CONFIG: 'other.yaml' }), join(dir, 'other.yaml'));
    assert.equal(profilePath({ FAASPOT_DIR: dir, FAASPOT_CONFIG: '/etc/x.yaml' }), '/etc/x.yaml');
  });

  test('a missing file has no profiles', () => {
    assert.deepEqual(readProfiles(join(dir, 'missing.yaml')), { current: null, profiles: {} });
  });

  test("reads the original client's file: faaspot.profile and faaspot.profiles, a port as text", () => {
    const path = join(dir, 'original.yaml');
    writeFileSync(path, 'faaspot:\n  profile: prod\n  profiles:\n    prod:\n      host: faas.example.com\n      port: "443"\n      protocol: HTTPS\n      token: abc\n    bare: {}\n');
    assert.deepEqual(readProfiles(path), {
      current: 'prod',
      profiles: {
        prod: { host: 'faas.example.com', port: 443, protocol: 'https', token: 'abc' },
        bare: { host: '127.0.0.1', port: 8080, protocol: 'http', token: '' },
      },
    });
  });

  test('writes with mode 0600, in the same layout, keeping keys it does not know', () => {
    const path = join(dir, 'sub', 'fasconf.yaml');
    writeProfiles({ current: 'a', profiles: { a: { host: 'h', port: 1234, protocol: 'http', token: 't' } } }, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(parse(readFileSync(path, 'utf8')), { faaspot: { profile: 'a', profiles: { a: { host: 'h', port: 1234, protocol: 'http', token: 't' } } } });
    writeFileSync(path, 'other: kept\nfaaspot:\n  verbose: 2\n  profile: a\n  profiles:\n    a: {host: h, port: 1234, protocol: http, token: t, user: me}\n');
    const data = readProfiles(path);
    data.profiles.b = { host: 'h2', port: 80, protocol: 'http', token: 'u' };
    data.current = 'b';
    writeProfiles(data, path);
    assert.deepEqual(parse(readFileSync(path, 'utf8')), {
      other: 'kept',
      faaspot: {
        verbose: 2,
        profile: 'b',
        profiles: { a: { host: 'h', port: 1234, protocol: 'http', token: 't', user: 'me' }, b: { host: 'h2', port: 80, protocol: 'http', token: 'u' } },
      },
    });
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('a file it cannot use is CONFIG_ERROR naming the file', () => {
    for (const [name, text] of [
      ['bad-yaml.yaml', 'faaspot: [unclosed'],
      ['list.yaml', '- a\n- b\n'],
      ['port.yaml', 'faaspot:\n  profiles:\n    x: {port: 70000}\n'],
      ['protocol.yaml', 'faaspot:\n  profiles:\n    x: {protocol: ftp}\n'],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      assert.throws(() => readProfiles(path), (e) => isConfigError(e) && (e as Error).message.includes(path), name);
    }
  });

  test('profileUrl joins protocol, host and port (brackets for IPv6)', () => {
    assert.equal(profileUrl({ host: 'example.com', port: 443, protocol: 'https' }), 'https://example.com:443');
    assert.equal(profileUrl({ host: '::1', port: 8080, protocol: 'http' }), 'http://[::1]:8080');
  });
});

describe('resolveConnection', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faaspot-connection-'));
    writeProfiles(
      {
        current: 'local',
        profiles: {
          local: { host: '127.0.0.1', port: 9000, protocol: 'http', token: 'local-token' },
          prod: { host: 'faas.example.com', port: 443, protocol: 'https', token: 'prod-token' },
          empty: { host: 'h', port: 1, protocol: 'http', token: '' },
        },
      },
      join(dir, 'fasconf.yaml'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the current profile, or the one named', () => {
    assert.deepEqual(resolveConnection({ env: { FAASPOT_DIR: dir } }), { url: 'http://127.0.0.1:9000', token: 'local-token', profile: 'local' });
    assert.deepEqual(resolveConnection({ profile: 'prod', env: { FAASPOT_DIR: dir } }), { url: 'https://faas.example.com:443', token: 'prod-token', profile: 'prod' });
  });

  test('FAASPOT_URL and FAASPOT_TOKEN override the profile, each on its own', () => {
    assert.deepEqual(resolveConnection({ env: { FAASPOT_DIR: dir, FAASPOT_URL: 'http://other:1' } }), { url: 'http://other:1', token: 'local-token', profile: 'local' });
    assert.deepEqual(resolveConnection({ env: { FAASPOT_DIR: dir, FAASPOT_TOKEN: 'env-token' } }), { url: 'http://127.0.0.1:9000', token: 'env-token', profile: 'local' });
    // Both set: the file is not even read.
    assert.deepEqual(resolveConnection({ env: { FAASPOT_DIR: '/nonexistent', FAASPOT_CONFIG: 'x', FAASPOT_URL: 'https://a.b', FAASPOT_TOKEN: 't' } }), {
      url: 'https://a.b',
      token: 't',
      profile: null,
    });
  });

  test('without a profile, the default address with FAASPOT_TOKEN; without a token, CONFIG_ERROR', () => {
    const none = join(dir, 'none');
    assert.deepEqual(resolveConnection({ env: { FAASPOT_DIR: none, FAASPOT_TOKEN: 't' } }), { url: DEFAULT_URL, token: 't', profile: null });
    assert.throws(() => resolveConnection({ env: { FAASPOT_DIR: none } }), (e) => isConfigError(e) && /FAASPOT_TOKEN/.test((e as Error).message));
    assert.throws(() => resolveConnection({ profile: 'empty', env: { FAASPOT_DIR: dir } }), (e) => isConfigError(e) && /has no token/.test((e as Error).message));
  });

  test('an unknown profile or a URL that is not http(s) is CONFIG_ERROR', () => {
    assert.throws(() => resolveConnection({ profile: 'nope', env: { FAASPOT_DIR: dir } }), isConfigError);
    assert.throws(() => resolveConnection({ env: { FAASPOT_DIR: dir, FAASPOT_URL: 'not a url' } }), isConfigError);
    assert.throws(() => resolveConnection({ env: { FAASPOT_DIR: dir, FAASPOT_URL: 'ftp://host' } }), isConfigError);
  });
});
