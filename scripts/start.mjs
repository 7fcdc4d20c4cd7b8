#!/usr/bin/env node
// `npm start`: build the SPA if it is missing, then run API + worker + SPA in one process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'frontend/dist/index.html'))) {
  console.log('Building the web app (first start only)…');
  const build = spawnSync('npm', ['run', 'build', '-w', 'frontend'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// The preload turns OpenTelemetry on (before anything is imported) when OTEL_* says so.
const preload = './backend/src/platform/observability/preload.ts';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--import', preload, 'backend/src/main.ts'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
