import type { CallbackSecret } from '../auth/callback-secret.js';
import type { Config } from '../config.js';
import type { Executor } from '../engine/executor.js';
import type { Store } from '../store/store.js';
import type { Caller } from './middleware/authenticate.js';

/** What the routes are built from: interfaces only, so a test can swap any of them. */
export interface ApiDeps {
  config: Config;
  store: Store;
  executor: Executor;
  /** The key that signs completion callbacks, shown to admins. */
  callbackSecret: Pick<CallbackSecret, 'secret' | 'source'>;
}

export interface ApiState {
  caller: Caller;
}
