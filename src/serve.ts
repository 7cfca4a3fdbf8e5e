import type { Config } from './config.js';
import { startServer } from './server.js';

/** Runs the server in the foreground until SIGINT or SIGTERM: what `npm start` and `fas server` do. */
export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  console.log(`faaspot: listening on ${server.url} (data in ${config.dataDir}, ${config.workers} workers)`);
  if (server.adminToken.generated) {
    console.log(`faaspot: admin token (shown once, also saved to ${server.adminToken.file}):`);
    console.log(server.adminToken.generated);
  }
  void server.engine.whenWarm().then(() => console.log('faaspot: interpreters warm'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`faaspot: ${signal} received, stopping`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('faaspot: error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
