import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';
import type { QueueAdapter } from '../queue/types';
import { LabelHistogram, RouteHistogram } from './route-histogram';

/** The default metric prom-client collects per event rather than when scraped: left out. */
const PER_GC_COLLECTOR = 'gc';

/**
 * prom-client's default process metrics (CPU, memory, file descriptors, heap and its spaces,
 * event-loop lag, handles, Node's version), without `nodejs_gc_duration_seconds`. That one
 * observes every garbage collection through a `PerformanceObserver`, which cost a server ~3 % of
 * its CPU on the ping route with two servers sharing a CPU: a server without metrics spent 94.5 %
 * as much CPU a request as one with metrics alone, 97.8 % when that one had no GC histogram, and
 * 99.0 % when it had no process metrics at all (docs/benchmarks.md, session 28). The others are read
 * when /metrics is scraped, or, for the lag, by a timer every 10 ms. Each collector is a module of
 * its own in prom-client, and `collectDefaultMetrics` runs them all, with no way to leave one out;
 * the metrics test checks that every other default metric is here.
 */
function collectProcessMetrics(register: Registry): void {
  const load = createRequire(import.meta.url);
  const { metricsList } = load('prom-client/lib/defaultMetrics.js') as { metricsList: string[] };
  for (const name of metricsList) {
    if (name === PER_GC_COLLECTOR) continue;
    const collector = load(`prom-client/lib/metrics/${name}.js`) as (
      register: Registry,
      config: { eventLoopMonitoringPrecision: number },
    ) => void;
    collector(register, { eventLoopMonitoringPrecision: 10 });
  }
}

/** Buckets (seconds) for request and query latencies: 1 ms … 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets (seconds) for jobs: 5 ms … 5 min. */
const JOB_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export type ImageOutcome = 'processed' | 'rejected' | 'failed';
export type JobOutcome = 'completed' | 'failed';
export type WsDirection = 'in' | 'out';

/** Recorders for the WebSocket layer (modules/realtime calls these). */
export interface WsMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  /** `type` is the event type (`notification.created`, `message.created`, …): keep it bounded. */
  message(direction: WsDirection, type: string): void;
}

/** Recorder for image processing (modules/media calls this once per image, after the final try). */
export interface ImageMetrics {
  /** `reason` is a stable code (`UNSUPPORTED_TYPE`, `TOO_MANY_PIXELS`, …), never free text. */
  outcome(outcome: ImageOutcome, reason?: string): void;
}

/** Recorders for caches other than the `Cache` port (which is metered automatically). */
export interface CacheMetrics {
  hit(cache: string): void;
  miss(cache: string): void;
}

