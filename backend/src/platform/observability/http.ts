import { createHash, timingSafeEqual } from 'node:crypto';
import { SpanStatusCode, context, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config';
import { sendError } from '../http/errors';
import { routeTemplate } from '../http/route';
import type { Metrics } from './metrics';
import { getTracer, startServerSpan } from './tracing';

/** Probes and scrapes: most of the requests, none of the insight. */
const UNTRACED_ROUTES = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/v1/healthz',
  '/api/v1/readyz',
]);

const kSpan = Symbol('hanger.span');
const kContext = Symbol('hanger.traceContext');
const kCounted = Symbol('hanger.inFlight');

type TracedRequest = FastifyRequest & {
  [kSpan]?: Span | null;
  [kContext]?: Context | null;
  [kCounted]?: boolean;
};

export interface ObservabilityOptions {
  metrics: Metrics;
  config: Pick<Config, 'env' | 'observability'>;
}

/**
 * HTTP metrics (duration by route template and status, in flight), the route span when tracing is
 * on, and `GET /metrics` on this port when it is to be served here (see `metricsAccess`).
 * Registered first in app.ts so every other hook runs inside the request's trace.
 */
export const observabilityPlugin = fp<ObservabilityOptions>(
  (app, { metrics, config }, done) => {
    if (metrics.enabled) registerHttpMetrics(app, metrics);
    const tracer = getTracer();
    if (tracer) registerRequestSpans(app);
    const access = metricsAccess(config);
    if (metrics.enabled && access.kind !== 'hidden') registerMetricsRoute(app, metrics, access);
    done();
  },
  { name: 'hanger-observability' },
);

function registerHttpMetrics(app: FastifyInstance, metrics: Metrics) {
  // Declared, so every request object has the same shape (see registerRequestSpans).
  app.decorateRequest(kCounted, false);
  app.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    request[kCounted] = true;
    metrics.http.requestStarted();
    done();
  });
  const finish = (request: TracedRequest, reply: FastifyReply) => {
    if (!request[kCounted]) return;
    request[kCounted] = false;
    metrics.http.requestFinished(
      request.method,
      routeTemplate(request),
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  };
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    // The client went away: the status Fastify would have sent is unknown; 499 as NGINX logs it.
    if (request[kCounted as never]) {
      (request as TracedRequest)[kCounted] = false;
      metrics.http.requestFinished(request.method, routeTemplate(request), 499, 0);
    }
    done();
  });
}

/**
 * The SERVER span of each sampled request, named by the route template (`GET /api/v1/items/:id`)
 * and continuing an inbound `traceparent` (see `startServerSpan`: an unsampled request without one
 * gets no span at all). The handler runs inside the span's context even when it is called from a body
 * stream's 'end' event, so database and cache spans become its children.
 */
function registerRequestSpans(app: FastifyInstance) {
  // Declared, so that every request object starts with these fields (Fastify copies declared
  // fields in its constructor): set only on sampled requests, they would give requests two shapes.
  app.decorateRequest(kSpan, null);
  app.decorateRequest(kContext, null);
  app.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    const route = routeTemplate(request);
    if (UNTRACED_ROUTES.has(route)) return done();
    const started = startServerSpan(request.headers, `${request.method} ${route}`);
    if (!started) return done();
    const { span, context: ctx } = started;
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': request.method,
        'http.route': route,
        'url.path': request.url.split('?', 1)[0],
        'hanger.request_id': request.id,
      });
    }
    request[kSpan] = span;
    request[kContext] = ctx;
    context.with(ctx, done);
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request: TracedRequest, reply) {
      const ctx = request[kContext];
      return ctx
        ? context.with(ctx, handler, this, request, reply)
        : handler.call(this, request, reply);
    };
  });
  app.addHook('onResponse', (request: TracedRequest, reply, done) => {
    const span = request[kSpan];
    if (span?.isRecording()) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (request.auth?.userId) span.setAttribute('enduser.id', request.auth.userId);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span?.end();
    done();
  });
  app.addHook('onRequestAbort', (request: TracedRequest, done) => {
    request[kSpan]?.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
    request[kSpan]?.end();
    done();
  });
}

export type MetricsAccess =
  { kind: 'open' } | { kind: 'token'; digest: Buffer } | { kind: 'hidden'; reason: string };

/**
 * Who may read /metrics on the API port: with METRICS_PORT, nobody (it is served there instead);
 * with METRICS_TOKEN, bearers of the token; otherwise anyone outside production and nobody in it.
 */
export function metricsAccess(config: Pick<Config, 'env' | 'observability'>): MetricsAccess {
  const { token, port } = config.observability.metrics;
  if (port) return { kind: 'hidden', reason: `served on METRICS_PORT ${port}` };
  if (token) return { kind: 'token', digest: sha256(token) };
  if (config.env === 'production') {
    return { kind: 'hidden', reason: 'set METRICS_TOKEN or METRICS_PORT to expose it' };
  }
  return { kind: 'open' };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time bearer check (digests have equal length whatever the input). */
export function bearerMatches(header: string | undefined, digest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match ? timingSafeEqual(sha256(match[1]!), digest) : false;
}

function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess) {
  app.get(
    '/metrics',
    { schema: { hide: true }, config: { rateLimit: false }, logLevel: 'warn' },
    async (request, reply) => {
      if (access.kind === 'token' && !bearerMatches(request.headers.authorization, access.digest)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        return sendError(reply, request, 'UNAUTHENTICATED', 'A valid metrics token is required');
      }
      const body = await metrics.render();
      return reply.header('cache-control', 'no-store').type(metrics.contentType()).send(body);
    },
  );
}
