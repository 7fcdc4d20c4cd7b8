/**
 * What the HTTP benchmarks (http.ts, http-instructions.ts) share: how a server under test is
 * started and the environment it runs with, a database per server on the services runtime, an
 * OTLP sink, a free port.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export interface SamplerSetting {
  name: string;
  arg: string | undefined;
  /** TRACE_SAMPLE_MAX_PER_SECOND (ADR 0015): at most this many new traces sampled a second. */
  maxPerSecond: string;
}

/** The production sampler (infra/k8s/base/configmap.yaml). */
export const PRODUCTION_SAMPLER: SamplerSetting = {
  name: 'parentbased_traceidratio',
  arg: '0.1',
  maxPerSecond: '10',
};
/** Every request sampled: no limit. */
export const ALWAYS: SamplerSetting = { name: 'always_on', arg: undefined, maxPerSecond: '0' };

/** The backend package, where the servers run (tsx and the preload resolve from there). */
export const BACKEND_DIR = path.resolve(import.meta.dirname, '..');

/**
 * Node's arguments for a server under test (bench/http.ts --serve MODE): the application with the
 * preload every Hanger process has, or, for `bare`, a plain node:http server.
 */
export function serverArgs(mode: string, port: number): string[] {
  const args = ['--import', 'tsx'];
  if (mode !== 'bare') args.push('--import', './src/platform/observability/preload.ts');
  args.push('bench/http.ts', '--serve', mode, '--port', String(port));
  return args;
}

/** Resolves when a server started with an IPC channel says it is listening. */
export function untilListening(child: ChildProcess, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} server exited ${code}`)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A sink for OTLP/HTTP spans, so tracing pays its full export cost. It counts the export requests,
 * and the SERVER spans of protobuf ones by service and span name (`serverSpans`), so that the bench
 * can check what fraction of a server's requests was sampled. Bodies are kept as they come and
 * read only when asked (`countPending`, between runs), so that reading them takes no CPU from the
 * servers being measured.
 */
export async function startOtlpSink(): Promise<{
  port: number;
  received: () => number;
  /** SERVER spans received from `service` named `name` (protobuf exports). */
  serverSpans: (service: string, name: string) => number;
  /** Export bodies that could not be counted (compressed, JSON, or malformed). */
  uncounted: () => number;
  /** Counts the bodies received so far, and lets them go. */
  countPending: () => void;
  close: () => void;
}> {
  let received = 0;
  let uncounted = 0;
  const bodies: Buffer[] = [];
  const counts = new Map<string, number>();
  const countPending = () => {
    for (const body of bodies.splice(0)) {
      // Counted apart, then added: a body that turns out malformed adds nothing.
      const own = new Map<string, number>();
      try {
        countServerSpans(body, own);
      } catch {
        uncounted++;
        continue;
      }
      for (const [key, n] of own) counts.set(key, (counts.get(key) ?? 0) + n);
    }
  };
  const sink = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received++;
      // An empty ExportTraceServiceResponse, in the request's format (protobuf by default).
      if (req.headers['content-type'] === 'application/x-protobuf') {
        if (req.headers['content-encoding']) uncounted++;
        else bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else {
        uncounted++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  return {
    port: (sink.address() as net.AddressInfo).port,
    received: () => received,
    serverSpans: (service, name) => {
      countPending();
      return counts.get(`${service}\n${name}`) ?? 0;
    },
    uncounted: () => {
      countPending();
      return uncounted;
    },
    countPending,
    close: () => sink.close(),
  };
}

/** The fields of one protobuf message: field number → each value (bytes, or a varint). */
function fields(buf: Buffer): Map<number, (Buffer | number)[]> {
  const out = new Map<number, (Buffer | number)[]>();
  let pos = 0;
  const take = (length: number) => {
    if (pos + length > buf.length) throw new Error('OTLP sink: truncated message');
    return buf.subarray(pos, (pos += length));
  };
  const varint = () => {
    let value = 0;
    for (let shift = 1; shift < 2 ** 64; shift *= 128) {
      if (pos >= buf.length) throw new Error('OTLP sink: truncated varint');
      const byte = buf[pos++]!;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
    }
    throw new Error('OTLP sink: varint too long');
  };
  while (pos < buf.length) {
    const key = varint();
    const wire = key % 8;
    let value: Buffer | number;
    if (wire === 0) value = varint();
    else if (wire === 2) value = take(varint());
    else if (wire === 1) value = take(8);
    else if (wire === 5) value = take(4);
    else throw new Error(`OTLP sink: wire type ${wire}`);
    const field = Math.floor(key / 8);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

/** Adds an ExportTraceServiceRequest's SERVER spans (kind 2) to `counts`, by service and name. */
function countServerSpans(body: Buffer, counts: Map<string, number>): void {
  const bytes = (m: Map<number, (Buffer | number)[]>, field: number) =>
    (m.get(field) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v));
  for (const resourceSpans of bytes(fields(body), 1).map(fields)) {
    let service = '';
    for (const resource of bytes(resourceSpans, 1).map(fields)) {
      for (const kv of bytes(resource, 1).map(fields)) {
        if (bytes(kv, 1)[0]?.toString() !== 'service.name') continue;
        const value = bytes(kv, 2).map(fields)[0];
        service = (value && bytes(value, 1)[0]?.toString()) ?? '';
      }
    }
    for (const scopeSpans of bytes(resourceSpans, 2).map(fields)) {
      for (const span of bytes(scopeSpans, 2).map(fields)) {
        if (span.get(6)?.[0] !== 2) continue;
        const key = `${service}\n${bytes(span, 5)[0]?.toString() ?? ''}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
}