export interface DbMetrics {
  query(operation: string, seconds: number): void;
  /** Reads the pool's state at scrape time. */
  observePool(stats: () => PoolStats): void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface JobMetrics {
  job(queue: string, name: string, outcome: JobOutcome, seconds: number): void;
}

export interface HttpMetrics {
  requestStarted(): void;
  requestFinished(method: string, route: string, statusCode: number, seconds: number): void;
}

const SAFE_LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Keeps label values bounded: anything that does not look like a code becomes `other`. */
export const boundedLabel = (value: string | undefined): string =>
  value && SAFE_LABEL.test(value) ? value : 'other';

/**
 * One Prometheus registry per runtime (so two apps in one test process never clash), holding every
 * series Hanger exports. Modules get the narrow recorder they need (`metrics.ws`, `metrics.images`,
 * …) from composition.ts; each recorder is a plain object of functions, safe to destructure.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly http: HttpMetrics;
  readonly db: DbMetrics;
  readonly cache: CacheMetrics;
  readonly jobs: JobMetrics;
  readonly ws: WsMetrics;
  readonly images: ImageMetrics;
  private readonly queues: QueueAdapter[] = [];
  private readonly pools: (() => PoolStats)[] = [];

  /**
   * @param enabled false (METRICS_ENABLED=false): no HTTP hooks, no process metrics, no /metrics;
   *   recorders still count in memory (cheap) so callers never need to check.
   */
  constructor(readonly enabled = true) {
    const registers = [this.registry];
    if (enabled) collectProcessMetrics(this.registry);

    const httpDuration = new RouteHistogram({
      name: 'hanger_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status code',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // Counted in a plain number; the gauge reads it when scraped.
    let inFlight = 0;
    new Gauge({
      name: 'hanger_http_requests_in_flight',
      help: 'HTTP requests being handled right now',
      registers,
      collect() {
        this.set(inFlight);
      },
    });
    this.http = {
      requestStarted: () => {
        inFlight++;
      },
      requestFinished: (method, route, statusCode, seconds) => {
        inFlight--;
        httpDuration.observe(method, route, statusCode, seconds);
      },
    };

    // Observed on every query, so counted as the HTTP duration is (route-histogram.ts).
    const queryDuration = new LabelHistogram({
      name: 'hanger_db_query_duration_seconds',
      help: 'Database query duration by SQL operation (services runtime: pg pool)',
      label: 'operation',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const pools = this.pools;
    new Gauge({
      name: 'hanger_db_pool_connections',
      help: 'Postgres pool connections by state (total, idle, waiting clients, max)',
      labelNames: ['state'] as const,
      registers,
      collect() {
        this.reset();
        for (const stats of pools) {
          const s = stats();
          this.inc({ state: 'total' }, s.total);
          this.inc({ state: 'idle' }, s.idle);
          this.inc({ state: 'waiting' }, s.waiting);
          this.inc({ state: 'max' }, s.max);
        }
      },
    });
    this.db = {
      query: (operation, seconds) => queryDuration.observe(operation, seconds),
      observePool: (stats) => {
        pools.push(stats);
      },
    };

    const cacheRequests = new Counter({
      name: 'hanger_cache_requests_total',
      help: 'Cache lookups by cache namespace and result (hit or miss)',
      labelNames: ['cache', 'result'] as const,
      registers,
    });
    this.cache = {
      hit: (cache) => cacheRequests.inc({ cache: boundedLabel(cache), result: 'hit' }),
      miss: (cache) => cacheRequests.inc({ cache: boundedLabel(cache), result: 'miss' }),
    };

    const queues = this.queues;
    new Gauge({
      name: 'hanger_queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed, completed)',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        for (const queue of queues) {
          let counts: Awaited<ReturnType<QueueAdapter['counts']>>;
          try {
            counts = await queue.counts();
          } catch {
            continue; // The queue backend is down: readiness reports it; leave the series absent.
          }
          for (const [name, c] of Object.entries(counts)) {
            for (const [state, n] of Object.entries(c) as [string, number][]) {
              this.set({ queue: name, state }, n);
            }
          }
        }
      },
    });
    const jobDuration = new Histogram({
      name: 'hanger_job_duration_seconds',
      help: 'Job run time per queue, job name and outcome (one observation per attempt)',
      labelNames: ['queue', 'job', 'outcome'] as const,
      buckets: JOB_BUCKETS,
      registers,
    });
    this.jobs = {
      job: (queue, name, outcome, seconds) =>
        jobDuration.observe({ queue, job: name, outcome }, seconds),
    };

    const wsConnections = new Gauge({
      name: 'hanger_ws_connections',
      help: 'Open WebSocket connections on this instance',
      registers,
    });
    const wsMessages = new Counter({
      name: 'hanger_ws_messages_total',
      help: 'WebSocket messages by direction (in: from clients, out: to clients) and event type',
      labelNames: ['direction', 'type'] as const,
      registers,
    });
    this.ws = {
      connectionOpened: () => wsConnections.inc(),
      connectionClosed: () => wsConnections.dec(),
      message: (direction, type) => wsMessages.inc({ direction, type: boundedLabel(type) }),
    };

    const images = new Counter({
      name: 'hanger_image_processing_total',
      help: 'Images processed by the media worker, by outcome and reason code',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    });
    for (const outcome of ['processed', 'rejected', 'failed'] as const) {
      images.inc({ outcome, reason: 'none' } satisfies LabelValues<'outcome' | 'reason'>, 0);
    }
    this.images = {
      outcome: (outcome, reason) =>
        images.inc({ outcome, reason: reason ? boundedLabel(reason) : 'none' }),
    };
  }

  /** Reports this queue's depth per state at every scrape. */
  observeQueue(queue: QueueAdapter): void {
    this.queues.push(queue);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every series. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
