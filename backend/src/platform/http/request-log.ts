import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { redactUrl } from '../logging/logger';
import { isProbeRoute } from './probes';
import { UNMATCHED_ROUTE, routeTemplate } from './route';

/**
 * One JSON line per request (Fastify's own pair of lines is off): request id, method, redacted
 * URL, route template, status, duration and the user when known. Probes (probes.ts) log only at
 * debug.
 * The line goes through the root logger with the request id as a field: a per-request pino child
 * would cost more than the line (see platform/logging/request-logger.ts). The route's own log
 * level still decides whether it is written.
 */
export function registerRequestLog(app: FastifyInstance, log: Logger) {
  app.addHook('onResponse', (request, reply, done) => {
    const template = routeTemplate(request);
    const route = template === UNMATCHED_ROUTE ? undefined : template;
    const quiet = isProbeRoute(route);
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : quiet ? 'debug' : 'info';
    if (!(request.log as unknown as Pick<Logger, 'isLevelEnabled'>).isLevelEnabled(level)) {
      done();
      return;
    }
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
    done();
  });
}
