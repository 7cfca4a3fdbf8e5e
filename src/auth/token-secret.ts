import { createHash, randomBytes } from 'node:crypto';

/** A new random token: `fsp_` and 32 random bytes, base64url. */
export function generateToken(): string {
  return `fsp_${randomBytes(32).toString('base64url')}`;
}

/**
 * How a token is stored. Tokens are 256-bit random secrets, so a fast hash is enough: there is no
 * dictionary to try against it, unlike with passwords.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
