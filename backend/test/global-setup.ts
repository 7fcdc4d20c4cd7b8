import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../src/platform/db/client';
import { createLogger } from '../src/platform/logging/logger';
import { testRuntime, type ServicesTarget } from './runtime-target';

declare module 'vitest' {
  export interface ProvidedContext {
    runtime: 'embedded' | 'services';
    pgliteImagePath: string;
    services: ServicesTarget | null;
  }
}

/**
 * Once per test run: a migrated database to copy from (a PGlite data-dir image, or a Postgres
 * template database) and, in services mode, the S3 test server.
 */
export default async function setup(project: TestProject) {
  const runtime = testRuntime();
  const log = createLogger('warn');
  const tmp = path.resolve(import.meta.dirname, '../../.tmp');
  await fs.mkdir(tmp, { recursive: true });
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const cleanups: (() => Promise<void>)[] = [];

  project.provide('runtime', runtime);
  if (runtime === 'embedded') {
    const db = await createDatabase({ kind: 'pglite', dataDir: undefined }, log);
    await db.migrate();
    const client = (db.db as unknown as { $client: { dumpDataDir(c: 'none'): Promise<Blob> } })
      .$client;
    const image = await client.dumpDataDir('none');
    await db.close();
    const file = path.join(tmp, `pglite-template-${runId}.tar`);
    await fs.writeFile(file, Buffer.from(await image.arrayBuffer()));
    cleanups.push(() => fs.rm(file, { force: true }));
    project.provide('pgliteImagePath', file);
    project.provide('services', null);
  } else {
    const { default: pg } = await import('pg');
    const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const template = `hanger_tpl_${runId}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    const url = new URL(adminUrl);
    url.pathname = `/${template}`;
    const db = await createDatabase({ kind: 'postgres', url: url.toString(), poolMax: 2 }, log);
    await db.migrate();
    await db.close();
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    });

    const { default: S3rver } = await import('@20minutes/s3rver');
    const dir = path.join(tmp, `s3rver-${runId}`);
    const s3 = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      resetOnClose: true,
    });
    const address = await s3.run();
    cleanups.push(async () => {
      await s3.close();
      await fs.rm(dir, { recursive: true, force: true });
    });
    project.provide('pgliteImagePath', '');
    project.provide('services', {
      adminUrl,
      template,
      redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
      s3Endpoint: `http://127.0.0.1:${address.port}`,
    });
  }

  return async () => {
    for (const c of cleanups.reverse()) await c();
  };
}
