import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { bootstrapAdminToken, type AdminTokenBootstrap } from './auth/admin-token.js';
import { CallbackKeys } from './auth/callback-keys.js';
import { loadCallbackSecret } from './auth/callback-secret.js';
import { openSealedStore } from './auth/sealed-store.js';
import { CallbackDispatcher } from './callbacks/callback-dispatcher.js';
import { CallbackSender } from './callbacks/callback-sender.js';
import type { Config } from './config.js';
import { Engine } from './engine/engine.js';
import { Warmup } from './engine/warmup.js';
import { CachedStore } from './store/cached-store.js';
import { RetentionSchedule } from './store/retention-schedule.js';
import { logCallbackFailures } from './telemetry/callback-log.js';
import { logExecutionEnds } from './telemetry/execution-log.js';
import { createLogger, type DestinationStream, type Logger } from './telemetry/logger.js';
import { Metrics } from './telemetry/metrics.js';

/** How to start a server beyond its {@link Config}. */
export interface ServerOptions {
  /**
   * Where log lines go instead of stdout, one `write` per line (JSON unless `FAASPOT_LOG_FORMAT` is
   * `pretty`); tests keep them to read.
   */
  logDestination?: DestinationStream;
}

/** A started server: its address, the admin token if one was generated now, and how to stop it. */
export interface RunningServer {
  url: string;
  /** The address of `GET /metrics` (`http://127.0.0.1:9464/metrics`); undefined without `FAASPOT_METRICS_PORT`. */
  metricsUrl: string | undefined;
  adminToken: AdminTokenBootstrap;
  /** The server's log, for the process around it to log its own lines. */
  logger: Logger;
  engine: Engine;
  /** Deletes old execution records; undefined when retention is off. */
  retention: RetentionSchedule | undefined;
  /** Delivers completion callbacks. */
  callbacks: CallbackDispatcher;
  /** Deletes idempotency keys older than `FAASPOT_IDEMPOTENCY_TTL` (expired keys are ignored before that too). */
  idempotencyKeys: RetentionSchedule;
  /**
   * Stops gracefully: new runs are refused with 503 SHUTTING_DOWN while other requests are still
   * answered, running executions may finish for `graceMs` (default `FAASPOT_SHUTDOWN_GRACE`), queued
   * ones stay pending for the next start, and callbacks not yet delivered are resumed by the next
   * start; then as {@link close}. A second call can only shorten the
   * grace period. Resolves with the number of executions still running when the grace period ended.
   */
  shutdown(graceMs?: number): Promise<number>;
  /** Stops at once: stops listening, stops the workers (runs going fail at the next start) and closes the database. */
  close(): Promise<void>;
}

/** Once the workers are stopped, how long answers still being written may take before their connections are cut. */
const ANSWERS_GRACE_MS = 2000;

