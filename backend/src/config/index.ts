import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Whose X-Forwarded-* headers to believe. `false` (the default): nobody's, the client is the
 * socket's peer. `true`: any hop's, the client being the leftmost address of X-Forwarded-For: for
 * an API reached only through a proxy that sets that header itself (infra/nginx/hanger/proxy.conf,
 * ingress-nginx by default), since a client can write the leftmost address (and so pick its own
 * rate-limit key) wherever a proxy appends to the header instead. A comma-separated list of
 * addresses, CIDR ranges and proxy-addr's names (`loopback`, `linklocal`, `uniquelocal` = the
 * private ranges): the client is the first address, read from the right, that is not one of them
 * (behind proxies that append; a client on a listed range is believed on what it forwards).
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): boolean | string => {
    if (v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    const entries = v.split(',').map((e) => e.trim());
    for (const entry of entries) {
      const [address = '', bits, extra] = entry.split('/');
      const family = isIP(address);
      const range =
        bits === undefined ||
        (/^\d{1,3}$/.test(bits) &&
          extra === undefined &&
          Number(bits) <= (family === 4 ? 32 : 128));
      if (!PROXY_RANGE_NAMES.has(entry) && !(family !== 0 && range)) {
        ctx.addIssue({
          code: 'custom',
          message: `${entry} is not an address, a CIDR range, loopback, linklocal or uniquelocal`,
        });
        return z.NEVER;
      }
    }
    return entries.join(',');
  });

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(z.url().optional());

