/**
 * The API + worker under test (forked by run.ts): the real app in the services runtime on the
 * benchmark database and Redis prefix, listening on loopback; reports its port over IPC.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app';
import { createRuntime } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/platform/logging/logger';

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hanger-bench-discovery-'));
const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  HANGER_DATA_DIR: dataDir,
  SERVE_SPA: 'false',
  RATE_LIMIT_MAX: '100000000',
  MIGRATE_ON_START: 'false',
  PUBLIC_URL: 'http://127.0.0.1:3000',
});
const runtime = await createRuntime(config, createLogger(config.logLevel));
const app = await buildApp(runtime);
await runtime.startWorker();
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'stop') {
    void app
      .close()
      .then(() => runtime.close())
      .then(() => fs.rm(dataDir, { recursive: true, force: true }))
      .finally(() => process.exit(0));
  }
});
