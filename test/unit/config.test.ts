import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CallbackAllowlist } from '../../src/callbacks/callback-allowlist.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  test('the defaults are the embedded deployment: 127.0.0.1:8080, ./data, 60 s timeout', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.match(config.dataDir, /\/data$/);
    assert.equal(config.defaultTimeoutSeconds, 60);
    assert.equal(config.maxBulk, 10_000);
    assert.ok(config.workers >= 1);
    assert.ok(Object.isFrozen(config));
  });

  test('variables are read and sizes take K, M and G', () => {
    const config = loadConfig({ FAASPOT_PORT: '9000', FAASPOT_WORKERS: '3', FAASPOT_MEMORY_BUDGET: '512M', FAASPOT_LOG_CAP: '1k' });
    assert.equal(config.port, 9000);
    assert.equal(config.workers, 3);
    assert.equal(config.memoryBudgetBytes, 512 * 1024 * 1024);
    assert.equal(config.logCapBytes, 1024);
  });

  test('a value that cannot be used names the variable', () => {
    assert.throws(() => loadConfig({ FAASPOT_PORT: 'http' }), (e: unknown) => e instanceof ConfigError && /FAASPOT_PORT/.test(e.message));
    assert.throws(() => loadConfig({ FAASPOT_WORKERS: '0' }), /FAASPOT_WORKERS/);
    assert.throws(() => loadConfig({ FAASPOT_MEMORY_BUDGET: 'lots' }), /FAASPOT_MEMORY_BUDGET/);
    assert.throws(() => loadConfig({ FAASPOT_ADMIN_TOKEN: 'short' }), /FAASPOT_ADMIN_TOKEN/);
  });

  test('FAASPOT_RETENTION takes s, m, h and d, a bare number of seconds, or 0 and off to keep records for ever', () => {
    assert.equal(loadConfig({}).retentionSeconds, 7 * 86_400);
    const cases: [string, number][] = [['30d', 30 * 86_400], ['12h', 43_200], ['15m', 900], ['90s', 90], ['3600', 3600], [' 2D ', 172_800], ['0', 0], ['off', 0], ['OFF', 0]];
    for (const [raw, seconds] of cases) assert.equal(loadConfig({ FAASPOT_RETENTION: raw }).retentionSeconds, seconds, raw);
    for (const raw of ['7w', '-1d', '1.5d', 'never', 'd']) assert.throws(() => loadConfig({ FAASPOT_RETENTION: raw }), /FAASPOT_RETENTION/, raw);
  });

  test('FAASPOT_IDEMPOTENCY_TTL is a duration from 24h to 365d, 24h by default, and names itself otherwise', () => {
    assert.equal(loadConfig({}).idempotencyTtlSeconds, 86_400);
    const cases: [string, number][] = [['24h', 86_400], ['1d', 86_400], ['48h', 172_800], ['7d', 604_800], ['86400', 86_400], ['365d', 31_536_000]];
    for (const [raw, seconds] of cases) assert.equal(loadConfig({ FAASPOT_IDEMPOTENCY_TTL: raw }).idempotencyTtlSeconds, seconds, raw);
    for (const raw of ['23h', '0', 'off', '366d', '1w', 'forever']) {
      assert.throws(
        () => loadConfig({ FAASPOT_IDEMPOTENCY_TTL: raw }),
        (e: unknown) => e instanceof ConfigError && /FAASPOT_IDEMPOTENCY_TTL must be a duration from 24h to 365d/.test(e.message),
        raw,
      );
    }
  });

  test('overload and shutdown limits: a namespace may fill half the queue and use every worker by default', () => {
    const defaults = loadConfig({ FAASPOT_WORKERS: '4' });
    assert.equal(defaults.maxQueue, 100_000);
    assert.equal(defaults.namespaceMaxQueued, 50_000);
    assert.equal(defaults.namespaceMaxRunning, 4);
    assert.equal(defaults.blockingWaitSeconds, 30);
    assert.equal(defaults.shutdownGraceSeconds, 30);
    const small = loadConfig({ FAASPOT_MAX_QUEUE: '5' }, { workers: 2 });
    assert.equal(small.namespaceMaxQueued, 3, 'the namespace default follows FAASPOT_MAX_QUEUE');
    assert.equal(small.namespaceMaxRunning, 2, 'and the running default follows the workers, overrides included');
    const set = loadConfig({ FAASPOT_NAMESPACE_MAX_QUEUED: '7', FAASPOT_NAMESPACE_MAX_RUNNING: '1', FAASPOT_BLOCKING_WAIT: '0.5', FAASPOT_SHUTDOWN_GRACE: '0' });
    assert.deepEqual([set.namespaceMaxQueued, set.namespaceMaxRunning, set.blockingWaitSeconds, set.shutdownGraceSeconds], [7, 1, 0.5, 0]);
    assert.throws(() => loadConfig({ FAASPOT_MAX_QUEUE: '0' }), /FAASPOT_MAX_QUEUE/);
    assert.throws(() => loadConfig({ FAASPOT_SHUTDOWN_GRACE: '-1' }), /FAASPOT_SHUTDOWN_GRACE/);
  });

  test('FAASPOT_SECRET_KEY takes 32 bytes as base64 (standard or URL-safe) or 64 hex digits, and names itself otherwise', () => {
    const key = Buffer.alloc(32, 0xfb);
    assert.equal(loadConfig({}).secretKey, undefined);
    for (const raw of [key.toString('base64'), key.toString('base64url'), key.toString('base64').replace(/=$/, ''), key.toString('hex'), ` ${key.toString('hex').toUpperCase()}\n`]) {
      assert.deepEqual(loadConfig({ FAASPOT_SECRET_KEY: raw }).secretKey, key, raw);
    }
    const bad = ['abc', Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), key.toString('hex').slice(1), `${key.toString('base64').slice(0, 40)}!!!=`];
    for (const raw of bad) {
      assert.throws(
        () => loadConfig({ FAASPOT_SECRET_KEY: raw }),
        (e: unknown) => e instanceof ConfigError && /FAASPOT_SECRET_KEY/.test(e.message) && !e.message.includes(raw),
        raw,
      );
    }
  });

  test('FAASPOT_LOG_LEVEL and FAASPOT_LOG_FORMAT take their words in any case; the defaults are info and auto', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.logLevel, 'info');
    assert.equal(defaults.logFormat, 'auto');
    const set = loadConfig({ FAASPOT_LOG_LEVEL: ' WARN ', FAASPOT_LOG_FORMAT: 'json' });
    assert.equal(set.logLevel, 'warn');
    assert.equal(set.logFormat, 'json');
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) assert.equal(loadConfig({ FAASPOT_LOG_LEVEL: level }).logLevel, level);
    assert.throws(() => loadConfig({ FAASPOT_LOG_LEVEL: 'verbose' }), (e: unknown) => e instanceof ConfigError && /FAASPOT_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/.test(e.message));
    assert.throws(() => loadConfig({ FAASPOT_LOG_FORMAT: 'text' }), /FAASPOT_LOG_FORMAT must be one of auto, json, pretty/);
  });

  test('the metrics listener is off unless FAASPOT_METRICS_PORT is set, listens on loopback by default, and needs a port of its own', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.metricsPort, undefined);
    assert.equal(defaults.metricsHost, '127.0.0.1');
    assert.equal(loadConfig({ FAASPOT_METRICS_PORT: 'off' }).metricsPort, undefined);
    const set = loadConfig({ FAASPOT_METRICS_PORT: '9464', FAASPOT_METRICS_HOST: '0.0.0.0' });
    assert.equal(set.metricsPort, 9464);
    assert.equal(set.metricsHost, '0.0.0.0');
    assert.equal(loadConfig({ FAASPOT_PORT: '0', FAASPOT_METRICS_PORT: '0' }).metricsPort, 0, 'both may pick a free port');
    assert.throws(() => loadConfig({ FAASPOT_METRICS_PORT: '70000' }), /FAASPOT_METRICS_PORT must be an integer from 0 to 65535/);
    assert.throws(() => loadConfig({ FAASPOT_METRICS_PORT: '8080' }), /FAASPOT_METRICS_PORT must differ from FAASPOT_PORT/);
  });

  test('callbacks: public addresses only, 10 retries from 1 s, 10 s per attempt and 16 at once by default; each setting names itself when wrong', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.callbackSecret, undefined);
    assert.equal(defaults.callbackAllowlist, CallbackAllowlist.PUBLIC_ONLY);
    assert.deepEqual(
      [defaults.callbackRetries, defaults.callbackBackoffMs, defaults.callbackTimeoutSeconds, defaults.callbackConcurrency],
      [10, 1000, 10, 16],
    );
    const set = loadConfig({
      FAASPOT_CALLBACK_SECRET: ' a-secret-of-24-characters ',
      FAASPOT_CALLBACK_ALLOWLIST: '127.0.0.1, hooks.internal, public',
      FAASPOT_CALLBACK_RETRIES: '0',
      FAASPOT_CALLBACK_BACKOFF_MS: '5',
      FAASPOT_CALLBACK_TIMEOUT: '0.5',
      FAASPOT_CALLBACK_CONCURRENCY: '2',
    });
    assert.equal(set.callbackSecret, 'a-secret-of-24-characters');
    assert.deepEqual(set.callbackAllowlist.entries, ['127.0.0.1/32', 'hooks.internal', 'public']);
    assert.deepEqual([set.callbackRetries, set.callbackBackoffMs, set.callbackTimeoutSeconds, set.callbackConcurrency], [0, 5, 0.5, 2]);
    const bad: [string, string][] = [
      ['FAASPOT_CALLBACK_SECRET', 'short'],
      ['FAASPOT_CALLBACK_ALLOWLIST', '10.0.0.1/8'],
      ['FAASPOT_CALLBACK_ALLOWLIST', 'https://hooks.example.com/'],
      ['FAASPOT_CALLBACK_RETRIES', '-1'],
      ['FAASPOT_CALLBACK_RETRIES', '101'],
      ['FAASPOT_CALLBACK_BACKOFF_MS', '1.5'],
      ['FAASPOT_CALLBACK_TIMEOUT', '0'],
      ['FAASPOT_CALLBACK_CONCURRENCY', '0'],
    ];
    for (const [key, value] of bad) {
      assert.throws(() => loadConfig({ [key]: value }), (e: unknown) => e instanceof ConfigError && e.message.startsWith(key), `${key}=${value}`);
    }
  });
});
