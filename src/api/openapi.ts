import { MIN_MEMORY_MIB, type Config } from '../config.js';
import { errorCodes, type ErrorCode } from '../errors.js';
import { packageVersion } from '../package-version.js';
import { MAX_CALLBACK_URL_LENGTH } from '../callbacks/callback-target.js';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency-key.js';
import { USABLE_REQUEST_ID } from './middleware/request-log.js';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The OpenAPI 3.1 document of the HTTP API, as plain JSON data. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Partial<Record<Method, Record<string, unknown>>>>;
  components: Record<'schemas' | 'parameters' | 'headers' | 'responses' | 'securitySchemes', Record<string, unknown>>;
}

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type Tag = 'functions' | 'runs' | 'executions' | 'callbacks' | 'tokens' | 'admin' | 'service';
type HeaderName = 'X-Request-Id' | 'X-Execution-Id' | 'X-Next-Cursor' | 'Retry-After' | 'Allow' | 'Idempotent-Replayed';

/** One route as the document describes it; what every route shares is added by {@link operation}. */
interface OperationSpec {
  method: Method;
  /** The OpenAPI path: `{name}` where the router has `:name`. */
  path: string;
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /** Served without a token. */
  open?: boolean;
  /** Admin tokens only: others get 403 FORBIDDEN. */
  admin?: boolean;
  parameters?: readonly JsonSchema[];
  body?: { description: string; schema: JsonSchema; required: boolean };
  ok: { description: string; schema: JsonSchema; headers?: readonly HeaderName[] };
  /** The errors particular to this route; those that any route, body or token check can answer are added. */
  errors?: readonly ErrorCode[];
}

const ref = (kind: 'schemas' | 'parameters' | 'headers' | 'responses', name: string): JsonSchema => ({ $ref: `#/components/${kind}/${name}` });
const schema = (name: string): JsonSchema => ref('schemas', name);
const parameter = (name: string): JsonSchema => ref('parameters', name);
const arrayOf = (items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({ type: 'array', items, ...extra });
const timestamp = (description: string, nullable = false): JsonSchema => ({
  type: nullable ? ['string', 'null'] : 'string',
  format: 'date-time',
  description,
});

/** Headers that come with some error codes; the codes' responses list them. */
const HEADERS_BY_CODE: Partial<Record<ErrorCode, readonly HeaderName[]>> = {
  METHOD_NOT_ALLOWED: ['Allow'],
  QUEUE_FULL: ['Retry-After'],
  SHUTTING_DOWN: ['Retry-After'],
  NOT_READY: ['Retry-After'],
  FUNCTION_FAILED: ['X-Execution-Id'],
  FUNCTION_TIMEOUT: ['X-Execution-Id'],
};

/** A request id as the server keeps it. */
const REQUEST_ID: JsonSchema = { type: 'string', pattern: USABLE_REQUEST_ID.source };

/** Codes whose body always carries the execution record in `execution`. */
const CODES_WITH_EXECUTION: ReadonlySet<ErrorCode> = new Set(['FUNCTION_FAILED', 'FUNCTION_TIMEOUT', 'EXECUTION_ENDED']);

/** What a run may meet before it starts: no such function, or a server that takes no more work. */
const RUN_ERRORS: readonly ErrorCode[] = ['INVALID_NAME', 'FUNCTION_NOT_FOUND', 'QUEUE_FULL', 'SHUTTING_DOWN'];
/** A blocking run refuses `Idempotency-Key` and `X-Callback-Url`. */
const BLOCKING_RUN_ERRORS: readonly ErrorCode[] = [...RUN_ERRORS, 'INVALID_IDEMPOTENCY_KEY', 'CALLBACK_URL_INVALID', 'FUNCTION_FAILED', 'FUNCTION_TIMEOUT'];
/**
 * What a non-blocking run or a bulk may also meet: a malformed Idempotency-Key, or one sent with
 * another request; a callback URL that is malformed or not allowed.
 */
const START_ERRORS: readonly ErrorCode[] = [
  ...RUN_ERRORS,
  'INVALID_IDEMPOTENCY_KEY',
  'IDEMPOTENCY_KEY_REUSED',
  'CALLBACK_URL_INVALID',
  'CALLBACK_URL_FORBIDDEN',
];
const CODE_CHECK_ERRORS: readonly ErrorCode[] = ['INVALID_CODE', 'INVALID_MAIN', 'INVALID_CONTEXT'];

/**
 * The OpenAPI 3.1 document of the HTTP API, served at `GET /v1/openapi.json`. Limits come from
 * `config`, so the document describes the server that serves it; the error codes come from the
 * registry in `errors.ts`, so a new code appears here without an edit.
 *
 * @example const document = openApiDocument(loadConfig());
 */
export function openApiDocument(config: Config): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const spec of operations(config)) {
    (paths[spec.path] ??= {})[spec.method] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'FaaSpot',
      version: packageVersion(),
      description: [
        'Self-hosted Function-as-a-Service for Python: upload a script with `def main(args, context)`, run it',
        'blocking or not, one call or thousands at a time, and read back execution records.',
        '',
        'Every route under `/v1` needs `Authorization: Token <token>` (or `Bearer <token>`); `/healthz` and',
        'this document do not. Every route answers with or without a trailing slash. Every success is 200.',
        'Every error is JSON `{"code", "message"}` with more fields where they help; the codes are stable',
        '(`ErrorCode`). A path that no route takes is a 404 `NOT_FOUND`, a method that its path does not',
        'take a 405 `METHOD_NOT_ALLOWED` with an `Allow` header, both before any token is checked. A URL',
        'whose percent-escapes do not decode as UTF-8 is a 400 `INVALID_REQUEST`. A body is read as JSON',
        'when its Content-Type is JSON, absent, `text/plain` or `application/x-www-form-urlencoded`.',
        '',
        'Functions and executions belong to the namespace of the token that created them; those of',
        'another namespace are a 404, never a 403.',
        '',
        'Every answer carries `X-Request-Id`: the request\'s own when it is 1 to 128 visible ASCII characters,',
        'else a new id; the server\'s log line of the request carries the same id. Metrics (`GET /metrics`, the',
        'Prometheus text format) are served on a listener of their own (`FAASPOT_METRICS_PORT`), not by this API.',
      ].join('\n'),
    },
    tags: [
      { name: 'functions', description: 'Create, read, update and delete functions.' },
      { name: 'runs', description: 'Run a function: blocking (`/v1/sync/...`), non-blocking, or in bulk.' },
      { name: 'executions', description: 'Read, list and cancel execution records.' },
      { name: 'callbacks', description: "The key that signs the token's namespace's completion callbacks." },
      { name: 'tokens', description: 'Token administration; admin tokens only.' },
      { name: 'admin', description: 'Server administration; admin tokens only.' },
      { name: 'service', description: 'Health and this document; no token needed.' },
    ],
    security: [{ token: [] }, { bearer: [] }],
    paths,
    components: {
      schemas: schemas(config),
      parameters: parameters(),
      headers: headers(),
      responses: errorResponsesByStatus(),
      securitySchemes: {
        token: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The header `Authorization: Token <token>`; the word `Token` in any case.',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'The same tokens as `Authorization: Bearer <token>`.' },
      },
    },
  };
}

