import { ApiError } from '../errors.js';
import { assertFunctionName } from '../functions/function-name.js';
import { ValidationError } from '../functions/validation-error.js';

/**
 * `value` as a namespace name, else a 400 INVALID_REQUEST. Namespaces follow the rule of function
 * names: safe in URLs, logs and file names.
 */
export function assertNamespaceName(value: unknown): string {
  try {
    return assertFunctionName(value);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ApiError('INVALID_REQUEST', `\`namespace\` is not valid: ${error.message.replace(/function name/gi, 'namespace')}`);
    }
    throw error;
  }
}
