import { createHmac } from 'node:crypto';
import type { CallbackSecret } from './callback-secret.js';

/** What the key of a namespace is derived with, before the namespace's name. */
export const CALLBACK_KEY_CONTEXT = 'faaspot callback key v1\n';

/**
 * The key that signs the callbacks of `namespace`: the hex HMAC-SHA256, keyed with the root secret's
 * UTF-8 bytes, of `"faaspot callback key v1\n" + namespace` in UTF-8. Its 64 hex digits are the
 * text whose UTF-8 bytes key `X-Faaspot-Signature`, as the root secret's once did.
 *
 * @example deriveCallbackKey('0123…root', 'team-a') // '9c4e…' (64 hex digits)
 */
export function deriveCallbackKey(rootSecret: string, namespace: string): string {
  return createHmac('sha256', rootSecret).update(`${CALLBACK_KEY_CONTEXT}${namespace}`, 'utf8').digest('hex');
}

/**
 * The keys of completion callbacks, one per namespace, derived from the root secret
 * (`FAASPOT_CALLBACK_SECRET` or `<data dir>/callback-secret`). A receiver holds its own namespace's
 * key only: it cannot sign for another namespace, nor accept another namespace's callbacks as its
 * own. The root secret is kept private here and never handed out.
 */
export class CallbackKeys {
  /** Where the root secret came from: `FAASPOT_CALLBACK_SECRET`, or the file in the data directory. */
  readonly source: CallbackSecret['source'];
  readonly #root: string;

  constructor(root: Pick<CallbackSecret, 'secret' | 'source'>) {
    this.#root = root.secret;
    this.source = root.source;
  }

  /** The key of `namespace` ({@link deriveCallbackKey}). */
  keyFor(namespace: string): string {
    return deriveCallbackKey(this.#root, namespace);
  }
}