/** Every route of the API; a test checks this list against the routers, both ways. */
function operations(config: Config): OperationSpec[] {
  const functionName = parameter('FunctionName');
  const executionId = parameter('ExecutionId');
  const runArgs = {
    description: 'The arguments of the run, a JSON object; an empty body is `{}`.',
    schema: schema('Arguments'),
    required: false,
  };
  const blockingOk = {
    description: "main's return value, as JSON.",
    schema: { description: "Whatever main returned: any JSON value." },
    headers: ['X-Execution-Id'] as const,
  };
  const nonBlockingOk = {
    description: 'The id of the execution, committed as `pending`; with a replayed `Idempotency-Key`, that of the first request.',
    schema: schema('ExecutionId'),
    headers: ['Idempotent-Replayed'] as const,
  };
  const callbackUrl = parameter('CallbackUrl');
  const nonBlockingDescription =
    'The execution is committed as `pending` before its id is answered, and survives a restart. With ' +
    '`X-Callback-Url`, its final record is POSTed there once it ends, signed (see `CallbackUrl`).';
  const blockingDescription =
    'Runs the function and waits for it to end. A function that raises, returns something JSON cannot ' +
    'represent or is cancelled is a 502 `FUNCTION_FAILED`; one that runs past its timeout a 504 ' +
    '`FUNCTION_TIMEOUT`; both bodies carry the `execution` record. An unknown function is a 404 before anything runs. ' +
    'An `Idempotency-Key` header is refused with a 400 `INVALID_IDEMPOTENCY_KEY`, before the function is looked up: send it with a non-blocking run.';
  const idempotentDescription =
    ' With an `Idempotency-Key` header, the request is remembered for `FAASPOT_IDEMPOTENCY_TTL` (at least 24 hours) in ' +
    'the namespace: sent again with the key, it is answered with the same ids and the header `Idempotent-Replayed: true`, ' +
    'and nothing runs again, nor is a second callback sent; the key with a different request (other arguments, ' +
    '`X-Callback-Url`, function or kind of run) is a 422 `IDEMPOTENCY_KEY_REUSED`.';
  const startParameters = [functionName, parameter('IdempotencyKey'), callbackUrl];
  return [
    {
      method: 'get',
      path: '/healthz',
      operationId: 'getHealth',
      tag: 'service',
      summary: 'Whether the process serves, and its workers',
      open: true,
      ok: { description: 'The process serves.', schema: schema('Health') },
    },
    {
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      tag: 'service',
      summary: 'Whether the server can run functions now',
      description: 'Ready: the database answers, the interpreters are warm and the server is not stopping. For readiness probes; `/healthz` is the liveness probe.',
      open: true,
      ok: { description: 'Ready.', schema: { type: 'object', required: ['status'], properties: { status: { const: 'ready' } } } },
      errors: ['NOT_READY'],
    },
    {
      method: 'get',
      path: '/v1/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'service',
      summary: 'This document',
      open: true,
      ok: { description: 'The OpenAPI 3.1 document of this API.', schema: { type: 'object', required: ['openapi', 'info', 'paths'] } },
    },
    {
      method: 'put',
      path: '/v1/functions',
      operationId: 'createFunction',
      tag: 'functions',
      summary: 'Create a function',
      description:
        'The code is compiled and its `main` checked, without running it. A name that is taken is a 409 `FUNCTION_EXISTS`.',
      body: { description: 'The new function.', schema: schema('NewFunction'), required: true },
      ok: { description: 'The function, version 1.', schema: schema('Function') },
      errors: ['INVALID_NAME', 'FUNCTION_EXISTS', ...CODE_CHECK_ERRORS],
    },
    {
      method: 'get',
      path: '/v1/functions',
      operationId: 'listFunctions',
      tag: 'functions',
      summary: "The namespace's functions, without code",
      ok: { description: 'The functions.', schema: arrayOf(schema('FunctionSummary')) },
    },
    {
      method: 'get',
      path: '/v1/functions/{name}',
      operationId: 'getFunction',
      tag: 'functions',
      summary: 'One function with its code',
      description: "The context's keys are shown, never its values.",
      parameters: [functionName],
      ok: { description: 'The function.', schema: schema('Function') },
      errors: ['INVALID_NAME', 'FUNCTION_NOT_FOUND'],
    },
    {
      method: 'patch',
      path: '/v1/functions/{name}',
      operationId: 'updateFunction',
      tag: 'functions',
      summary: 'Update a function',
      description: 'Sends any of the fields; `name` renames. The version grows by one, and interpreters of the old version are retired.',
      parameters: [functionName],
      body: { description: 'The fields to change.', schema: schema('FunctionUpdate'), required: true },
      ok: { description: 'The function as it is now.', schema: schema('Function') },
      errors: ['INVALID_NAME', 'FUNCTION_NOT_FOUND', 'FUNCTION_EXISTS', ...CODE_CHECK_ERRORS],
    },
    {
      method: 'delete',
      path: '/v1/functions/{name}',
      operationId: 'deleteFunction',
      tag: 'functions',
      summary: 'Delete a function',
      description: 'Its pending executions become `cancelled`.',
      parameters: [functionName],
      ok: { description: 'The deleted function.', schema: schema('DeletedFunction') },
      errors: ['INVALID_NAME', 'FUNCTION_NOT_FOUND'],
    },
    {
      method: 'get',
      path: '/v1/sync/functions/{name}/rpc',
      operationId: 'runFunctionWithQuery',
      tag: 'runs',
      summary: 'Run and wait; arguments from the query string',
      description: blockingDescription,
      parameters: [functionName, parameter('QueryArguments')],
      ok: blockingOk,
      errors: BLOCKING_RUN_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/sync/functions/{name}/rpc',
      operationId: 'runFunction',
      tag: 'runs',
      summary: 'Run and wait; arguments from the body',
      description: blockingDescription,
      parameters: [functionName],
      body: runArgs,
      ok: blockingOk,
      errors: BLOCKING_RUN_ERRORS,
    },
    {
      method: 'get',
      path: '/v1/functions/{name}/rpc',
      operationId: 'startFunctionWithQuery',
      tag: 'runs',
      summary: 'Run without waiting; arguments from the query string',
      description: nonBlockingDescription + idempotentDescription,
      parameters: [...startParameters, parameter('QueryArguments')],
      ok: nonBlockingOk,
      errors: START_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/functions/{name}/rpc',
      operationId: 'startFunction',
      tag: 'runs',
      summary: 'Run without waiting; arguments from the body',
      description: nonBlockingDescription + idempotentDescription,
      parameters: startParameters,
      body: runArgs,
      ok: nonBlockingOk,
      errors: START_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/functions/{name}/bulk_rpc',
      operationId: 'startFunctionBulk',
      tag: 'runs',
      summary: 'Run once per item, without waiting',
      description: 'One execution per item, all accepted or none. With `X-Callback-Url`, one callback per execution.' + idempotentDescription,
      parameters: startParameters,
      body: {
        description: `The arguments of each run: 1 to ${config.maxBulk} objects (\`FAASPOT_MAX_BULK\`).`,
        schema: arrayOf(schema('Arguments'), { minItems: 1, maxItems: config.maxBulk }),
        required: true,
      },
      ok: {
        description: 'The ids of the executions, in the order of the items; with a replayed `Idempotency-Key`, those of the first request.',
        schema: arrayOf(schema('ExecutionId'), { minItems: 1 }),
        headers: ['Idempotent-Replayed'],
      },
      errors: START_ERRORS,
    },
    {
      method: 'get',
      path: '/v1/executions',
      operationId: 'listExecutions',
      tag: 'executions',
      summary: 'Execution records, newest first',
      description:
        'Pending and running ones, or all with `include_completed=true`, or those of `status`. When a page is ' +
        'full, or ends early because its records hold more than `FAASPOT_MAX_RESPONSE` bytes (' +
        `${config.maxResponseBytes} here; one record is always answered), the header \`X-Next-Cursor\` holds the ` +
        '`cursor` of the next page.',
      parameters: ['IncludeCompleted', 'Status', 'FunctionFilter', 'Limit', 'Cursor'].map(parameter),
      ok: { description: 'The records.', schema: arrayOf(schema('Execution')), headers: ['X-Next-Cursor'] },
    },
    {
      method: 'post',
      path: '/v1/executions/bulk',
      operationId: 'getExecutions',
      tag: 'executions',
      summary: 'Several execution records at once',
      body: {
        description: `The ids, at most ${config.maxBulk}.`,
        schema: arrayOf({ type: 'string' }, { maxItems: config.maxBulk }),
        required: true,
      },
      ok: {
        description: 'The records in the order of the ids; `null` for an id unknown in this namespace.',
        schema: arrayOf({ anyOf: [schema('Execution'), { type: 'null' }] }),
      },
      errors: ['RESPONSE_TOO_LARGE'],
    },
    {
      method: 'get',
      path: '/v1/executions/{id}',
      operationId: 'getExecution',
      tag: 'executions',
      summary: 'One execution record',
      description: 'With `wait`, the request is held until the execution ends or the time is up, whichever is first.',
      parameters: [executionId, parameter('Wait')],
      ok: { description: 'The record.', schema: schema('Execution') },
      errors: ['EXECUTION_NOT_FOUND', 'METHOD_NOT_ALLOWED'],
    },
    {
      method: 'delete',
      path: '/v1/executions/{id}',
      operationId: 'cancelExecution',
      tag: 'executions',
      summary: 'Cancel an execution',
      description:
        'A pending execution is cancelled at once, a running one is stopped. One that had already ended is a ' +
        '409 `EXECUTION_ENDED`, with its record.',
      parameters: [executionId],
      ok: { description: 'The record, `cancelled`.', schema: schema('Execution') },
      errors: ['EXECUTION_NOT_FOUND', 'EXECUTION_ENDED', 'METHOD_NOT_ALLOWED'],
    },
    {
      method: 'post',
      path: '/v1/tokens',
      operationId: 'createToken',
      tag: 'tokens',
      summary: 'Create a token',
      description: 'The token itself is in this answer only; the server keeps its hash.',
      admin: true,
      body: { description: 'The namespace of the new token.', schema: schema('NewToken'), required: true },
      ok: { description: 'The token, with its secret.', schema: schema('CreatedToken') },
    },
    {
      method: 'get',
      path: '/v1/tokens',
      operationId: 'listTokens',
      tag: 'tokens',
      summary: 'All tokens, without secrets',
      admin: true,
      ok: { description: 'The tokens.', schema: arrayOf(schema('Token')) },
    },
    {
      method: 'delete',
      path: '/v1/tokens/{id}',
      operationId: 'revokeToken',
      tag: 'tokens',
      summary: 'Revoke a token',
      description: 'Requests with the token fail from then on. The only admin token cannot be revoked.',
      admin: true,
      parameters: [parameter('TokenId')],
      ok: { description: 'The revoked token.', schema: schema('RevokedToken') },
      errors: ['TOKEN_NOT_FOUND', 'LAST_ADMIN_TOKEN'],
    },
    {
      method: 'get',
      path: '/v1/callback-secret',
      operationId: 'getCallbackSecret',
      tag: 'callbacks',
      summary: "The key that signs this namespace's completion callbacks",
      description:
        'Receivers check `X-Faaspot-Signature: sha256=<hex>` against the HMAC-SHA256 of the body under the UTF-8 ' +
        "bytes of this key. Each namespace has a key of its own, derived from the server's root secret " +
        '(`FAASPOT_CALLBACK_SECRET`, or the one generated into the data directory) as the hex ' +
        'HMAC-SHA256(root, "faaspot callback key v1\\n" + namespace); the root secret itself is never served. ' +
        'Answered with `Cache-Control: no-store`.',
      ok: { description: "The token's namespace and its key.", schema: schema('CallbackKey') },
    },
    {
      method: 'get',
      path: '/v1/admin/callback-secret',
      operationId: 'getNamespaceCallbackSecret',
      tag: 'admin',
      summary: "The key that signs a namespace's completion callbacks",
      description:
        'As `GET /v1/callback-secret`, for any namespace: `?namespace=NAME`, by default the admin token\'s own. ' +
        'Also says where the root secret comes from; the root secret itself is never served.',
      admin: true,
      parameters: [parameter('NamespaceQuery')],
      ok: { description: 'The namespace, its key, and the source of the root secret.', schema: schema('AdminCallbackKey') },
    },
  ];
}

