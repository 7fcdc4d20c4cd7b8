import { TraceFlags, context, diag } from '@opentelemetry/api';
import {
  ExportResultCode,
  getNumberFromEnv,
  globalErrorHandler,
  suppressTracing,
  type ExportResult,
} from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EncodedSpans, encodeBatch } from './otlp-protobuf';

/** Where a batch's OTLP protobuf request goes (`WorkerSpanExporter`). */
export interface EncodedSpanExporter {
  /** Sends one request body; `done` is called once with its result. */
  exportEncoded(body: Uint8Array<ArrayBuffer>, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** The BatchSpanProcessor's settings, with its defaults and its OTEL_BSP_* variables. */
export interface BatchConfig {
  maxExportBatchSize: number;
  maxQueueSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/** OTEL_BSP_* as the SDK's BatchSpanProcessor reads them, over its defaults. */
export function batchConfigFromEnv(): BatchConfig {
  return {
    maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512,
    maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048,
    scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? 5000,
    exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT') ?? 30000,
  };
}

/**
 * The SDK's BatchSpanProcessor, except that each sampled span is written as OTLP protobuf when it
 * ends (`EncodedSpans`), and its batch holds those bytes rather than the span (ADR 0010).
 *
 * Why: a span held until its batch goes out (up to 5 s, or 512 spans) outlives several young
 * generation collections. Each one copies it with its attributes, events and contexts, then it is
 * promoted, and only a mark-compact frees it. Written as it ends, a span dies young with its
 * request, where it costs nothing to collect; the batch is one buffer. On the services database
 * route at 10 %, tracing's share of the bytes promoted per request fell from ~160 to ~24
 * (docs/benchmarks.md, session 10). Writing a span costs the same now as at export time.
 *
 * Otherwise as the SDK's: the same settings and defaults; a batch goes out when it is full, or
 * `scheduledDelayMillis` after the first span of an empty queue; one export at a time, except
 * forceFlush and shutdown, which send everything queued at once; a span that finds
 * `maxQueueSize` spans queued is dropped, and the next span kept warns how many were; an export
 * that has no result after `exportTimeoutMillis` stops being waited for; exports run with tracing
 * suppressed. A span that cannot be written (a hand-made one whose fields, resource or scope
 * throw) goes to the global error handler, alone: the SDK failed its whole batch at export time.
 */
export class EncodingSpanProcessor implements SpanProcessor {
  readonly #exporter: EncodedSpanExporter;
  readonly #config: BatchConfig;
  /** The batch spans are written into. */
  #open: EncodedSpans;
  /** Full batches, oldest first, waiting to go out. */
  readonly #full: EncodedSpans[] = [];
  /** A sent batch's buffer, kept for the next one. */
  #spare: EncodedSpans | undefined;
  /** Spans in `#open` and `#full`. */
  #queued = 0;
  #dropped = 0;
  #exporting = false;
  #timer: NodeJS.Timeout | undefined;
  #shutdown: Promise<void> | undefined;

  constructor(exporter: EncodedSpanExporter, config: Partial<BatchConfig> = {}) {
    this.#exporter = exporter;
    const settings = batchConfigFromEnv();
    for (const key of Object.keys(settings) as (keyof BatchConfig)[]) {
      if (config[key] !== undefined) settings[key] = config[key];
    }
    if (settings.maxExportBatchSize > settings.maxQueueSize) {
      diag.warn(
        'BatchSpanProcessor: maxExportBatchSize must be smaller or equal to maxQueueSize, setting maxExportBatchSize to match maxQueueSize',
      );
      settings.maxExportBatchSize = settings.maxQueueSize;
    }
    this.#config = settings;
    this.#open = new EncodedSpans();
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutdown) return;
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#queued >= this.#config.maxQueueSize) {
      if (this.#dropped === 0) diag.debug('maxQueueSize reached, dropping spans');
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0) {
      diag.warn(`Dropped ${this.#dropped} spans because maxQueueSize reached`);
      this.#dropped = 0;
    }
    try {
      this.#open.add(span);
    } catch (err) {
      globalErrorHandler(err as Error);
      return;
    }
    this.#queued++;
    if (this.#open.count >= this.#config.maxExportBatchSize) {
      this.#full.push(this.#open);
      this.#open = this.#spare ?? new EncodedSpans();
      this.#spare = undefined;
    }
    this.#maybeStartTimer();
  }

  forceFlush(): Promise<void> {
    return this.#shutdown ?? this.#flushAll();
  }

  shutdown(): Promise<void> {
    // Marked before the queue is flushed (a microtask later): a span that ends meanwhile is
    // ignored, as the SDK ignores it.
    this.#shutdown ??= Promise.resolve()
      .then(() => this.#flushAll())
      .then(() => this.#exporter.shutdown());
    return this.#shutdown;
  }

  /** Sends every batch queued, at once. */
  #flushAll(): Promise<void> {
    const batches = this.#full.length + (this.#open.count > 0 ? 1 : 0);
    const sent: Promise<void>[] = [];
    for (let i = 0; i < batches; i++) sent.push(this.#flushOne());
    return Promise.all(sent).then(() => {});
  }

  /** Sends the oldest batch: the first full one, else the open one. */
  #flushOne(): Promise<void> {
    this.#clearTimer();
    let batch = this.#full.shift();
    if (!batch && this.#open.count > 0) {
      batch = this.#open;
      this.#open = this.#spare ?? new EncodedSpans();
      this.#spare = undefined;
    }
    if (!batch) return Promise.resolve();
    this.#queued -= batch.count;
    // As in the SDK, nothing the export does makes spans of its own.
    return context.with(suppressTracing(context.active()), this.#send, this, batch);
  }

  /** Writes the batch's request once its resources are complete, and exports it. */
  #send(batch: EncodedSpans): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('Timeout')),
        this.#config.exportTimeoutMillis,
      );
      const send = () => {
        let body: Uint8Array<ArrayBuffer>;
        try {
          body = encodeBatch(batch);
        } catch (err) {
          clearTimeout(timer);
          reject(asError(err));
          return;
        }
        batch.reset();
        this.#spare ??= batch;
        this.#exporter.exportEncoded(body, (result) => {
          clearTimeout(timer);
          if (result.code === ExportResultCode.SUCCESS) resolve();
          else reject(result.error ?? new Error('BatchSpanProcessor: span export failed'));
        });
      };
      // The SDK waits for a resource's asynchronous attributes before exporting its spans.
      // (Inside the executor: a resource that throws rejects this export, as it would the SDK's.)
      const pending: Promise<void>[] = [];
      for (const { resource } of batch.groups) {
        const waiting = resource.asyncAttributesPending
          ? resource.waitForAsyncAttributes?.()
          : undefined;
        if (waiting) pending.push(waiting);
      }
      if (pending.length === 0) send();
      else {
        Promise.all(pending).then(send, (err: unknown) => {
          clearTimeout(timer);
          const error = asError(err);
          globalErrorHandler(error);
          reject(error);
        });
      }
    });
  }

  #maybeStartTimer(): void {
    if (this.#exporting) return;
    // A full batch goes now; otherwise the first span of an empty queue sets the timer. (Nothing
    // is allocated on the way through: this runs as every sampled span ends.)
    if (this.#full.length > 0) {
      this.#flush();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#flush, this.#config.scheduledDelayMillis);
    this.#timer.unref();
  }

  /** Sends the oldest batch, then starts over if spans are still queued (one export at a time). */
  readonly #flush = () => {
    this.#exporting = true;
    this.#flushOne()
      .finally(() => {
        this.#exporting = false;
        if (this.#queued > 0) {
          this.#clearTimer();
          this.#maybeStartTimer();
        }
      })
      .catch((err: unknown) => {
        this.#exporting = false;
        globalErrorHandler(err as Error);
      });
  };

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
