import { ValidationError } from './validation-error.js';

// Characters Python's urllib.parse.quote leaves alone (safe='/'), plus '%' of its escapes.
const QUOTED = /^[A-Za-z0-9_.\-~/%]*$/;
const ESCAPE = /%[0-9A-Fa-f]{2}/;

/**
 * The quoting rule. Clients were told to send code and context quoted with Python's
 * `urllib.parse.quote`, and many send raw text instead. Text made only of characters that `quote`
 * leaves alone plus `%` escapes is decoded (strictly, as UTF-8); anything else is already raw text.
 */
export function decodeQuotedText(text: string): string {
  if (!QUOTED.test(text) || !ESCAPE.test(text)) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw undecodable();
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw undecodable();
  }
}

function undecodable(): ValidationError {
  return new ValidationError(
    'INVALID_REQUEST',
    'The text looks URL-quoted but its percent-escapes do not decode as UTF-8; send raw UTF-8 text, or text quoted with urllib.parse.quote',
  );
}
