import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a callback's signature. */
export const SIGNATURE_HEADER = 'X-Faaspot-Signature';

/**
 * The value of the `X-Faaspot-Signature` header for a callback body: `sha256=` and the hex HMAC-SHA256
 * of the body's exact bytes, keyed with the UTF-8 bytes of the namespace's callback key (see
 * `deriveCallbackKey`).
 *
 * @example signCallbackBody('s3cret…', '{"uuid":"…"}') // 'sha256=5d1c…'
 */
export function signCallbackBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is the signature of `body` under `secret`; compared in constant time. */
export function verifyCallbackSignature(secret: string, body: string | Uint8Array, header: string | undefined | null): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signCallbackBody(secret, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
