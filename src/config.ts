import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { AllowlistError, CallbackAllowlist } from './callbacks/callback-allowlist.js';

/** The server's settings. Built once by {@link loadConfig}, frozen, and passed down explicitly. */
export interface Config {
  /** TCP port to listen on; 0 picks a free one. `FAASPOT_PORT`, default 8080. */
  readonly port: number;
  /** Address to listen on. `FAASPOT_HOST`, default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** Directory of the SQLite file and the admin-token file. `FAASPOT_DATA_DIR`, default ./data. */
  readonly dataDir: string;
  /** Where the interpreter snapshot is cached between starts. `FAASPOT_SNAPSHOT_DIR`, default `<data dir>/snapshots`. */
  readonly snapshotDir: string;
  /** Admin token to install on start (stored hashed). `FAASPOT_ADMIN_TOKEN`; unset: generated on first start. */
  readonly adminToken: string | undefined;
  /** Worker threads, each running one function at a time. `FAASPOT_WORKERS`, default: the CPU count. */
  readonly workers: number;
  /** Timeout of a function that sets none, in seconds. `FAASPOT_DEFAULT_TIMEOUT`, default 60. */
  readonly defaultTimeoutSeconds: number;
  /** Largest timeout a function may set, in seconds. `FAASPOT_MAX_TIMEOUT`, default 900. */
  readonly maxTimeoutSeconds: number;
  /** How long an interrupted run may take to stop before its worker is ended, ms. `FAASPOT_KILL_GRACE_MS`, default 1000. */
  readonly killGraceMs: number;
  /** Memory for warm interpreters across all workers, bytes. `FAASPOT_MEMORY_BUDGET` (bytes, or with K/M/G suffix), default 2G. */
  readonly memoryBudgetBytes: number;
  /** Largest request body, bytes. `FAASPOT_MAX_BODY`, default 6 MiB. */
  readonly maxBodyBytes: number;
  /** Largest function source, bytes. `FAASPOT_MAX_CODE`, default 1 MiB. */
  readonly maxCodeBytes: number;
  /** Most items in one bulk_rpc. `FAASPOT_MAX_BULK`, default 10000. */
  readonly maxBulk: number;
  /**
   * Most bytes of execution records (arguments, output, logs, error) in one answer of several records,
   * a listing page or a bulk read; one record is always answered. `FAASPOT_MAX_RESPONSE`, default 64 MiB.
   */
  readonly maxResponseBytes: number;
  /** Captured stdout+stderr kept per execution, bytes; the start is kept. `FAASPOT_LOG_CAP`, default 64 KiB. */
  readonly logCapBytes: number;
  /** Largest return value (as JSON) of a run, bytes. `FAASPOT_MAX_OUTPUT`, default 6 MiB. */
  readonly maxOutputBytes: number;
  /** Memory cap of a function that sets none, MiB. `FAASPOT_DEFAULT_MEMORY`, default 256. */
  readonly defaultMemoryMib: number;
  /** Largest memory cap a function may set, MiB. `FAASPOT_MAX_MEMORY`, default 2048. */
  readonly maxMemoryMib: number;
  /**
   * Ended executions (completed, failed, cancelled) are deleted once they finished longer ago than
   * this, in seconds; 0 keeps them for ever. Pending and running ones are never deleted.
   * `FAASPOT_RETENTION`: a number with `s`, `m`, `h` or `d` (a bare number is seconds), or `0` or
   * `off`; default 7d.
   *
   * @example FAASPOT_RETENTION=30d
   */
  readonly retentionSeconds: number;
  /**
   * How long an `Idempotency-Key` of a non-blocking run or a bulk is remembered after it was first
   * sent, in seconds: a request with the key within that time gets the executions of the first one.
   * `FAASPOT_IDEMPOTENCY_TTL`: a duration as for `FAASPOT_RETENTION`, from 24h to 365d; default 24h.
   *
   * @example FAASPOT_IDEMPOTENCY_TTL=7d
   */
  readonly idempotencyTtlSeconds: number;
  /**
   * Most non-blocking executions waiting for a worker, all namespaces together; a run or a bulk that
   * does not fit is refused with 429 QUEUE_FULL. `FAASPOT_MAX_QUEUE`, default 100000.
   */
  readonly maxQueue: number;
  /**
   * Most non-blocking executions one namespace may have waiting. `FAASPOT_NAMESPACE_MAX_QUEUED`,
   * default half of `maxQueue` (rounded up), so that no namespace can fill the queue alone.
   */
  readonly namespaceMaxQueued: number;
  /**
   * Most executions of one namespace running at once. `FAASPOT_NAMESPACE_MAX_RUNNING`, default the
   * number of workers (no cap: a free worker goes to the namespace with the fewest runs going anyway).
   */
  readonly namespaceMaxRunning: number;
  /**
   * How long a blocking run may wait for a worker before it is withdrawn with 429 QUEUE_FULL, seconds.
   * `FAASPOT_BLOCKING_WAIT`, default 30.
   */
  readonly blockingWaitSeconds: number;
  /**
   * On SIGTERM or SIGINT, how long running executions may take to finish before the server stops
   * anyway, seconds. `FAASPOT_SHUTDOWN_GRACE`, default 30.
   */
  readonly shutdownGraceSeconds: number;
  /**
   * The 32-byte key that encrypts function contexts at rest. `FAASPOT_SECRET_KEY`: base64 (standard or
   * URL-safe) or 64 hex digits; unset: the key in `<data dir>/secret-key`, generated on the first start.
   *
   * @example FAASPOT_SECRET_KEY=$(openssl rand -base64 32)
   */
  readonly secretKey: Buffer | undefined;
  /**
   * Least severe server log line written: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, or
   * `silent` for none. `FAASPOT_LOG_LEVEL`, default `info` (a line per request and per ended execution).
   *
   * @example FAASPOT_LOG_LEVEL=warn
   */
  readonly logLevel: LogLevel;
  /**
   * How server log lines are written to stdout: `json` (one JSON object a line), `pretty` (coloured
   * text for a person), or `auto`: pretty when stdout is a terminal, else JSON. `FAASPOT_LOG_FORMAT`,
   * default `auto`.
   */
  readonly logFormat: LogFormat;
  /**
   * Port of the metrics listener, which serves `GET /metrics` (Prometheus text format) and nothing
   * else; undefined: no metrics listener. 0 picks a free one. `FAASPOT_METRICS_PORT`, default unset.
   *
   * @example FAASPOT_METRICS_PORT=9464
   */
  readonly metricsPort: number | undefined;
  /**
   * Address of the metrics listener. It asks for no token: keep it on loopback or a private network.
   * `FAASPOT_METRICS_HOST`, default 127.0.0.1.
   */
  readonly metricsHost: string;
  /**
   * The root secret of completion callbacks, at least 16 characters: each namespace's signing key
   * (`X-Faaspot-Signature`) is derived from it (`deriveCallbackKey`). `FAASPOT_CALLBACK_SECRET`;
   * unset: the secret in `<data dir>/callback-secret`, generated on the first start.
   *
   * @example FAASPOT_CALLBACK_SECRET=$(openssl rand -hex 32)
   */
  readonly callbackSecret: string | undefined;
  /**
   * Where completion callbacks may go. `FAASPOT_CALLBACK_ALLOWLIST`: comma-separated host names
   * (`*.example.com` for subdomains), addresses and CIDR networks, and the word `public`. Unset:
   * public addresses only; set: only what it lists (plus public addresses if it says `public`).
   *
   * @example FAASPOT_CALLBACK_ALLOWLIST=public,10.20.0.0/16,hooks.internal
   */
  readonly callbackAllowlist: CallbackAllowlist;
  /** Retries of a callback after its first attempt fails; 0 never retries. `FAASPOT_CALLBACK_RETRIES`, default 10. */
  readonly callbackRetries: number;
  /**
   * The wait before the first retry of a callback, ms; each later one waits twice as long as the one
   * before (at most an hour), less up to half at random. `FAASPOT_CALLBACK_BACKOFF_MS`, default 1000.
   */
  readonly callbackBackoffMs: number;
  /** How long one callback attempt may take, connection and answer, seconds. `FAASPOT_CALLBACK_TIMEOUT`, default 10. */
  readonly callbackTimeoutSeconds: number;
  /** Callback attempts in flight at once, all receivers together. `FAASPOT_CALLBACK_CONCURRENCY`, default 16. */
  readonly callbackConcurrency: number;
}

