import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { ApiError } from '../errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../functions/json-depth.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
// `curl --data` labels a body form-urlencoded unless told otherwise, and some clients send text/plain:
// both are read as JSON, like a body without a type. Anything else is refused.
const READ_AS_JSON = new Set(['', 'application/x-www-form-urlencoded', 'text/plain']);

/**
 * Reads the request body as JSON, up to `limit` bytes. A missing Content-Type is read as JSON (the
 * original clients send none); an empty body is `undefined`.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  const type = ctx.get('content-type').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!READ_AS_JSON.has(type) && !JSON_TYPE.test(type)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(type)} is not accepted; send JSON with Content-Type: application/json`);
  }
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || undefined, encoding: 'utf8' });
  } catch (error) {
    const kind = (error as { type?: string }).type;
    if (kind === 'entity.too.large') {
      throw new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes (FAASPOT_MAX_BODY)`);
    }
    throw new ApiError('INVALID_REQUEST', 'The request body could not be read completely');
  }
  if (text.trim() === '') return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new ApiError('INVALID_REQUEST', `The body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError('INVALID_REQUEST', `The body is not valid JSON: ${(error as Error).message}`);
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
