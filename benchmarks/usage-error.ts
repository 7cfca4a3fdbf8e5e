/** A command line the benchmark programs cannot use; they print its message and exit with 2. */
export class UsageError extends Error {}

/** `raw` as a positive integer, or a UsageError naming `--name`. */
export function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer; got ${JSON.stringify(raw)}`);
  return value;
}

/** Whether `error` is a bad command line: ours, or parseArgs's (codes ERR_PARSE_ARGS_*). */
export function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || (error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
}