/** Server log levels, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Raised for a setting that cannot be used; the message names the variable and what it expects. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The shortest callback secret taken, characters. */
export const MIN_CALLBACK_SECRET_LENGTH = 16;

/** An interpreter needs about 30 MiB of WebAssembly memory before any function code runs. */
export const MIN_MEMORY_MIB = 64;

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

function readInteger(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readNumber(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a number from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readSize(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const match = /^(\d+)\s*([kKmMgG]?)(?:i?[bB])?$/.exec(raw.trim());
  const value = match ? Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${key} must be a size in bytes of at least ${min}, optionally with K, M or G (e.g. 512M); got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * A 32-byte secret key written as base64 (standard or URL-safe, padding optional) or as 64 hex
 * digits; undefined for any other text.
 */
export function parseSecretKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  // Buffer.from skips characters outside the alphabet: check the text first, then the length.
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed.replace(/=$/, ''), 'base64');
  return key.length === 32 ? key : undefined;
}

function readSecretKey(env: NodeJS.ProcessEnv, key: string): Buffer | undefined {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = parseSecretKey(raw);
  if (!parsed) {
    throw new ConfigError(`${key} must be 32 random bytes as base64 or as 64 hex digits (make one with: openssl rand -base64 32); got a value of ${raw.trim().length} characters`);
  }
  return parsed;
}

/** A TCP port, or undefined when unset or `off`. */
function readOptionalPort(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '' || raw.trim().toLowerCase() === 'off') return undefined;
  return readInteger(env, key, 0, 0, 65535);
}

