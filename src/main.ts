import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

/** `npm start`: configuration from the environment, then the server, until SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
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

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `faaspot: ${error.message}` : error);
  process.exit(1);
});
