import type { Middleware } from 'koa';
import { hashToken } from '../../auth/token-secret.js';
import { ApiError } from '../../errors.js';
import type { Store } from '../../store/store.js';

/** Who is calling, as the routes see it. */
export interface Caller {
  tokenId: string;
  namespace: string;
  admin: boolean;
}

const SCHEME = /^(?:Token|Bearer)\s+(\S+)\s*$/i;

/** Requires `Authorization: Token <token>` (or `Bearer <token>`) and puts the caller in `ctx.state.caller`. */
export function authenticate(store: Store): Middleware<{ caller: Caller }> {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const token = SCHEME.exec(header)?.[1];
    if (!token) {
      throw new ApiError(
        'UNAUTHENTICATED',
        header ? 'The Authorization header must be "Token <token>" or "Bearer <token>"' : undefined,
      );
    }
    const stored = await store.findTokenByHash(hashToken(token));
    if (!stored) throw new ApiError('UNAUTHENTICATED', 'The token is unknown or has been revoked');
    ctx.state.caller = { tokenId: stored.id, namespace: stored.namespace, admin: stored.admin };
    await next();
  };
}
