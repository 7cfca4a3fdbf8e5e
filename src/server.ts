import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootstrapAdminToken, type AdminTokenBootstrap } from './auth/admin-token.js';
import { openSealedStore } from './auth/sealed-store.js';
import type { Config } from './config.js';
import { Engine } from './engine/engine.js';
import { CachedStore } from './store/cached-store.js';
import { RetentionSchedule } from './store/retention-schedule.js';

/** A started server: its address, the admin token if one was generated now, and how to stop it. */
export interface RunningServer {
  url: string;
  adminToken: AdminTokenBootstrap;
  engine: Engine;
  /** Deletes old execution records; undefined when retention is off. */
  retention: RetentionSchedule | undefined;
  /** Stops listening, stops the workers and closes the database. */
  close(): Promise<void>;
}

/** Store, then engine, then HTTP: the embedded deployment in one call. */
export async function startServer(config: Config): Promise<RunningServer> {
  const store = new CachedStore(await openSealedStore(config));
  const adminToken = await bootstrapAdminToken(store, config.dataDir, config.adminToken);
  const engine = await Engine.start(config, store);
  const retention =
    config.retentionSeconds > 0
      ? new RetentionSchedule(store, {
          maxAgeMs: config.retentionSeconds * 1000,
          onError: (error) => console.error('faaspot: deleting old execution records failed:', error),
        })
      : undefined;
  retention?.start();
  // Imported once the workers are booting: loading the HTTP stack overlaps with their start.
  const { createApp } = await import('./api/app.js');
  const app = createApp({ config, store, executor: engine });
  app.on('error', (error: unknown) => {
    console.error('faaspot: request failed:', error);
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  // Blocking runs and ?wait= hold requests open for as long as a function's timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    adminToken,
    engine,
    retention,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await retention?.stop();
      await engine.close();
      await store.close();
    },
  };
}
