import { showText } from './show-text.js';
import { ValidationError } from './validation-error.js';

/**
 * Reads a boolean query parameter: `true`/`false` in any case (the original Python client sends
 * `True`) or `1`/`0`. Absent, or present with an empty value, means `fallback`. Anything else throws
 * INVALID_REQUEST naming the parameter and the accepted values.
 */
export function parseBooleanParam(name: string, value: string | undefined, fallback: boolean): boolean {
  // `?flag=` is how forms and many query builders write "not set", and the other list filters treat
  // an empty value as absent too.
  if (value === undefined || value === '') return fallback;
  const lowered = value.toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  throw new ValidationError(
    'INVALID_REQUEST',
    `The query parameter ${name} is ${showText(value)}; set it to true, false, 1 or 0 (any case), or leave it out for ${String(fallback)}`,
    { parameter: name },
  );
}
