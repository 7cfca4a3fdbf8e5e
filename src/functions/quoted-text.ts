import { ValidationError } from './validation-error.js';

// What Python's urllib.parse.quote (default safe='/') leaves alone, plus the '%' of its escapes.
// Raw code almost always has a space, newline, quote or '=' outside this set, which is what lets
// raw and quoted text be told apart.
const QUOTED_ALPHABET = /^[A-Za-z0-9_.\-~/%]*$/;
const ESCAPE = /%[0-9A-Fa-f]{2}/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/**
 * The quoting rule. Clients were told to send code and context quoted with Python's
 * `urllib.parse.quote(s.encode('utf-8'))`; many send raw text instead. Text made only of characters
 * that `quote` leaves alone and `%`, holding at least one `%XX` escape, is decoded as strict UTF-8;
 * any other text is already raw and is returned unchanged (so raw `print("%d" % 3)` stays as it is).
 * Throws INVALID_REQUEST when text that qualifies has escapes that do not decode.
 */
export function decodeQuotedText(text: string): string {
  if (!QUOTED_ALPHABET.test(text) || !ESCAPE.test(text)) return text;
  // Every character here is ASCII, so one character is one byte and the array can be sized up front.
  const bytes = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!HEX_PAIR.test(hex)) throw undecodable(`"%" at position ${i} is not followed by two hex digits`);
      bytes[length++] = parseInt(hex, 16);
      i += 2;
    } else {
      bytes[length++] = text.charCodeAt(i);
    }
  }
  try {
    // fatal: a wrong byte must be an error rather than a silent U+FFFD in someone's code.
    // ignoreBOM: a leading BOM the client quoted is part of its text, not ours to drop.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, length));
  } catch {
    throw undecodable('the decoded bytes are not valid UTF-8');
  }
}

function undecodable(why: string): ValidationError {
  return new ValidationError(
    'INVALID_REQUEST',
    `The text looks URL-quoted, but its percent-escapes do not decode (${why}). ` +
      `Send raw UTF-8 text, or text quoted with urllib.parse.quote(text.encode('utf-8'))`,
  );
}
