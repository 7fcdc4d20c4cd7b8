/**
 * Loaded with `--import` before the entry point (see backend/package.json and infra/docker), so
 * the OpenTelemetry instrumentations can patch http and ioredis before anything imports them.
 * Without an OTLP endpoint (or OTEL_TRACES_EXPORTER) it loads nothing. It also pins the shape of
 * Node's tick objects (platform/process/tick-shape.ts), which every process needs.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { loadConfig } from '../../config';
import { createLogger } from '../logging/logger';
import { pinTickObjectShape } from '../process/tick-shape';
import { INSTRUMENTED_PACKAGES, startTracing } from './tracing';

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
  // ESM imports of the instrumented packages are patched through import-in-the-middle's loader
  // hook; CommonJS via require hooks. Only these packages: by default the hook wraps every ES module
  // in a proxy of getters, which taxes every imported call in the process (docs/benchmarks.md).
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: INSTRUMENTED_PACKAGES },
  });
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
