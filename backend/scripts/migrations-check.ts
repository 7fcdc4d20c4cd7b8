/**
 * Fails when the Drizzle schema has changes that no committed migration captures: runs
 * `drizzle-kit generate` against a copy of the migrations folder and looks for a new file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const backend = path.resolve(import.meta.dirname, '..');
const committed = path.join(backend, 'src/db/migrations');
const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'hanger-migrations-'));
await fs.cp(committed, copy, { recursive: true });
const before = new Set(await fs.readdir(copy));
execFileSync(
  'npx',
  [
    'drizzle-kit',
    'generate',
    '--dialect=postgresql',
    '--schema=./src/platform/db/schema.ts',
    `--out=${copy}`,
    '--casing=snake_case',
  ],
  { cwd: backend, stdio: 'pipe' },
);
const added = (await fs.readdir(copy)).filter((f) => !before.has(f));
await fs.rm(copy, { recursive: true, force: true });
if (added.length > 0) {
  console.error(
    `The schema has changes without a migration (${added.join(', ')}): run \`npm run db:generate\`.`,
  );
  process.exit(1);
}
console.log('migrations are current');
