import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { ApiError } from '../errors.js';
import { canonicalJson } from '../functions/canonical-json.js';
import type { IdempotentRoute } from '../store/store.js';

/** The request header that makes a non-blocking run or a bulk idempotent. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** The answer header that marks the answer of an earlier request with the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** The longest key taken: room for a UUID with a prefix or two, or a hash, not for a payload. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const HEADER_NAME = IDEMPOTENCY_KEY_HEADER.toLowerCase();
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * The request's `Idempotency-Key`, undefined when it sent none. A key is 1 to 255 printable ASCII
 * characters (space to `~`), sent once; anything else is a 400 INVALID_IDEMPOTENCY_KEY rather than
 * ignored, since a client that sends a key counts on it.
 */
export function readIdempotencyKey(ctx: Context): string | undefined {
  if (!hasIdempotencyKey(ctx)) return undefined;
  // Node joins repeated headers of unknown names with ", "; only the distinct view shows a repeat.
  const values = ctx.req.headersDistinct[HEADER_NAME] ?? [];
  const refuse = (what: string) =>
    new ApiError(
      'INVALID_IDEMPOTENCY_KEY',
      `The ${IDEMPOTENCY_KEY_HEADER} header ${what}; send it once, as 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (a random UUID makes a good key)`,
    );
  if (values.length !== 1) throw refuse(`was sent ${values.length} times`);
  const key = values[0] ?? '';
  if (key === '') throw refuse('is empty');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) throw refuse(`is ${key.length} characters long`);
  // Node reads header bytes as Latin-1, so anything beyond ASCII shows up here as such a character.
  if (!PRINTABLE_ASCII.test(key)) throw refuse('holds characters other than printable ASCII');
  return key;
}

/** Whether the request carries an `Idempotency-Key` header at all, well-formed or not. */
export function hasIdempotencyKey(ctx: Context): boolean {
  return ctx.req.headers[HEADER_NAME] !== undefined;
}

/** Canonical texts are handed to the hash in pieces of about this many characters, not one call per item. */
const HASH_CHUNK_CHARS = 64 * 1024;

/**
 * SHA-256 (hex) of what a request asks for: the kind of run, the function name, the callback URL if
 * any (as checked, so written the same however its host was capitalised) and each run's arguments,
 * compared as JSON values (object keys in any order), so that a retry matches however its client
 * serialises the same arguments. `argsList` holds the arguments of each execution as parsed from the
 * request (plain JSON values), so a bulk is canonicalised once and never parsed again.
 */
export function requestFingerprint(route: IdempotentRoute, functionName: string, argsList: readonly unknown[], callbackUrl?: string): string {
  // Without a callback URL the head is what it was before callbacks, so keys stored then still match.
  const head = callbackUrl === undefined ? [route, functionName] : [route, functionName, callbackUrl];
  const hash = createHash('sha256').update(JSON.stringify(head));
  // Canonical JSON has no raw line breaks, so one between the items keeps them apart. Pieces end
  // between items, so the bytes hashed are those of the whole text.
  let piece = '';
  for (const args of argsList) {
    piece += `\n${canonicalJson(args)}`;
    if (piece.length >= HASH_CHUNK_CHARS) {
      hash.update(piece);
      piece = '';
    }
  }
  hash.update(piece);
  return hash.digest('hex');
}
