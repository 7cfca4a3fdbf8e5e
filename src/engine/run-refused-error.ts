/**
 * The engine would not take a run: the queue has no room for it, or the server is shutting down.
 * `code` is a stable API error code; the answer carries a `Retry-After`.
 */
export class RunRefusedError extends Error {
  constructor(
    readonly code: 'QUEUE_FULL' | 'SHUTTING_DOWN',
    message: string,
  ) {
    super(message);
    this.name = 'RunRefusedError';
  }
}
