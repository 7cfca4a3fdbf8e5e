import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, MIN_CALLBACK_SECRET_LENGTH } from '../config.js';
import { readOrCreateSecretFile, readTextIfPresent } from './private-file.js';

/** The file in the data directory that keeps the callback secret when FAASPOT_CALLBACK_SECRET is unset. */
export const CALLBACK_SECRET_FILE_NAME = 'callback-secret';

/** The root secret of completion callbacks (each namespace's key is derived from it), and where it came from. */
export interface CallbackSecret {
  /** The secret's text; its UTF-8 bytes key the derivation of each namespace's key (`deriveCallbackKey`). */
  secret: string;
  /** `FAASPOT_CALLBACK_SECRET`, or the file in the data directory. */
  source: 'environment' | 'file';
  /** The file's path, when the secret is kept in one. */
  file: string | undefined;
  /** Whether the file was made on this start. */
  generated: boolean;
}

/**
 * The callback secret: `configured` (FAASPOT_CALLBACK_SECRET) when set, else the text of
 * `<dataDir>/callback-secret`, generated there on the first start (32 random bytes as 64 hex digits,
 * mode 0600, flushed to disk before use so that a receiver never sees signatures of a lost key).
 * A ConfigError when the file holds no usable secret.
 */
export function loadCallbackSecret(dataDir: string, configured: string | undefined): CallbackSecret {
  if (configured !== undefined) return { secret: configured, source: 'environment', file: undefined, generated: false };
  const file = join(dataDir, CALLBACK_SECRET_FILE_NAME);
  const { value, generated } = readOrCreateSecretFile(file, readCallbackSecretFile, () => {
    const secret = randomBytes(32).toString('hex');
    return { value: secret, text: `${secret}\n` };
  });
  return { secret: value, source: 'file', file, generated };
}

function readCallbackSecretFile(file: string): string | undefined {
  const text = readTextIfPresent(file);
  if (text === undefined) return undefined;
  const secret = text.trim();
  if (secret.length < MIN_CALLBACK_SECRET_LENGTH) {
    throw new ConfigError(
      `${file} does not hold a callback secret (at least ${MIN_CALLBACK_SECRET_LENGTH} characters): restore it, or delete it to have a new one made (receivers must then use the new one), or set FAASPOT_CALLBACK_SECRET`,
    );
  }
  return secret;
}
