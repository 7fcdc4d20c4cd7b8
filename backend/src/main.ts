/**
 * All-in-one process (`npm start`): API + worker + scheduler + the built SPA. With no
 * configuration it runs the embedded runtime (PGlite, local disk, in-process queue/cache/pub-sub).
 */
import { buildApp } from './app';
import { createRuntime } from './composition';
import { boot, superviseProcess } from './process';

const { config, log } = boot();
const runtime = await createRuntime(config, log);
if (config.migrateOnStart) await runtime.adapters.database.migrate();
const app = await buildApp(runtime);
await runtime.startWorker();
await superviseProcess(runtime, app);
await app.listen({ port: config.port, host: config.host });
log.info(
  { url: config.publicUrl, runtime: config.runtime, dataDir: config.dataDir },
  `Hanger is running at ${config.publicUrl}`,
);
