import { showText, ValidationError } from './validation-error.js';

/** One value of a function's context. */
export type ContextValue = string | number | boolean | null;

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Keys that would reach Object.prototype machinery in JavaScript consumers of the context.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const INTEGER = /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*)$/;
const DIGITS = /\d(?:_?\d)*/.source;
const FLOAT = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);

/**
 * Parses a context file into a plain object. Lines are `KEY = VALUE` (or `KEY=VALUE`), split on the
 * first `=`; blank lines and `#` comments are skipped. A VALUE that is a Python literal (a quoted
 * string, a number, True, False or None) becomes that value; any other VALUE is its trimmed text.
 * A JSON object of scalar values is accepted too. Throws INVALID_CONTEXT naming the bad line.
 *
 * @example parseContext('access_key_is = "XYZ"\nretries = 3') // { access_key_is: 'XYZ', retries: 3 }
 */
export function parseContext(text: string): Record<string, ContextValue> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonContext(trimmed);
  const context: Record<string, ContextValue> = {};
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    const content = line.trim();
    if (content === '' || content.startsWith('#')) return;
    const equals = content.indexOf('=');
    const key = equals < 0 ? '' : content.slice(0, equals).trim();
    if (equals < 0 || !KEY.test(key)) {
      throw new ValidationError(
        'INVALID_CONTEXT',
        `Context line ${index + 1} is not KEY = VALUE: ${showText(content)}; keys are letters, digits and "_", lines starting with # are comments`,
        { line: index + 1 },
      );
    }
    checkKey(key, index + 1);
    context[key] = pythonLiteral(content.slice(equals + 1).trim());
  });
  return context;
}

function checkKey(key: string, line: number | undefined): void {
  if (RESERVED_KEYS.has(key)) {
    throw new ValidationError(
      'INVALID_CONTEXT',
      `The context key ${showText(key)}${line === undefined ? '' : ` on line ${line}`} is reserved; rename it`,
      line === undefined ? undefined : { line },
    );
  }
}

function parseJsonContext(text: string): Record<string, ContextValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('INVALID_CONTEXT', `The context looks like JSON but does not parse: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('INVALID_CONTEXT', 'A JSON context must be an object of keys to values');
  }
  const context: Record<string, ContextValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    checkKey(key, undefined);
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new ValidationError(
        'INVALID_CONTEXT',
        `The context value of ${showText(key)} is nested; values must be strings, numbers, booleans or null`,
      );
    }
    context[key] = value as ContextValue;
  }
  return context;
}

/** The value of a Python scalar literal, or `text` itself when it is not one. */
export function pythonLiteral(text: string): ContextValue {
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text === 'None') return null;
  if (INTEGER.test(text)) {
    const value = parseInteger(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  if (FLOAT.test(text)) {
    const value = Number(text.replace(/_/g, ''));
    return Number.isFinite(value) ? value : text;
  }
  const string = parseStringLiteral(text);
  return string ?? text;
}

function parseInteger(text: string): number {
  const clean = text.replace(/_/g, '');
  const negative = clean.startsWith('-');
  const unsigned = clean.replace(/^[+-]/, '');
  const prefix = unsigned.slice(0, 2).toLowerCase();
  const radix = prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : 10;
  const digits = radix === 10 ? unsigned : unsigned.slice(2);
  const value = parseInt(digits, radix);
  return negative ? -value : value;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

/** A single- or double-quoted Python string (optionally r-prefixed), or undefined if `text` is not one. */
function parseStringLiteral(text: string): string | undefined {
  let raw = false;
  let body = text;
  if (/^[rR]['"]/.test(body)) {
    raw = true;
    body = body.slice(1);
  }
  const quote = body[0];
  if ((quote !== '"' && quote !== "'") || body.length < 2 || body[body.length - 1] !== quote) return undefined;
  const inner = body.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i] as string;
    if (char === quote) return undefined; // an unescaped quote inside: not one literal
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = inner[i + 1];
    if (next === undefined) return undefined; // the closing quote was escaped
    if (raw) {
      out += char + next;
      i++;
      continue;
    }
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i++;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = inner.slice(i + 2, i + 2 + length);
      if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) return undefined;
      const codePoint = parseInt(hex, 16);
      if (codePoint > 0x10ffff) return undefined;
      out += String.fromCodePoint(codePoint);
      i += 1 + length;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(inner.slice(i + 1))?.[0] ?? next;
      out += String.fromCodePoint(parseInt(octal, 8));
      i += octal.length;
    } else {
      // Python keeps unknown escapes as they are.
      out += char + next;
      i++;
    }
  }
  return out;
}
