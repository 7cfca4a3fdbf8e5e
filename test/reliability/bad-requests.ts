import { METHODS } from 'node:http';
import fc from 'fast-check';
import type { RawRequest } from './raw-http.js';

/** A generated request, and whether it is meant to break Node's own header limit (16 KiB). */
export interface BadRequest extends RawRequest {
  oversized: boolean;
}

/** The one function the generated requests may run, change or delete; it returns its arguments. */
export const TARGET = 'echo';
export const TARGET_CODE = 'def main(args, context):\n    return args\n';

/** Text as one URL component: its UTF-8 bytes, each outside the unreserved set written as %XX. */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Printable ASCII but "%" kept as it is (so "/", "..", "?" and "#" reach the server raw), anything else escaped. */
function looselyEncode(text: string): string {
  return Array.from(text, (char) => (/^[\x21-\x24\x26-\x7e]$/.test(char) ? char : percentEncode(char))).join('');
}

const BROKEN_ESCAPES = ['%', '%Z', '%ZZ', '%G1', '%E0%A4%A', '%C0%AF', '%FF', '%ED%A0%80', '%F4%90%80%80'];

// Any code points, lone surrogates included, and plain ASCII.
const anyText = fc.string({ unit: 'binary', maxLength: 30 });
const asciiText = fc.string({ unit: 'binary-ascii', maxLength: 30 });
const text = fc.oneof(anyText, asciiText);

const nameValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant(TARGET) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '', '.', '..', '...', 'a..b', '-x', '.hidden', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(300), 'a b', 'a/b', 'a\\b',
      'x\u0000', 'tab\tname', 'bell\u0007', 'é', '\u{1f4a5}', '\u202eevil', '__proto__', 'constructor', 'hello.py', 'bulk', 'rpc',
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/) },
  { weight: 2, arbitrary: text },
);

const idValue = fc.oneof(fc.uuid(), fc.constantFrom('', 'bulk', 'nope', '0', 'x'.repeat(3000), '../../etc/passwd'), text);

/** A value as one path segment: escaped, loosely escaped, broken, or with a broken escape appended. */
function segment(value: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 10, arbitrary: value.map(percentEncode) },
    { weight: 2, arbitrary: value.map(looselyEncode) },
    { weight: 1, arbitrary: fc.constantFrom(...BROKEN_ESCAPES, '%2e%2e', '%2F', '%00', '%20') },
    { weight: 1, arbitrary: fc.tuple(value, fc.constantFrom(...BROKEN_ESCAPES)).map(([v, bad]) => percentEncode(v) + bad) },
  );
}

const name = segment(nameValue);
const id = segment(idValue);

const queryKey = fc.oneof(fc.constantFrom('wait', 'limit', 'cursor', 'status', 'function', 'include_completed', 'name', 'a', ''), text);
const queryValue = fc.oneof(
  fc.constantFrom('-1', '0', '1', '5', '60', '61', '1000', '1001', '1e999', 'NaN', 'Infinity', '0x10', ' 5', '2.5', 'true', 'True', 'maybe', 'pending,done', 'completed,failed', ''),
  fc.integer().map(String),
  fc.double().map(String),
  text,
);
const queryPart = fc.tuple(queryKey, queryValue, fc.nat(19)).map(([key, value, how]) => {
  if (how === 0) return `${percentEncode(key)}=${percentEncode(value)}${BROKEN_ESCAPES[value.length % BROKEN_ESCAPES.length]}`;
  if (how <= 2) return `${looselyEncode(key)}=${looselyEncode(value).replaceAll('&', '%26').replaceAll('#', '%23')}`;
  return `${percentEncode(key)}=${percentEncode(value)}`;
});
const query = fc.array(queryPart, { maxLength: 4 }).map((parts) => (parts.length === 0 ? '' : `?${parts.join('&')}`));

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) },
);

