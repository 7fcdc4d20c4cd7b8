import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Cache, PubSub } from './cache/types';
import { MeteredCache } from './observability/cache';
import { Metrics } from './observability/metrics';
import { traceS3Client } from './observability/storage';
import { getTracer } from './observability/tracing';
import { MemoryCache, MemoryPubSub } from './cache/memory';
import { RedisCache, RedisPubSub, createRedis } from './cache/redis';
import { createDatabase } from './db/client';
import type { DatabaseHandle } from './db/types';
import { Outbox } from './outbox/outbox';
import { BullQueue } from './queue/bullmq';
import { MemoryQueue } from './queue/memory';
import { JobRegistry } from './queue/registry';
import type { QueueAdapter } from './queue/types';
import { LocalDiskStorage } from './storage/local';
import { S3Storage } from './storage/s3';
import type { ObjectStorage } from './storage/types';

/** The four ports, each with the adapter the configuration chose. */
export interface Adapters {
  database: DatabaseHandle;
  queue: QueueAdapter;
  registry: JobRegistry;
  outbox: Outbox;
  cache: Cache;
  pubsub: PubSub;
  storage: ObjectStorage;
  /** The Redis connection for rate limits and sorted-set timelines; absent in the embedded runtime. */
  redis: Redis | undefined;
  /** This runtime's Prometheus registry and recorders (platform/observability). */
  metrics: Metrics;
  close(): Promise<void>;
}

export interface AdapterOverrides {
  /** A PGlite data directory image to start from (tests load a migrated template). */
  pgliteImage?: Blob;
}

export async function createAdapters(
  config: Config,
  log: Logger,
  overrides: AdapterOverrides = {},
): Promise<Adapters> {
  const metrics = new Metrics(config.observability.metrics.enabled);
  const database = await createDatabase(config.database, log, {
    loadDataDir: overrides.pgliteImage,
    metrics: metrics.db,
  });
  const registry = new JobRegistry();

  let redis: Redis | undefined;
  let redisSub: Redis | undefined;
  let cache: Cache;
  let pubsub: PubSub;
  let queue: QueueAdapter;
  if (config.redis) {
    redis = createRedis(config.redis.url, log, 'hanger');
    redisSub = createRedis(config.redis.url, log, 'hanger-sub');
    cache = new RedisCache(redis, config.redis.prefix);
    pubsub = new RedisPubSub(redis, redisSub, config.redis.prefix);
    queue = new BullQueue(registry, log, {
      url: config.redis.url,
      prefix: `${config.redis.prefix}:bull`,
      concurrency: config.workerConcurrency,
    });
  } else {
    cache = new MemoryCache();
    pubsub = new MemoryPubSub();
    queue = new MemoryQueue(registry, log, config.workerConcurrency);
  }

  let storage: ObjectStorage;
  if (config.storage.kind === 's3') {
    const s3 = new S3Storage(config.storage);
    const tracer = getTracer();
    if (tracer) traceS3Client(s3.client, tracer);
    storage = s3;
  } else {
    storage = new LocalDiskStorage(
      path.resolve(config.storage.dir),
      config.appSecret,
      config.publicUrl,
    );
  }

  const outbox = new Outbox(database.db, queue, registry, log);
  metrics.observeQueue(queue);
  cache = new MeteredCache(cache, metrics.cache);

  return {
    database,
    queue,
    registry,
    outbox,
    cache,
    pubsub,
    storage,
    redis,
    metrics,
    async close() {
      await outbox.stopRelay();
      await queue.close();
      await pubsub.close();
      await cache.close();
      await database.close();
    },
  };
}
