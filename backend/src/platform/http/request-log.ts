import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { redactUrl } from '../logging/logger';
import { isProbeRoute } from './probes';
import type { RequestEnds } from './request-ends';
import { UNMATCHED_ROUTE, routeTemplate } from './route';

/**
 * One JSON line per request (Fastify's own pair of lines is off): request id, method, redacted
 * URL, route template, status, duration and the user when known. Probes (probes.ts) log only at
 * debug. A request that ends without a response Fastify sends (request-ends.ts) has its line too.
 * The line goes through the root logger with the request id as a field: a per-request pino child
 * would cost more than the line (see platform/logging/request-logger.ts). The route's own log
 * level still decides whether it is written.
 */
export function registerRequestLog(app: FastifyInstance, log: Logger, ends: RequestEnds) {
  /** Writes the request's line, at the level its status and route give, if that is enabled. */
  const write = (request: FastifyRequest, reply: FastifyReply, status: number): void => {
    const template = routeTemplate(request);
    const route = template === UNMATCHED_ROUTE ? undefined : template;
    const quiet = isProbeRoute(route);
    const level = status >= 500 ? 'error' : quiet ? 'debug' : 'info';
    if (!(request.log as unknown as Pick<Logger, 'isLevelEnabled'>).isLevelEnabled(level)) return;
    const line = {
      requestId: request.id,
      method: request.method,
      url: redactUrl(request.url),
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      userId: request.auth?.userId,
    };
    log[level](line, status >= 500 ? 'request failed' : 'request');
  };
  app.addHook('onResponse', (request, reply, done) => {
    write(request, reply, reply.statusCode);
    done();
  });
  // A client gone before its response (499), a WebSocket's handshake answered (101) or refused by
  // `ws` (400): a line all the same.
  ends.onUnanswered((request, reply, status, next) => {
    write(request, reply, status);
    next();
  });
}
