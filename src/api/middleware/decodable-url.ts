import type { Middleware } from 'koa';
import { ApiError } from '../../errors.js';
import { showText } from '../../functions/show-text.js';

const HOW_TO_ESCAPE = 'write "%" itself as %25 and each byte of a UTF-8 character as %XX (for example "é" as %C3%A9)';

/**
 * A URL whose percent-escapes do not decode as UTF-8, in the path or in the query string, is a 400
 * INVALID_REQUEST. Left alone, a bad escape in the query would reach a function as text that differs
 * from what the client meant (Node's parser keeps "%ZZ" as it is and turns stray bytes into U+FFFD).
 */
export function decodableUrl(): Middleware {
  return async (ctx, next) => {
    if (!decodes(ctx.path)) {
      throw new ApiError('INVALID_REQUEST', `The URL path has percent-escapes that do not decode as UTF-8: ${HOW_TO_ESCAPE}`);
    }
    for (const part of ctx.querystring.split('&')) {
      const [key = '', value = ''] = splitOnce(part.replaceAll('+', ' '), '=');
      if (decodes(key) && decodes(value)) continue;
      const name = decodes(key) ? decodeURIComponent(key) : key;
      throw new ApiError(
        'INVALID_REQUEST',
        `The query parameter ${showText(name, 40)} has percent-escapes that do not decode as UTF-8: ${HOW_TO_ESCAPE}`,
      );
    }
    await next();
  };
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
