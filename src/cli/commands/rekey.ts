import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Io } from '../output.js';

export const REKEY_HELP = `Usage: fas server rekey [--new-key KEY | --new-key-file FILE]

Encrypts every function's context under a new secret key, so that the old key opens none of them.
Run it where the server runs, with the server stopped, and with the FAASPOT_DATA_DIR and
FAASPOT_SECRET_KEY the server has: it takes the database for itself, and refuses to start while a
server has the database open.

The key in use is FAASPOT_SECRET_KEY, or when that is unset the key file <data dir>/secret-key.
  - Key file: the new key (--new-key, --new-key-file, or else a new random one) is first saved to
    <data dir>/secret-key.new, the contexts are encrypted under it in one transaction, then it
    replaces secret-key. Stopped half way, the command finishes the job when run again.
  - FAASPOT_SECRET_KEY: give the new key with --new-key or --new-key-file; afterwards set
    FAASPOT_SECRET_KEY to it before starting the server again.

The database is then compacted (VACUUM, which needs free disk space about the database's size), so
that nothing encrypted under the old key stays in its free space. Copies and backups made before
still open with the old key.

Options:
  --new-key KEY        the new key: 32 random bytes as base64 or 64 hex digits (make one with
                       openssl rand -base64 32); other users may see it in the process list
  --new-key-file FILE  read the new key from FILE instead
  -h, --help           show this help

Examples:
  fas server rekey
  FAASPOT_DATA_DIR=/var/lib/faaspot fas server rekey
  openssl rand -base64 32 > new.key && fas server rekey --new-key-file new.key
`;

/** `fas server rekey`: exit status 0 when done, 1 when it failed, 2 for a command line it cannot use. */
export async function runRekey(argv: readonly string[], io: Io): Promise<number> {
  let values: { 'new-key'?: string; 'new-key-file'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { 'new-key': { type: 'string' }, 'new-key-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`fas: ${(error as Error).message}\n\n${REKEY_HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(REKEY_HELP);
    return 0;
  }
  if (values['new-key'] !== undefined && values['new-key-file'] !== undefined) {
    io.err(`fas: give the new key once: --new-key or --new-key-file\n\n${REKEY_HELP}`);
    return 2;
  }
  // Loaded only here: the other commands start without the server's modules.
  const [{ ConfigError, loadConfig, parseSecretKey }, { rekey }, { DatabaseInUseError }] = await Promise.all([
    import('../../config.js'),
    import('../../auth/rekey.js'),
    import('../../store/sqlite-store.js'),
  ]);
  let newKey: Buffer | undefined;
  const keyText = values['new-key'] ?? (values['new-key-file'] === undefined ? undefined : readKeyFile(values['new-key-file'], io));
  if (keyText === null) return 1;
  if (keyText !== undefined) {
    newKey = parseSecretKey(keyText);
    if (!newKey) {
      io.err('fas: the new key must be 32 random bytes as base64 or as 64 hex digits (make one with: openssl rand -base64 32)\n');
      return 2;
    }
  }
  try {
    const result = await rekey(loadConfig(), newKey ? { newKey } : {});
    const before = result.oldKeyId === undefined ? 'none of them was encrypted before' : `before: key ${result.oldKeyId}`;
    io.out(`fas: encrypted ${result.reencrypted} function context${result.reencrypted === 1 ? '' : 's'} under key ${result.newKeyId} (${before})\n`);
    io.out(
      result.keyFile === undefined
        ? 'fas: now set FAASPOT_SECRET_KEY to the new key before starting the server: the old key opens nothing\n'
        : `fas: the new key is in ${result.keyFile}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DatabaseInUseError) {
      io.err(`fas: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The text of the key file, or null (after saying why) when it cannot be read. */
function readKeyFile(file: string, io: Io): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    io.err(`fas: cannot read the new key from ${file}: ${(error as Error).message}\n`);
    return null;
  }
}
