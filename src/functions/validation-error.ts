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
