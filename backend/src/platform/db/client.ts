import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { observePgPool } from '../observability/db';
import { getTracer } from '../observability/tracing';
import type { DbMetrics } from '../observability/metrics';
import * as schema from './schema';
import type { Database, DatabaseHandle } from './types';

export const migrationsFolder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../db/migrations',
);

/** Arbitrary, fixed key for the migration advisory lock. */
const MIGRATION_LOCK = 7_261_020_001;

export async function createDatabase(
  config: Config['database'],
  logger: Logger,
  options: { loadDataDir?: Blob; metrics?: DbMetrics } = {},
): Promise<DatabaseHandle> {
  return config.kind === 'pglite'
    ? createPglite(config.dataDir, options.loadDataDir)
    : createPostgres(config.url, config.poolMax, logger, options.metrics);
}

async function createPglite(
  dataDir: string | undefined,
  loadDataDir?: Blob,
): Promise<DatabaseHandle> {
  const [{ PGlite }, { pg_trgm }, { unaccent }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/contrib/unaccent'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  if (dataDir) await fs.mkdir(dataDir, { recursive: true });
  const client = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    extensions: { pg_trgm, unaccent },
  });
  const db = drizzle({ client, schema, casing: 'snake_case' }) as unknown as Database;
  return {
    kind: 'pglite',
    db,
    async migrate() {
      await migrate(drizzle({ client, schema, casing: 'snake_case' }), { migrationsFolder });
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await client.close();
    },
  };
}

async function createPostgres(
  url: string,
  max: number,
  logger: Logger,
  metrics?: DbMetrics,
): Promise<DatabaseHandle> {
  const [{ default: pg }, { drizzle }, { migrate }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
  ]);
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client that loses its connection (database restart, failover) emits 'error' on the
  // pool; a checked-out one emits it on the client. Unhandled, either would crash the process.
  pool.on('error', (err) => logger.warn({ err }, 'idle postgres client error'));
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err }, 'postgres client error'));
  });
  observePgPool(pool, { max, metrics, tracer: getTracer() });
  const db = drizzle({ client: pool, schema, casing: 'snake_case' }) as unknown as Database;
  return {
    kind: 'postgres',
    db,
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migrate(drizzle({ client, schema, casing: 'snake_case' }), { migrationsFolder });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
        client.release();
      }
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await pool.end();
    },
  };
}
