import Router from '@koa/router';
import type { Context } from 'koa';
import { CallbackTargetError, checkCallbackUrl } from '../../callbacks/callback-target.js';
import { NOT_STARTED, type EnqueueOptions } from '../../engine/executor.js';
import { ApiError, type ErrorCode } from '../../errors.js';
import { assertFunctionName } from '../../functions/function-name.js';
import type { StoredExecution, StoredFunction } from '../../store/store.js';
import type { ApiDeps, ApiState } from '../deps.js';
import { describeJson, readArrayBody, readObjectBody } from '../request-body.js';
import { wireExecution } from '../wire.js';

/** Running functions: blocking (`/v1/sync/...`), non-blocking, and in bulk. */
export function runRoutes(deps: ApiDeps): Router<ApiState> {
  const { config, store, executor } = deps;
  const router = new Router<ApiState>();

  async function target(ctx: Context & { state: ApiState; params: Record<string, string | undefined> }): Promise<StoredFunction> {
    const name = assertFunctionName(ctx.params.name);
    const fn = await store.getFunction(ctx.state.caller.namespace, name);
    if (!fn) throw new ApiError('FUNCTION_NOT_FOUND', `No function named ${JSON.stringify(name)} in this namespace`);
    return fn;
  }

  /** Query-string arguments: every value a string; a repeated key keeps its last value. */
  function queryArgs(ctx: Context): string {
    const args = new Map<string, string>();
    for (const [key, value] of Object.entries(ctx.query)) {
      const last = Array.isArray(value) ? value[value.length - 1] : value;
      if (last !== undefined) args.set(key, last);
    }
    // fromEntries defines every key as its own property: assigned to a plain object, `__proto__` would
    // set the prototype instead, and the argument would be lost.
    return JSON.stringify(Object.fromEntries(args));
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

  async function runAndAnswer(ctx: Context, fn: StoredFunction, args: string): Promise<void> {
    refuseCallback(ctx);
    const record = await executor.runBlocking(fn, args);
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

  router.get('/v1/sync/functions/:name/rpc', async (ctx) => {
    const fn = await target(ctx);
    await runAndAnswer(ctx, fn, queryArgs(ctx));
  });

  router.post('/v1/sync/functions/:name/rpc', async (ctx) => {
    const fn = await target(ctx);
    const args = await readObjectBody(ctx, config.maxBodyBytes);
    await runAndAnswer(ctx, fn, JSON.stringify(args));
  });

  router.get('/v1/functions/:name/rpc', async (ctx) => {
    const fn = await target(ctx);
    const options = enqueueOptions(ctx);
    const [id] = await executor.enqueue(fn, [queryArgs(ctx)], options);
    ctx.body = JSON.stringify(id);
    ctx.type = 'application/json';
  });

  router.post('/v1/functions/:name/rpc', async (ctx) => {
    const fn = await target(ctx);
    const options = enqueueOptions(ctx);
    const args = await readObjectBody(ctx, config.maxBodyBytes);
    const [id] = await executor.enqueue(fn, [JSON.stringify(args)], options);
    ctx.body = JSON.stringify(id);
    ctx.type = 'application/json';
  });

  router.post('/v1/functions/:name/bulk_rpc', async (ctx) => {
    const fn = await target(ctx);
    const options = enqueueOptions(ctx);
    const items = await readArrayBody(ctx, config.maxBodyBytes);
    if (items.length === 0) throw new ApiError('INVALID_REQUEST', 'bulk_rpc needs at least one item: send a JSON array of argument objects');
    if (items.length > config.maxBulk) {
      throw new ApiError('INVALID_REQUEST', `bulk_rpc takes at most ${config.maxBulk} items (FAASPOT_MAX_BULK); got ${items.length}: split the request`);
    }
    const argsList = items.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new ApiError('INVALID_REQUEST', `Item ${index} of the bulk is ${describeJson(item)}; every item must be a JSON object of arguments`, { index });
      }
      return JSON.stringify(item);
    });
    ctx.body = await executor.enqueue(fn, argsList, options);
  });

  return router;
}
