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
    const records = await store.listExecutions(ctx.state.caller.namespace, {
      statuses,
      functionName: single(ctx.query.function) || undefined,
      limit,
      beforeSeq,
    });
    const last = records[records.length - 1];
    if (records.length === limit && last) ctx.set('X-Next-Cursor', String(last.seq));
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
    const records = await store.getExecutions(ctx.state.caller.namespace, ids as string[]);
    ctx.body = records.map((record) => (record ? wireExecution(record) : null));
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