/** The OpenAPI operation of a spec, with the errors that any route, token or body check can answer. */
function operation(spec: OperationSpec): Record<string, unknown> {
  const errors: ErrorCode[] = ['INVALID_REQUEST', 'INTERNAL', ...(spec.errors ?? [])];
  if (!spec.open) errors.push('UNAUTHENTICATED');
  if (spec.admin) errors.push('FORBIDDEN');
  if (spec.body) errors.push('UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE');
  return {
    operationId: spec.operationId,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description !== undefined && { description: spec.description }),
    ...(spec.open && { security: [] }),
    parameters: [...(spec.parameters ?? []), parameter('RequestId')],
    ...(spec.body && {
      requestBody: {
        description: spec.body.description,
        required: spec.body.required,
        content: { 'application/json': { schema: spec.body.schema } },
      },
    }),
    responses: {
      200: {
        description: spec.ok.description,
        headers: headerRefs(['X-Request-Id', ...(spec.ok.headers ?? [])]),
        content: { 'application/json': { schema: spec.ok.schema } },
      },
      ...errorResponses(errors),
    },
  };
}

/** One response per HTTP status, each naming its codes, in the registry's order. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, unknown> {
  const wanted = new Set(codes);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(errorCodes) as ErrorCode[]) {
    if (!wanted.has(code)) continue;
    const status = errorCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    responses[String(status)] = errorResponse(byStatus.get(status) ?? []);
  }
  return responses;
}

function errorResponse(codes: readonly ErrorCode[]): Record<string, unknown> {
  const headerNames: HeaderName[] = ['X-Request-Id', ...new Set(codes.flatMap((code) => HEADERS_BY_CODE[code] ?? []))];
  const withExecution = codes.every((code) => CODES_WITH_EXECUTION.has(code));
  return {
    description: codes.map((code) => `\`${code}\`: ${errorCodes[code].message}`).join('\n\n'),
    headers: headerRefs(headerNames),
    content: {
      'application/json': {
        schema: {
          allOf: [schema('Error'), { properties: { code: { enum: codes } }, ...(withExecution && { required: ['execution'] }) }],
        },
      },
    },
  };
}

/** Every code of the registry under its status, as reusable responses (`Error404` and so on). */
function errorResponsesByStatus(): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(errorResponses(Object.keys(errorCodes) as ErrorCode[]))) {
    responses[`Error${status}`] = response;
  }
  return responses;
}

