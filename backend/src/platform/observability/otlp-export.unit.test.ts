import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { ExportResultCode, globalErrorHandler, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { AlwaysOnSampler, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSpans, unreadableSpan } from '../../../test/spans';
import { WorkerSpanExporter, createOtlpTraceExporter, type OtlpProtocol } from './otlp-export';
import { serializeSpans } from './otlp-json';
import { diagLogger, getTracer, startTracing, stopTracing, type DiagSink } from './tracing';

const silent = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

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
  body: Buffer;
}

/** What the SDK's own exporter for each protocol would send for these spans. */
const expectedBody: Record<OtlpProtocol, (spans: ReadableSpan[]) => Buffer> = {
  'http/protobuf': (spans) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
  'http/json': (spans) => Buffer.from(serializeSpans(spans)),
};

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
        const contentType = req.headers['content-type'];
        received.push({ path: req.url, contentType, body: Buffer.concat(chunks) });
        // An ExportTraceServiceResponse with an empty partial_success, in the request's format
        // (what the other format's reader cannot parse, so a mix-up shows as a warning).
        if (contentType === 'application/x-protobuf') {
          res.writeHead(status, { 'content-type': contentType }).end(Buffer.from([0x0a, 0x00]));
        } else res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
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

  const exportOnce = (exporter: WorkerSpanExporter, spans: ReadableSpan[]) =>
    new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

  it.each([
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ] as const)(
    'posts each batch as %s (%s) to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, the bytes the SDK would send',
    async (protocol, contentType) => {
      const exporter = createOtlpTraceExporter(protocol);
      const warnings: string[] = [];
      diag.setLogger(
        { ...silent, warn: (message: string) => warnings.push(message) },
        { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
      );
      try {
        const spans = someSpans();
        const result = await exportOnce(exporter, spans);
        expect(result.code).toBe(ExportResultCode.SUCCESS);
        const last = received.at(-1)!;
        expect(last.path).toBe('/v1/traces');
        expect(last.contentType).toBe(contentType);
        expect(last.body.equals(expectedBody[protocol](spans))).toBe(true);

        // Two batches in flight at once each get their own result and their own bytes (a buffer
        // handed to the worker is not reused); forceFlush waits for both.
        const before = received.length;
        const results: ExportResult[] = [];
        const batches = [someSpans(), someSpans()];
        for (const batch of batches) exporter.export(batch, (r) => results.push(r));
        await exporter.forceFlush();
        expect(results.map((r) => r.code)).toEqual([
          ExportResultCode.SUCCESS,
          ExportResultCode.SUCCESS,
        ]);
        const bodies = received.slice(before).map((r) => r.body);
        expect(bodies).toHaveLength(2);
        for (const batch of batches) {
          expect(bodies.some((body) => body.equals(expectedBody[protocol](batch)))).toBe(true);
        }
        // The collector's answers were read as the protocol's responses: nothing to warn about.
        expect(warnings).toEqual([]);
      } finally {
        diag.disable();
        await exporter.shutdown();
      }
    },
  );

  it('fails a protobuf batch the serializer cannot write by itself, and exports the next ones', async () => {
    const exporter = createOtlpTraceExporter('http/protobuf');
    try {
      const [span] = someSpans();
      const unreadable = unreadableSpan(span!);
      const before = received.length;
      const failed = await exportOnce(exporter, [unreadable]);
      expect(failed.code).toBe(ExportResultCode.FAILED);
      expect(failed.error?.message).toBe('unreadable attributes');
      expect(received.length).toBe(before);

      const spans = someSpans();
      expect((await exportOnce(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      expect(received.at(-1)?.body.equals(expectedBody['http/protobuf'](spans))).toBe(true);
    } finally {
      await exporter.shutdown();
    }
  });

  it('fails a JSON batch that cannot be written or cloned by itself, and exports the next ones', async () => {
    const exporter = createOtlpTraceExporter('http/json');
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
      expect(received.at(-1)?.body.toString('utf8')).toBe(serializeSpans(spans));
    } finally {
      await exporter.shutdown();
    }
  });

  it('reports a rejected batch as failed, and fails at once after shutdown', async () => {
    const exporter = createOtlpTraceExporter('http/protobuf');
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

  it.each(['http/protobuf', 'http/json'] as const)(
    "startTracing's exporter sends the tracer's spans as %s, the bytes the SDK would send",
    async (protocol) => {
      await startTracing({
        serviceName: 'hanger-test',
        protocol,
        sampler: new AlwaysOnSampler(),
      });
      const before = received.length;
      const spans: ReadableSpan[] = [];
      let expected: Buffer | undefined;
      try {
        for (const name of ['first', 'second']) {
          const span = getTracer()!.startSpan(name, { attributes: { 'hanger.test': protocol } });
          span.end();
          spans.push(span as unknown as ReadableSpan);
        }
        // Which processor: protobuf spans were written as they ended (otlp-batch.ts), so a
        // change made afterwards is not sent; the SDK's processor, for JSON, holds the span and
        // writes what it finds at export.
        const written = Buffer.from(expectedBody[protocol](spans));
        (spans[0]!.attributes as Record<string, unknown>)['hanger.test'] = 'changed after end';
        expected = protocol === 'http/protobuf' ? written : expectedBody[protocol](spans);
      } finally {
        await stopTracing(); // flushes the batch
      }
      const bodies = received.slice(before);
      expect(bodies).toHaveLength(1);
      expect(bodies[0]!.body.equals(expected)).toBe(true);
      expect(bodies[0]!.body.includes('changed after end')).toBe(protocol === 'http/json');
    },
  );

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
    await startTracing({ serviceName: 'hanger-test', spanProcessors: [], log });
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
