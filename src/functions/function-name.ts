import { showText } from './show-text.js';
import { ValidationError } from './validation-error.js';

const MAX_LENGTH = 64;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const RULE =
  'Use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit and without ".." ' +
  '(for example "hello" or "hello.py")';

/**
 * Returns `name` if it is a valid function name, else throws INVALID_NAME saying what is wrong.
 * A valid name matches `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$` and has no `..`, so that it is one safe
 * URL path segment and file name: `hello` and `hello.py` are valid, `../x`, `.x` and `a b` are not.
 */
export function assertFunctionName(name: unknown): string {
  if (typeof name !== 'string') throw invalid(`The function name must be a string, but it is ${describeType(name)}`);
  if (name === '') throw invalid('The function name is empty');
  const length = Array.from(name).length;
  if (length > MAX_LENGTH) throw invalid(`The function name ${showText(name, 20)} is ${length} characters long`);
  if (NAME.test(name) && !name.includes('..')) return name;
  throw invalid(`The function name ${showText(name)} ${problemWith(name)}`);
}

function invalid(what: string): ValidationError {
  return new ValidationError('INVALID_NAME', `${what}. ${RULE}.`);
}

function describeType(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Why a name of the right length fails the rule, most specific reason first. */
function problemWith(name: string): string {
  // Slashes first: they are the path-traversal attempt that most needs naming as such.
  if (/[/\\]/.test(name)) return 'contains a slash; a function name is a single path segment';
  // Controls before whitespace, since a tab is both and "control character" is the more exact reason.
  if (/[\p{Cc}\p{Cf}]/u.test(name)) return 'contains a control character';
  if (/\s/u.test(name)) return 'contains whitespace';
  if (name.includes('..')) return 'contains ".."';
  const first = Array.from(name)[0] ?? '';
  if (!/^[A-Za-z0-9]$/.test(first)) return `starts with ${showText(first)}`;
  const bad = Array.from(name).find((char) => !/^[A-Za-z0-9_.-]$/.test(char)) ?? '';
  return `contains ${showText(bad)}, which is not allowed`;
}
