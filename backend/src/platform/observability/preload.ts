/**
 * Loaded with `--import` before the entry point (see backend/package.json and infra/docker), so
 * that tracing has started before the application makes its first span or client. Without an OTLP
 * endpoint (or OTEL_TRACES_EXPORTER) it loads nothing of OpenTelemetry's SDK. It also pins the
 * shape of Node's tick objects (platform/process/tick-shape.ts), which every process needs.
 */
import { isMainThread } from 'node:worker_threads';
import { loadConfig } from '../../config';
import { createLogger } from '../logging/logger';
import { pinTickObjectShape } from '../process/tick-shape';
import { startTracing } from './tracing';

// First, before anything allocates: see platform/process/tick-shape.ts.
pinTickObjectShape();

let config;
try {
  config = loadConfig();
} catch {
  config = undefined; // The entry point reports the bad variable and exits.
}
// Not in a worker thread: NODE_OPTIONS' --import would bring this file into the span exporter's own
// worker too, which would start tracing there (and another worker) in turn.
if (isMainThread && config?.observability.tracing.enabled) {
  await startTracing({
    serviceName: config.observability.tracing.serviceName,
    exporter: config.observability.tracing.exporter,
    protocol: config.observability.tracing.protocol,
    context: config.observability.tracing.context,
    sampleBlock: config.observability.tracing.sampleBlock,
    maxSampledPerSecond: config.observability.tracing.maxSampledPerSecond,
    log: createLogger(config.logLevel),
  });
}
