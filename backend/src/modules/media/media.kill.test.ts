import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app';
import { jpegWithExif, uploadBytes } from '../../../test/uploads';
import { createUser } from '../../../test/users';
import { outboxJobs } from '../../platform/outbox/outbox.table';
import type { S3Storage } from '../../platform/storage/s3';
import { uploads } from './media.table';

const BATCH = 16;
const backendDir = path.resolve(import.meta.dirname, '../../..');

/**
 * Services mode only: a real worker process (BullMQ) is killed with SIGKILL in the middle of a
 * batch; a new one finishes it. Every image ends ready, each exactly once in storage and outbox.
 */
describe.skipIf(!inject('services'))('media worker killed mid-batch (services, BullMQ)', () => {
  let t: TestApp;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await t.close();
  });

  function startWorker(): ChildProcess {
    const c = t.config;
    if (c.database.kind !== 'postgres' || c.storage.kind !== 's3' || !c.redis) {
      throw new Error('services runtime expected');
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: backendDir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        APP_SECRET: c.appSecret,
        HANGER_DATA_DIR: c.dataDir,
        PUBLIC_URL: c.publicUrl,
        DATABASE_URL: c.database.url,
        DATABASE_POOL_MAX: '4',
        MIGRATE_ON_START: 'false',
        REDIS_URL: c.redis.url,
        REDIS_PREFIX: c.redis.prefix,
        S3_ENDPOINT: c.storage.endpoint,
        S3_BUCKET: c.storage.bucket,
        S3_REGION: c.storage.region,
        S3_ACCESS_KEY_ID: c.storage.accessKeyId,
        S3_SECRET_ACCESS_KEY: c.storage.secretAccessKey,
        S3_FORCE_PATH_STYLE: 'true',
        WORKER_CONCURRENCY: '1',
        NODE_NO_WARNINGS: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) =>
      process.stderr.write(`[worker ${child.pid}] ${d.toString()}`),
    );
    children.push(child);
    return child;
  }

  async function readyCount(ids: string[]): Promise<number> {
    const [row] = await t.runtime.adapters.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(uploads)
      .where(and(inArray(uploads.id, ids), eq(uploads.status, 'ready')));
    return row?.n ?? 0;
  }

  async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (!(await fn())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('finishes every image exactly once after a SIGKILL', { timeout: 180_000 }, async () => {
    const seller = await createUser(t);
    const photo = await jpegWithExif(2400, 1800);
    const ids: string[] = [];
    for (let i = 0; i < BATCH; i++) ids.push(await uploadBytes(t, seller, photo, 'image/jpeg'));
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: seller.headers,
      payload: {
        title: 'Batch',
        description: '',
        category: 'tops',
        brand: 'Test',
        size: 'S',
        condition: 'good',
        priceCents: 1000,
        currency: 'EUR',
        imageUploadIds: ids,
      },
    });
    expect(res.statusCode, res.body).toBe(201);

    const first = startWorker();
    await until(async () => (await readyCount(ids)) >= 2, 60_000, 'the first images');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await readyCount(ids);
    expect(atKill).toBeLessThan(BATCH);

    const second = startWorker();
    await until(async () => (await readyCount(ids)) === BATCH, 150_000, 'every image');
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    const rows = await t.runtime.adapters.database.db
      .select()
      .from(uploads)
      .where(inArray(uploads.id, ids));
    expect(rows.every((r) => r.status === 'ready' && r.failureReason === null)).toBe(true);

    const storage = t.runtime.adapters.storage as S3Storage;
    const listed = await storage.client.send(
      new ListObjectsV2Command({
        Bucket: (t.config.storage as { bucket: string }).bucket,
        Prefix: 'public/media/',
      }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    expect(keys).toEqual(
      ids
        .flatMap((id) => [`public/media/${id}/medium.webp`, `public/media/${id}/thumb.webp`])
        .sort(),
    );
    const jobs = await t.runtime.adapters.database.db
      .select()
      .from(outboxJobs)
      .where(eq(outboxJobs.name, 'media.processImage'));
    expect(jobs).toHaveLength(BATCH);
    expect(new Set(jobs.map((j) => (j.payload as { uploadId: string }).uploadId)).size).toBe(BATCH);
  });
});
