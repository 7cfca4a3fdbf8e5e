import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { generateToken, hashToken } from '../../auth/token-secret.js';
import { ApiError } from '../../errors.js';
import { showText } from '../../functions/show-text.js';
import type { StoredToken } from '../../store/store.js';
import type { ApiDeps, ApiState } from '../deps.js';
import { assertNamespaceName } from '../namespace-name.js';
import { readObjectBody } from '../request-body.js';
import { wireToken } from '../wire.js';

/** Token administration; admin tokens only. */
export function tokenRoutes(deps: ApiDeps): Router<ApiState> {
  const { config, store } = deps;
  const router = new Router<ApiState>();

  router.use('/v1/tokens', async (ctx, next) => {
    if (!ctx.state.caller.admin) throw new ApiError('FORBIDDEN', 'Only an admin token can manage tokens');
    await next();
  });

  router.post('/v1/tokens', async (ctx) => {
    const body = await readObjectBody(ctx, config.maxBodyBytes);
    const namespace = assertNamespaceName(body.namespace);
    if (body.admin !== undefined && typeof body.admin !== 'boolean') throw new ApiError('INVALID_REQUEST', '`admin` must be true or false');
    const token = generateToken();
    const stored: StoredToken = {
      id: randomUUID(),
      tokenHash: hashToken(token),
      namespace,
      admin: body.admin === true,
      created: new Date().toISOString(),
    };
    await store.insertToken(stored);
    ctx.body = { ...wireToken(stored), token };
  });

  router.get('/v1/tokens', async (ctx) => {
    ctx.body = (await store.listTokens()).map(wireToken);
  });

  router.delete('/v1/tokens/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    const tokens = await store.listTokens();
    const target = tokens.find((t) => t.id === id);
    if (!target) throw new ApiError('TOKEN_NOT_FOUND', `No token with id ${showText(id)}; GET /v1/tokens lists them`);
    if (target.admin && tokens.filter((t) => t.admin).length === 1) {
      throw new ApiError('LAST_ADMIN_TOKEN', 'This is the only admin token; create another admin token before revoking it');
    }
    await store.deleteToken(id);
    ctx.body = { ...wireToken(target), revoked: true };
  });

  return router;
}
