/** A rule of the domain was broken by user input; `code` is a stable API error code. */
export class ValidationError extends Error {
  constructor(
    readonly code: 'INVALID_NAME' | 'INVALID_CONTEXT' | 'INVALID_REQUEST' | 'INVALID_CODE',
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** A user's text for an error message: quoted, escaped, and cut to `max` characters. */
export function showText(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
