// Characters that would print nothing, move the cursor or reorder text in a terminal or log viewer:
// C0/C1 controls, format characters such as bidi overrides and zero-width spaces, and line separators.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Shows a piece of user input inside an error message: JSON-quoted, cut to `max` characters (an
 * ellipsis after the closing quote marks the cut), with every invisible character escaped, so that a
 * hostile name cannot forge log lines or hide what it really is.
 *
 * @example showText('a\u0007b') // '"a\\u0007b"'
 */
export function showText(text: string, max = 80): string {
  // Cut by code points so that the cut never splits a surrogate pair into an escaped half.
  const chars = Array.from(text);
  const cut = chars.length > max;
  return escapeInvisible(JSON.stringify(cut ? chars.slice(0, max).join('') : text)) + (cut ? '…' : '');
}

/**
 * `text` with every invisible character written as a `\uXXXX` (or `\u{XXXXX}`) escape. For text
 * that already holds user input, such as a parser's error message.
 */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
