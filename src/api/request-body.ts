import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { ApiError } from '../errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../functions/json-depth.js';
import { escapeInvisible, showText } from '../functions/show-text.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
// `curl --data` labels a body form-urlencoded unless told otherwise, and some clients send text/plain:
// both are read as JSON, like a body without a type. Anything else is refused.
const READ_AS_JSON = new Set(['', 'application/x-www-form-urlencoded', 'text/plain']);
// fatal: a byte that is not UTF-8 must be refused, not turned silently into U+FFFD inside someone's code.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the request body as JSON, up to `limit` bytes. A missing Content-Type is read as JSON (the
 * original clients send none); an empty body is `undefined`.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  const type = ctx.get('content-type').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!READ_AS_JSON.has(type) && !JSON_TYPE.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${showText(type)} is not accepted; send JSON with Content-Type: application/json`);
  }
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${showText(encoding)} is not accepted; send the body uncompressed`);
  }
  let bytes: Buffer;
  try {
    bytes = await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || undefined });
  } catch (error) {
    // raw-body pauses the request when it gives up. Left paused, the rest of an oversized chunked body
    // is never read: the client stalls on a full socket until the connection is dropped, and never
    // sees this answer. Resumed, the rest is read and discarded, as Node does for unread bodies.
    ctx.req.resume();
    const kind = (error as { type?: string }).type;
    if (kind === 'entity.too.large') {
      throw new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes (FAASPOT_MAX_BODY); send less`);
    }
    throw new ApiError('INVALID_REQUEST', 'The request body could not be read completely; send it again');
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ApiError('INVALID_REQUEST', 'The request body is not valid UTF-8; send JSON as UTF-8 text');
  }
  if (text.trim() === '') return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new ApiError('INVALID_REQUEST', `The body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8's message quotes a slice of the input: keep it, with invisible characters escaped.
    throw new ApiError('INVALID_REQUEST', `The body is not valid JSON: ${escapeInvisible((error as Error).message)}`);
  }
}

/** The body as a JSON object; `{}` when empty. */
export async function readObjectBody(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const body = await readJsonBody(ctx, limit);
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError('INVALID_REQUEST', `The body must be a JSON object, not ${describeJson(body)}`);
  }
  return body as Record<string, unknown>;
}

/** The body as a JSON array. */
export async function readArrayBody(ctx: Context, limit: number): Promise<unknown[]> {
  const body = await readJsonBody(ctx, limit);
  if (!Array.isArray(body)) {
    throw new ApiError('INVALID_REQUEST', `The body must be a JSON array, not ${body === undefined ? 'empty' : describeJson(body)}`);
  }
  return body as unknown[];
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