function headerRefs(names: readonly HeaderName[]): Record<string, JsonSchema> {
  return Object.fromEntries(names.map((name) => [name, ref('headers', name)]));
}

function headers(): Record<HeaderName, unknown> {
  return {
    'X-Request-Id': {
      description: "The request's id, as in the server's log: the `X-Request-Id` sent, if usable, else a new one.",
      required: true,
      schema: REQUEST_ID,
    },
    'X-Execution-Id': {
      description: 'The id of the execution of a blocking run, on success and on failure.',
      required: true,
      schema: schema('ExecutionId'),
    },
    'X-Next-Cursor': {
      description: 'Present when the page is full: pass it as `cursor` to read the next page.',
      schema: { type: 'string', pattern: '^[0-9]+$' },
    },
    'Retry-After': {
      description: 'Seconds to wait before trying again.',
      schema: { type: 'string', pattern: '^[0-9]+$' },
    },
    Allow: {
      description: 'The methods the path answers, comma-separated.',
      required: true,
      schema: { type: 'string' },
    },
    'Idempotent-Replayed': {
      description:
        'Present, `true`, when the answer is that of an earlier request with the same `Idempotency-Key`: nothing new was ' +
        'stored or run. Absent on the first answer.',
      schema: { type: 'string', enum: ['true'] },
    },
  };
}

