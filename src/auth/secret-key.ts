import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseSecretKey } from '../config.js';
import { SECRET_KEY_BYTES } from '../store/secret-box.js';

/** The key file's name in the data directory, used when FAASPOT_SECRET_KEY is unset. */
export const SECRET_KEY_FILE_NAME = 'secret-key';

/** The key that encrypts contexts at rest, and where it came from. */
export interface SecretKey {
  key: Buffer;
  /** `FAASPOT_SECRET_KEY`, or the key file's path: what messages about the key name. */
  origin: string;
  /** Whether the key file was made on this start. */
  generated: boolean;
}

/** A new random key. */
export function generateSecretKey(): Buffer {
  return randomBytes(SECRET_KEY_BYTES);
}

/** The key in `file`, or undefined when there is no such file; a ConfigError when it holds no key. */
export function readSecretKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = parseSecretKey(text);
  if (!key) {
    throw new ConfigError(
      `${file} does not hold a secret key (32 bytes as base64 or 64 hex digits): restore it from a backup of the data directory, or set FAASPOT_SECRET_KEY to the key`,
    );
  }
  return key;
}

/**
 * Writes `key` to `file` as base64, readable by its owner only, and flushes it to disk: contexts
 * are sealed under a key only once its file is durable. `create` refuses to replace a file.
 */
export function writeSecretKeyFile(file: string, key: Buffer, mode: 'create' | 'replace'): void {
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: mode === 'create' ? 'wx' : 'w' });
  // The mode of writeFileSync applies to a new file only, and through the umask.
  chmodSync(file, 0o600);
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The server's secret key: `configured` (FAASPOT_SECRET_KEY) when set, else the one in
 * `<dataDir>/secret-key`, generated there (mode 0600) on the first start.
 */
export function loadSecretKey(dataDir: string, configured: Buffer | undefined): SecretKey {
  if (configured) return { key: configured, origin: 'FAASPOT_SECRET_KEY', generated: false };
  const file = join(dataDir, SECRET_KEY_FILE_NAME);
  const existing = readSecretKeyFile(file);
  if (existing) return { key: existing, origin: file, generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = generateSecretKey();
  try {
    writeSecretKeyFile(file, key, 'create');
  } catch (error) {
    // Another process made it first: use that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readSecretKeyFile(file) ?? key, origin: file, generated: false };
  }
  return { key, origin: file, generated: true };
}
