import { DiagLogLevel, TraceFlags, context, diag } from '@opentelemetry/api';
import {
  ExportResultCode,
  isTracingSuppressed,
  loggingErrorHandler,
  setGlobalErrorHandler,
  type ExportResult,
} from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { recordEveryField, unreadableSpan } from '../../../test/spans';
import {
  EncodingSpanProcessor,
  batchConfigFromEnv,
  type BatchConfig,
  type EncodedSpanExporter,
} from './otlp-batch';
import { PromiseContextManager } from './promise-context';

const sdkBytes = (spans: ReadableSpan[]) =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array(0));

/** An exporter that keeps each body and answers only when told to. */
class HeldExporter implements EncodedSpanExporter {
  readonly bodies: Buffer[] = [];
  readonly answers: ((result: ExportResult) => void)[] = [];
  shutDown = false;

  exportEncoded(body: Uint8Array, done: (result: ExportResult) => void): void {
    this.bodies.push(Buffer.from(body));
    this.answers.push(done);
  }

  /** Answers the oldest export not answered yet. */
  answer(result: ExportResult = { code: ExportResultCode.SUCCESS }): void {
    const done = this.answers.shift();
    if (!done) throw new Error('no export is waiting');
    done(result);
  }

  shutdown(): Promise<void> {
    this.shutDown = true;
    return Promise.resolve();
  }
}

/** An exporter that answers every export at once, with success. */
class AnsweringExporter extends HeldExporter {
  override exportEncoded(body: Uint8Array, done: (result: ExportResult) => void): void {
    this.bodies.push(Buffer.from(body));
    done({ code: ExportResultCode.SUCCESS });
  }
}

/**
 * A provider whose spans go to `processor` and, in the same order, to memory: the ReadableSpans
 * the processor saw, for the SDK's serializer to write.
 */
