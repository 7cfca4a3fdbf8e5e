import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from '../config.js';
import { ContextKeyError } from '../store/context-cipher.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { SecretBox } from '../store/secret-box.js';
import { DATABASE_FILE_NAME, openSqliteStore } from '../store/sqlite-store.js';
import { loadSecretKey, readSecretKeyFile, SECRET_KEY_FILE_NAME, type SecretKey } from './secret-key.js';

/** Where a rekey keeps its new key until the database is sealed under it (see rekey.ts). */
export const PENDING_SECRET_KEY_FILE_NAME = 'secret-key.new';

/**
 * Opens the server's database with function contexts encrypted under its secret key
 * (FAASPOT_SECRET_KEY, or `<dataDir>/secret-key`, generated on the first start). Contexts stored in
 * plain text by an older version are encrypted now. When the contexts are encrypted under another
 * key the start stops with a ConfigError that names where the key came from and what to do.
 */
export async function openSealedStore(config: Config): Promise<KyselyStore> {
  const secretKey = loadSecretKey(config.dataDir, config.secretKey);
  try {
    return await openSqliteStore(join(config.dataDir, DATABASE_FILE_NAME), { contextCipher: new SecretBox(secretKey.key) });
  } catch (error) {
    if (!(error instanceof ContextKeyError)) throw error;
    // A key made now can open nothing that is stored; leaving it would only hide that the right one is missing.
    if (secretKey.generated) rmSync(secretKey.origin, { force: true });
    throw new ConfigError(explainWrongKey(error, secretKey, config.dataDir), { cause: error });
  }
}

/** Why the stored contexts do not open under `secretKey`, and what the operator can do. */
export function explainWrongKey(error: ContextKeyError, secretKey: SecretKey | undefined, dataDir: string): string {
  const database = join(dataDir, DATABASE_FILE_NAME);
  const keyFile = join(dataDir, SECRET_KEY_FILE_NAME);
  const found = `key ${error.keyIds.join(', ')}`;
  let message: string;
  if (!secretKey || secretKey.generated) {
    message =
      `The function contexts in ${database} are encrypted (${found}), but there is no secret key: ` +
      `${keyFile} does not exist and FAASPOT_SECRET_KEY is unset. Restore ${keyFile} from a backup of the ` +
      'data directory, or set FAASPOT_SECRET_KEY to that key.';
  } else {
    const which = new SecretBox(secretKey.key).keyId;
    message =
      `${secretKey.origin} (key ${which}) is not the key that the function contexts in ${database} are ` +
      `encrypted under (${found}). ` +
      (secretKey.origin === 'FAASPOT_SECRET_KEY'
        ? `Set FAASPOT_SECRET_KEY to that key${holdsKeyOf(keyFile, error) ? ` (it is in ${keyFile})` : ''}.`
        : `Restore the key file they were encrypted under, or set FAASPOT_SECRET_KEY to that key.`);
  }
  const pending = join(dataDir, PENDING_SECRET_KEY_FILE_NAME);
  if (holdsKeyOf(pending, error)) {
    message += ` A rekey was interrupted after encrypting them under the key in ${pending}: run 'fas server rekey' again to finish it.`;
  }
  return message;
}

/** Whether `file` holds the key of contexts that `error` found; false for a missing or unreadable file. */
function holdsKeyOf(file: string, error: ContextKeyError): boolean {
  try {
    const key = readSecretKeyFile(file);
    return key !== undefined && error.keyIds.includes(new SecretBox(key).keyId);
  } catch {
    return false;
  }
}
