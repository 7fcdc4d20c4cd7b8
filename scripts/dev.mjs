#!/usr/bin/env node
// `npm run dev`: the API + worker with reload (tsx watch) and Vite's dev server, side by side.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const procs = [
  spawn('npx', ['tsx', 'watch', 'backend/src/main.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SERVE_SPA: 'false' },
  }),
  spawn('npx', ['vite'], { cwd: path.join(root, 'frontend'), stdio: 'inherit' }),
];
const stop = () => procs.forEach((p) => p.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const p of procs) p.on('exit', () => stop());
