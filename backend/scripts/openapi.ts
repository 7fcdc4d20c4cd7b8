/**
 * Writes (`write`) or verifies (`check`) backend/openapi.json, the committed OpenAPI 3.1 document
 * generated from the routes' Zod schemas. CI runs `check`, so a route change without a regenerated
 * spec fails the build.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app';
import { createRuntime } from '../src/composition';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/platform/logging/logger';

const mode = process.argv[2];
if (mode !== 'write' && mode !== 'check') {
  console.error('usage: openapi.ts write|check');
  process.exit(2);
}
const target = path.resolve(import.meta.dirname, '../openapi.json');
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hanger-openapi-'));
const config = loadConfig({ HANGER_DATA_DIR: dataDir, SERVE_SPA: 'false', LOG_LEVEL: 'silent' });
const runtime = await createRuntime(config, createLogger('silent'));
const app = await buildApp(runtime);
await app.ready();
const spec = `${JSON.stringify(app.swagger(), null, 2)}\n`;
await app.close();
await runtime.close();
await fs.rm(dataDir, { recursive: true, force: true });

if (mode === 'write') {
  await fs.writeFile(target, spec);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
} else {
  const current = await fs.readFile(target, 'utf8').catch(() => '');
  if (current !== spec) {
    console.error('backend/openapi.json is out of date: run `npm run openapi` and commit it.');
    process.exit(1);
  }
  console.log('openapi.json is current');
}
