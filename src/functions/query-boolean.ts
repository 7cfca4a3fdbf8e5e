import { showText, ValidationError } from './validation-error.js';

/**
 * A boolean query parameter: true/false in any case (the original Python client sends `True`) or 1/0.
 * Absent means `fallback`.
 */
export function parseBooleanParam(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const lowered = value.toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  throw new ValidationError('INVALID_REQUEST', `\`${name}\` must be true, false, 1 or 0; got ${showText(value)}`);
}
