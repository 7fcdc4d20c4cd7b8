/** Observability: Prometheus metrics, OpenTelemetry tracing, the ops listener. See docs/runbooks. */
export {
  Metrics,
  boundedLabel,
  type CacheMetrics,
  type HttpMetrics,
  type ImageMetrics,
  type ImageOutcome,
  type JobMetrics,
  type WsMetrics,
} from './metrics';
export { observabilityPlugin, metricsAccess } from './http';
export { observeJobs } from './jobs';
export { startOpsServer } from './ops-server';
export { currentTraceparent, startTracing, stopTracing } from './tracing';
