import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The text of `file`, or undefined when there is no such file. */
export function readTextIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes `text` to `file`, readable by its owner only, and flushes it to disk, so that nothing is
 * done under a secret whose file could still be lost. `create` refuses to replace a file (EEXIST).
 */
export function writePrivateFile(file: string, text: string, mode: 'create' | 'replace'): void {
  writeFileSync(file, text, { mode: 0o600, flag: mode === 'create' ? 'wx' : 'w' });
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
 * The secret kept in `file`, read by `read` (undefined: no file); when there is none, `generate`
 * makes one and it is written there (mode 0600, flushed). If another process writes the file first,
 * its secret is used.
 */
export function readOrCreateSecretFile<T>(
  file: string,
  read: (file: string) => T | undefined,
  generate: () => { value: T; text: string },
): { value: T; generated: boolean } {
  const existing = read(file);
  if (existing !== undefined) return { value: existing, generated: false };
  mkdirSync(dirname(file), { recursive: true });
  const made = generate();
  try {
    writePrivateFile(file, made.text, 'create');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: read(file) ?? made.value, generated: false };
  }
  return { value: made.value, generated: true };
}