/**
 * Every environment variable Hanger reads, with its default. Nothing else reads process.env.
 * `.env.example` mirrors this list.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  HANGER_DATA_DIR: z.string().default('./data'),
  /** Public origin the browser uses (links in mail, presigned local-disk URLs, CORS/Origin checks). */
  PUBLIC_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy.default(false),

  DATABASE_URL: optionalUrl,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  MIGRATE_ON_START: bool.optional(),
  REDIS_URL: optionalUrl,
  /** Prefix for every Redis key and BullMQ queue (lets tests and tenants share one Redis). */
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]*$/)
    .default('hanger'),

  S3_ENDPOINT: optionalUrl,
  S3_BUCKET: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  /** Base URL the CDN serves public media from; defaults to the API's own media route. */
  PUBLIC_MEDIA_BASE_URL: optionalUrl,

  /** HMAC secret for sessions and local presigned URLs. Required in production. */
  APP_SECRET: z.string().min(32).optional(),

  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),

  /** smtp(s)://user:pass@host:port — without it, mail stays in the dev mailbox table. */
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().default('Hanger <no-reply@hanger.local>'),

  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Which roles this process plays; `npm start` plays all. */
  SERVE_SPA: bool.default(true),

  /** Prometheus metrics (platform/observability). */
  METRICS_ENABLED: bool.default(true),
  /** Bearer token for GET /metrics on the API port; without it (or METRICS_PORT) production hides /metrics. */
  METRICS_TOKEN: optionalString.pipe(z.string().min(16).optional()),
  /** Serve /metrics, /healthz and /readyz on this separate, private port instead (the worker's probes). */
  METRICS_PORT: optionalString.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(65535).optional(),
  ),
  /** OpenTelemetry tracing: on when an OTLP endpoint is set or OTEL_TRACES_EXPORTER=otlp|console. */
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none', '']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  /**
   * OTLP/HTTP body format for spans: the traces variable, else the general one (which other
   * signals' exporters may share), else protobuf. Checked only when tracing is on (loadConfig).
   */
  OTEL_EXPORTER_OTLP_PROTOCOL: optionalString,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalString,
  OTEL_SERVICE_NAME: z.string().default('hanger'),
  /**
   * What carries the trace context through promises (ADR 0012): V8's continuation data through the
   * native addon, or promise hooks; `auto` takes the addon where it was built.
   */
  TRACE_CONTEXT: z.enum(['auto', 'continuation-data', 'promise-hooks']).default('auto'),
  /**
   * At most how many consecutive requests that start a trace share one sampling decision (ADR
   * 0014): a busy process samples runs of requests, each request still at the sampler's ratio; a
   * block holds as many as the last 100 ms started, so a quiet process decides each on its own; 1
   * decides each on its own always.
   */
  TRACE_SAMPLE_BLOCK: optionalString
    .pipe(z.coerce.number<string | undefined>().int().min(1).max(1024).optional())
    .transform((v) => v ?? 256),
  /**
   * About how many requests a second that start a trace each process samples at most, under
   * steady traffic (ADR 0015): with more traffic than this over the sampler's ratio, the ratio is
   * lowered for it, so that what tracing costs stops growing with the traffic; 0: no limit.
   */
  TRACE_SAMPLE_MAX_PER_SECOND: optionalString
    .pipe(z.coerce.number<string | undefined>().min(0).max(1_000_000).optional())
    .transform((v) => v ?? 100),
  /**
   * What an HTTP request's W3C `traceparent` does (ADR 0016). `link`: nothing to the decision. The
   * request is sampled as one without it (the ratio and the limit), and a sampled request's span
   * starts a trace of its own with a link to the caller's span, since any client can send the
   * header. `continue`: the request continues the caller's trace, sampled as the caller says: for
   * an API whose every caller is trusted to set it (an edge or gateway that traces, or clears it).
   */
  TRACE_INBOUND_CONTEXT: z.enum(['link', 'continue']).default('link'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  dataDir: string;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  /** Fastify's `trustProxy`: see TRUST_PROXY. */
  trustProxy: boolean | string;
  runtime: 'embedded' | 'services';
  database:
    | { kind: 'pglite'; dataDir: string | undefined }
    | { kind: 'postgres'; url: string; poolMax: number };
  migrateOnStart: boolean;
  redis: { url: string; prefix: string } | undefined;
  storage:
    | { kind: 'local'; dir: string }
    | {
        kind: 's3';
        endpoint: string | undefined;
        bucket: string;
        region: string;
        accessKeyId: string | undefined;
        secretAccessKey: string | undefined;
        forcePathStyle: boolean;
      };
  publicMediaBaseUrl: string;
  appSecret: string;
  rateLimit: { max: number; windowMs: number };
  bodyLimit: number;
  workerConcurrency: number;
  serveSpa: boolean;
  observability: {
    metrics: { enabled: boolean; token: string | undefined; port: number | undefined };
    tracing: {
      enabled: boolean;
      exporter: 'otlp' | 'console';
      /** The OTLP/HTTP body format: the traces variable, else the general one, else protobuf. */
      protocol: 'http/protobuf' | 'http/json';
      serviceName: string;
      context: Env['TRACE_CONTEXT'];
      /** At most this many consecutive new traces share a decision (TRACE_SAMPLE_BLOCK); 1: each alone. */
      sampleBlock: number;
      /** At most this many new traces sampled a second (TRACE_SAMPLE_MAX_PER_SECOND); 0: no limit. */
      maxSampledPerSecond: number;
      /** What an inbound `traceparent` does (TRACE_INBOUND_CONTEXT, ADR 0016). */
      inboundContext: Env['TRACE_INBOUND_CONTEXT'];
    };
  };
  mail: { smtpUrl: string | undefined; from: string };
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEV_SECRET = 'hanger-development-secret-do-not-use-in-production';

/** Parses the environment once. A bad value throws a ConfigError naming the variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === 'production' && !e.APP_SECRET) {
    problems.push('APP_SECRET: required when NODE_ENV=production (at least 32 characters)');
  }
  if (e.S3_ENDPOINT && !e.S3_BUCKET) problems.push('S3_BUCKET: required when S3_ENDPOINT is set');
  const tracingEnabled =
    !e.OTEL_SDK_DISABLED &&
    (e.OTEL_TRACES_EXPORTER === 'otlp' ||
      e.OTEL_TRACES_EXPORTER === 'console' ||
      (!e.OTEL_TRACES_EXPORTER &&
        Boolean(e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)));
  const protocolVariable = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = e[protocolVariable] ?? 'http/protobuf';
  if (tracingEnabled && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push(
      `${protocolVariable}: expected http/protobuf or http/json for spans, got ${protocol} (OTLP over gRPC is not supported)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.HANGER_DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  const services = Boolean(e.DATABASE_URL || e.REDIS_URL || e.S3_BUCKET);

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    publicUrl,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    runtime: services ? 'services' : 'embedded',
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pg') },
    migrateOnStart: e.MIGRATE_ON_START ?? !e.DATABASE_URL,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : undefined,
    storage: e.S3_BUCKET
      ? {
          kind: 's3',
          endpoint: e.S3_ENDPOINT,
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : { kind: 'local', dir: path.join(dataDir, 'objects') },
    publicMediaBaseUrl: (e.PUBLIC_MEDIA_BASE_URL ?? `${publicUrl}/media`).replace(/\/$/, ''),
    appSecret: e.APP_SECRET ?? DEV_SECRET,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    bodyLimit: e.BODY_LIMIT_BYTES,
    workerConcurrency: e.WORKER_CONCURRENCY,
    serveSpa: e.SERVE_SPA,
    observability: {
      metrics: { enabled: e.METRICS_ENABLED, token: e.METRICS_TOKEN, port: e.METRICS_PORT },
      tracing: {
        enabled: tracingEnabled,
        exporter: e.OTEL_TRACES_EXPORTER === 'console' ? 'console' : 'otlp',
        protocol: protocol === 'http/json' ? 'http/json' : 'http/protobuf',
        serviceName: e.OTEL_SERVICE_NAME,
        context: e.TRACE_CONTEXT,
        sampleBlock: e.TRACE_SAMPLE_BLOCK,
        maxSampledPerSecond: e.TRACE_SAMPLE_MAX_PER_SECOND,
        inboundContext: e.TRACE_INBOUND_CONTEXT,
      },
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
  };
}
