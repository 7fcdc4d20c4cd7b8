import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode, globalErrorHandler, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSpans } from '../../../test/spans';
import { WorkerSpanExporter, createOtlpJsonTraceExporter } from './otlp-export';
import { serializeSpans } from './otlp-json';
import { diagLogger, startTracing, stopTracing, type DiagSink } from './tracing';

function someSpans(): ReadableSpan[] {
  return recordSpans({ 'service.name': 'hanger-test' }, (provider) => {
    const tracer = provider.getTracer('hanger');
    tracer.startSpan('GET /api/v1/items/:id', { attributes: { 'http.route': '/x' } }).end();
    tracer.startSpan('job listing.index').end();
  });
}

interface Received {
  path: string | undefined;
  contentType: string | undefined;
  body: string;
}

describe('the OTLP span exporter (worker thread)', () => {
  const received: Received[] = [];
  /** What the collector answers next. */
  let status = 200;
  let collector: http.Server;
  const previous = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

  beforeAll(async () => {
    collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url,
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    // The worker reads the environment as it starts, as the SDK exporter would.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previous;
    await new Promise((resolve) => collector.close(resolve));
  });

  const exportOnce = (
    exporter: ReturnType<typeof createOtlpJsonTraceExporter>,
    spans: ReadableSpan[],
  ) => new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

  it('posts each batch, as serialized, to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces', async () => {
    const exporter = createOtlpJsonTraceExporter();
    const spans = someSpans();
    const result = await exportOnce(exporter, spans);
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    const last = received.at(-1)!;
    expect(last.path).toBe('/v1/traces');
    expect(last.contentType).toBe('application/json');
    expect(last.body).toBe(serializeSpans(spans));

    // Two batches in flight at once each get their own result; forceFlush waits for both.
    const before = received.length;
    const results: ExportResult[] = [];
    exporter.export(someSpans(), (r) => results.push(r));
    exporter.export(someSpans(), (r) => results.push(r));
    await exporter.forceFlush();
    expect(results.map((r) => r.code)).toEqual([
      ExportResultCode.SUCCESS,
      ExportResultCode.SUCCESS,
    ]);
    expect(received.length).toBe(before + 2);
    await exporter.shutdown();
  });

  it('fails a batch that cannot be written or cloned by itself, and exports the next ones', async () => {
    const exporter = createOtlpJsonTraceExporter();
    try {
      // Ended at an invalid time: [NaN, NaN], which the worker cannot write as nanoseconds.
      const badTime = recordSpans({ 'service.name': 'hanger-test' }, (provider) => {
        provider.getTracer('hanger').startSpan('bad time').end(Number.NaN);
      });
      const before = received.length;
      const failed = await exportOnce(exporter, badTime);
      expect(failed.code).toBe(ExportResultCode.FAILED);
      expect(failed.error?.message).toMatch(/could not be written/);
      expect(received.length).toBe(before);

      // A value the structured clone refuses (a span built by hand): failed at once, nothing
      // left waiting.
      const [span] = someSpans();
      const unclonable = Object.assign(Object.create(span!) as ReadableSpan, {
        attributes: { callback: () => 1 },
      });
      const refused = await exportOnce(exporter, [unclonable]);
      expect(refused.code).toBe(ExportResultCode.FAILED);
      await exporter.forceFlush();

      // The worker is still there: the next batch goes out.
      const spans = someSpans();
      expect((await exportOnce(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      expect(received.at(-1)?.body).toBe(serializeSpans(spans));
    } finally {
      await exporter.shutdown();
    }
  });

  it('reports a rejected batch as failed, and fails at once after shutdown', async () => {
    const exporter = createOtlpJsonTraceExporter();
    status = 400; // not retryable
    try {
      const rejected = await exportOnce(exporter, someSpans());
      expect(rejected.code).toBe(ExportResultCode.FAILED);
      expect(rejected.error?.message).toMatch(/400|Bad Request/);
    } finally {
      status = 200;
    }
    await exporter.shutdown();
    const before = received.length;
    const after = await exportOnce(exporter, someSpans());
    expect(after.code).toBe(ExportResultCode.FAILED);
    expect(received.length).toBe(before);
    await exporter.shutdown(); // a second shutdown is harmless
  });

  it('fails the batches of a worker that stopped, rather than losing them silently', async () => {
    const exporter = new WorkerSpanExporter(
      new URL('data:text/javascript,throw new Error("worker boom")'),
    );
    const first = await exportOnce(exporter, someSpans());
    expect(first.code).toBe(ExportResultCode.FAILED);
    expect(first.error?.message).toMatch(/worker boom|stopped/);
    const next = await exportOnce(exporter, someSpans());
    expect(next.code).toBe(ExportResultCode.FAILED);
    await exporter.shutdown();
  });
});

describe('WorkerSpanExporter shutdown', () => {
  it('resolves when the worker ends by itself while a shutdown waits for its batches', async () => {
    // A worker that takes a batch, answers nothing and exits 100 ms later.
    const script =
      "import { parentPort } from 'node:worker_threads';" +
      'parentPort.on("message", () => setTimeout(() => process.exit(3), 100));';
    const exporter = new WorkerSpanExporter(
      new URL(`data:text/javascript,${encodeURIComponent(script)}`),
    );
    const result = new Promise<ExportResult>((resolve) => exporter.export(someSpans(), resolve));
    await exporter.shutdown();
    expect((await result).code).toBe(ExportResultCode.FAILED);
  });
});

describe('diagLogger', () => {
  it("writes the SDK's warnings and errors to the log, its Error as err, and drops the rest", () => {
    const lines: { level: string; fields: object; message: string }[] = [];
    const log = {
      warn: (fields: object, message: string) => lines.push({ level: 'warn', fields, message }),
      error: (fields: object, message: string) => lines.push({ level: 'error', fields, message }),
    } as unknown as DiagSink;
    const diag = diagLogger(log);
    const err = new Error('connect ECONNREFUSED');
    diag.error('export failed', 'detail', err);
    diag.warn('dropped 3 spans');
    diag.info('started');
    diag.debug('items to be sent');
    expect(lines).toEqual([
      { level: 'error', fields: { err }, message: 'opentelemetry: export failed' },
      { level: 'warn', fields: {}, message: 'opentelemetry: dropped 3 spans' },
    ]);
  });

  it("sends the SDK's failed exports (its global error handler) to the log with the Error", async () => {
    const lines: { fields: object; message: string }[] = [];
    const log = {
      warn: () => {},
      error: (fields: object, message: string) => lines.push({ fields, message }),
    } as unknown as DiagSink;
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [], instrument: false, log });
    try {
      const err = new Error('connect ECONNREFUSED 127.0.0.1:4318');
      globalErrorHandler(err);
      globalErrorHandler('not an Error');
      expect(lines).toEqual([
        { fields: { err }, message: 'opentelemetry: error' },
        { fields: { detail: 'not an Error' }, message: 'opentelemetry: error' },
      ]);
    } finally {
      await stopTracing();
    }
    globalErrorHandler(new Error('after stop')); // back to the SDK's handler: not ours
    expect(lines).toHaveLength(2);
  });
});
