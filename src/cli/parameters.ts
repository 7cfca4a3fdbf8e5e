import { UsageError } from './usage.js';

/** The form `-p` takes, shown in its errors. */
export const PARAMETERS_FORM = '-p "k1=v1, k2=v2"';

/**
 * Parses one `-p`/`--parameters` value, `"k1=v1, k2=v2"`: split on commas, then each part on its first
 * `=` (so a value may hold `=`), keys and values trimmed. Blank parts are skipped, so `""` is no
 * arguments; a repeated key keeps its last value. Values are strings, as in a query string; a value
 * cannot hold a comma (use `--args-json` for that, or for typed values).
 *
 * Throws a UsageError for a part without `=` or with an empty key.
 *
 * @example parseParameters('name=user1, expr=a=b') // { name: 'user1', expr: 'a=b' }
 */
export function parseParameters(text: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const equals = part.indexOf('=');
    if (equals < 0) throw malformed(text, `${JSON.stringify(part.trim())} has no "="`);
    const key = part.slice(0, equals).trim();
    if (key === '') throw malformed(text, `${JSON.stringify(part.trim())} has no key before "="`);
    setArgument(args, key, part.slice(equals + 1).trim());
  }
  return args;
}

/** Several `-p` values merged into one set of arguments (later ones win), for `functions run`. */
export function mergeParameters(values: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const value of values) for (const [key, item] of Object.entries(parseParameters(value))) setArgument(args, key, item);
  return args;
}

/** defineProperty, not assignment: a key such as `__proto__` must become an argument, not the object's prototype. */
export function setArgument(args: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(args, key, { value, enumerable: true, writable: true, configurable: true });
}

function malformed(text: string, why: string): UsageError {
  return new UsageError(`Bad parameters ${JSON.stringify(text)}: ${why}. Write each as KEY=VALUE, separated by commas: ${PARAMETERS_FORM}`);
}
