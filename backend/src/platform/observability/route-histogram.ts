import type { Metric, Registry } from 'prom-client';

interface Series {
  labels: { method: string; route: string; status_code: string };
  /** Per-bucket counts (not cumulative); the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** What prom-client's Registry reads from a metric when it renders the exposition. */
interface Exposition {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

/**
 * The HTTP request-duration histogram, counted on the request path with nothing but a map lookup
 * and a few adds; the Prometheus shape is built only when /metrics is scraped.
 *
 * prom-client's Histogram validates and re-hashes the label set on every `observe` (plus
 * converting the status code to a string and finding the bucket); per request that cost more than
 * the rest of the metrics put together (docs/benchmarks.md). The exposition is identical:
 * `<name>_bucket{…,le}` (cumulative), `<name>_sum`, `<name>_count`.
 */
export class RouteHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** route → method → status → series: the three are looked up as they come, no key is built. */
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();
  private readonly series: Series[] = [];

  readonly name: string;
  readonly help: string;
  private readonly upperBounds: readonly number[];

  /** The same options as prom-client's Histogram (labels are fixed: method, route, status_code). */
  constructor(options: {
    name: string;
    help: string;
    buckets: readonly number[];
    registers: Registry[];
  }) {
    this.name = options.name;
    this.help = options.help;
    this.upperBounds = options.buckets;
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map<string, Map<number, Series>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Series>()));
    let series = byStatus.get(statusCode);
    if (!series) {
      series = {
        labels: { method, route, status_code: String(statusCode) },
        buckets: new Float64Array(this.upperBounds.length + 1),
        sum: 0,
        count: 0,
      };
      byStatus.set(statusCode, series);
      this.series.push(series);
    }
    let i = 0;
    while (i < this.upperBounds.length && seconds > this.upperBounds[i]!) i++;
    series.buckets[i]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  get(): Promise<Exposition> {
    const values: Sample[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let i = 0; i <= this.upperBounds.length; i++) {
        cumulative += s.buckets[i]!;
        const le = i < this.upperBounds.length ? this.upperBounds[i]! : '+Inf';
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le, ...s.labels },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  reset(): void {
    this.byRoute.clear();
    this.series.length = 0;
  }
}
