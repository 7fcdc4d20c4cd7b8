import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './platform/logging/logger';
import { stopTracing } from './platform/observability/tracing';
import type { Runtime } from './composition';
import { startOpsServer } from './platform/observability';

/** Loads config and logger, or exits with a message that names the bad variable. */
export function boot(): { config: Config; log: Logger } {
  try {
    const config = loadConfig();
    return { config, log: createLogger(config.logLevel) };
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: stop accepting connections and drain HTTP, then let the
 * caller finish jobs and close pools. A second signal, or 25 s, forces the exit.
 */
export function onShutdown(
  log: Logger,
  steps: { app?: FastifyInstance; close: () => Promise<void> },
) {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 25_000).unref();
    (async () => {
      await steps.app?.close();
      await steps.close();
      await stopTracing(); // flushes spans still in the batch
    })()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * What every entry point does once its roles are running: the ops server (metrics and probes on
 * METRICS_PORT) when configured, and graceful shutdown of the HTTP app, the ops server and the
 * runtime, in that order.
 */
export async function superviseProcess(runtime: Runtime, app?: FastifyInstance): Promise<void> {
  const { config } = runtime;
  const ops = config.observability.metrics.port
    ? await startOpsServer({
        metrics: runtime.adapters.metrics,
        adapters: runtime.adapters,
        runtime: config.runtime,
        host: config.host,
        port: config.observability.metrics.port,
      })
    : undefined;
  onShutdown(runtime.log, {
    app,
    close: async () => {
      await ops?.close();
      await runtime.close();
    },
  });
}
