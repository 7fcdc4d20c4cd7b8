import type { Metric, Registry } from 'prom-client';

interface Series {
  labels: Readonly<Record<string, string>>;
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

/** The same options as prom-client's Histogram, without the label names (each class fixes its). */
interface HistogramOptions {
  name: string;
  help: string;
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * A histogram counted on the hot path with nothing but map lookups and a few adds; the Prometheus
 * shape is built only when /metrics is scraped. A subclass finds (or makes) the series for its
 * labels without building a key (`series`, then `add`).
 *
 * prom-client's Histogram validates and re-hashes the label set on every `observe` into a string
 * key, looks the bucket up by the bound's string, and allocates a closure and an object each time;
 * for the HTTP duration, per request that cost more than the rest of the metrics put together
 * (docs/benchmarks.md). The exposition is identical: `<name>_bucket{…,le}` (cumulative),
 * `<name>_sum`, `<name>_count`.
 */
abstract class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all: Series[] = [];

  readonly name: string;
  readonly help: string;
  private readonly upperBounds: readonly number[];

  constructor(options: HistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.upperBounds = options.buckets;
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** A new series for these labels, exposed from now on. */
  protected series(labels: Readonly<Record<string, string>>): Series {
    const series = {
      labels,
      buckets: new Float64Array(this.upperBounds.length + 1),
      sum: 0,
      count: 0,
    };
    this.all.push(series);
    return series;
  }

  protected add(series: Series, seconds: number): void {
    let i = 0;
    while (i < this.upperBounds.length && seconds > this.upperBounds[i]!) i++;
    series.buckets[i]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  get(): Promise<Exposition> {
    const values: Sample[] = [];
    for (const s of this.all) {
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
    this.all.length = 0;
    this.forget();
  }

  /** Drops the subclass's index of its series (`reset`). */
  protected abstract forget(): void;
}

/** The HTTP request-duration histogram: labels method, route (the template) and status_code. */
export class RouteHistogram extends SeriesHistogram {
  /** route → method → status → series: the three are looked up as they come, no key is built. */
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map<string, Map<number, Series>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Series>()));
    let series = byStatus.get(statusCode);
    if (!series) {
      series = this.series({ method, route, status_code: String(statusCode) });
      byStatus.set(statusCode, series);
    }
    this.add(series, seconds);
  }

  protected forget(): void {
    this.byRoute.clear();
  }
}

/** A histogram with one label, named when it is made (the query duration's `operation`). */
export class LabelHistogram extends SeriesHistogram {
  private readonly byValue = new Map<string, Series>();
  private readonly label: string;

  constructor(options: HistogramOptions & { label: string }) {
    super(options);
    this.label = options.label;
  }

  observe(value: string, seconds: number): void {
    let series = this.byValue.get(value);
    if (!series) this.byValue.set(value, (series = this.series({ [this.label]: value })));
    this.add(series, seconds);
  }

  protected forget(): void {
    this.byValue.clear();
  }
}
