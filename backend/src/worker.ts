/** Worker process for services mode: BullMQ workers, the scheduler (beat) and the outbox relay. */
import { createRuntime } from './composition';
import { boot, superviseProcess } from './process';

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
await runtime.startWorker();
await superviseProcess(runtime);
log.info({ queues: runtime.adapters.registry.queues() }, 'worker started');