function parameters(): Record<string, JsonSchema> {
  return {
    RequestId: {
      name: 'X-Request-Id',
      in: 'header',
      description:
        "An id for the request, echoed in the answer and written in the server's log line of the request. " +
        'One that is longer than 128 characters or has anything but visible ASCII characters is replaced by a new id.',
      schema: REQUEST_ID,
    },
    FunctionName: { name: 'name', in: 'path', required: true, description: 'The function name.', schema: schema('FunctionName') },
    ExecutionId: {
      name: 'id',
      in: 'path',
      required: true,
      description: 'The execution id, as rpc and bulk_rpc answer it.',
      schema: schema('ExecutionId'),
    },
    TokenId: { name: 'id', in: 'path', required: true, description: 'The token id.', schema: { type: 'string', format: 'uuid' } },
    CallbackUrl: {
      name: 'X-Callback-Url',
      in: 'header',
      description:
        'Where to POST the final execution record once the run ends (one POST per execution of a bulk), as ' +
        '`GET /v1/executions/{id}` shows it, with `Content-Type: application/json`, `X-Faaspot-Signature: ' +
        'sha256=<hex HMAC-SHA256 of the body>` (the key, one per namespace: `GET /v1/callback-secret`), `X-Faaspot-Execution`, ' +
        '`X-Faaspot-Attempt` (from 1) and `X-Faaspot-Timestamp` (not signed). A 2xx answer delivers it; anything ' +
        'else is retried with exponential backoff, `FAASPOT_CALLBACK_RETRIES` times; redirects are not followed. ' +
        `An absolute http(s) URL without credentials, at most ${MAX_CALLBACK_URL_LENGTH} characters, whose host is public or listed in ` +
        '`FAASPOT_CALLBACK_ALLOWLIST`; the address connected to is checked again at each attempt.',
      schema: { type: 'string', format: 'uri', maxLength: MAX_CALLBACK_URL_LENGTH },
    },
    NamespaceQuery: {
      name: 'namespace',
      in: 'query',
      description: "The namespace whose key to show; by default the token's own. The rule of function names applies.",
      schema: schema('FunctionName'),
    },
    QueryArguments: {
      name: 'arguments',
      in: 'query',
      description: 'The arguments of the run, one query parameter each (`?k1=v1&k2=v2`): every value is a string; a repeated key keeps its last value.',
      style: 'form',
      explode: true,
      schema: { type: 'object', additionalProperties: { type: 'string' } },
    },
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      description:
        `Makes the request safe to retry: 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, such as a random UUID, chosen by the client ` +
        'for this request and sent again with each retry of it. Keys belong to the namespace and are remembered for ' +
        '`FAASPOT_IDEMPOTENCY_TTL` after their first use.',
      schema: { type: 'string', pattern: `^[\\x20-\\x7E]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`, examples: ['5f0c1e0a-8d5e-4f63-9a53-2f4f0b0c9d7e'] },
    },
    Wait: {
      name: 'wait',
      in: 'query',
      description: 'Hold the request up to this many seconds until the execution ends.',
      schema: { type: 'number', minimum: 0, maximum: 60, default: 0 },
    },
    IncludeCompleted: {
      name: 'include_completed',
      in: 'query',
      description: 'List ended executions too. `true`/`false` in any case, or `1`/`0`.',
      schema: { type: 'boolean', default: false },
    },
    Status: {
      name: 'status',
      in: 'query',
      description: 'Only executions in these statuses, comma-separated (`status=failed,cancelled`); overrides `include_completed`.',
      style: 'form',
      explode: false,
      schema: arrayOf(schema('ExecutionStatus'), { minItems: 1 }),
    },
    FunctionFilter: {
      name: 'function',
      in: 'query',
      description: 'Only executions of the function by this name.',
      schema: { type: 'string' },
    },
    Limit: {
      name: 'limit',
      in: 'query',
      description: 'Records per page.',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    Cursor: {
      name: 'cursor',
      in: 'query',
      description: 'Where the page starts: the `X-Next-Cursor` of the previous page.',
      schema: { type: 'integer', minimum: 1 },
    },
  };
}

