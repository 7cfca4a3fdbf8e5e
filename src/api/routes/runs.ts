import Router from '@koa/router';
import type { Context } from 'koa';
import { CallbackTargetError, checkCallbackUrl } from '../../callbacks/callback-target.js';
import { NOT_STARTED, type EnqueueOptions } from '../../engine/executor.js';
import { ApiError, type ErrorCode } from '../../errors.js';
import { assertFunctionName } from '../../functions/function-name.js';
import {
  IdempotencyKeyTakenError,
  type IdempotentRoute,
  type StoredExecution,
  type StoredFunction,
  type StoredIdempotencyKey,
} from '../../store/store.js';
import type { ApiDeps, ApiState } from '../deps.js';
import { hasIdempotencyKey, IDEMPOTENCY_KEY_HEADER, readIdempotencyKey, REPLAYED_HEADER, requestFingerprint } from '../idempotency-key.js';
import { describeJson, readArrayBody, readObjectBody } from '../request-body.js';
import { wireExecution } from '../wire.js';

/** The arguments of the runs of a request: as stored (JSON object texts) and as parsed, to fingerprint. */
interface RunArgs {
  texts: string[];
  values: readonly unknown[];
}

/** Running functions: blocking (`/v1/sync/...`), non-blocking, and in bulk. */
export function runRoutes(deps: ApiDeps): Router<ApiState> {
  const { config, store, executor } = deps;
  const router = new Router<ApiState>();

  type RunContext = Context & { state: ApiState; params: Record<string, string | undefined> };

  async function target(ctx: RunContext): Promise<StoredFunction> {
    const name = assertFunctionName(ctx.params.name);
    const fn = await store.getFunction(ctx.state.caller.namespace, name);
    if (!fn) throw new ApiError('FUNCTION_NOT_FOUND', `No function named ${JSON.stringify(name)} in this namespace`);
    return fn;
  }

  /** Query-string arguments: every value a string; a repeated key keeps its last value. */
  function queryArgs(ctx: Context): Record<string, string> {
    const args = new Map<string, string>();
    for (const [key, value] of Object.entries(ctx.query)) {
      const last = Array.isArray(value) ? value[value.length - 1] : value;
      if (last !== undefined) args.set(key, last);
    }
    // fromEntries defines every key as its own property: assigned to a plain object, `__proto__` would
    // set the prototype instead, and the argument would be lost.
    return Object.fromEntries(args);
  }

  /**
   * The options of a non-blocking run from its headers: `X-Callback-Url`, checked against the
   * allowlist, as the URL that will be requested.
   */
  function enqueueOptions(ctx: Context): EnqueueOptions {
    const values = ctx.req.headersDistinct['x-callback-url'];
    if (values === undefined || values.length === 0) return {};
    if (values.length > 1) {
      throw new ApiError('CALLBACK_URL_INVALID', `Send one X-Callback-Url header; got ${values.length}. Each execution has one callback URL`);
    }
    try {
      return { callbackUrl: checkCallbackUrl(values[0] ?? '', config.callbackAllowlist).href };
    } catch (error) {
      if (error instanceof CallbackTargetError) {
        throw new ApiError(error.reason === 'invalid' ? 'CALLBACK_URL_INVALID' : 'CALLBACK_URL_FORBIDDEN', error.message);
      }
      throw error;
    }
  }

  /** A blocking run answers its caller itself: a callback URL there is a mistake worth saying. */
  function refuseCallback(ctx: Context): void {
    if (ctx.req.headersDistinct['x-callback-url'] === undefined) return;
    throw new ApiError(
      'CALLBACK_URL_INVALID',
      'X-Callback-Url is taken by non-blocking runs only (/v1/functions/<name>/rpc and bulk_rpc); a blocking run answers with its output',
    );
  }

  /** The arguments of each run of a bulk. */
  async function bulkArgs(ctx: Context): Promise<RunArgs> {
    const items = await readArrayBody(ctx, config.maxBodyBytes);
    if (items.length === 0) throw new ApiError('INVALID_REQUEST', 'bulk_rpc needs at least one item: send a JSON array of argument objects');
    if (items.length > config.maxBulk) {
      throw new ApiError('INVALID_REQUEST', `bulk_rpc takes at most ${config.maxBulk} items (FAASPOT_MAX_BULK); got ${items.length}: split the request`);
    }
    const texts = items.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new ApiError('INVALID_REQUEST', `Item ${index} of the bulk is ${describeJson(item)}; every item must be a JSON object of arguments`, { index });
      }
      return JSON.stringify(item);
    });
    return { texts, values: items };
  }

  /** One run's arguments, as read from the request. */
  function singleArgs(value: Record<string, unknown>): RunArgs {
    return { texts: [JSON.stringify(value)], values: [value] };
  }

  /**
   * Starts a non-blocking run or a bulk and resolves with the ids of its executions. With an
   * `Idempotency-Key`, a request that repeats an earlier one of the namespace with the key resolves
   * with that one's ids, marked `Idempotent-Replayed: true`, and runs nothing; the key with another
   * request is a 422. The earlier request is answered as it was even if its function was deleted or
   * renamed since, so the key is looked up before the function.
   *
   * The `X-Callback-Url` is part of the request: it is checked before the key is looked up, and a
   * request with the key and another callback URL (or none where the first had one) is a 422 like
   * one with other arguments. A replay registers no callback and leaves the stored one as it was.
   */
  async function start(ctx: RunContext, route: IdempotentRoute, readArgs: () => Promise<RunArgs>): Promise<string[]> {
    const key = readIdempotencyKey(ctx);
    if (key === undefined) {
      const fn = await target(ctx);
      const options = enqueueOptions(ctx);
      return executor.enqueue(fn, (await readArgs()).texts, options);
    }
    const functionName = assertFunctionName(ctx.params.name);
    const options = enqueueOptions(ctx);
    const { texts: argsList, values } = await readArgs();
    const namespace = ctx.state.caller.namespace;
    const fingerprint = requestFingerprint(route, functionName, values, options.callbackUrl);
    const request = { namespace, key, route, functionName, fingerprint };
    const now = Date.now();
    const expiredBefore = new Date(now - config.idempotencyTtlSeconds * 1000).toISOString();
    const earlier = await store.findIdempotencyKey(namespace, key, expiredBefore);
    if (earlier) return replay(ctx, request, earlier);
    const fn = await target(ctx);
    try {
      return await executor.enqueue(fn, argsList, { ...options, idempotency: { ...request, created: new Date(now).toISOString(), expiredBefore } });
    } catch (error) {
      if (!(error instanceof IdempotencyKeyTakenError)) throw error;
      // A request with the key committed first, since the look-up above: it is the one that ran.
      const winner = await store.findIdempotencyKey(namespace, key, expiredBefore);
      if (!winner) throw error;
      return replay(ctx, request, winner);
    }
  }

  /** The ids of the earlier request with the key, if this request is the same; else a 422. */
  function replay(ctx: Context, request: { key: string; route: IdempotentRoute; functionName: string; fingerprint: string }, earlier: StoredIdempotencyKey): string[] {
    if (earlier.fingerprint !== request.fingerprint) {
      const first = `${earlier.route === 'rpc' ? 'a run' : 'a bulk_rpc'} of ${JSON.stringify(earlier.functionName)}`;
      const sameTarget = earlier.route === request.route && earlier.functionName === request.functionName;
      throw new ApiError(
        'IDEMPOTENCY_KEY_REUSED',
        `The ${IDEMPOTENCY_KEY_HEADER} ${JSON.stringify(request.key)} was first sent at ${earlier.created} with ${first}` +
          `${sameTarget ? ' with other arguments or another X-Callback-Url' : ''}, and stands for that request only: send a new request with a new key, ` +
          'or the first request again, unchanged, to get its executions',
      );
    }
    ctx.set(REPLAYED_HEADER, 'true');
    return earlier.executionIds;
  }

  /** Blocking runs take no key: their answer is the run's outcome, which a retry could only get by running again. */
  function refuseIdempotencyKey(ctx: Context): void {
    if (!hasIdempotencyKey(ctx)) return;
    throw new ApiError(
      'INVALID_IDEMPOTENCY_KEY',
      `Blocking runs (/v1/sync/...) do not take an ${IDEMPOTENCY_KEY_HEADER}: a retried blocking run runs again. Send the key with a ` +
        'non-blocking run (/v1/functions/<name>/rpc) instead, and wait for its execution with GET /v1/executions/<id>?wait=60',
    );
  }

  async function runAndAnswer(ctx: Context, fn: StoredFunction, args: string): Promise<void> {
    refuseCallback(ctx);
    const record = await executor.runBlocking(fn, args);
    ctx.state.executionId = record.id;
    ctx.set('X-Execution-Id', record.id);
    if (record.status === 'completed') {
      ctx.type = 'application/json';
      ctx.body = record.output ?? 'null';
      return;
    }
    throw new ApiError(...blockingFailure(fn, record), { execution: wireExecution(record) }, { 'X-Execution-Id': record.id });
  }

  /** The error code and message of a blocking run that did not complete. */
  function blockingFailure(fn: StoredFunction, record: StoredExecution): [ErrorCode, string] {
    const error = record.error;
    // Only the engine gives a record the `cancelled` status, so a function cannot pose as these.
    if (record.status === 'cancelled' && error?.type === NOT_STARTED.queueTimeout) {
      return ['QUEUE_FULL', `${fn.name} did not run: ${error.message}. Retry after the time in the Retry-After header.`];
    }
    if (record.status === 'cancelled' && error?.type === NOT_STARTED.shutdown) {
      return ['SHUTTING_DOWN', `${fn.name} did not run: ${error.message}. Retry after the time in the Retry-After header.`];
    }
    if (error?.type === 'Timeout') return ['FUNCTION_TIMEOUT', `${fn.name} did not finish within its timeout of ${fn.timeoutSeconds} s`];
    return ['FUNCTION_FAILED', `${fn.name} failed: ${error?.type ?? 'Error'}: ${error?.message ?? ''}`.trimEnd()];
  }

  // An empty name leaves an empty path segment, which no `:name` matches: say so rather than "no route".
  router.all(['/v1/sync/functions//rpc', '/v1/functions//rpc', '/v1/functions//bulk_rpc'], () => {
    assertFunctionName('');
  });

  // A GET on these routes runs the function; Koa's router would answer HEAD with the same handler,
  // running it for a client that asked only for headers (a link checker, a proxy's probe).
  router.head(['/v1/sync/functions/:name/rpc', '/v1/functions/:name/rpc'], () => {
    throw new ApiError('METHOD_NOT_ALLOWED', 'HEAD would run the function without showing its result: use GET or POST to run it', undefined, {
      Allow: 'GET, POST',
    });
  });

  // The key is refused before the function is looked up: a 400 whatever the name.
  router.get('/v1/sync/functions/:name/rpc', async (ctx) => {
    refuseIdempotencyKey(ctx);
    const fn = await target(ctx);
    await runAndAnswer(ctx, fn, JSON.stringify(queryArgs(ctx)));
  });

  router.post('/v1/sync/functions/:name/rpc', async (ctx) => {
    refuseIdempotencyKey(ctx);
    const fn = await target(ctx);
    const args = await readObjectBody(ctx, config.maxBodyBytes);
    await runAndAnswer(ctx, fn, JSON.stringify(args));
  });

  router.get('/v1/functions/:name/rpc', async (ctx) => {
    const [id] = await start(ctx, 'rpc', () => Promise.resolve(singleArgs(queryArgs(ctx))));
    ctx.state.executionId = id;
    ctx.body = JSON.stringify(id);
    ctx.type = 'application/json';
  });

  router.post('/v1/functions/:name/rpc', async (ctx) => {
    const [id] = await start(ctx, 'rpc', async () => singleArgs(await readObjectBody(ctx, config.maxBodyBytes)));
    ctx.state.executionId = id;
    ctx.body = JSON.stringify(id);
    ctx.type = 'application/json';
  });

  router.post('/v1/functions/:name/bulk_rpc', async (ctx) => {
    ctx.body = await start(ctx, 'bulk_rpc', () => bulkArgs(ctx));
  });

  return router;
}
