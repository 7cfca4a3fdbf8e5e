import type { Config } from './config.js';
import { startServer } from './server.js';

/**
 * Runs the server in the foreground until SIGINT or SIGTERM: what `npm start` and `fas server` do.
 * The first signal stops it gracefully (see `RunningServer.shutdown`), a second one cuts the grace
 * period short; either way the database is closed and the process exits with status 0.
 */
export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  console.log(`faaspot: listening on ${server.url} (data in ${config.dataDir}, ${config.workers} workers)`);
  if (server.adminToken.generated) {
    console.log(`faaspot: admin token (shown once, also saved to ${server.adminToken.file}):`);
    console.log(server.adminToken.generated);
  }
  void server.engine.whenWarm().then(() => console.log('faaspot: interpreters warm'));
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      console.log(`faaspot: ${signal} received again, stopping now`);
      void server.shutdown(0);
      return;
    }
    console.log(
      `faaspot: ${signal} received, stopping: new runs are refused, ${server.engine.status().running} running may take ` +
        `up to ${config.shutdownGraceSeconds} s to finish, queued ones stay pending for the next start`,
    );
    server.shutdown().then(
      (unfinished) => {
        if (unfinished > 0) console.log(`faaspot: ${unfinished} still running after the grace period; the next start marks them ServerRestarted`);
        console.log('faaspot: stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('faaspot: error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
