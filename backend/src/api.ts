/** API-only process for services mode; jobs go to BullMQ and the `worker` process runs them. */
import { buildApp } from './app';
import { createRuntime } from './composition';
import { boot, superviseProcess } from './process';

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
if (runtime.adapters.queue.kind === 'memory') {
  log.warn('REDIS_URL is not set: jobs run inside this API process');
  await runtime.startWorker();
}
const app = await buildApp(runtime);
await superviseProcess(runtime, app);
await app.listen({ port: config.port, host: config.host });
