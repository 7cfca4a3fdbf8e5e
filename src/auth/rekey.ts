import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from '../config.js';
import { ContextKeyError } from '../store/context-cipher.js';
import { SecretBox } from '../store/secret-box.js';
import { DATABASE_FILE_NAME, DatabaseInUseError, openSqliteStore } from '../store/sqlite-store.js';
import { explainWrongKey, PENDING_SECRET_KEY_FILE_NAME } from './sealed-store.js';
import { generateSecretKey, readSecretKeyFile, SECRET_KEY_FILE_NAME, writeSecretKeyFile } from './secret-key.js';

export interface RekeyOptions {
  /**
   * The key to encrypt under. Unset: the new key of an interrupted rekey, if there is one, else a new
   * random key. Required when FAASPOT_SECRET_KEY is set: the server then reads its key from the
   * environment, where this command cannot put it.
   */
  newKey?: Buffer;
}

export interface RekeyResult {
  /** Contexts encrypted anew, including any that were still in plain text. */
  reencrypted: number;
  /** The id of the key they were encrypted under before; undefined when there was no key yet. */
  oldKeyId: string | undefined;
  newKeyId: string;
  /**
   * The key file that now holds the new key; undefined when the key is FAASPOT_SECRET_KEY, which the
   * operator must now set to the new key.
   */
  keyFile: string | undefined;
}

/**
 * Encrypts every function context under a new key, in one transaction, so that the old key opens
 * none of them any more. Runs with the server stopped: the database is taken exclusively, and a
 * running server makes this fail before anything changes.
 *
 * With the key in `<dataDir>/secret-key`, the new key is first written, durably, to
 * `<dataDir>/secret-key.new`; the contexts are then encrypted under it and the database compacted
 * (no old ciphertext stays in its free space); last, the new file replaces the old one. Stopped at
 * any point, nothing is lost: before the commit the database is still under the old key, after it
 * the new key is in `secret-key.new`, and running the command again finishes the job.
 */
export async function rekey(config: Config, options: RekeyOptions = {}): Promise<RekeyResult> {
  const database = join(config.dataDir, DATABASE_FILE_NAME);
  if (!existsSync(database)) {
    throw new ConfigError(`There is no database at ${database}, so nothing to re-encrypt: set FAASPOT_DATA_DIR as the server has it`);
  }
  const keyFile = join(config.dataDir, SECRET_KEY_FILE_NAME);
  const pendingFile = join(config.dataDir, PENDING_SECRET_KEY_FILE_NAME);
  const inEnvironment = config.secretKey !== undefined;
  const oldKey = config.secretKey ?? readSecretKeyFile(keyFile);

  let newKey: Buffer;
  let pendingMadeNow = false;
  if (inEnvironment) {
    if (!options.newKey) {
      throw new ConfigError(
        'FAASPOT_SECRET_KEY is set, so give the new key with --new-key or --new-key-file (make one with: openssl rand -base64 32); ' +
          'this command cannot store a key that the server reads from its environment',
      );
    }
    newKey = options.newKey;
  } else {
    const pending = readSecretKeyFile(pendingFile);
    if (pending && options.newKey && !pending.equals(options.newKey)) {
      throw new ConfigError(
        `${pendingFile} holds the new key of an interrupted rekey, which the contexts may already be encrypted under: ` +
          'run the command without a new key to finish that rekey first',
      );
    }
    newKey = options.newKey ?? pending ?? generateSecretKey();
    pendingMadeNow = pending === undefined;
  }
  if (oldKey?.equals(newKey)) throw new ConfigError('The new key is the key in use now: give another one, or none to have one made');
  // Durable before any context is encrypted under it.
  if (pendingMadeNow) writeSecretKeyFile(pendingFile, newKey, 'replace');

  const newBox = new SecretBox(newKey);
  const oldBox = oldKey && new SecretBox(oldKey);
  let reencrypted = 0;
  try {
    const store = await openSqliteStore(database, {
      contextCipher: newBox,
      ...(oldBox && { previousContextCipher: oldBox }),
      exclusive: true,
      onContextsSealed: (count) => (reencrypted = count),
    });
    try {
      // Sealing anything compacted the database already; with nothing to seal, this may be the rerun
      // of a rekey stopped before its compaction, whose old texts may still be in the free space.
      if (reencrypted === 0) await store.compact();
    } finally {
      await store.close();
    }
  } catch (error) {
    // Both are raised before anything is committed: the new key was never used.
    if (error instanceof DatabaseInUseError || error instanceof ContextKeyError) {
      if (pendingMadeNow) rmSync(pendingFile, { force: true });
    }
    if (error instanceof ContextKeyError) {
      const secretKey = oldKey && { key: oldKey, origin: inEnvironment ? 'FAASPOT_SECRET_KEY' : keyFile, generated: false };
      throw new ConfigError(explainWrongKey(error, secretKey, config.dataDir), { cause: error });
    }
    throw error;
  }
  if (!inEnvironment) {
    renameSync(pendingFile, keyFile);
    syncDirectory(config.dataDir);
  }
  return { reencrypted, oldKeyId: oldBox?.keyId, newKeyId: newBox.keyId, keyFile: inEnvironment ? undefined : keyFile };
}

/** Makes a rename in `dir` durable; a platform that cannot sync a directory skips it. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here (Windows): the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
