/** API-only process for services mode; jobs go to BullMQ and the `worker` process runs them. */
import { buildApp } from './app';
import { createRuntime } from './composition';
import { startOpsServer } from './platform/observability';
import { boot, onShutdown } from './process';

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
if (runtime.adapters.queue.kind === 'memory') {
  log.warn('REDIS_URL is not set: jobs run inside this API process');
  await runtime.startWorker();
}
const app = await buildApp(runtime);
let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
if (config.observability.metrics.port) {
  ops = await startOpsServer({
    metrics: runtime.adapters.metrics,
    adapters: runtime.adapters,
    runtime: config.runtime,
    host: config.host,
    port: config.observability.metrics.port,
  });
}
onShutdown(log, {
  app,
  close: async () => {
    await ops?.close();
    await runtime.close();
  },
});
await app.listen({ port: config.port, host: config.host });
