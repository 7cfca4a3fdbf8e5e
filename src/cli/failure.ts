import { FaaspotError } from '../client/errors.js';
import type { Io } from './output.js';

/** A command that ran into a state it cannot work with (no such profile, say): exit status 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Reports a failed call on stderr as `fas: CODE: message` and returns exit status 1. A failed run also
 * shows its traceback and execution id.
 */
export function reportError(error: unknown, io: Io): number {
  if (error instanceof CliError) {
    io.err(`fas: ${error.message}\n`);
    return 1;
  }
  if (!(error instanceof FaaspotError)) {
    io.err(`fas: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
  io.err(`fas: ${error.code}: ${error.message}\n`);
  const line = error.details.line;
  if ((error.code === 'INVALID_CODE' || error.code === 'INVALID_MAIN') && typeof line === 'number' && !error.message.includes(`line ${line}`)) {
    io.err(`  at line ${line}${typeof error.details.column === 'number' ? `, column ${error.details.column}` : ''}\n`);
  }
  const execution = error.execution;
  if (execution && (error.code === 'FUNCTION_FAILED' || error.code === 'FUNCTION_TIMEOUT')) {
    const traceback = execution.error?.traceback;
    if (traceback) io.err(traceback.endsWith('\n') ? traceback : `${traceback}\n`);
    io.err(`execution: ${execution.uuid} (see: fas executions get ${execution.uuid})\n`);
  }
  return 1;
}