// Code the validator compiles without running; valid variants only ever return at once.
const validCode = fc.constantFrom(
  TARGET_CODE,
  'async def main(args, context):\n    return args\n',
  'def main(args, context, *rest):\n    return [args, context]\n',
  'x = 1\ndef main(a, c):\n    return x\n',
);
const LARGE_CODE = `${TARGET_CODE}${'# padding\n'.repeat(110_000)}`;
const codeValue = fc.oneof(
  { weight: 2, arbitrary: validCode },
  { weight: 3, arbitrary: text },
  {
    weight: 3,
    arbitrary: fc.tuple(validCode, fc.nat(), text).map(([code, at, insert]) => code.slice(0, at % code.length) + insert + code.slice(at % code.length)),
  },
  { weight: 1, arbitrary: validCode.map(percentEncode) },
  { weight: 1, arbitrary: fc.constantFrom('%FF%FE', 'def%20main%E0%A4', 'x%00y', 'def main(a, c):\n    return 1\n\u0000', 'def main(a, c):\n    return ' + '('.repeat(300)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  { weight: 1, arbitrary: fc.constant(LARGE_CODE) },
);

const contextValue = fc.oneof(
  text,
  fc.constantFrom('a = 1', 'no equals sign', '= 1', '{"a": [1]}', '{bad json', '__proto__ = 1', 'a%3D%E0%A4', 'k = "unterminated', '{}'),
  fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 1 }),
);

// Valid timeouts and memory caps are kept generous, so that the target never fails for want of them.
const timeoutValue = fc.oneof(
  fc.constantFrom(-1, 0, '', 'soon', null, true, 901, 1e9, '1e999', [], {}),
  fc.integer({ min: 30, max: 900 }),
  fc.double().filter((v) => !(v > 0 && v < 30)),
);
const memoryValue = fc.oneof(
  fc.constantFrom(-1, 0, 63, 4097, '', 'lots', 64.5, null, '256'),
  fc.integer({ min: 128, max: 2048 }),
  fc.integer().filter((v) => v < 64 || v > 2048),
);

const freshName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
const anyFields = fc.record(
  {
    name: fc.oneof({ weight: 3, arbitrary: freshName }, { weight: 3, arbitrary: nameValue }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
    code: codeValue,
    context: contextValue,
    timeout: timeoutValue,
    memory: memoryValue,
    namespace: fc.oneof(nameValue, fc.jsonValue({ maxDepth: 1 })),
    admin: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
// A plausible create, so that requests get past the name to the code and context checks.
const createFields = fc.record({ name: fc.oneof({ weight: 3, arbitrary: freshName }, { weight: 1, arbitrary: nameValue }), code: codeValue });
const fields = fc.oneof(
  anyFields,
  createFields,
  fc.tuple(createFields, fc.record({ context: contextValue, timeout: timeoutValue, memory: memoryValue }, { requiredKeys: [] })).map(([a, b]) => ({ ...b, ...a })),
);
const fieldsWithExtras = fc
  .tuple(fields, fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }))
  .map(([known, extra]) => ({ ...extra, ...known }));

const arrayItem = fc.oneof(fc.dictionary(text, text, { maxKeys: 3 }), fc.jsonValue({ maxDepth: 1 }), fc.uuid(), text);
const TOO_MANY_ITEMS = Buffer.from(JSON.stringify(Array.from({ length: 10_001 }, () => ({}))));
// One byte over FAASPOT_MAX_BODY's default.
const TOO_LARGE_BODY = Buffer.from(`{"a": "${'x'.repeat(6 * 1024 * 1024 - 8)}"}`);

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value) ?? 'null');

const anyBody = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: fieldsWithExtras.map(json) },
  { weight: 3, arbitrary: fc.array(arrayItem, { maxLength: 5 }).map(json) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
  // Broken JSON: a valid text cut short or with a stray character.
  {
    weight: 2,
    arbitrary: fc
      .tuple(fieldsWithExtras.map((v) => JSON.stringify(v)), fc.nat(), fc.constantFrom('', ',', '}', '"', '\\', "'", '\u0000'))
      .map(([t, at, stray]) => Buffer.from(t.slice(0, at % (t.length + 1)) + stray)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  // Bytes that are not UTF-8 inside an otherwise fine JSON string.
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 8 })
      .map((bytes) => Buffer.concat([Buffer.from(`{"name": "${TARGET}", "code": "`), Buffer.from(bytes.map((b) => b | 0x80)), Buffer.from('"}')])),
  },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 3000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))) },
  { weight: 1, arbitrary: fc.constantFrom(TOO_MANY_ITEMS, TOO_LARGE_BODY) },
);

const objectBody = fieldsWithExtras.map(json);
const arrayBody = fc.array(arrayItem, { maxLength: 5 }).map(json);

