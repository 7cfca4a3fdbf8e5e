import type { Middleware } from 'koa';
import { RunRefusedError } from '../../engine/run-refused-error.js';
import { ApiError, errorCodes, type ErrorCode } from '../../errors.js';
import { ValidationError } from '../../functions/validation-error.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Turns every thrown error into `{code, message, ...details}` with the code's status. Anything that
 * is not a known error becomes a 500 without detail, and is emitted for the server log.
 */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      let error: ApiError;
      if (thrown instanceof ApiError) {
        error = thrown;
      } else if (thrown instanceof ValidationError) {
        error = new ApiError(thrown.code, thrown.message, thrown.details);
      } else if (thrown instanceof RunRefusedError) {
        error = new ApiError(thrown.code, thrown.message);
      } else {
        const status = (thrown as { status?: unknown }).status;
        const code = typeof status === 'number' ? CODE_BY_STATUS[status] : undefined;
        if (code && (thrown as { expose?: unknown }).expose !== false) {
          error = new ApiError(code, errorCodes[code].message);
        } else {
          ctx.app.emit('error', thrown, ctx);
          error = new ApiError('INTERNAL');
        }
      }
      ctx.status = error.status;
      if (error.headers) ctx.set(error.headers);
      ctx.body = { code: error.code, message: error.message, ...error.details };
    }
  };
}
