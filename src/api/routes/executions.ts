import Router from '@koa/router';
import { ApiError } from '../../errors.js';
import { parseBooleanParam } from '../../functions/query-boolean.js';
import { showText } from '../../functions/show-text.js';
import type { ExecutionStatus, StoredExecution } from '../../store/store.js';
import type { ApiDeps, ApiState } from '../deps.js';
import { readArrayBody } from '../request-body.js';
import { wireExecution } from '../wire.js';

const STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelled'];
const MAX_WAIT_SECONDS = 60;
const MAX_LIMIT = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A record's fields and punctuation besides its texts, counted generously. */
const RECORD_OVERHEAD_BYTES = 1024;

function notFound(id: string): ApiError {
  const hint = UUID.test(id) ? '' : '; an execution id is a UUID, as rpc and bulk_rpc answer it';
  return new ApiError('EXECUTION_NOT_FOUND', `No execution with id ${showText(id)} in this namespace${hint}`);
}

/** The `:id` of a route on one execution; `bulk` is the path of POST /v1/executions/bulk, not an id. */
function executionId(params: Record<string, string | undefined>): string {
  const id = params.id ?? '';
  if (id === 'bulk') {
    throw new ApiError('METHOD_NOT_ALLOWED', 'Read several executions with POST /v1/executions/bulk and a JSON array of ids', undefined, { Allow: 'POST' });
  }
  return id;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function numberParam(name: string, raw: string | undefined, min: number, max: number, integer: boolean): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ApiError('INVALID_REQUEST', `\`${name}\` must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}; got ${showText(raw, 40)}`);
  }
  return value;
}

/** Reading, listing and cancelling execution records. */
export function executionRoutes(deps: ApiDeps): Router<ApiState> {
  const { config, store, executor } = deps;
  const router = new Router<ApiState>();

  async function found(namespace: string, id: string): Promise<StoredExecution> {
    const record = await store.getExecution(namespace, id);
    if (!record) throw notFound(id);
    return record;
  }

  router.get('/v1/executions', async (ctx) => {
    const statusParam = single(ctx.query.status);
    let statuses: ExecutionStatus[] | undefined;
    if (statusParam !== undefined && statusParam !== '') {
      statuses = statusParam.split(',').map((s) => {
        const status = s.trim() as ExecutionStatus;
        if (!STATUSES.includes(status)) {
          throw new ApiError('INVALID_REQUEST', `\`status\` must be one or more of ${STATUSES.join(', ')} separated by commas; got ${showText(s, 40)}`);
        }
        return status;
      });
    } else if (!parseBooleanParam('include_completed', single(ctx.query.include_completed), false)) {
      statuses = ['pending', 'running'];
    }
    const limit = numberParam('limit', single(ctx.query.limit), 1, MAX_LIMIT, true) ?? 100;
    const beforeSeq = numberParam('cursor', single(ctx.query.cursor), 1, Number.MAX_SAFE_INTEGER, true);
    const { namespace } = ctx.state.caller;
    const query = { statuses, functionName: single(ctx.query.function) || undefined, limit, beforeSeq };
    // The page ends early rather than grow past FAASPOT_MAX_RESPONSE (one record always fits); its
    // cursor carries on from there. Sizes are read first, so oversized texts are never loaded.
    const sizes = await store.executionSizes(namespace, { query });
    let bytes = 0;
    let count = 0;
    for (const size of sizes) {
      bytes += RECORD_OVERHEAD_BYTES + size.chars;
      if (count > 0 && bytes > config.maxResponseBytes) break;
      count++;
    }
    const first = sizes[0];
    const cut = sizes[count - 1];
    const records =
      first && cut ? await store.listExecutions(namespace, { ...query, beforeSeq: first.seq + 1, fromSeq: cut.seq }) : [];
    const last = records[records.length - 1];
    if ((sizes.length === limit || count < sizes.length) && last) ctx.set('X-Next-Cursor', String(last.seq));
    ctx.body = records.map(wireExecution);
  });

  router.post('/v1/executions/bulk', async (ctx) => {
    const ids = await readArrayBody(ctx, config.maxBodyBytes);
    if (ids.length > config.maxBulk) {
      throw new ApiError('INVALID_REQUEST', `Ask for at most ${config.maxBulk} executions at a time; got ${ids.length}`);
    }
    ids.forEach((id, index) => {
      if (typeof id !== 'string') throw new ApiError('INVALID_REQUEST', `Item ${index} is not an execution id string`, { index });
    });
    const { namespace } = ctx.state.caller;
    const wanted = ids as string[];
    // Sizes first, so that oversized texts are never loaded. The answer repeats a record once per
    // mention of its id, so each mention counts.
    const chars = new Map((await store.executionSizes(namespace, { ids: wanted })).map((s) => [s.id, s.chars]));
    const bytes = wanted.reduce((sum, id) => sum + RECORD_OVERHEAD_BYTES + (chars.get(id) ?? 0), 0);
    if (ids.length > 1 && bytes > config.maxResponseBytes) {
      throw new ApiError(
        'RESPONSE_TOO_LARGE',
        `These ${ids.length} executions hold about ${Math.ceil(bytes / 2 ** 20)} MiB of arguments, output and logs, more than the ${Math.floor(config.maxResponseBytes / 2 ** 20)} MiB answered at once (FAASPOT_MAX_RESPONSE): ask for fewer ids per request`,
        { bytes, max_bytes: config.maxResponseBytes },
      );
    }
    const records = await store.getExecutions(namespace, wanted);
    // An id asked for twice is converted once.
    const wire = new Map<string, Record<string, unknown>>();
    ctx.body = records.map((record) => {
      if (!record) return null;
      let converted = wire.get(record.id);
      if (!converted) wire.set(record.id, (converted = wireExecution(record)));
      return converted;
    });
  });

  router.get('/v1/executions/:id', async (ctx) => {
    const { namespace } = ctx.state.caller;
    const id = executionId(ctx.params);
    const wait = numberParam('wait', single(ctx.query.wait), 0, MAX_WAIT_SECONDS, false) ?? 0;
    let record = await found(namespace, id);
    if (wait > 0 && (record.status === 'pending' || record.status === 'running')) {
      await executor.waitForEnd(record.id, wait * 1000);
      record = await found(namespace, record.id);
    }
    ctx.body = wireExecution(record);
  });

  router.delete('/v1/executions/:id', async (ctx) => {
    const { namespace } = ctx.state.caller;
    const id = executionId(ctx.params);
    const outcome = await executor.cancel(namespace, id);
    if (outcome === 'not-found') throw notFound(id);
    const record = await found(namespace, id);
    if (outcome === 'ended') {
      throw new ApiError('EXECUTION_ENDED', `The execution already ended as ${record.status}; there is nothing to cancel`, {
        execution: wireExecution(record),
      });
    }
    ctx.body = wireExecution(record);
  });

  return router;
}