function schemas(config: Config): Record<string, JsonSchema> {
  const codes = Object.keys(errorCodes) as ErrorCode[];
  const numericText = { type: 'string', pattern: '^\\s*[0-9.eE+-]+\\s*$', description: 'The number, written as a string.' };
  const functionFields = {
    name: schema('FunctionName'),
    version: { type: 'integer', minimum: 1, description: 'Grows by one on each update.' },
    context_keys: arrayOf({ type: 'string' }, { description: "The context's keys; its values are never shown." }),
    timeout: { type: 'number', description: 'Seconds a run may take.' },
    memory: { type: 'integer', description: "Cap on the interpreter's memory, MiB." },
    created: timestamp('When the function was created.'),
    updated: timestamp('When the function was last changed.'),
  };
  const writableFields = {
    code: {
      type: 'string',
      description:
        `Python source defining a top-level \`def main(args, context)\` (or \`async def\`), at most ${config.maxCodeBytes} bytes ` +
        '(`FAASPOT_MAX_CODE`); raw, or URL-quoted as `urllib.parse.quote(text.encode("utf-8"))`.',
    },
    context: {
      description: 'The context: the context file (lines `KEY = VALUE`) as text, raw or URL-quoted, or a JSON object.',
      anyOf: [{ type: 'string' }, { type: 'object' }, { type: 'null' }],
    },
    timeout: {
      description: `Seconds a run may take, above 0 and at most ${config.maxTimeoutSeconds}; default ${config.defaultTimeoutSeconds}.`,
      anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: config.maxTimeoutSeconds }, numericText, { type: 'null' }],
    },
    memory: {
      description: `Cap on the interpreter's memory, whole MiB from ${MIN_MEMORY_MIB} to ${config.maxMemoryMib}; default ${config.defaultMemoryMib}.`,
      anyOf: [{ type: 'integer', minimum: MIN_MEMORY_MIB, maximum: config.maxMemoryMib }, numericText, { type: 'null' }],
    },
  };
  const tokenFields = {
    id: { type: 'string', format: 'uuid' },
    namespace: { type: 'string', description: 'The namespace of what the token creates and sees.' },
    admin: { type: 'boolean', description: 'Whether the token may manage tokens.' },
    created: timestamp('When the token was created.'),
  };
  return {
    FunctionName: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      description: '1 to 64 letters, digits, `_`, `.` or `-`, starting with a letter or digit, without `..`.',
      examples: ['hello', 'hello.py'],
    },
    FunctionSummary: {
      type: 'object',
      required: Object.keys(functionFields),
      properties: functionFields,
    },
    Function: {
      type: 'object',
      required: [...Object.keys(functionFields), 'code'],
      properties: { ...functionFields, code: { type: 'string', description: 'The Python source.' } },
    },
    DeletedFunction: {
      type: 'object',
      required: [...Object.keys(functionFields), 'deleted', 'cancelled_executions'],
      properties: {
        ...functionFields,
        deleted: { const: true },
        cancelled_executions: { type: 'integer', minimum: 0, description: 'Pending executions that became `cancelled`.' },
      },
    },
    NewFunction: {
      type: 'object',
      required: ['name', 'code'],
      properties: { name: schema('FunctionName'), ...writableFields },
    },
    FunctionUpdate: {
      type: 'object',
      minProperties: 1,
      properties: { name: { ...schema('FunctionName'), description: 'A new name: renames the function.' }, ...writableFields },
    },
    Arguments: {
      type: 'object',
      description: "The run's arguments: `args` of `main(args, context)`.",
      additionalProperties: true,
    },
    ExecutionId: { type: 'string', format: 'uuid' },
    ExecutionStatus: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'cancelled'] },
    ExecutionError: {
      type: 'object',
      required: ['type', 'message', 'traceback'],
      properties: {
        type: {
          type: 'string',
          description:
            "The Python exception's class name, or one of `Timeout`, `Cancelled`, `ResultNotSerializable`, `OutputTooLarge`, " +
            '`MemoryLimitExceeded`, `ServerRestarted`, `SandboxViolation`, `RuntimeTampered`, `InterpreterCrashed`, `WorkerCrashed`.',
        },
        message: { type: 'string' },
        traceback: { type: ['string', 'null'] },
      },
    },
    Execution: {
      type: 'object',
      description: 'The execution record.',
      required: [
        'uuid', 'name', 'function_version', 'status', 'args', 'output', 'error',
        'logs', 'logs_truncated', 'created', 'started', 'finished', 'duration_ms', 'callback',
      ],
      properties: {
        uuid: schema('ExecutionId'),
        name: { type: 'string', description: 'The name of the function.' },
        function_version: { type: ['integer', 'null'], description: 'The version that ran: the one current when the execution started.' },
        status: schema('ExecutionStatus'),
        args: schema('Arguments'),
        output: { description: "main's return value; `null` unless `completed`." },
        error: { anyOf: [schema('ExecutionError'), { type: 'null' }] },
        logs: { type: 'string', description: 'What the run printed to stdout and stderr, up to `FAASPOT_LOG_CAP` bytes.' },
        logs_truncated: { type: 'boolean', description: 'Whether the logs were cut at the cap (the start is kept).' },
        created: timestamp('When the execution was created.'),
        started: timestamp('When it started; `null` until then.', true),
        finished: timestamp('When it ended; `null` until then.', true),
        duration_ms: { type: ['number', 'null'], description: 'How long `main` itself ran, ms.' },
        callback: { anyOf: [schema('ExecutionCallback'), { type: 'null' }], description: 'The completion callback; `null` without one.' },
      },
    },
    ExecutionCallback: {
      type: 'object',
      description: 'Where the final record is POSTed (the run\'s `X-Callback-Url`), and how the delivery stands.',
      required: ['url', 'state', 'attempts', 'last_error', 'next_attempt'],
      properties: {
        url: { type: 'string', format: 'uri' },
        state: {
          enum: ['pending', 'delivered', 'failed'],
          description: '`pending` until a receiver answered 2xx (`delivered`) or no more attempts will be made (`failed`).',
        },
        attempts: { type: 'integer', minimum: 0, description: 'Delivery attempts begun.' },
        last_error: { type: ['string', 'null'], description: 'How the last attempt failed (`HTTP 500`, a connection error, a refused address).' },
        next_attempt: timestamp('When the next attempt is due; `null` when none is scheduled.', true),
      },
    },
    CallbackKey: {
      type: 'object',
      required: ['namespace', 'secret'],
      properties: {
        namespace: { type: 'string', description: 'The namespace whose callbacks the key signs.' },
        secret: {
          type: 'string',
          pattern: '^[0-9a-f]{64}$',
          description: "The namespace's key, 64 hex digits; their UTF-8 bytes are the HMAC key of `X-Faaspot-Signature`.",
        },
      },
    },
    AdminCallbackKey: {
      type: 'object',
      required: ['namespace', 'secret', 'source'],
      properties: {
        namespace: { type: 'string', description: 'The namespace whose callbacks the key signs.' },
        secret: { type: 'string', pattern: '^[0-9a-f]{64}$', description: "The namespace's key, 64 hex digits." },
        source: {
          enum: ['environment', 'file'],
          description:
            'Where the root secret that every key is derived from comes from: `environment`, `FAASPOT_CALLBACK_SECRET`; ' +
            '`file`, generated on the first start into `<data dir>/callback-secret`.',
        },
      },
    },
    Token: { type: 'object', required: Object.keys(tokenFields), properties: tokenFields },
    NewToken: {
      type: 'object',
      required: ['namespace'],
      properties: {
        namespace: { ...schema('FunctionName'), description: 'The namespace; the rule of function names applies.' },
        admin: { type: 'boolean', default: false },
      },
    },
    CreatedToken: {
      type: 'object',
      required: [...Object.keys(tokenFields), 'token'],
      properties: { ...tokenFields, token: { type: 'string', description: 'The token; shown only here.' } },
    },
    RevokedToken: {
      type: 'object',
      required: [...Object.keys(tokenFields), 'revoked'],
      properties: { ...tokenFields, revoked: { const: true } },
    },
    Health: {
      type: 'object',
      required: ['status', 'warm', 'workers', 'running', 'queued', 'draining', 'pristine', 'warm_functions', 'cold_starts', 'snapshot'],
      properties: {
        status: { const: 'ok' },
        warm: { type: 'boolean', description: 'Every worker has had a pristine interpreter ready since start.' },
        workers: { type: 'integer', minimum: 0 },
        running: { type: 'integer', minimum: 0, description: 'Runs in progress, including those whose end is being recorded.' },
        queued: { type: 'integer', minimum: 0, description: 'Runs waiting for a worker, blocking and not.' },
        draining: { type: 'boolean', description: 'The server is stopping: it refuses new runs with 503 SHUTTING_DOWN.' },
        pristine: { type: 'integer', minimum: 0, description: 'Workers with a pristine interpreter ready now.' },
        warm_functions: { type: 'integer', minimum: 0, description: 'Function versions loaded across workers.' },
        cold_starts: { type: 'integer', minimum: 0, description: 'Runs since start that loaded their function first.' },
        snapshot: {
          enum: ['cached', 'made', 'none', 'pending'],
          description: 'Where interpreters come from: a snapshot read from the cache, made at this start, none, or not known yet.',
        },
      },
    },
    ErrorCode: {
      type: 'string',
      enum: codes,
      description: codes.map((code) => `\`${code}\` (${errorCodes[code].status}): ${errorCodes[code].message}`).join('\n\n'),
    },
    Error: {
      type: 'object',
      description: 'Every error answer. More fields appear where they help.',
      required: ['code', 'message'],
      properties: {
        code: schema('ErrorCode'),
        message: { type: 'string', description: 'What went wrong and what to do.' },
        line: { type: ['integer', 'null'], description: 'Code and context errors: the line, 1-based; `null` when Python gives none.' },
        column: { type: ['integer', 'null'], description: 'Code errors: the column; `null` when Python gives none.' },
        detail: { type: 'string', description: "Code errors: Python's own message." },
        key: { type: 'string', description: 'Context errors: the key at fault.' },
        index: { type: 'integer', description: 'Bulk requests: the item at fault, 0-based.' },
        parameter: { type: 'string', description: 'The query parameter at fault.' },
        execution: { ...schema('Execution'), description: 'Failed blocking runs and `EXECUTION_ENDED`: the execution record.' },
      },
    },
  };
}
