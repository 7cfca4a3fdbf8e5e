import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, parseSecretKey } from '../config.js';
import { SECRET_KEY_BYTES } from '../store/secret-box.js';
import { readOrCreateSecretFile, readTextIfPresent, writePrivateFile } from './private-file.js';

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
  const text = readTextIfPresent(file);
  if (text === undefined) return undefined;
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
  writePrivateFile(file, `${key.toString('base64')}\n`, mode);
}

/**
 * The server's secret key: `configured` (FAASPOT_SECRET_KEY) when set, else the one in
 * `<dataDir>/secret-key`, generated there (mode 0600) on the first start.
 */
export function loadSecretKey(dataDir: string, configured: Buffer | undefined): SecretKey {
  if (configured) return { key: configured, origin: 'FAASPOT_SECRET_KEY', generated: false };
  const file = join(dataDir, SECRET_KEY_FILE_NAME);
  const { value, generated } = readOrCreateSecretFile(file, readSecretKeyFile, () => {
    const key = generateSecretKey();
    return { value: key, text: `${key.toString('base64')}\n` };
  });
  return { key: value, origin: file, generated };
}
