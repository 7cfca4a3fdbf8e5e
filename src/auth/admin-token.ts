import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';
import type { Store } from '../store/store.js';
import { generateToken, hashToken } from './token-secret.js';

/** The namespace of the admin token. */
export const DEFAULT_NAMESPACE = 'default';

export interface AdminTokenBootstrap {
  /** The generated token, when one was generated on this start (shown once). */
  generated: string | undefined;
  /** Where the generated token was written. */
  file: string | undefined;
}

/**
 * Makes sure an admin token exists. `configured` (FAASPOT_ADMIN_TOKEN) is installed if the store does
 * not know it yet; otherwise, on a first start with no tokens at all, one is generated, returned to be
 * shown once (on a terminal) and written to `<dataDir>/admin-token` with mode 0600.
 */
export async function bootstrapAdminToken(
  store: Store,
  dataDir: string,
  configured: string | undefined,
): Promise<AdminTokenBootstrap> {
  if (configured !== undefined) {
    if (!(await store.findTokenByHash(hashToken(configured)))) {
      await insertAdmin(store, configured);
    }
    return { generated: undefined, file: undefined };
  }
  if ((await store.countTokens()) > 0) return { generated: undefined, file: undefined };
  const token = generateToken();
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'admin-token');
  writePrivateFile(file, `${token}\n`, 'replace');
  await insertAdmin(store, token);
  return { generated: token, file };
}

async function insertAdmin(store: Store, token: string): Promise<void> {
  await store.insertToken({
    id: randomUUID(),
    tokenHash: hashToken(token),
    namespace: DEFAULT_NAMESPACE,
    admin: true,
    created: new Date().toISOString(),
  });
}