export interface StackEnvironments {
  /**
   * The environment of the server `name`: the production configuration with metrics and tracing
   * off, or on with `sampler` (spans to the sink). On the services runtime, a fresh database of
   * its own (each server migrates it) and a Redis prefix of its own.
   */
  env(name: string, sampler?: SamplerSetting): Promise<NodeJS.ProcessEnv>;
  /** Drops the databases and Redis keys the servers used (services runtime). */
  drop(): Promise<void>;
}

export function stackEnvironments(options: {
  runtime: string;
  /** A directory for the embedded runtime's data, one subdirectory per server. */
  tmp: string;
  sinkPort: number;
  /** Each server's database pool on the services runtime (DATABASE_POOL_MAX); default the app's. */
  poolMax?: number;
}): StackEnvironments {
  const services = options.runtime === 'services';
  if (!services && options.runtime !== 'embedded') throw new Error('--runtime embedded|services');
  const pgBase = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `hanger-bench-http-${process.pid}`;
  const databases: string[] = [];
  async function admin(statements: string[]) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: pgBase });
    await client.connect();
    for (const sql of statements) await client.query(sql);
    await client.end();
  }
  async function servicesEnv(name: string): Promise<NodeJS.ProcessEnv> {
    if (!services) return {};
    const db = `hanger_bench_http_${name}`;
    await admin([`DROP DATABASE IF EXISTS ${db}`, `CREATE DATABASE ${db}`]);
    databases.push(db);
    const url = new URL(pgBase);
    url.pathname = `/${db}`;
    return {
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `${redisPrefix}-${name}`,
      ...(options.poolMax ? { DATABASE_POOL_MAX: String(options.poolMax) } : {}),
    };
  }
  return {
    env: async (name, sampler) => ({
      ...process.env,
      ...(await servicesEnv(name)),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      APP_SECRET: 'bench-secret-bench-secret-bench-secret-01',
      HANGER_DATA_DIR: path.join(options.tmp, name),
      SERVE_SPA: 'false',
      RATE_LIMIT_MAX: '100000000',
      MIGRATE_ON_START: 'true',
      METRICS_ENABLED: sampler ? 'true' : 'false',
      ...(sampler
        ? {
            OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${options.sinkPort}`,
            OTEL_SERVICE_NAME: `hanger-bench-${name}`,
            OTEL_TRACES_SAMPLER: sampler.name,
            ...(sampler.arg ? { OTEL_TRACES_SAMPLER_ARG: sampler.arg } : {}),
            TRACE_SAMPLE_MAX_PER_SECOND: sampler.maxPerSecond,
          }
        : { OTEL_SDK_DISABLED: 'true' }),
    }),
    drop: async () => {
      if (databases.length === 0) return;
      await admin(databases.map((db) => `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
      databases.length = 0;
      const { Redis } = await import('ioredis');
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${redisPrefix}-*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
