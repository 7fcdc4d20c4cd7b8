#!/usr/bin/env node
// Gzipped JavaScript a first visit to the home route downloads: the entry chunk, the home route's
// lazy chunk, and every chunk they import statically. Builds into a temporary directory (with a
// manifest) so the real dist/ is untouched.   node frontend/scripts/bundle-size.mjs [--max-kb 200]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hanger-size-'));
const maxArg = process.argv.indexOf('--max-kb');
const maxKb = maxArg > 0 ? Number(process.argv[maxArg + 1]) : 200;

await build({
  root,
  configFile: path.join(root, 'vite.config.ts'),
  logLevel: 'warn',
  build: { outDir, manifest: true, sourcemap: false, emptyOutDir: true },
});
const manifest = JSON.parse(fs.readFileSync(path.join(outDir, '.vite/manifest.json'), 'utf8'));

const seen = new Set();
function collect(key) {
  if (seen.has(key)) return;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) collect(dep);
}
collect('index.html');
const home = Object.keys(manifest).find((k) => k.endsWith('src/app/routes/home.tsx'));
if (!home) throw new Error('no chunk for src/app/routes/home.tsx in the manifest');
collect(home);

let total = 0;
const rows = [];
for (const key of seen) {
  const file = manifest[key].file;
  if (!file.endsWith('.js')) continue;
  const gz = gzipSync(fs.readFileSync(path.join(outDir, file)), { level: 9 }).length;
  total += gz;
  rows.push([file, gz]);
}
rows.sort((a, b) => b[1] - a[1]);
for (const [file, gz] of rows) console.log(`${(gz / 1024).toFixed(1).padStart(7)} KB  ${file}`);
console.log(
  `${(total / 1024).toFixed(1).padStart(7)} KB  initial JS for the home route (gzip), budget ${maxKb} KB`,
);
fs.rmSync(outDir, { recursive: true, force: true });
if (total / 1024 > maxKb) process.exitCode = 1;
