/** Worker process for services mode: BullMQ workers, the scheduler (beat) and the outbox relay. */
import { createRuntime } from './composition';
import { startOpsServer } from './platform/observability';
import { boot, onShutdown } from './process';

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
await runtime.startWorker();
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
  close: async () => {
    await ops?.close();
    await runtime.close();
  },
});
log.info({ queues: runtime.adapters.registry.queues() }, 'worker started');