/** One shape of the API's routes: its path, the methods it answers and the body it reads. */
interface RouteShape {
  path: fc.Arbitrary<string>;
  methods: readonly string[];
  body?: fc.Arbitrary<Buffer>;
}

const routes: RouteShape[] = [
  { path: fc.constant('/healthz'), methods: ['GET'] },
  { path: fc.constant('/v1/functions'), methods: ['GET', 'PUT'], body: objectBody },
  { path: name.map((n) => `/v1/functions/${n}`), methods: ['GET', 'PATCH', 'DELETE'], body: objectBody },
  { path: name.map((n) => `/v1/functions/${n}/rpc`), methods: ['GET', 'POST'], body: objectBody },
  { path: name.map((n) => `/v1/functions/${n}/bulk_rpc`), methods: ['POST'], body: arrayBody },
  { path: name.map((n) => `/v1/sync/functions/${n}/rpc`), methods: ['GET', 'POST'], body: objectBody },
  { path: fc.constant('/v1/executions'), methods: ['GET'] },
  { path: id.map((i) => `/v1/executions/${i}`), methods: ['GET', 'DELETE'] },
  { path: fc.constant('/v1/executions/bulk'), methods: ['POST'], body: arrayBody },
  { path: fc.constant('/v1/tokens'), methods: ['GET', 'POST'], body: objectBody },
  { path: id.map((i) => `/v1/tokens/${i}`), methods: ['DELETE'] },
  { path: fc.array(segment(text), { maxLength: 5 }).map((parts) => `/${parts.join('/')}`), methods: ['GET', 'POST'] },
];

/** A method, path and body for one route: mostly what it answers and reads, sometimes anything. */
const routed = fc.oneof(
  ...routes.map((route) =>
    fc.record({
      method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: method }),
      path: fc
        .tuple(route.path, fc.constantFrom('', '', '', '/', '//'), query)
        .map(([shape, tail, q]) => `${shape}${tail}${q}`),
      body: route.body ? fc.oneof({ weight: 2, arbitrary: route.body }, { weight: 1, arbitrary: anyBody }) : anyBody,
    }),
  ),
);

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain',
      'application/x-www-form-urlencoded', 'application/vnd.api+json', 'image/png', 'multipart/form-data; boundary=x',
      'application/xml', '', ';', 'json', 'application/json, text/plain',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abcjson/+;=- '.split('')), maxLength: 30 }) },
);

const authorization = (adminToken: string): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 16, arbitrary: fc.constant(`Token ${adminToken}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${adminToken}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('Token', 'Basic dXNlcjpwYXNz', `token  ${adminToken}  `, `Token ${adminToken}x`, 'Bearer \t') },
    { weight: 1, arbitrary: asciiText.map((t) => `Token ${t.replace(/[^\x20-\x7e]/g, '')}`) },
  );

// Header names and values node:http will send: token characters, and printable ASCII.
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).map((n) => `x-${n}`);
const headerValue = fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((v) => v.replace(/[^\x20-\x7e]/g, '').trim());

const oversize = fc.oneof(
  { weight: 100, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.integer({ min: 17_000, max: 40_000 }).map((n) => ({ header: 'a'.repeat(n), path: undefined })) },
  { weight: 1, arbitrary: fc.integer({ min: 17_000, max: 40_000 }).map((n) => ({ header: undefined, path: `/v1/functions/${'a'.repeat(n)}` })) },
);

/** Requests shaped like the API's, with every part open to mutation; the admin token in most of them. */
export function badRequests(adminToken: string): fc.Arbitrary<BadRequest> {
  return fc
    .record({
      routed,
      chunked: fc.boolean(),
      contentType,
      contentEncoding: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('gzip', 'identity', 'br', 'x') }),
      authorization: authorization(adminToken),
      extra: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      oversize,
    })
    .map((r) => {
      const { method, path, body } = r.routed;
      const headers: Record<string, string> = { ...r.extra };
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.contentEncoding !== undefined) headers['content-encoding'] = r.contentEncoding;
      if (r.authorization !== undefined) headers.authorization = r.authorization;
      if (r.oversize?.header !== undefined) headers['x-pad'] = r.oversize.header;
      return {
        method,
        path: r.oversize?.path ?? path,
        headers,
        body,
        chunked: body !== undefined && r.chunked,
        oversized: r.oversize !== undefined,
      };
    });
}
