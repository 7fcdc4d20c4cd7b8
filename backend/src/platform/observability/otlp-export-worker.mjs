// The OTLP/HTTP span export, on a worker thread (ADR 0008). For http/protobuf the main thread
// serializes each batch and transfers its bytes here; for http/json it packs the batch
// (`packSpans`, otlp-json.ts) and this thread writes it as OTLP JSON (otlp-json-writer.mjs).
// Either way it is sent with the SDK's own HTTP export delegate, so
// OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, compression, certificates) and its retries
// apply as in @opentelemetry/exporter-trace-otlp-http, and answers with the export result.
//
// Plain JavaScript: a worker does not inherit the main thread's TypeScript loader on Node 20.
import { parentPort, workerData } from 'node:worker_threads';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonTraceSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import { writeSpans } from './otlp-json-writer.mjs';

if (!parentPort) throw new Error('otlp-export-worker.mjs runs as a worker thread');
const port = parentPort;
const json = workerData?.protocol === 'http/json';

// The SDK's warnings and errors here (an unparsable endpoint, unreadable certificates, a partial
// success) are handed to the main thread, which writes them to the log. URLs in them lose any
// credentials first.
const post =
  (level) =>
  (message, ...args) => {
    const text = [message, ...args.map((arg) => (arg instanceof Error ? arg.message : String(arg)))]
      .join(' ')
      .replace(/\/\/[^/@\s]*@/g, '//[REDACTED]@');
    port.postMessage({ type: 'diag', level, message: text });
  };
const drop = () => {};
diag.setLogger(
  { error: post('error'), warn: post('warn'), info: drop, debug: drop, verbose: drop },
  { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
);

/**
 * The request body is written before the export (below); responses are read as the SDK's exporter
 * for the same protocol reads them.
 */
const responses = json ? JsonTraceSerializer : ProtobufTraceSerializer;
const serializer = {
  serializeRequest: (body) => body,
  deserializeResponse: (data) => responses.deserializeResponse(data),
};
const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', {
  'Content-Type': json ? 'application/json' : 'application/x-protobuf',
});
const exporter = new OTLPExporterBase(
  createOtlpHttpExportDelegate(
    options,
    serializer,
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper,
    undefined,
  ),
);

port.on('message', (message) => {
  if (message.type === 'export') {
    const answer = (code, error) =>
      port.postMessage({ type: 'result', id: message.id, code, error });
    let body = message.body;
    try {
      body ??= new TextEncoder().encode(writeSpans(message.batch));
    } catch (err) {
      // A batch that cannot be written (a span ended at an invalid time, say) fails by itself;
      // thrown here, it would stop the thread and with it every later export.
      answer(ExportResultCode.FAILED, `the batch could not be written: ${err?.message ?? err}`);
      return;
    }
    exporter.export(body, (result) =>
      answer(result.code, result.error ? String(result.error.message ?? result.error) : undefined),
    );
  } else if (message.type === 'shutdown') {
    // Waits for the exports in flight (and their retries), then lets the thread end.
    exporter.shutdown().finally(() => port.close());
  }
});
