import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import type { BenchContext } from './bench-context.js';
import { FaaspotApi } from './faaspot-api.js';
import { TRIVIAL_CODE } from './trivial-function.js';
import { waitForPristine } from './wait-for-pristine.js';

/** The function the in-process server holds from the start. */
export const TRIVIAL_NAME = 'trivial';

/** FaaSpot and the bare Koa baseline, listening in the benchmark's own process. */
export interface InProcessServers {
  faaspot: FaaspotApi;
  /** A Koa application whose only route answers `{"hello": "world"}`: the web framework alone. */
  bareUrl: string;
}

async function listen(app: Koa): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}

/**
 * Both servers, started once per run on first use (warm, with {@link TRIVIAL_NAME} warm in every
 * worker) and closed at the end. They share this process and its event loop with the client, so a
 * ratio between them is what FaaSpot adds to the web framework, with the client's cost on both sides.
 */
export function inProcessServers(context: BenchContext): Promise<InProcessServers> {
  return context.shared('in-process-servers', async () => {
    const bare = new Koa();
    bare.use(async (ctx) => {
      if (ctx.method !== 'POST') {
        ctx.body = { hello: 'world' };
        return;
      }
      // The bulk baseline: the same body read and parsed, and an id made for each item.
      const items = JSON.parse(await getRawBody(ctx.req, { encoding: 'utf8' })) as unknown[];
      ctx.body = items.map(() => randomUUID());
    });
    const bareServer = await listen(bare);
    context.cleanup.defer(() => new Promise<void>((resolve) => {
      bareServer.close(() => resolve());
      bareServer.closeAllConnections();
    }));

    const dataDir = context.cleanup.tempDir('faaspot-bench-');
    const config = loadConfig(process.env, { port: 0, dataDir, adminToken: context.adminToken, workers: context.options.workers });
    // The server logs as it would in production (a JSON line per request and per run, written
    // synchronously), into a file of the data directory rather than into the table.
    const logDestination = pino.destination({ dest: join(dataDir, 'server.log'), sync: true });
    const server = await startServer(config, { logDestination });
    context.cleanup.defer(() => server.close());
    await server.engine.whenWarm();
    const faaspot = new FaaspotApi(context.client, server.url, context.adminToken);
    await faaspot.createFunction(TRIVIAL_NAME, TRIVIAL_CODE);
    // Every scenario starts from the same state: the trivial function warm in every worker, and a
    // pristine interpreter beside it.
    await waitForPristine(faaspot);
    return { faaspot, bareUrl: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/` };
  });
}
