/** A command line the benchmark programs cannot use; they print its message and exit with 2. */
export class UsageError extends Error {}

/** `raw` as a positive integer, or a UsageError naming `--name`. */
export function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer; got ${JSON.stringify(raw)}`);
  return value;
}

/** Whether `error` is a bad command line: ours, or parseArgs's (codes ERR_PARSE_ARGS_*). */
function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || (error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
}

/**
 * The program's options parsed from its command line; undefined after printing a usage error as
 * `<program>: <message>; see --help` (the program then exits with 2).
 */
export function parseCommandLine<T>(program: string, parse: (argv: string[]) => T): T | undefined {
  try {
    return parse(process.argv.slice(2));
  } catch (error) {
    if (!isUsageError(error)) throw error;
    console.error(`${program}: ${error.message}; see --help`);
    return undefined;
  }
}
