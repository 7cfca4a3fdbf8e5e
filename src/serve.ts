import type { Config } from './config.js';
import { startServer } from './server.js';

/**
 * Runs the server in the foreground until SIGINT or SIGTERM: what `npm start` and `fas server` do.
 * The first signal stops it gracefully (see `RunningServer.shutdown`), a second one cuts the grace
 * period short; either way the database is closed and the process exits with status 0. What it says
 * goes to the server's log, except the generated admin token, which is printed once as plain text and
 * never logged.
 */
export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  const { logger } = server;
  logger.info(
    { url: server.url, metrics_url: server.metricsUrl, data_dir: config.dataDir, workers: config.workers },
    `listening on ${server.url}`,
  );
  if (server.adminToken.generated) {
    console.log(`faaspot: admin token (shown once, also saved to ${server.adminToken.file}):`);
    console.log(server.adminToken.generated);
  }
  void server.engine.whenWarm().then(() => logger.info({ snapshot: server.engine.status().image }, 'interpreters warm'));
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      logger.info({ signal }, `${signal} received again, stopping now`);
      void server.shutdown(0);
      return;
    }
    logger.info(
      { signal },
      `${signal} received, stopping: new runs are refused, ${server.engine.status().running} running may take ` +
        `up to ${config.shutdownGraceSeconds} s to finish, queued ones stay pending for the next start`,
    );
    server.shutdown().then(
      (unfinished) => {
        if (unfinished > 0) logger.warn({ unfinished }, `${unfinished} still running after the grace period; the next start marks them ServerRestarted`);
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
