/** How deeply values may nest in arguments and results: far beyond real data, far below a stack overflow. */
export const MAX_JSON_DEPTH = 512;

/**
 * The deepest nesting of arrays and objects in a JSON text, found by scanning, without parsing or
 * recursion (JSON.stringify and structured clone recurse, and overflow on values a hostile function
 * or client can send).
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
