import { escapeInvisible, showText } from './show-text.js';
import { ValidationError } from './validation-error.js';

/** One value of a function's context: what a scalar Python literal or JSON value can be. */
export type ContextValue = string | number | boolean | null;

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const KEY_RULE = 'a key starts with a letter or "_" and goes on with letters, digits, "_", "." or "-"';
const FORMAT_HINT = 'Write one KEY = VALUE per line (lines starting with # are comments), or send a JSON object';
// Assigning these to a plain object reaches its prototype (`__proto__` even replaces it), and they
// mislead any JavaScript that reads the context later; refusing them is simpler than working around them.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// Python's integer grammar: "_" only between digits or after a base prefix, and no leading zeros on
// decimals (Python refuses "007", so it stays text, which is what a zip code or PIN wants anyway).
const INTEGER = /^([+-]?)(?:(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+)|([1-9](?:_?\d)*|0(?:_?0)*))$/;
const DIGITS = String.raw`\d(?:_?\d)*`;
const EXPONENT = String.raw`[eE][+-]?${DIGITS}`;
// A float needs a point or an exponent; leading zeros are fine here, as in Python ("007.5").
const FLOAT = new RegExp(String.raw`^[+-]?(?:(?:${DIGITS}\.(?:${DIGITS})?|\.${DIGITS})(?:${EXPONENT})?|${DIGITS}${EXPONENT})$`);

/**
 * Parses a function's context file into a plain object.
 *
 * Lines are `KEY = VALUE` or `KEY=VALUE`, split on the first `=`, with key and value trimmed; blank
 * lines and lines whose first non-space character is `#` are skipped; the last of duplicate keys wins.
 * A VALUE that is a Python scalar literal (a quoted string with Python escapes, optionally `r`-prefixed;
 * an int; a float; `True`, `False`, `None`) becomes that value. Any other VALUE, including an int
 * beyond `Number.MAX_SAFE_INTEGER`, is its trimmed text. Text starting with `{` is read as a JSON
 * object of strings, numbers, booleans and null instead. Blank text is `{}`.
 *
 * Throws INVALID_CONTEXT for a line without `=` or with a bad key (with `details.line`, 1-based),
 * for the keys `__proto__`, `constructor` and `prototype`, and for bad or nested JSON.
 *
 * @example parseContext('access_key_is = "XYZ"\nretries = 3') // { access_key_is: 'XYZ', retries: 3 }
 */
export function parseContext(text: string): Record<string, ContextValue> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonContext(trimmed);
  const context: Record<string, ContextValue> = {};
  for (const [index, line] of text.split(/\r\n|\r|\n/).entries()) {
    const number = index + 1;
    const content = line.trim();
    if (content === '' || content.startsWith('#')) continue;
    const equals = content.indexOf('=');
    if (equals < 0) throw lineError(number, `has no "=": ${showText(content)}`);
    const key = content.slice(0, equals).trim();
    // Only the key is shown from here on: the value may well be the secret the file exists to hold.
    if (key === '') throw lineError(number, 'has no key before "="');
    if (!KEY.test(key)) throw lineError(number, `has the key ${showText(key)}, which is not valid: ${KEY_RULE}`);
    if (RESERVED_KEYS.has(key)) throw reservedKey(key, number);
    context[key] = pythonLiteral(content.slice(equals + 1).trim());
  }
  return context;
}

function lineError(line: number, what: string): ValidationError {
  return new ValidationError('INVALID_CONTEXT', `Context line ${line} ${what}. ${FORMAT_HINT}.`, { line });
}

function reservedKey(key: string, line?: number): ValidationError {
  return new ValidationError(
    'INVALID_CONTEXT',
    `The context key ${showText(key)}${line === undefined ? '' : ` on line ${line}`} is reserved ` +
      '(__proto__, constructor and prototype are special to JavaScript objects); rename it',
    line === undefined ? { key } : { line, key },
  );
}