/** Store, then engine, then HTTP: the embedded deployment in one call. */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, destination: options.logDestination });
  const callbackKeys = new CallbackKeys(loadCallbackSecret(config.dataDir, config.callbackSecret));
  // Worker threads start and Pyodide compiles while the database opens.
  const warmup = new Warmup(config);
  const { store, adminToken } = await openStore(config).catch(async (error: unknown) => {
    await warmup.stop();
    throw error;
  });
  const engine = await Engine.start(config, store, warmup);
  const metrics = new Metrics(engine);
  const logEnd = logExecutionEnds(logger);
  engine.onEnd(metrics.executionEnded);
  engine.onEnd(logEnd);
  // Ended by the recovery before anything listened; their callbacks are resumed with the others below.
  for (const record of engine.takeRecovered()) {
    metrics.executionEnded(record, { coldStart: false });
    logEnd(record, { coldStart: false });
  }
  const callbacks = new CallbackDispatcher({
    store,
    transport: new CallbackSender({ allowlist: config.callbackAllowlist, timeoutMs: config.callbackTimeoutSeconds * 1000 }),
    keys: callbackKeys,
    retries: config.callbackRetries,
    backoffMs: config.callbackBackoffMs,
    concurrency: config.callbackConcurrency,
    onError: (error) => logger.error({ err: error }, 'recording a callback delivery failed'),
    onFailure: logCallbackFailures(logger),
  });
  // Subscribed before anything can end; then the callbacks owed since the last stop are resumed.
  engine.onEnd((record) => callbacks.notify(record));
  await callbacks.start();
  const retention =
    config.retentionSeconds > 0
      ? new RetentionSchedule(store, {
          maxAgeMs: config.retentionSeconds * 1000,
          onError: (error) => logger.error({ err: error }, 'deleting old execution records failed'),
        })
      : undefined;
  retention?.start();
  const idempotencyKeys = new RetentionSchedule(store, {
    maxAgeMs: config.idempotencyTtlSeconds * 1000,
    deleteBatch: (before, limit) => store.deleteIdempotencyKeysBefore(before, limit),
    onError: (error) => logger.error({ err: error }, 'deleting expired idempotency keys failed'),
  });
  idempotencyKeys.start();
  // Imported once the workers are booting: loading the HTTP stack overlaps with their start.
  const [{ createApp }, { createMetricsApp }] = await Promise.all([import('./api/app.js'), import('./api/metrics-app.js')]);
  const app = createApp({ config, store, executor: engine, logger, metrics, callbackKeys });
  app.on('error', (error: unknown, ctx?: { state?: { requestId?: string } }) => {
    logger.error({ err: error, request_id: ctx?.state?.requestId }, 'request failed');
  });
  /**
   * The schedules and the callback dispatcher, stopped before the engine ends the runs still going
   * and the store closes. Callback attempts in flight are cut short and, like retries not yet due,
   * resumed by the next start.
   */
  const stopBackground = async (): Promise<void> => {
    await Promise.allSettled([retention?.stop(), idempotencyKeys.stop(), callbacks.stop()]);
  };
  let server: Server | undefined;
  let metricsServer: Server | undefined;
  try {
    server = await listen(app, config.port, config.host);
    if (config.metricsPort !== undefined) {
      const metricsApp = createMetricsApp(metrics);
      metricsApp.on('error', (error: unknown) => logger.error({ err: error }, 'metrics request failed'));
      metricsServer = await listen(metricsApp, config.metricsPort, config.metricsHost);
    }
  } catch (error) {
    // A port in use: what was opened is closed again, and the caller hears why.
    await Promise.allSettled([closeServer(server), stopBackground()]);
    await engine.close();
    await store.close();
    throw error;
  }
  // Blocking runs and ?wait= hold requests open for as long as a function's timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  const answers = answersInFlight(server);
  let stopping: Promise<number> | undefined;
  return {
    url: urlOf(server, config.host),
    metricsUrl: metricsServer && `${urlOf(metricsServer, config.metricsHost)}/metrics`,
    adminToken,
    logger,
    engine,
    retention,
    callbacks,
    idempotencyKeys,
    shutdown(graceMs = config.shutdownGraceSeconds * 1000) {
      const drained = engine.drain(graceMs);
      stopping ??= (async () => {
        const unfinished = await drained;
        await stopBackground();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Runs still going are stopped; their callers and long polls are answered from what is known.
        await engine.close();
        await answers.settled(ANSWERS_GRACE_MS);
        server.closeAllConnections();
        await closed;
        await closeServer(metricsServer);
        await store.close();
        return unfinished;
      })();
      return stopping;
    },
    async close() {
      // After (or during) a graceful stop there is nothing left to close.
      if (stopping) {
        await stopping;
        return;
      }
      stopping = (async () => {
        await Promise.all([closeServer(server), closeServer(metricsServer)]);
        await stopBackground();
        await engine.close();
        await store.close();
        return 0;
      })();
      await stopping;
    },
  };
}

/** The database, with an admin token in it (generated on the first start). */
async function openStore(config: Config): Promise<{ store: CachedStore; adminToken: AdminTokenBootstrap }> {
  const store = new CachedStore(await openSealedStore(config));
  try {
    return { store, adminToken: await bootstrapAdminToken(store, config.dataDir, config.adminToken) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

function listen(app: Koa, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
}

/** Stops listening and cuts the connections left. */
function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Counts requests whose answer is not yet written, so a stop can let them finish. */
function answersInFlight(server: Server): { settled(maxMs: number): Promise<void> } {
  let inFlight = 0;
  let onSettled: (() => void) | undefined;
  server.on('request', (_request, response: ServerResponse) => {
    inFlight++;
    response.once('close', () => {
      if (--inFlight === 0) onSettled?.();
    });
  });
  return {
    settled(maxMs) {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, maxMs);
        onSettled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
