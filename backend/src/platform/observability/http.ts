import { createHash, timingSafeEqual } from 'node:crypto';
import { SpanStatusCode, context, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
    const traced = getTracer() !== undefined;
    if (metrics.enabled || traced) {
      registerRequestHooks(app, metrics.enabled ? metrics : undefined, traced);
    }
    const access = metricsAccess(config);
    if (metrics.enabled && access.kind !== 'hidden') registerMetricsRoute(app, metrics, access);
    done();
  },
  { name: 'hanger-observability' },
);

/**
 * One hook per request phase for both the metrics (in flight, duration by route template and
 * status) and the SERVER span of each sampled request, named by the route template
 * (`GET /api/v1/items/:id`) and continuing an inbound `traceparent` (see `startServerSpan`: an
 * unsampled request without one gets no span at all). Each Fastify hook has a cost of its own, so
 * the two share them.
 */
function registerRequestHooks(app: FastifyInstance, metrics: Metrics | undefined, traced: boolean) {
  // Declared, so that every request object starts with these fields (Fastify copies declared
  // fields in its constructor): set only on some requests, they would give requests two shapes.
  app.decorateRequest(kCounted, false);
  app.decorateRequest(kSpan, null);
  app.decorateRequest(kContext, null);

  app.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    if (metrics) {
      request[kCounted] = true;
      metrics.http.requestStarted();
    }
    const ctx = traced ? startRequestSpan(request) : undefined;
    if (ctx) context.with(ctx, done);
    else done();
  });

  app.addHook('onResponse', (request: TracedRequest, reply, done) => {
    if (metrics && request[kCounted]) {
      request[kCounted] = false;
      metrics.http.requestFinished(
        request.method,
        routeTemplate(request),
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    }
    const span = request[kSpan];
    if (!span) return done();
    if (span.isRecording()) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (request.auth?.userId) span.setAttribute('enduser.id', request.auth.userId);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    // The onResponse hooks after this one (the request log line among them) run in the trace.
    context.with(request[kContext]!, done);
  });

  app.addHook('onRequestAbort', (request: TracedRequest, done) => {
    // The client went away: the status Fastify would have sent is unknown; 499 as NGINX logs it.
    if (metrics && request[kCounted]) {
      request[kCounted] = false;
      metrics.http.requestFinished(request.method, routeTemplate(request), 499, 0);
    }
    const span = request[kSpan];
    if (span) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
      span.end();
      request[kSpan] = null; // an onResponse that still comes must not end it twice
    }
    done();
  });

  if (!traced) return;
  // The request's context does not cross a socket callback by itself (promise-context.ts): a
  // handler called from the body's 'end' event runs in it through this wrapper. (The response's
  // 'finish' event is the other such seam, handled in onResponse above.)
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request: TracedRequest, reply) {
      const ctx = request[kContext];
      return ctx
        ? context.with(ctx, handler, this, request, reply)
        : handler.call(this, request, reply);
    };
  });
}

/** Starts the request's span when it is traced and sampled; the context to run it in, if any. */
function startRequestSpan(request: TracedRequest): Context | undefined {
  const route = routeTemplate(request);
  if (UNTRACED_ROUTES.has(route)) return undefined;
  const started = startServerSpan(request.headers, request.method, route);
  if (!started) return undefined;
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
  return ctx;
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
