import { showText, ValidationError } from './validation-error.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const RULE = 'up to 64 letters, digits, "_", "." or "-", starting with a letter or digit, without ".."';

/**
 * Returns `name` if it is a valid function name, else throws INVALID_NAME. Names are safe in URLs and
 * file names: `hello` and `hello.py` are both valid, `../x` and `a b` are not.
 */
export function assertFunctionName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new ValidationError('INVALID_NAME', `The function name must be a string of ${RULE}`);
  }
  if (name === '') throw new ValidationError('INVALID_NAME', `The function name is empty; use ${RULE}`);
  if (name.length > 64) {
    throw new ValidationError('INVALID_NAME', `The function name is ${name.length} characters long; use ${RULE}`);
  }
  if (!NAME.test(name) || name.includes('..')) {
    throw new ValidationError('INVALID_NAME', `The function name ${showText(name)} is not valid; use ${RULE}`);
  }
  return name;
}