function providerWith(processor: SpanProcessor, service = 'hanger-test') {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [processor, new SimpleSpanProcessor(memory)],
  });
  return { provider, ended: () => memory.getFinishedSpans() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

const config = (settings: Partial<BatchConfig>): Partial<BatchConfig> => ({
  maxExportBatchSize: 512,
  maxQueueSize: 2048,
  scheduledDelayMillis: 60_000,
  exportTimeoutMillis: 30_000,
  ...settings,
});

describe('EncodingSpanProcessor', () => {
  afterEach(() => {
    diag.disable();
    setGlobalErrorHandler(loggingErrorHandler());
  });

  it("sends the SDK's bytes for the spans it saw end, grouped by resource and scope", async () => {
    const exporter = new AnsweringExporter();
    const processor = new EncodingSpanProcessor(exporter, config({}));
    const one = providerWith(processor, 'one');
    const two = providerWith(processor, 'two');
    recordEveryField(one.provider);
    two.provider.getTracer('hanger').startSpan('from two').end();
    one.provider.getTracer('late').startSpan('late scope').end();
    await processor.forceFlush();

    const spans = [...one.ended().slice(0, -1), ...two.ended(), ...one.ended().slice(-1)];
    expect(spans).toHaveLength(6);
    expect(exporter.bodies).toHaveLength(1);
    expect(exporter.bodies[0]!.equals(sdkBytes(spans))).toBe(true);
    // Nothing queued: another flush sends nothing.
    await processor.forceFlush();
    expect(exporter.bodies).toHaveLength(1);
  });

  it('exports with tracing suppressed, as the SDK does, and leaves the caller its context', async () => {
    const manager = new PromiseContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const suppressed: boolean[] = [];
      const exporter = new (class extends AnsweringExporter {
        override exportEncoded(body: Uint8Array, done: (result: ExportResult) => void): void {
          suppressed.push(isTracingSuppressed(context.active()));
          super.exportEncoded(body, done);
        }
      })();
      const processor = new EncodingSpanProcessor(exporter, config({}));
      providerWith(processor).provider.getTracer('hanger').startSpan('one').end();
      await processor.forceFlush();
      expect(suppressed).toEqual([true]);
      expect(isTracingSuppressed(context.active())).toBe(false);
    } finally {
      context.disable();
      manager.disable();
    }
  });

  it('sends a full batch at once and one batch at a time, the rest after the delay', async () => {
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(
      exporter,
      config({ maxExportBatchSize: 2, scheduledDelayMillis: 50 }),
    );
    const { provider, ended } = providerWith(processor);
    const tracer = provider.getTracer('hanger');
    for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`).end();
    const spans = ended();

    // The first full batch went as it filled; the second waits for the first's answer.
    expect(exporter.bodies).toHaveLength(1);
    expect(exporter.bodies[0]!.equals(sdkBytes(spans.slice(0, 2)))).toBe(true);
    exporter.answer();
    await settle();
    expect(exporter.bodies).toHaveLength(2);
    expect(exporter.bodies[1]!.equals(sdkBytes(spans.slice(2, 4)))).toBe(true);
    exporter.answer();
    await settle();
    // The fifth span, alone, goes when the delay is over.
    expect(exporter.bodies).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(exporter.bodies).toHaveLength(3);
    expect(exporter.bodies[2]!.equals(sdkBytes(spans.slice(4)))).toBe(true);
    exporter.answer();
  });

  it('drops the spans that find the queue full, and warns how many when one is kept again', async () => {
    const warnings: string[] = [];
    diag.setLogger(
      {
        error: () => {},
        warn: (message: string) => warnings.push(message),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(
      exporter,
      config({ maxExportBatchSize: 2, maxQueueSize: 2 }),
    );
    const { provider, ended } = providerWith(processor);
    const tracer = provider.getTracer('hanger');
    // Two go out (and wait for an answer), two fill the queue, three are dropped.
    for (let i = 0; i < 7; i++) tracer.startSpan(`span ${i}`).end();
    expect(exporter.bodies).toHaveLength(1);
    expect(warnings).toEqual([]);

    exporter.answer();
    await settle();
    expect(exporter.bodies).toHaveLength(2);
    tracer.startSpan('kept').end();
    expect(warnings).toEqual(['Dropped 3 spans because maxQueueSize reached']);
    exporter.answer();
    const flushed = processor.forceFlush();
    exporter.answer();
    await flushed;
    const spans = ended();
    expect(exporter.bodies.map((body) => body.toString('latin1'))).toEqual(
      [spans.slice(0, 2), spans.slice(2, 4), spans.slice(7)].map((batch) =>
        sdkBytes(batch).toString('latin1'),
      ),
    );
  });

  it('leaves out spans that are not sampled, and spans that end after shutdown', async () => {
    const exporter = new AnsweringExporter();
    // Batches of one: a span accepted goes out at once.
    const processor = new EncodingSpanProcessor(exporter, config({ maxExportBatchSize: 1 }));
    const { provider, ended } = providerWith(processor);
    const tracer = provider.getTracer('hanger');
    tracer.startSpan('sampled').end();
    // The SDK hands processors only recording spans; one recorded but not sampled (a sampler's
    // RECORD decision) is left out.
    const recordedOnly = Object.assign(Object.create(ended()[0]!) as ReadableSpan, {
      spanContext: () => ({ ...ended()[0]!.spanContext(), traceFlags: TraceFlags.NONE }),
    });
    processor.onEnd(recordedOnly);

    expect(exporter.bodies).toHaveLength(1);
    expect(exporter.bodies[0]!.equals(sdkBytes(ended()))).toBe(true);

    // A span queued before shutdown goes out; one that ends once shutdown has begun is ignored,
    // even before the queue is flushed (a microtask later, as in the SDK).
    const queued = new EncodingSpanProcessor(exporter, config({}));
    const second = providerWith(queued);
    second.provider.getTracer('hanger').startSpan('queued').end();
    const shutdown = queued.shutdown();
    expect(exporter.bodies).toHaveLength(1);
    second.provider.getTracer('hanger').startSpan('during shutdown').end();
    await shutdown;
    expect(exporter.shutDown).toBe(true);
    expect(exporter.bodies).toHaveLength(2);
    expect(exporter.bodies[1]!.equals(sdkBytes(second.ended().slice(0, 1)))).toBe(true);
    await processor.shutdown();
    tracer.startSpan('after shutdown').end(); // batches of one: it would go out at once
    await processor.forceFlush();
    await processor.shutdown();
    expect(exporter.bodies).toHaveLength(2);
  });

  it('sends what is queued on shutdown, then shuts the exporter down', async () => {
    const exporter = new AnsweringExporter();
    const processor = new EncodingSpanProcessor(exporter, config({}));
    const { provider, ended } = providerWith(processor);
    provider.getTracer('hanger').startSpan('queued').end();
    provider.getTracer('other').startSpan('queued too').end();
    expect(exporter.bodies).toHaveLength(0);
    await processor.shutdown();
    expect(exporter.shutDown).toBe(true);
    expect(exporter.bodies).toHaveLength(1);
    expect(exporter.bodies[0]!.equals(sdkBytes(ended()))).toBe(true);
  });

  it('stops waiting for an export after the timeout, and fails the flush of a failed export', async () => {
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, config({ exportTimeoutMillis: 30 }));
    const { provider } = providerWith(processor);
    provider.getTracer('hanger').startSpan('never answered').end();
    await expect(processor.forceFlush()).rejects.toThrow('Timeout');

    provider.getTracer('hanger').startSpan('refused').end();
    const flushed = processor.forceFlush();
    exporter.answers.shift(); // the first export's answer never comes
    exporter.answer({ code: ExportResultCode.FAILED, error: new Error('collector said no') });
    await expect(flushed).rejects.toThrow('collector said no');
  });

  it('reports a failed export of a full batch to the global error handler', async () => {
    const errors: unknown[] = [];
    setGlobalErrorHandler((err) => errors.push(err));
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, config({ maxExportBatchSize: 1 }));
    const { provider } = providerWith(processor);
    provider.getTracer('hanger').startSpan('refused').end();
    exporter.answer({ code: ExportResultCode.FAILED, error: new Error('collector said no') });
    await settle();
    expect(errors).toEqual([new Error('collector said no')]);
  });

  it('reports a span it cannot write to the global error handler, and sends the others', async () => {
    const errors: unknown[] = [];
    setGlobalErrorHandler((err) => errors.push(err));
    const exporter = new AnsweringExporter();
    const processor = new EncodingSpanProcessor(exporter, config({}));
    const { provider, ended } = providerWith(processor);
    provider.getTracer('hanger').startSpan('fine').end();
    const unreadable = unreadableSpan(ended()[0]!);
    processor.onEnd(unreadable);
    provider.getTracer('hanger').startSpan('also fine').end();
    await processor.forceFlush();
    expect(errors).toEqual([new Error('unreadable attributes')]);
    expect(exporter.bodies).toHaveLength(1);
    expect(exporter.bodies[0]!.equals(sdkBytes(ended()))).toBe(true);
  });

  it('reads OTEL_BSP_* as the SDK does, under the settings it is given', async () => {
    const names = [
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      'OTEL_BSP_MAX_QUEUE_SIZE',
      'OTEL_BSP_SCHEDULE_DELAY',
      'OTEL_BSP_EXPORT_TIMEOUT',
    ];
    const previous = names.map((name) => process.env[name]);
    try {
      for (const name of names) delete process.env[name];
      expect(batchConfigFromEnv()).toEqual({
        maxExportBatchSize: 512,
        maxQueueSize: 2048,
        scheduledDelayMillis: 5000,
        exportTimeoutMillis: 30000,
      });
      Object.assign(process.env, {
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100',
        OTEL_BSP_MAX_QUEUE_SIZE: '400',
        OTEL_BSP_SCHEDULE_DELAY: '250',
        OTEL_BSP_EXPORT_TIMEOUT: 'not a number',
      });
      expect(batchConfigFromEnv()).toEqual({
        maxExportBatchSize: 100,
        maxQueueSize: 400,
        scheduledDelayMillis: 250,
        exportTimeoutMillis: 30000,
      });

      // The processor reads them too, under the settings it is given: batches of 2, not 100.
      const exporter = new HeldExporter();
      const processor = new EncodingSpanProcessor(exporter, { maxExportBatchSize: 2 });
      const { provider, ended } = providerWith(processor);
      for (let i = 0; i < 3; i++) provider.getTracer('hanger').startSpan(`span ${i}`).end();
      expect(exporter.bodies).toHaveLength(1);
      expect(exporter.bodies[0]!.equals(sdkBytes(ended().slice(0, 2)))).toBe(true);
      exporter.answer();
      // The third goes after the environment's delay (250 ms), not the default 5 s.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(exporter.bodies).toHaveLength(2);
      exporter.answer();
    } finally {
      names.forEach((name, i) => {
        if (previous[i] === undefined) delete process.env[name];
        else process.env[name] = previous[i];
      });
    }
  });

  it('caps the batch size at the queue size, as the SDK does', () => {
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(
      exporter,
      config({ maxExportBatchSize: 10, maxQueueSize: 3 }),
    );
    const { provider, ended } = providerWith(processor);
    for (let i = 0; i < 3; i++) provider.getTracer('hanger').startSpan(`span ${i}`).end();
    expect(exporter.bodies).toHaveLength(1);
    expect(exporter.bodies[0]!.equals(sdkBytes(ended()))).toBe(true);
    exporter.answer();
  });
});
