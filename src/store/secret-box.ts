import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ContextCipher } from './context-cipher.js';

/** Bytes of a secret key: AES-256. */
export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 4;
const VERSION = 'v1';
/** `v1:<key id>:<iv>:<ciphertext and tag>`, the last two base64url. */
const SEALED = /^v1:([0-9a-f]{8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]+)$/;
const KEY_ID_PREFIX = /^v1:([0-9a-f]{8}):/;

/** A sealed text that does not open: another key, another function, or altered bytes. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * AES-256-GCM under one 32-byte key, with a fresh random 12-byte IV for every value. A sealed text is
 * `v1:<key id>:<iv>:<ciphertext and tag>`: the version and key id let a store tell texts sealed under
 * this key from those of another, and are authenticated together with the text it is bound to (the
 * function's id), so neither the header nor the binding can be changed without the text failing to
 * open.
 *
 * The key itself is used for nothing but deriving (HKDF-SHA-256) the AES key and the key id.
 *
 * @example
 * const box = new SecretBox(key);
 * const stored = box.seal('{"token": "..."}', fn.id);
 * box.open(stored, fn.id); // '{"token": "..."}'
 */
export class SecretBox implements ContextCipher {
  readonly keyId: string;
  readonly #aesKey: Buffer;
  readonly #prefix: string;

  constructor(key: Uint8Array) {
    if (key.length !== SECRET_KEY_BYTES) {
      throw new RangeError(`a secret key is ${SECRET_KEY_BYTES} bytes; got ${key.length}`);
    }
    this.#aesKey = Buffer.from(hkdfSync('sha256', key, new Uint8Array(0), 'faaspot context encryption v1', SECRET_KEY_BYTES));
    this.keyId = Buffer.from(hkdfSync('sha256', key, new Uint8Array(0), 'faaspot key id', KEY_ID_BYTES)).toString('hex');
    this.#prefix = `${VERSION}:${this.keyId}:`;
  }

  /** A box under a new random key, for a store that keeps nothing at rest (an in-memory database). */
  static withRandomKey(): SecretBox {
    return new SecretBox(randomBytes(SECRET_KEY_BYTES));
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#aesKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.#associatedData(boundTo));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${this.#prefix}${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  open(sealed: string, boundTo: string): string {
    const match = SEALED.exec(sealed);
    if (!match) throw new SecretBoxError('not a sealed text');
    if (match[1] !== this.keyId) {
      throw new SecretBoxError(`sealed under key ${match[1] ?? ''}, not under key ${this.keyId}`);
    }
    const iv = Buffer.from(match[2] ?? '', 'base64url');
    const body = Buffer.from(match[3] ?? '', 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('not a sealed text');
    const decipher = createDecipheriv('aes-256-gcm', this.#aesKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(this.#associatedData(boundTo));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // GCM tells nothing more: the text was altered, or sealed for something else.
      throw new SecretBoxError('the sealed text does not open: it was altered, or sealed for another function');
    }
  }

  keyIdOf(stored: string): string | undefined {
    return KEY_ID_PREFIX.exec(stored)?.[1];
  }

  #associatedData(boundTo: string): Buffer {
    return Buffer.from(`${this.#prefix}${boundTo}`, 'utf8');
  }
}