function parseJsonContext(text: string): Record<string, ContextValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8's message quotes a slice of the input, newlines and all: keep it, but escaped.
    const reason = escapeInvisible(error instanceof Error ? error.message : String(error));
    throw new ValidationError(
      'INVALID_CONTEXT',
      `The context starts with "{" but is not valid JSON: ${reason}. Fix the JSON object, or write KEY = VALUE lines`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('INVALID_CONTEXT', 'A JSON context must be one object of keys to values; send {"KEY": "VALUE", ...}');
  }
  const context: Record<string, ContextValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (RESERVED_KEYS.has(key)) throw reservedKey(key);
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ValidationError(
        'INVALID_CONTEXT',
        `The context value of ${showText(key)} is ${Array.isArray(value) ? 'an array' : 'an object'}; ` +
          'context values must be strings, numbers, booleans or null, so flatten it or send it as a JSON string',
        { key },
      );
    }
    context[key] = value;
  }
  return context;
}

/** The value of a Python scalar literal, or `text` itself when it is not one. */
function pythonLiteral(text: string): ContextValue {
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text === 'None') return null;
  const integer = parseInteger(text);
  if (integer !== undefined) return integer;
  if (FLOAT.test(text)) {
    const value = Number(text.replaceAll('_', ''));
    // Python reads 1e400 as inf, which JSON cannot carry: keep the text instead.
    return Number.isFinite(value) ? value : text;
  }
  return parseStringLiteral(text) ?? text;
}

/** A Python int literal as a number (as its text when too big to be exact), or undefined if it is not one. */
function parseInteger(text: string): number | string | undefined {
  const match = INTEGER.exec(text);
  if (!match) return undefined;
  const [, sign, prefixed, decimal] = match;
  // BigInt reads 0x/0o/0b prefixes itself, and is exact where parseInt would round before the check.
  const magnitude = BigInt((prefixed ?? decimal ?? '').replaceAll('_', ''));
  const value = sign === '-' ? -magnitude : magnitude;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return text;
  // `+ 0` turns the -0 of "-0" into 0.
  return Number(value) + 0;
}

// Python's one-character escapes. A Map, so that a lookup can never land on Object.prototype.
const SIMPLE_ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['v', '\v'],
]);
const HEX_ESCAPE_LENGTH = new Map([
  ['x', 2],
  ['u', 4],
  ['U', 8],
]);

/**
 * The value of one single- or double-quoted Python string literal, optionally `r`/`R`-prefixed, or
 * undefined if `text` is not exactly one (unterminated, two literals side by side, a bad escape).
 */
function parseStringLiteral(text: string): string | undefined {
  const raw = text.startsWith('r') || text.startsWith('R');
  const body = raw ? text.slice(1) : text;
  const quote = body.charAt(0);
  if ((quote !== '"' && quote !== "'") || body.length < 2 || !body.endsWith(quote)) return undefined;
  const inner = body.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const char = inner.charAt(i);
    if (char === quote) return undefined;
    if (char !== '\\') {
      out += char;
      continue;
    }
    // A backslash at the very end escaped what looked like the closing quote: unterminated.
    if (i + 1 >= inner.length) return undefined;
    const next = inner.charAt(i + 1);
    i++;
    // In a raw string a backslash still keeps a quote from closing the string, but stays in the value.
    if (raw) {
      out += char + next;
      continue;
    }
    const simple = SIMPLE_ESCAPES.get(next);
    const hexLength = HEX_ESCAPE_LENGTH.get(next);
    if (simple !== undefined) {
      out += simple;
    } else if (hexLength !== undefined) {
      const hex = inner.slice(i + 1, i + 1 + hexLength);
      // Python refuses short escapes and code points past U+10FFFF rather than guessing.
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLength) return undefined;
      const codePoint = parseInt(hex, 16);
      if (codePoint > 0x10ffff) return undefined;
      out += String.fromCodePoint(codePoint);
      i += hexLength;
    } else if (next >= '0' && next <= '7') {
      const octal = /^[0-7]{1,3}/.exec(inner.slice(i))?.[0] ?? next;
      out += String.fromCodePoint(parseInt(octal, 8));
      i += octal.length - 1;
    } else if (next === 'N') {
      // \N{NAME} needs Unicode's name table, which is not worth carrying: keep the text as written.
      return undefined;
    } else {
      // Python keeps an unknown escape such as \d as it is (with a warning); so do we.
      out += char + next;
    }
  }
  return out;
}
