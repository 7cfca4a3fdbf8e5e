import { readFileSync } from 'node:fs';
import { Faaspot } from '../client/client.js';
import type { Io } from './output.js';
import type { ParsedArgs } from './usage.js';
import { UsageError } from './usage.js';

/** What a command runs with. */
export interface CliContext {
  io: Io;
  /** `--json` was given. */
  json: boolean;
  /** The API client of the current profile (or FAASPOT_URL/FAASPOT_TOKEN), made on first use. */
  client(): Faaspot;
}

export function makeContext(io: Io, json: boolean): CliContext {
  let client: Faaspot | undefined;
  return {
    io,
    json,
    client: () => (client ??= Faaspot.fromProfile()),
  };
}

export function stringValue(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

export function listValue(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  return Array.isArray(value) ? value : [];
}

/** A positive number of `--name` (seconds, say); a UsageError for anything else. */
export function positiveNumber(args: ParsedArgs, name: string, integer = false): number | undefined {
  const raw = stringValue(args, name);
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} above 0; got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A text file given on the command line (`-` for standard input), as UTF-8; a UsageError when unreadable. */
export function readTextFile(path: string, option: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`Cannot read ${option} ${JSON.stringify(path)} (${reason})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${option} ${JSON.stringify(path)} is not UTF-8 text`);
  }
}

/** A JSON text of `--name`; a UsageError when it does not parse. */
export function jsonValue(args: ParsedArgs, name: string): unknown {
  const raw = stringValue(args, name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new UsageError(`--${name} is not valid JSON (${(error as Error).message})`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
