import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../src/app';
import { createRuntime, type Runtime } from '../src/composition';
import { loadConfig, type Config } from '../src/config';
import { createLogger } from '../src/platform/logging/logger';
import type { App } from '../src/platform/http/types';
import { S3Storage } from '../src/platform/storage/s3';

export interface TestApp {
  app: App;
  runtime: Runtime;
  config: Config;
  /** Waits for every job the test's writes caused (via the outbox) to finish. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Start a second instance on the same database, Redis prefix and bucket (cross-instance tests). */
  shareWith?: TestApp;
  /** Run the worker role in this instance (default true). */
  worker?: boolean;
  /** Runs before the app is built and the worker starts (define test jobs here). */
  setup?: (runtime: Runtime) => void | Promise<void>;
  /** Extra routes registered before the app is ready (tests of the HTTP platform). */
  routes?: (app: App) => void;
  /** Where log lines go (tests that read the logs); stdout by default. */
  logStream?: DestinationStream;
}

let pgliteImage: Blob | undefined;

async function loadPgliteImage(): Promise<Blob> {
  if (!pgliteImage) {
    const buf = await fs.readFile(inject('pgliteImagePath'));
    pgliteImage = new Blob([new Uint8Array(buf)]);
  }
  return pgliteImage;
}

/**
 * Builds the whole application for a test on the runtime this run targets: embedded (PGlite from
 * a migrated image, local disk, in-process queue) or services (a fresh Postgres database copied
 * from the migrated template, its own Redis prefix, its own S3 bucket).
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const services = inject('services');
  const shared = options.shareWith?.config;
  const id = randomBytes(5).toString('hex');
  const dataDir = shared?.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'hanger-test-')));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.HANGER_TEST_LOG_LEVEL ?? 'silent',
    APP_SECRET: 'test-secret-test-secret-test-secret-0123',
    HANGER_DATA_DIR: dataDir,
    PUBLIC_URL: 'http://localhost:3000',
    SERVE_SPA: 'false',
    RATE_LIMIT_MAX: '100000',
    ...options.env,
  };
  const cleanups: (() => Promise<void>)[] = [];

  if (services) {
    let dbName: string;
    let prefix: string;
    let bucket: string;
    if (shared) {
      dbName = new URL(
        shared.database.kind === 'postgres' ? shared.database.url : '',
      ).pathname.slice(1);
      prefix = shared.redis!.prefix;
      bucket = shared.storage.kind === 's3' ? shared.storage.bucket : '';
    } else {
      dbName = `hanger_t_${id}`;
      prefix = `hanger-test-${id}`;
      bucket = `hanger-test-${id}`;
      await createDatabaseFromTemplate(services.adminUrl, services.template, dbName);
      cleanups.push(() => dropDatabase(services.adminUrl, dbName));
      cleanups.push(() => deleteRedisPrefix(services.redisUrl, prefix));
    }
    const dbUrl = new URL(services.adminUrl);
    dbUrl.pathname = `/${dbName}`;
    Object.assign(env, {
      DATABASE_URL: dbUrl.toString(),
      DATABASE_POOL_MAX: '5',
      REDIS_URL: services.redisUrl,
      REDIS_PREFIX: prefix,
      S3_ENDPOINT: services.s3Endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      MIGRATE_ON_START: 'false',
    });
  }

  const config = loadConfig(env);
  const log = createLogger(config.logLevel, options.logStream);
  const runtime = await createRuntime(
    config,
    log,
    services ? {} : { pgliteImage: await loadPgliteImage() },
  );
  if (services && !shared && runtime.adapters.storage instanceof S3Storage) {
    await runtime.adapters.storage.client.send(
      new CreateBucketCommand({ Bucket: (config.storage as { bucket: string }).bucket }),
    );
  }
  await options.setup?.(runtime);
  const app = await buildApp(runtime);
  options.routes?.(app);
  if (options.worker !== false) await runtime.startWorker();
  await app.ready();

  return {
    app,
    runtime,
    config,
    settle: (timeoutMs) => runtime.adapters.outbox.whenSettled(timeoutMs),
    async close() {
      await app.close();
      await runtime.close();
      for (const c of cleanups.reverse()) await c();
      if (!shared) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabaseFromTemplate(adminUrl: string, template: string, name: string) {
  await withAdmin(adminUrl, async (c) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (err) {
        // Two files copying the template at the same instant: Postgres refuses one; try again.
        if (attempt >= 20 || !String(err).includes('being accessed by other users')) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
}

async function dropDatabase(adminUrl: string, name: string) {
  await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function deleteRedisPrefix(url: string, prefix: string) {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