/** One of `choices`, in any case; `fallback` when unset. */
function readChoice<T extends string>(env: NodeJS.ProcessEnv, key: string, choices: readonly T[], fallback: T): T {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase();
  const choice = choices.find((c) => c === value);
  if (choice === undefined) throw new ConfigError(`${key} must be one of ${choices.join(', ')}; got ${JSON.stringify(raw)}`);
  return choice;
}

function readCallbackSecret(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const secret = env[key]?.trim() || undefined;
  if (secret !== undefined && secret.length < MIN_CALLBACK_SECRET_LENGTH) {
    throw new ConfigError(`${key} must be at least ${MIN_CALLBACK_SECRET_LENGTH} characters long (make one with: openssl rand -hex 32)`);
  }
  return secret;
}

function readAllowlist(env: NodeJS.ProcessEnv, key: string): CallbackAllowlist {
  try {
    return CallbackAllowlist.parse(env[key]);
  } catch (error) {
    if (error instanceof AllowlistError) throw new ConfigError(`${key}: ${error.message}`);
    throw error;
  }
}

/** A duration in whole seconds: a number with s, m, h or d (bare: seconds); `0` or `off` is 0. */
function readDuration(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim().toLowerCase();
  if (text === 'off') return 0;
  const match = /^(\d+)\s*([smhd]?)$/.exec(text);
  const value = match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 1) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new ConfigError(`${key} must be a duration such as 7d, 12h, 30m or 3600s (a bare number is seconds), or 0 or off; got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Idempotency keys are kept at least a day: clients retry across outages of hours. */
const IDEMPOTENCY_TTL_SECONDS = { min: 86_400, max: 365 * 86_400, text: 'from 24h to 365d' } as const;

function readIdempotencyTtl(env: NodeJS.ProcessEnv, key: string): number {
  let value: number;
  try {
    value = readDuration(env, key, IDEMPOTENCY_TTL_SECONDS.min);
  } catch {
    value = NaN;
  }
  if (!(value >= IDEMPOTENCY_TTL_SECONDS.min && value <= IDEMPOTENCY_TTL_SECONDS.max)) {
    throw new ConfigError(`${key} must be a duration ${IDEMPOTENCY_TTL_SECONDS.text}, such as 48h or 7d (a bare number is seconds); got ${JSON.stringify(env[key])}`);
  }
  return value;
}

/**
 * Reads the settings from the environment (and `overrides`, which win), validates them and returns a
 * frozen object. This is the only place that reads `process.env`.
 *
 * @example loadConfig(process.env, { port: 0, dataDir: '/tmp/faaspot-test' })
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = readInteger(env, 'FAASPOT_PORT', 8080, 0, 65535);
  const host = env.FAASPOT_HOST?.trim() || '127.0.0.1';
  const adminToken = env.FAASPOT_ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('FAASPOT_ADMIN_TOKEN must be at least 16 characters long');
  }
  const dataDir = resolve(overrides.dataDir ?? (env.FAASPOT_DATA_DIR?.trim() || 'data'));
  // Read before the rest: the defaults of the namespace limits follow them, overrides included.
  const workers = overrides.workers ?? readInteger(env, 'FAASPOT_WORKERS', availableParallelism(), 1, 256);
  const maxQueue = overrides.maxQueue ?? readInteger(env, 'FAASPOT_MAX_QUEUE', 100_000, 1, 1_000_000_000);
  const config: Config = {
    port,
    host,
    dataDir,
    snapshotDir: resolve(env.FAASPOT_SNAPSHOT_DIR?.trim() || join(dataDir, 'snapshots')),
    adminToken,
    workers,
    defaultTimeoutSeconds: readNumber(env, 'FAASPOT_DEFAULT_TIMEOUT', 60, 0.001, 86_400),
    maxTimeoutSeconds: readNumber(env, 'FAASPOT_MAX_TIMEOUT', 900, 0.001, 86_400),
    killGraceMs: readInteger(env, 'FAASPOT_KILL_GRACE_MS', 1000, 0, 60_000),
    memoryBudgetBytes: readSize(env, 'FAASPOT_MEMORY_BUDGET', 2 * 1024 ** 3, 0),
    maxBodyBytes: readSize(env, 'FAASPOT_MAX_BODY', 6 * 1024 ** 2, 1024),
    maxCodeBytes: readSize(env, 'FAASPOT_MAX_CODE', 1024 ** 2, 64),
    maxBulk: readInteger(env, 'FAASPOT_MAX_BULK', 10_000, 1, 1_000_000),
    maxResponseBytes: readSize(env, 'FAASPOT_MAX_RESPONSE', 64 * 1024 ** 2, 1024 ** 2),
    logCapBytes: readSize(env, 'FAASPOT_LOG_CAP', 64 * 1024, 0),
    maxOutputBytes: readSize(env, 'FAASPOT_MAX_OUTPUT', 6 * 1024 ** 2, 2),
    defaultMemoryMib: readInteger(env, 'FAASPOT_DEFAULT_MEMORY', 256, MIN_MEMORY_MIB, 4096),
    maxMemoryMib: readInteger(env, 'FAASPOT_MAX_MEMORY', 2048, MIN_MEMORY_MIB, 4096),
    retentionSeconds: readDuration(env, 'FAASPOT_RETENTION', 7 * 86_400),
    idempotencyTtlSeconds: readIdempotencyTtl(env, 'FAASPOT_IDEMPOTENCY_TTL'),
    maxQueue,
    namespaceMaxQueued: readInteger(env, 'FAASPOT_NAMESPACE_MAX_QUEUED', Math.ceil(maxQueue / 2), 1, 1_000_000_000),
    namespaceMaxRunning: readInteger(env, 'FAASPOT_NAMESPACE_MAX_RUNNING', workers, 1, 256),
    blockingWaitSeconds: readNumber(env, 'FAASPOT_BLOCKING_WAIT', 30, 0, 86_400),
    shutdownGraceSeconds: readNumber(env, 'FAASPOT_SHUTDOWN_GRACE', 30, 0, 86_400),
    secretKey: readSecretKey(env, 'FAASPOT_SECRET_KEY'),
    logLevel: readChoice(env, 'FAASPOT_LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: readChoice(env, 'FAASPOT_LOG_FORMAT', LOG_FORMATS, 'auto'),
    metricsPort: readOptionalPort(env, 'FAASPOT_METRICS_PORT'),
    metricsHost: env.FAASPOT_METRICS_HOST?.trim() || '127.0.0.1',
    callbackSecret: readCallbackSecret(env, 'FAASPOT_CALLBACK_SECRET'),
    callbackAllowlist: readAllowlist(env, 'FAASPOT_CALLBACK_ALLOWLIST'),
    callbackRetries: readInteger(env, 'FAASPOT_CALLBACK_RETRIES', 10, 0, 100),
    callbackBackoffMs: readInteger(env, 'FAASPOT_CALLBACK_BACKOFF_MS', 1000, 0, 3_600_000),
    callbackTimeoutSeconds: readNumber(env, 'FAASPOT_CALLBACK_TIMEOUT', 10, 0.001, 300),
    callbackConcurrency: readInteger(env, 'FAASPOT_CALLBACK_CONCURRENCY', 16, 1, 1024),
    ...overrides,
  };
  if (config.defaultMemoryMib > config.maxMemoryMib) {
    throw new ConfigError('FAASPOT_DEFAULT_MEMORY must not exceed FAASPOT_MAX_MEMORY');
  }
  if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === config.port) {
    throw new ConfigError('FAASPOT_METRICS_PORT must differ from FAASPOT_PORT: the metrics listener is a listener of its own');
  }
  if (config.defaultTimeoutSeconds > config.maxTimeoutSeconds) {
    throw new ConfigError('FAASPOT_DEFAULT_TIMEOUT must not exceed FAASPOT_MAX_TIMEOUT');
  }
  return Object.freeze(config);
}
