import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { MIN_MEMORY_MIB } from '../../config.js';
import { ApiError } from '../../errors.js';
import { functionFilename } from '../../engine/engine.js';
import { parseContext } from '../../functions/context-file.js';
import { assertFunctionName } from '../../functions/function-name.js';
import { decodeQuotedText } from '../../functions/quoted-text.js';
import { ValidationError } from '../../functions/validation-error.js';
import { NameTakenError, type FunctionPatch, type StoredFunction } from '../../store/store.js';
import type { ApiDeps, ApiState } from '../deps.js';
import { describeJson, readObjectBody } from '../request-body.js';
import { wireFunction } from '../wire.js';

/** Function management: create, update, list, get, delete. */
export function functionRoutes(deps: ApiDeps): Router<ApiState> {
  const { config, store, executor, metrics } = deps;
  const router = new Router<ApiState>();

  async function checkedCode(raw: unknown, name: string): Promise<string> {
    if (raw === undefined) throw new ApiError('INVALID_REQUEST', '`code` is missing: send the Python source as a string');
    if (typeof raw !== 'string') throw new ApiError('INVALID_REQUEST', `\`code\` must be a string of Python source, not ${describeJson(raw)}`);
    const code = decodedField('code', raw, 'INVALID_CODE');
    if (!code.isWellFormed()) throw new ApiError('INVALID_CODE', '`code` is not valid UTF-8 text (it holds a lone surrogate)');
    if (Buffer.byteLength(code, 'utf8') > config.maxCodeBytes) {
      throw new ApiError('PAYLOAD_TOO_LARGE', `\`code\` is larger than ${config.maxCodeBytes} bytes (FAASPOT_MAX_CODE); split it or shorten it`);
    }
    const result = await executor.validate(code, functionFilename(name));
    if (!result.ok) {
      // The worker reports an unknown position as undefined or null alike.
      const line = typeof result.line === 'number' ? result.line : null;
      const column = typeof result.column === 'number' ? result.column : null;
      if (result.problem === 'main') throw new ApiError('INVALID_MAIN', result.message, { line, column });
      const where = line === null ? '' : ` at line ${line}${column === null ? '' : `, column ${column}`}`;
      throw new ApiError('INVALID_CODE', `The code does not compile${where}: ${result.message}`, { line, column, detail: result.message });
    }
    return code;
  }

  /** The quoting rule applied to one field, its failure reported as that field's own error. */
  function decodedField(field: 'code' | 'context', raw: string, code: 'INVALID_CODE' | 'INVALID_CONTEXT'): string {
    try {
      return decodeQuotedText(raw);
    } catch (error) {
      if (error instanceof ValidationError) throw new ApiError(code, `\`${field}\`: ${error.message}`);
      throw error;
    }
  }

  function checkedContext(raw: unknown): string {
    if (raw === undefined || raw === null) return '{}';
    let text: string;
    if (typeof raw === 'string') text = decodedField('context', raw, 'INVALID_CONTEXT');
    else if (typeof raw === 'object' && !Array.isArray(raw)) text = JSON.stringify(raw);
    else throw new ApiError('INVALID_CONTEXT', '`context` must be the context file as text, or a JSON object');
    return JSON.stringify(parseContext(text));
  }

  function checkedTimeout(raw: unknown): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > config.maxTimeoutSeconds) {
      throw new ApiError('INVALID_REQUEST', `\`timeout\` must be a number of seconds above 0 and at most ${config.maxTimeoutSeconds}`);
    }
    return value;
  }

  function checkedMemory(raw: unknown): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_MEMORY_MIB || value > config.maxMemoryMib) {
      throw new ApiError('INVALID_REQUEST', `\`memory\` must be a whole number of MiB from ${MIN_MEMORY_MIB} to ${config.maxMemoryMib}`);
    }
    return value;
  }

  async function existing(namespace: string, name: unknown): Promise<StoredFunction> {
    const fn = await store.getFunction(namespace, assertFunctionName(name));
    if (!fn) throw new ApiError('FUNCTION_NOT_FOUND', `No function named ${JSON.stringify(name)} in this namespace`);
    return fn;
  }

  router.put('/v1/functions', async (ctx) => {
    const body = await readObjectBody(ctx, config.maxBodyBytes);
    const name = assertFunctionName(body.name);
    const { namespace } = ctx.state.caller;
    if (await store.getFunction(namespace, name)) {
      throw new ApiError('FUNCTION_EXISTS', `A function named ${JSON.stringify(name)} already exists; update it with PATCH /v1/functions/${name}`);
    }
    const context = checkedContext(body.context);
    const timeoutSeconds = checkedTimeout(body.timeout) ?? config.defaultTimeoutSeconds;
    const memoryMib = checkedMemory(body.memory) ?? config.defaultMemoryMib;
    const code = await checkedCode(body.code, name);
    const created = new Date().toISOString();
    const fn: StoredFunction = {
      id: randomUUID(),
      namespace,
      name,
      version: 1,
      code,
      context,
      timeoutSeconds,
      memoryMib,
      created,
      updated: created,
    };
    try {
      await store.insertFunction(fn);
    } catch (error) {
      if (error instanceof NameTakenError) throw new ApiError('FUNCTION_EXISTS', `A function named ${JSON.stringify(name)} already exists`);
      throw error;
    }
    ctx.body = wireFunction(fn);
  });

  router.get('/v1/functions', async (ctx) => {
    const functions = await store.listFunctions(ctx.state.caller.namespace);
    ctx.body = functions.map((fn) => wireFunction(fn, false));
  });

  router.get('/v1/functions/:name', async (ctx) => {
    ctx.body = wireFunction(await existing(ctx.state.caller.namespace, ctx.params.name));
  });

  router.patch('/v1/functions/:name', async (ctx) => {
    const { namespace } = ctx.state.caller;
    const before = await existing(namespace, ctx.params.name);
    const body = await readObjectBody(ctx, config.maxBodyBytes);
    const patch: FunctionPatch = {};
    if (body.name !== undefined && body.name !== before.name) {
      patch.name = assertFunctionName(body.name);
      if (await store.getFunction(namespace, patch.name)) {
        throw new ApiError('FUNCTION_EXISTS', `A function named ${JSON.stringify(patch.name)} already exists; choose another name`);
      }
    }
    if (body.context !== undefined) patch.context = checkedContext(body.context);
    const timeoutSeconds = checkedTimeout(body.timeout);
    if (timeoutSeconds !== undefined) patch.timeoutSeconds = timeoutSeconds;
    const memoryMib = checkedMemory(body.memory);
    if (memoryMib !== undefined) patch.memoryMib = memoryMib;
    if (body.code !== undefined) patch.code = await checkedCode(body.code, patch.name ?? before.name);
    if (Object.keys(patch).length === 0 && body.name === undefined) {
      throw new ApiError('INVALID_REQUEST', 'Nothing to update: send any of `code`, `context`, `name`, `timeout`, `memory`');
    }
    let fn: StoredFunction | undefined;
    try {
      fn = await store.updateFunction(namespace, before.name, patch, new Date().toISOString());
    } catch (error) {
      if (error instanceof NameTakenError) throw new ApiError('FUNCTION_EXISTS', `A function named ${JSON.stringify(patch.name)} already exists`);
      throw error;
    }
    if (!fn) throw new ApiError('FUNCTION_NOT_FOUND');
    executor.retire(before);
    if (fn.name !== before.name) metrics.functionRemoved(namespace, before.name);
    ctx.body = wireFunction(fn);
  });

  router.delete('/v1/functions/:name', async (ctx) => {
    const { namespace } = ctx.state.caller;
    const name = assertFunctionName(ctx.params.name);
    const result = await store.deleteFunction(namespace, name, {
      status: 'cancelled',
      output: null,
      error: { type: 'Cancelled', message: 'the function was deleted before this execution started', traceback: null },
      logs: '',
      logsTruncated: false,
      finished: new Date().toISOString(),
      durationMs: null,
    });
    if (!result) throw new ApiError('FUNCTION_NOT_FOUND', `No function named ${JSON.stringify(name)} in this namespace`);
    // After retire, which ends the cancelled executions: their counts go with the function's series.
    executor.retire(result.fn, result.cancelledIds);
    metrics.functionRemoved(namespace, result.fn.name);
    ctx.body = { ...wireFunction(result.fn, false), deleted: true, cancelled_executions: result.cancelledIds.length };
  });

  return router;
}
