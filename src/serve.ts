import type { AdminTokenBootstrap } from './auth/admin-token.js';
import type { Config } from './config.js';
import { startServer } from './server.js';
import type { Logger } from './telemetry/logger.js';

/** Where the generated admin token may be shown: the process's stdout, or a stand-in in tests. */
export interface TokenOutput {
  /** A person reads it (stdout is a terminal), rather than a log collector. */
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Tells of an admin token generated on this start. On a terminal the token is shown once, as plain
 * text; anywhere else (a container's or systemd's stdout, shipped to a log collector) only a log line
 * says that one was generated and names the file that holds it: the token itself is never logged.
 */
export function announceAdminToken(adminToken: AdminTokenBootstrap, logger: Logger, output: TokenOutput = process.stdout): void {
  if (adminToken.generated === undefined) return;
  if (output.isTTY === true) {
    output.write(`faaspot: admin token (shown once, also saved to ${adminToken.file}):\n${adminToken.generated}\n`);
    return;
  }
  logger.info({ file: adminToken.file }, 'admin token generated');
}

/**
 * Runs the server in the foreground until SIGINT or SIGTERM: what `npm start` and `fas server` do.
 * The first signal stops it gracefully (see `RunningServer.shutdown`), a second one cuts the grace
 * period short; either way the database is closed and the process exits with status 0. What it says
 * goes to the server's log; a generated admin token is shown only on a terminal (see
 * {@link announceAdminToken}).
 */
export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  const { logger } = server;
  logger.info(
    { url: server.url, metrics_url: server.metricsUrl, data_dir: config.dataDir, workers: config.workers },
    `listening on ${server.url}`,
  );
  announceAdminToken(server.adminToken, logger);
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
