/**
 * How the store keeps function contexts (users' credentials) unreadable at rest: a context is sealed
 * just before it is written and opened just after it is read, so nothing above the store sees the
 * difference. A sealed context is bound to its function's id: moved onto another function, it does
 * not open.
 */
export interface ContextCipher {
  /** Names the key without revealing it; every context sealed under the key carries it. */
  readonly keyId: string;
  /**
   * The context as it is stored.
   *
   * @example cipher.seal('{"api_key": "sk_live_..."}', fn.id) // 'v1:3f9a0c1e:<iv>:<ciphertext>'
   */
  seal(context: string, functionId: string): string;
  /** The context that {@link seal} sealed for this function; throws for anything else. */
  open(sealed: string, functionId: string): string;
  /**
   * The id of the key `stored` was sealed under, or undefined when it is not sealed at all: a
   * context written in plain text, before contexts were encrypted.
   */
  keyIdOf(stored: string): string | undefined;
}

/**
 * Stored contexts are sealed under a key the store was not given. Raised when the store opens,
 * before anything is changed; `keyIds` are the ids of the keys found.
 */
export class ContextKeyError extends Error {
  override name = 'ContextKeyError';

  constructor(
    readonly keyIds: readonly string[],
    readonly count: number,
    readonly expectedKeyId: string,
  ) {
    super(
      `${count} function context${count === 1 ? ' is' : 's are'} encrypted under key ${keyIds.join(', ')}, ` +
        `not under key ${expectedKeyId}`,
    );
  }
}
