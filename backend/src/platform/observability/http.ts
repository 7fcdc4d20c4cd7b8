import { createHash, timingSafeEqual } from 'node:crypto';
import { SpanStatusCode, context, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config';
import { sendError } from '../http/errors';
import { isProbeRoute } from '../http/probes';
import { CLIENT_CLOSED_REQUEST, type RequestEnds } from '../http/request-ends';
import { routeTemplate } from '../http/route';
import type { Metrics } from './metrics';
import { getTracer, startServerSpan, type InboundContext } from './tracing';

const kObserved = Symbol('hanger.observed');

/**
 * What the request hooks keep on a request between its phases, in one field: each field a plugin
 * declares on requests costs a store on every request, in Fastify's constructor (callgrind).
 * `counted`: in the in-flight gauge (metrics on); `span` and `context`: its SERVER span and the
 * context to run in, when it has one (sampled, or continuing an inbound `traceparent`: ADR 0016).
 * A request without a span keeps the shared COUNTED (metrics on) or nothing: it allocates nothing
 * here.
 */
interface Observed {
  readonly counted: boolean;
  readonly span: Span | null;
  readonly context: Context | null;
}

const COUNTED: Observed = Object.freeze({ counted: true, span: null, context: null });

type ObservedRequest = FastifyRequest & { [kObserved]?: Observed | null };

export interface ObservabilityOptions {
  metrics: Metrics;
  /** Requests that end without a response sent through Fastify (platform/http/request-ends.ts). */
  ends: RequestEnds;
  config: Pick<Config, 'env' | 'observability'>;
}

/**
 * HTTP metrics (duration by route template and status, in flight), the route span when tracing is
 * on, and `GET /metrics` on this port when it is to be served here (see `metricsAccess`).
 * Registered first in app.ts so every other hook runs inside the request's trace.
 */
export const observabilityPlugin = fp<ObservabilityOptions>(
  (app, { metrics, ends, config }, done) => {
    const inbound = getTracer() ? config.observability.tracing.inboundContext : undefined;
    if (metrics.enabled || inbound) {
      registerRequestHooks(app, ends, metrics.enabled ? metrics : undefined, inbound);
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
 * (`GET /api/v1/items/:id`), linked to or continuing an inbound `traceparent` as `inbound` says
 * (see `startServerSpan`: an unsampled request gets no span at all). Each Fastify hook has a cost
 * of its own, so the two share them.
 */
function registerRequestHooks(
  app: FastifyInstance,
  ends: RequestEnds,
  metrics: Metrics | undefined,
  /** What an inbound `traceparent` does, when requests are traced (ADR 0016). */
  inbound: InboundContext | undefined,
) {
  // Declared, so that every request object starts with this field (Fastify copies declared
  // fields in its constructor): set only on some requests, it would give requests two shapes.
  app.decorateRequest(kObserved, null);

  app.addHook('onRequest', (request: ObservedRequest, _reply, done) => {
    if (metrics) {
      metrics.http.requestStarted();
      // Before the span: if starting it threw, the error reply's onResponse still counts it out.
      request[kObserved] = COUNTED;
    }
    const observed = inbound
      ? startRequestSpan(request, metrics !== undefined, inbound)
      : undefined;
    if (observed) {
      request[kObserved] = observed;
      context.with(observed.context!, done);
    } else done();
  });

  /**
   * Counts a request out and ends its span, once, whichever of onResponse and ends.onUnanswered
   * comes first; `then` (the hooks or listeners after this) runs in the request's trace, the
   * request log line among them.
   */
  const finish = (
    request: ObservedRequest,
    reply: FastifyReply,
    status: number,
    then: () => void,
  ): void => {
    const observed = request[kObserved];
    if (!observed) return then();
    request[kObserved] = null;
    if (metrics && observed.counted) {
      metrics.http.requestFinished(
        request.method,
        routeTemplate(request),
        status,
        reply.elapsedTime / 1000,
      );
    }
    const span = observed.span;
    if (!span) return then();
    if (span.isRecording()) {
      if (status === CLIENT_CLOSED_REQUEST) {
        // The client went away before its response: no status was sent.
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
      } else {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (request.auth?.userId) span.setAttribute('enduser.id', request.auth.userId);
    }
    span.end();
    context.with(observed.context!, then);
  };

  app.addHook('onResponse', (request: ObservedRequest, reply, done) =>
    finish(request, reply, reply.statusCode, done),
  );
  // A request that ends without a response Fastify sends: its client gone (499), upgraded to a
  // WebSocket (101), or its handshake refused by `ws` (400).
  ends.onUnanswered(finish);

  if (!inbound) return;
  // The request's context does not cross a socket callback by itself (promise-context.ts): a
  // handler called from the body's 'end' event runs in it through this wrapper. (The response's
  // 'finish' event is the other such seam, handled in onResponse above.)
  app.addHook('onRoute', (route) => {
    // A WebSocket route's handler takes the socket, after the handshake: the connection that
    // follows is not the upgrade request's trace.
    if (route.websocket) return;
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request: ObservedRequest, reply) {
      const ctx = request[kObserved]?.context;
      return ctx
        ? context.with(ctx, handler, this, request, reply)
        : handler.call(this, request, reply);
    };
  });
}

/** Starts the request's span when it is traced and sampled: what onRequest keeps, if so. */
function startRequestSpan(
  request: FastifyRequest,
  counted: boolean,
  inbound: InboundContext,
): Observed | undefined {
  const route = routeTemplate(request);
  if (isProbeRoute(route)) return undefined;
  const started = startServerSpan(request.headers, request.method, route, inbound);
  if (!started) return undefined;
  const { span, context: ctx } = started;
  if (span.isRecording()) {
    span.setAttributes({
      'http.request.method': request.method,
      'http.route': route,
      'url.path': pathOf(request.url),
      'hanger.request_id': request.id,
    });
  }
  return { counted, span, context: ctx };
}

/** A URL's path: the part before any `?` (without split's array, on every sampled request). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
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
